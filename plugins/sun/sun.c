/* The `sun` scorer: uniqueness and novelty of generated crystals by
 * structure matching, and S.U.N. with the stability plugin's `stable`
 * (docs/metrics-sun.md).  Two definitions (sun_definition):
 * - mattergen: groups by reduced formula; unique = greedy in input order,
 *   each record compared with the earlier unique ones of its group; novel =
 *   no match among the training structures of its reduced formula (every
 *   record); sun = stable and unique and novel.
 * - crystallm (check_valid_unique_novel.py): groups by cell formula; only
 *   unique records are tested for novelty; novel by composition when no
 *   training structure has that cell formula.
 * Matcher: pymatgen's default StructureMatcher, fit(new, earlier_or_train).
 *
 * Where the work happens: `score` (worker threads) reduces the record's cell
 * and matches it against the training set, which `create` read and reduced
 * once, bucketed by formula; it leaves the reduced cell in a table of the
 * state (under a mutex) for the accumulator.  Uniqueness depends on the
 * records before, so it is decided in acc_add_record (input order, one
 * thread), which writes the verdicts into the record.  When score ran
 * elsewhere (an isolated worker), acc_add_record does the work itself. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figs.h"
#include "match_cells.h"
#include "mmscore/host.h"

/* ------------------------------------------------------- formula buckets */

/* A formula key: "Z:n Z:n ..." sorted by Z over the ordered sites' elements
 * (oxidation states ignored, as Composition.formula ignores them); the
 * reduced key divides the counts by their gcd. */
static int formula_keys(const mms_structure *s, char *cell, char *reduced, size_t cap)
{
    size_t ne = s->n_elements;
    long long g = 0;
    for (size_t i = 0; i < ne; i++) {
        double a = s->element_amount[i];
        long long n = (long long)(a + 0.5);
        if (!(a > 0) || a > 1e9 || (double)n != a) return -1; /* fractional: disordered */
        long long x = g, y = n;
        while (y) { long long t = x % y; x = y; y = t; }
        g = x;
    }
    if (!ne) return -1;
    size_t lc = 0, lr = 0;
    cell[0] = reduced[0] = 0;
    for (size_t i = 0; i < ne; i++) {
        long long n = (long long)(s->element_amount[i] + 0.5);
        int k1 = snprintf(cell + lc, cap - lc, "%d:%lld ", s->element_z[i], n);
        int k2 = snprintf(reduced + lr, cap - lr, "%d:%lld ", s->element_z[i], n / g);
        if (k1 < 0 || k2 < 0 || (size_t)k1 >= cap - lc || (size_t)k2 >= cap - lr) return -1;
        lc += (size_t)k1, lr += (size_t)k2;
    }
    return 0;
}

/* string -> list of indices, open addressing (FNV-1a) */
typedef struct bucket {
    char *key;
    size_t *ix, n, cap;
} bucket;

typedef struct table {
    bucket *b;
    size_t cap, used;
} table;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bucket *table_find(const table *t, const char *key)
{
    if (!t->cap) return NULL;
    for (size_t i = fnv(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->b[i].key) return NULL;
        if (!strcmp(t->b[i].key, key)) return &t->b[i];
    }
}

static int table_add(table *t, const char *key, size_t ix)
{
    if (2 * (t->used + 1) > t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 256;
        bucket *nb = calloc(nc, sizeof *nb);
        if (!nb) return MMS_ENOMEM;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->b[i].key) continue;
            size_t j = fnv(t->b[i].key) & (nc - 1);
            while (nb[j].key) j = (j + 1) & (nc - 1);
            nb[j] = t->b[i];
        }
        free(t->b);
        t->b = nb, t->cap = nc;
    }
    size_t i = fnv(key) & (t->cap - 1);
    while (t->b[i].key && strcmp(t->b[i].key, key)) i = (i + 1) & (t->cap - 1);
    bucket *b = &t->b[i];
    if (!b->key) {
        if (!(b->key = strdup(key))) return MMS_ENOMEM;
        t->used++;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 4;
        size_t *ni = realloc(b->ix, nc * sizeof *ni);
        if (!ni) return MMS_ENOMEM;
        b->ix = ni, b->cap = nc;
    }
    b->ix[b->n++] = ix;
    return MMS_OK;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->cap; i++) free(t->b[i].key), free(t->b[i].ix);
    free(t->b);
    t->b = NULL, t->cap = t->used = 0;
}

/* ------------------------------------------------------------------ state */

enum { DEF_MATTERGEN, DEF_CRYSTALLM };

/* what score found for one generated record, kept for acc_add_record */
typedef struct verdict {
    size_t index;
    mms_match_cell *cell; /* NULL: failed (code, msg) */
    int code;
    char reason[32];
    char cell_key[2048], reduced_key[2048]; /* 118 elements of "Z:n " fit */
    int novel, by_composition; /* novelty against the training set */
    long ref;                  /* first matching training structure, -1: none */
} verdict;

typedef struct state {
    mms_match_options o;
    int def, has_hull;
    char *ref_path;
    mmsc_match_ref *ref; /* training structures in input order */
    size_t n_ref, n_ref_bad;
    table by_cell, by_reduced; /* key -> training structure indices */
    pthread_mutex_t mu;
    verdict **pending; /* scored, not yet accumulated */
    size_t n_pending, cap_pending;
} state;

static const mms_option_def options[] = {
    {"novelty_ref", MMS_OPT_STRING, NULL,
     "training structures (eval's --novelty-ref): enables this scorer in eval"},
    {"sun_definition", MMS_OPT_STRING, "mattergen",
     "mattergen (reduced-formula groups, every record tested for novelty) or crystallm "
     "(cell-formula groups, unique records tested)"},
    {"sun_match_preset", MMS_OPT_STRING, "default", "matcher preset (default: StructureMatcher())"},
    {"hull_ref", MMS_OPT_STRING, NULL, "the stability plugin's hull reference: adds sun and the "
                                       "stability rates"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"unique", "bool", "no earlier unique generated record of its formula group matches it"},
    {"dup_of", "int", "index of the earlier unique generated record it matches (null: unique)"},
    {"dup_of_id", "string", "id of that record"},
    {"novel", "bool", "no training structure of its formula group matches it (crystallm: null "
                      "when not unique)"},
    {"novel_by_composition", "bool", "crystallm: no training structure has its cell formula"},
    {"match_ref_id", "string", "id of the first training structure that matches it"},
    {"sun", "bool", "stable and unique and novel (with --hull-ref)"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"definition", "string", "mattergen or crystallm"},
    {"n_novelty_reference", "int", "training structures read"},
    {"n_novelty_reference_unmatchable", "int", "of those, not matchable (left out of novelty)"},
    {"n_structures", "int", "generated records, failures included (the denominators)"},
    {"n_failed", "int", "generated records that could not be matched (neither unique nor novel)"},
    {"failed", "object", "n_failed by reason: unreadable, disordered, matcher"},
    {"n_unique", "int", "records with unique true"},
    {"n_novel", "int", "records with novel true"},
    {"n_novel_unique", "int", "records unique and novel"},
    {"n_novel_by_composition", "int", "crystallm: unique records novel by composition alone"},
    {"frac_unique_structures", "number", "mattergen: n_unique / n_structures"},
    {"frac_novel_structures", "number", "mattergen: n_novel / n_structures"},
    {"frac_novel_unique_structures", "number", "mattergen: n_novel_unique / n_structures"},
    {"n_stable", "int", "records with the stability plugin's stable true"},
    {"n_sun", "int", "records stable, unique and novel"},
    {"frac_stable_structures", "number", "n_stable / n_structures (submitted jobs)"},
    {"frac_novel_unique_stable_structures", "number", "n_sun / n_structures (submitted jobs)"},
    {"avg_energy_above_hull_per_atom", "number", "mean e_above_hull over records that have one"},
    {"n_valid_cifs", "int", "crystallm: records read and matchable"},
    {"n_unique_materials", "int", "crystallm: n_unique"},
    {"n_novel_materials", "int", "crystallm: unique records novel (by composition or by matching)"},
    {NULL, NULL, NULL}};

/* the training set, through a core pipeline of its own (as mmsc_match_refs_read) */
typedef struct ref_reader {
    state *s;
    size_t cap;
} ref_reader;

static int on_ref(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    (void)values;
    ref_reader *rr = ctx;
    state *s = rr->s;
    if (s->n_ref == rr->cap) {
        size_t nc = rr->cap ? 2 * rr->cap : 1024;
        mmsc_match_ref *t = realloc(s->ref, nc * sizeof *t);
        if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        s->ref = t, rr->cap = nc;
    }
    size_t i = s->n_ref++;
    mmsc_match_ref *r = &s->ref[i];
    memset(r, 0, sizeof *r);
    r->id = strdup(rec->id ? rec->id : "");
    char ck[2048], rk[2048];
    mms_error e;
    mms_error_clear(&e);
    if (!rec->structure)
        r->error = strdup(rec->error ? rec->error->message : "not a structure");
    else if (formula_keys(rec->structure, ck, rk, sizeof ck))
        r->error = strdup("disordered or unusual composition");
    else if (mms_match_cell_from_structure(&r->cell, &s->o, rec->structure, &e))
        r->error = strdup(e.message);
    if (!r->cell) {
        s->n_ref_bad++;
        return MMS_OK;
    }
    if (table_add(&s->by_cell, ck, i) || table_add(&s->by_reduced, rk, i))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    return MMS_OK;
}

static int read_refs(state *s, const char *path, mms_error *err)
{
    ref_reader rr = {s, 0};
    mms_error e;
    mms_error_clear(&e);
    int rc = mmsc_match_read_each(path, "train", on_ref, &rr, &e);
    return rc ? mms_error_set(err, rc, e.line, "novelty_ref %s: %s", path, e.message) : MMS_OK;
}

static void destroy(void *st)
{
    state *s = st;
    if (!s) return;
    for (size_t i = 0; i < s->n_ref; i++) {
        free(s->ref[i].id), free(s->ref[i].error);
        mms_match_cell_free(s->ref[i].cell);
    }
    free(s->ref);
    table_free(&s->by_cell), table_free(&s->by_reduced);
    for (size_t i = 0; i < s->n_pending; i++) {
        mms_match_cell_free(s->pending[i]->cell);
        free(s->pending[i]);
    }
    free(s->pending);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const cJSON *get_item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *opt_str(const cJSON *config, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, k));
}

static int create(void **out, const cJSON *config, mms_error *err)
{
    state *s = calloc(1, sizeof *s);
    if (!s) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    const char *def = opt_str(config, "sun_definition");
    const char *hull = opt_str(config, "hull_ref");
    const char *ref = opt_str(config, "novelty_ref");
    s->has_hull = hull && *hull;
    int rc = mmsc_match_options_from_config(&s->o, config, "sun_match_preset", err);
    if (!rc && def && !strcmp(def, "crystallm"))
        s->def = DEF_CRYSTALLM;
    else if (!rc && def && strcmp(def, "mattergen"))
        rc = mms_error_set(err, MMS_EINVAL, 0, "sun_definition '%s': expected mattergen or crystallm",
                           def);
    if (!rc && s->o.allow_subset)
        rc = mms_error_set(err, MMS_EINVAL, 0, "sun: allow_subset matching is not a uniqueness test");
    if (!rc && (!ref || !*ref))
        rc = mms_error_set(err, MMS_EINVAL, 0, "sun needs novelty_ref (eval --novelty-ref TRAIN)");
    if (!rc) rc = read_refs(s, ref, err);
    if (rc) {
        destroy(s);
        return rc;
    }
    *out = s;
    return MMS_OK;
}

static int is_generated(const mms_record *rec)
{
    return rec->set && !strcmp(rec->set, "generated");
}

/* Reduce the record's cell and test it against the training set (for
 * crystallm too: score cannot know yet whether the record is unique). */
static void analyse(const state *s, const mms_record *rec, verdict *v, mms_error *err)
{
    v->index = rec->index;
    v->ref = -1;
    if (!rec->structure) {
        v->code = MMS_EPARSE;
        snprintf(v->reason, sizeof v->reason, "unreadable");
        mms_error_set(err, MMS_EPARSE, rec->line, "%s", rec->error ? rec->error->message : "not read");
        return;
    }
    if (formula_keys(rec->structure, v->cell_key, v->reduced_key, sizeof v->cell_key) ||
        !rec->structure->is_ordered) {
        v->code = MMS_EUNSUPPORTED;
        snprintf(v->reason, sizeof v->reason, "disordered");
        mms_error_set(err, MMS_EUNSUPPORTED, rec->line,
                      "disordered structure (partial occupancy): the species matcher compares "
                      "ordered sites");
        return;
    }
    int rc = mms_match_cell_from_structure(&v->cell, &s->o, rec->structure, err);
    if (rc) {
        v->code = rc;
        snprintf(v->reason, sizeof v->reason, rc == MMS_EUNSUPPORTED ? "disordered" : "matcher");
        return;
    }
    const bucket *b = table_find(s->def == DEF_CRYSTALLM ? &s->by_cell : &s->by_reduced,
                                 s->def == DEF_CRYSTALLM ? v->cell_key : v->reduced_key);
    v->by_composition = !b;
    v->novel = 1;
    for (size_t k = 0; b && k < b->n; k++) {
        int fit = 0;
        rc = mms_match_fit(&s->o, v->cell, s->ref[b->ix[k]].cell, &fit, err);
        if (rc) {
            v->code = rc;
            snprintf(v->reason, sizeof v->reason, "matcher");
            mms_match_cell_free(v->cell);
            v->cell = NULL;
            return;
        }
        if (fit) {
            v->novel = 0, v->ref = (long)b->ix[k];
            break;
        }
    }
}

static int score(void *st, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier, (void)out;
    state *s = st;
    if (!is_generated(rec) || !rec->structure) return MMS_OK; /* the core reports read errors */
    verdict *v = calloc(1, sizeof *v);
    if (!v) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    mms_error e;
    mms_error_clear(&e);
    analyse(s, rec, v, &e);
    pthread_mutex_lock(&s->mu);
    int ok = 1;
    if (s->n_pending == s->cap_pending) {
        size_t nc = s->cap_pending ? 2 * s->cap_pending : 512;
        verdict **t = realloc(s->pending, nc * sizeof *t);
        if (t)
            s->pending = t, s->cap_pending = nc;
        else
            ok = 0;
    }
    if (ok) s->pending[s->n_pending++] = v;
    pthread_mutex_unlock(&s->mu);
    if (!ok) { /* the accumulator will redo it */
        mms_match_cell_free(v->cell);
        free(v);
    }
    if (v && ok && v->code) return mms_error_set(err, v->code, e.line, "sun: %s", e.message);
    return MMS_OK;
}

/* ------------------------------------------------------------ set part */

typedef struct rep {
    size_t index;
    char *id;
    mms_match_cell *cell;
} rep;

/* Every generated record as a saved state carries it, so that a merge can
 * redo uniqueness over the shards in input order (novelty and stability
 * are per record and travel as verdicts). */
typedef struct ent {
    size_t index;
    char *id, *ref_id;     /* ref_id: first matching training structure, NULL: none */
    char reason[32];       /* failure reason, "" when matchable */
    char *cell_key, *reduced_key;
    int novel, by_composition, stable, has_eah;
    double eah;
    double lattice[9];
    size_t n;              /* sites (0 when failed) */
    int *z, *has_ox;
    double *frac, *ox;
} ent;

typedef struct acc {
    ent *ents;
    size_t n_ents, cap_ents;
    int merged;    /* a state with records was merged: finish recomputes */
    int detached;  /* records before the first one seen were not seen (a shard
                      after the first): uniqueness is not decidable here */
    long long n, n_failed, n_unique, n_novel, n_novel_unique, n_by_comp, n_stable, n_sun, n_eah;
    double sum_eah;
    cJSON *failed; /* reason -> count */
    table groups;  /* formula key -> representatives (indices into reps) */
    rep *reps;
    size_t n_reps, cap_reps;
} acc;

static int acc_new(void *st, void **out, mms_error *err)
{
    (void)st;
    acc *a = calloc(1, sizeof *a);
    if (!a || !(a->failed = cJSON_CreateObject())) {
        free(a);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = a;
    return MMS_OK;
}

static void ent_free(ent *e)
{
    free(e->id), free(e->ref_id), free(e->cell_key), free(e->reduced_key);
    free(e->z), free(e->has_ox), free(e->frac), free(e->ox);
}

static ent *ent_push(acc *a)
{
    if (a->n_ents == a->cap_ents) {
        size_t nc = a->cap_ents ? 2 * a->cap_ents : 1024;
        ent *t = realloc(a->ents, nc * sizeof *t);
        if (!t) return NULL;
        a->ents = t, a->cap_ents = nc;
    }
    ent *e = &a->ents[a->n_ents++];
    memset(e, 0, sizeof *e);
    return e;
}

static char *dup_or_null(const char *x)
{
    return x ? strdup(x) : NULL;
}

/* the record as a merge needs it; MMS_ENOMEM on failure */
static int ent_record(acc *a, const mms_record *rec, const verdict *v, const char *ref_id, int stable,
                      int has_eah, double eah)
{
    ent *e = ent_push(a);
    if (!e) return MMS_ENOMEM;
    e->index = rec->index, e->stable = stable, e->has_eah = has_eah, e->eah = eah;
    e->id = strdup(rec->id ? rec->id : "");
    if (!e->id) return MMS_ENOMEM;
    if (!v || v->code) {
        snprintf(e->reason, sizeof e->reason, "%s", v ? v->reason : "unreadable");
        return MMS_OK;
    }
    e->novel = v->novel, e->by_composition = v->by_composition;
    e->ref_id = dup_or_null(ref_id);
    e->cell_key = strdup(v->cell_key), e->reduced_key = strdup(v->reduced_key);
    const mms_structure *st = rec->structure;
    size_t n = e->n = st->n_sites;
    memcpy(e->lattice, st->lattice, sizeof e->lattice);
    e->z = malloc(n * sizeof *e->z), e->has_ox = malloc(n * sizeof *e->has_ox);
    e->frac = malloc(3 * n * sizeof *e->frac), e->ox = malloc(n * sizeof *e->ox);
    if ((ref_id && !e->ref_id) || !e->cell_key || !e->reduced_key || !e->z || !e->has_ox || !e->frac || !e->ox)
        return MMS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const mms_species *sp = &st->sites[i].species[0];
        e->z[i] = sp->z, e->has_ox[i] = sp->has_oxidation, e->ox[i] = sp->oxidation;
        memcpy(e->frac + 3 * i, st->sites[i].frac, 3 * sizeof *e->frac);
    }
    return MMS_OK;
}

static void acc_free(void *st, void *ap)
{
    (void)st;
    acc *a = ap;
    if (!a) return;
    for (size_t i = 0; i < a->n_reps; i++) free(a->reps[i].id), mms_match_cell_free(a->reps[i].cell);
    free(a->reps);
    table_free(&a->groups);
    for (size_t i = 0; i < a->n_ents; i++) ent_free(&a->ents[i]);
    free(a->ents);
    cJSON_Delete(a->failed);
    free(a);
}

static verdict *take_pending(state *s, size_t index)
{
    verdict *v = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i]->index == index) {
            v = s->pending[i];
            s->pending[i] = s->pending[--s->n_pending];
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return v;
}

static int count_failure(acc *a, const char *reason)
{
    a->n_failed++;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(a->failed, reason);
    if (c) {
        cJSON_SetNumberValue(c, c->valuedouble + 1);
        return MMS_OK;
    }
    return cJSON_AddNumberToObject(a->failed, reason, 1) ? MMS_OK : MMS_ENOMEM;
}

/* greedy uniqueness: the first earlier unique record of the group that
 * matches (fit(new, earlier)); *dup = -1 when none */
static int find_dup(const state *s, acc *a, const verdict *v, long *dup, mms_error *err)
{
    *dup = -1;
    const bucket *b = table_find(&a->groups, s->def == DEF_CRYSTALLM ? v->cell_key : v->reduced_key);
    for (size_t k = 0; b && k < b->n; k++) {
        int fit = 0;
        int rc = mms_match_fit(&s->o, v->cell, a->reps[b->ix[k]].cell, &fit, err);
        if (rc) return rc;
        if (fit) {
            *dup = (long)b->ix[k];
            return MMS_OK;
        }
    }
    return MMS_OK;
}

static int put_verdicts(const state *s, acc *a, size_t index, const char *id, verdict *v,
                        const char *ref_id, mms_values *out, int stable, mms_error *err)
{
    long dup;
    int rc = find_dup(s, a, v, &dup, err);
    if (rc) return rc;
    int unique = dup < 0;
    if (unique) {
        if (a->n_reps == a->cap_reps) {
            size_t nc = a->cap_reps ? 2 * a->cap_reps : 256;
            rep *t = realloc(a->reps, nc * sizeof *t);
            if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            a->reps = t, a->cap_reps = nc;
        }
        rep *r = &a->reps[a->n_reps];
        r->index = index, r->cell = v->cell, r->id = strdup(id ? id : "");
        if (!r->id || table_add(&a->groups, s->def == DEF_CRYSTALLM ? v->cell_key : v->reduced_key,
                                a->n_reps)) {
            free(r->id);
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        a->n_reps++;
        v->cell = NULL; /* the representative owns it now */
    }
    /* crystallm tests novelty of unique records only */
    int tested = s->def == DEF_MATTERGEN || unique;
    int novel = tested && v->novel;
    a->n_unique += unique;
    a->n_novel += novel;
    a->n_novel_unique += novel && unique;
    a->n_by_comp += tested && v->by_composition && s->def == DEF_CRYSTALLM;
    int sun = stable && unique && novel;
    a->n_sun += sun;
    if (!out) return MMS_OK; /* a merge recomputing the set: no record to write */
    if (a->detached) {
        /* A shard after the first has not seen the records before its block:
         * a verdict made here could call a record unique that an earlier
         * shard's record duplicates.  Only the merge of the shards' states
         * decides; the record says so with nulls instead of a guess. */
        rc = mms_values_set_null(out, "unique");
        if (!rc) rc = mms_values_set_null(out, "dup_of");
        if (!rc) rc = mms_values_set_null(out, "dup_of_id");
        int own = s->def == DEF_MATTERGEN; /* mattergen tests novelty of every record */
        if (!rc) rc = own ? mms_values_set_bool(out, "novel", v->novel) : mms_values_set_null(out, "novel");
        if (!rc && s->def == DEF_CRYSTALLM) rc = mms_values_set_null(out, "novel_by_composition");
        if (!rc) rc = own && ref_id ? mms_values_set_string(out, "match_ref_id", ref_id)
                                    : mms_values_set_null(out, "match_ref_id");
        if (!rc && s->has_hull) rc = mms_values_set_null(out, "sun");
        return rc ? mms_error_set(err, rc, 0, "sun: cannot store values") : MMS_OK;
    }
    rc = mms_values_set_bool(out, "unique", unique);
    if (!rc) rc = unique ? mms_values_set_null(out, "dup_of")
                         : mms_values_set_int(out, "dup_of", (long long)a->reps[dup].index);
    if (!rc) rc = unique ? mms_values_set_null(out, "dup_of_id")
                         : mms_values_set_string(out, "dup_of_id", a->reps[dup].id);
    if (!rc) rc = tested ? mms_values_set_bool(out, "novel", novel) : mms_values_set_null(out, "novel");
    if (!rc && s->def == DEF_CRYSTALLM)
        rc = tested ? mms_values_set_bool(out, "novel_by_composition", v->by_composition)
                    : mms_values_set_null(out, "novel_by_composition");
    if (!rc) rc = tested && ref_id ? mms_values_set_string(out, "match_ref_id", ref_id)
                                   : mms_values_set_null(out, "match_ref_id");
    if (!rc && s->has_hull) rc = mms_values_set_bool(out, "sun", sun);
    return rc ? mms_error_set(err, rc, 0, "sun: cannot store values") : MMS_OK;
}

/* count one record and decide its uniqueness (v: its cell and novelty;
 * unused for a failed record); out NULL when no record is written */
static int judge(const state *s, acc *a, const ent *e, verdict *v, mms_values *out, mms_error *err)
{
    a->n++;
    a->n_stable += e->stable;
    if (e->has_eah) a->sum_eah += e->eah, a->n_eah++;
    if (e->reason[0])
        return count_failure(a, e->reason) ? mms_error_set(err, MMS_ENOMEM, 0, "out of memory") : MMS_OK;
    return put_verdicts(s, a, e->index, e->id, v, e->ref_id, out, e->stable, err);
}

static int acc_add_record(void *st, void *ap, const mms_record *rec, const mms_values *values,
                          mms_values *out, mms_error *err)
{
    state *s = st;
    acc *a = ap;
    if (!is_generated(rec)) return MMS_OK;
    /* read the stability plugin's values before setting ours (same object) */
    int stable = 0;
    double eah = 0;
    if (mms_values_get_bool(values, "stable", &stable) != MMS_OK) stable = 0;
    int has_eah = mms_values_get_number(values, "e_above_hull", &eah) == MMS_OK && eah == eah;
    verdict *v = rec->structure ? take_pending(s, rec->index) : NULL;
    mms_error e;
    mms_error_clear(&e);
    int redo = rec->structure && !v;
    if (redo) { /* score ran in an isolated worker */
        v = calloc(1, sizeof *v);
        if (!v) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        analyse(s, rec, v, &e);
    }
    const char *ref_id = v && !v->code && v->ref >= 0 ? s->ref[v->ref].id : NULL;
    if (rec->index != a->n_ents) a->detached = 1;
    int rc = ent_record(a, rec, v, ref_id, stable, has_eah, eah)
                 ? mms_error_set(err, MMS_ENOMEM, 0, "out of memory")
                 : MMS_OK;
    if (!rc) rc = judge(s, a, &a->ents[a->n_ents - 1], v, out, err);
    /* score already put a failure into the record, unless it ran elsewhere */
    if (!rc && redo && v->code) rc = mms_error_set(err, v->code, e.line, "sun: %s", e.message);
    if (v) mms_match_cell_free(v->cell);
    free(v);
    return rc;
}

static int acc_add(void *st, void *ap, const mms_record *rec, const mms_values *values, mms_error *err)
{
    mms_values *scratch = mms_values_new();
    if (!scratch) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = acc_add_record(st, ap, rec, values, scratch, err);
    mms_values_free(scratch);
    return rc;
}

/* ---- saved states: every generated record, so that merging shards
 * redoes uniqueness in input order (sharded runs' records files hold each
 * shard's own verdicts; the merged summary is the single run's) ---- */
static cJSON *numbers(const double *x, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        if (!cJSON_AddItemToArray(arr, cJSON_CreateNumber(x[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    return arr;
}

static cJSON *ent_json(const ent *e)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    int ok = cJSON_AddNumberToObject(j, "index", (double)e->index) && cJSON_AddStringToObject(j, "id", e->id) &&
             cJSON_AddBoolToObject(j, "stable", e->stable) &&
             (e->has_eah ? cJSON_AddNumberToObject(j, "e_above_hull", e->eah) != NULL
                         : cJSON_AddNullToObject(j, "e_above_hull") != NULL);
    if (ok && e->reason[0]) {
        ok = cJSON_AddStringToObject(j, "failed", e->reason) != NULL;
    } else if (ok) {
        double *z = malloc((e->n ? e->n : 1) * sizeof *z), *ox = malloc((e->n ? e->n : 1) * sizeof *ox);
        cJSON *oxa = cJSON_CreateArray();
        ok = z && ox && oxa;
        for (size_t i = 0; ok && i < e->n; i++) {
            z[i] = e->z[i];
            ok = cJSON_AddItemToArray(oxa, e->has_ox[i] ? cJSON_CreateNumber(e->ox[i]) : cJSON_CreateNull());
        }
        ok = ok && cJSON_AddStringToObject(j, "cell_key", e->cell_key) &&
             cJSON_AddStringToObject(j, "reduced_key", e->reduced_key) &&
             cJSON_AddBoolToObject(j, "novel", e->novel) &&
             cJSON_AddBoolToObject(j, "novel_by_composition", e->by_composition) &&
             (e->ref_id ? cJSON_AddStringToObject(j, "match_ref_id", e->ref_id) != NULL
                        : cJSON_AddNullToObject(j, "match_ref_id") != NULL) &&
             cJSON_AddItemToObject(j, "lattice", numbers(e->lattice, 9)) &&
             cJSON_AddItemToObject(j, "z", numbers(z, e->n)) &&
             cJSON_AddItemToObject(j, "frac", numbers(e->frac, 3 * e->n));
        if (ok && cJSON_AddItemToObject(j, "oxidation", oxa)) oxa = NULL;
        else ok = 0;
        cJSON_Delete(oxa);
        free(z), free(ox);
    }
    if (!ok) cJSON_Delete(j);
    return ok ? j : NULL;
}

static int acc_save(void *st, const void *ap, cJSON **out, mms_error *err)
{
    (void)st;
    const acc *a = ap;
    cJSON *j = cJSON_CreateObject(), *recs = cJSON_AddArrayToObject(j, "records");
    int ok = j && recs;
    for (size_t i = 0; ok && i < a->n_ents; i++) ok = cJSON_AddItemToArray(recs, ent_json(&a->ents[i]));
    if (!ok) {
        cJSON_Delete(j);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = j;
    return MMS_OK;
}

static int recompute(const state *s, acc *a, mms_error *err);
static int judge_from(const state *s, acc *a, size_t from, mms_error *err);
static int by_index(const void *x, const void *y);

static int json_numbers(const cJSON *arr, double *x, size_t n)
{
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n) return -1;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsNumber(it) || !(it->valuedouble == it->valuedouble)) return -1;
        x[i++] = it->valuedouble;
    }
    return 0;
}

static int ent_from_json(ent *e, const cJSON *j)
{
    const cJSON *ix = get_item(j, "index"), *id = get_item(j, "id"), *eah = get_item(j, "e_above_hull");
    const cJSON *failed = get_item(j, "failed");
    if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 || ix->valuedouble > 9e15 || !cJSON_IsString(id) ||
        !cJSON_IsBool(get_item(j, "stable")) || !(cJSON_IsNull(eah) || cJSON_IsNumber(eah)))
        return -1;
    e->index = (size_t)ix->valuedouble;
    e->stable = cJSON_IsTrue(get_item(j, "stable"));
    e->has_eah = cJSON_IsNumber(eah), e->eah = e->has_eah ? eah->valuedouble : 0;
    if (!(e->id = strdup(id->valuestring))) return -1;
    if (failed) {
        if (!cJSON_IsString(failed) || !failed->valuestring[0]) return -1;
        snprintf(e->reason, sizeof e->reason, "%.31s", failed->valuestring);
        return 0;
    }
    const cJSON *ck = get_item(j, "cell_key"), *rk = get_item(j, "reduced_key"), *ref = get_item(j, "match_ref_id");
    const cJSON *z = get_item(j, "z"), *ox = get_item(j, "oxidation");
    if (!cJSON_IsString(ck) || !cJSON_IsString(rk) || strlen(ck->valuestring) >= 2048 ||
        strlen(rk->valuestring) >= 2048 || !cJSON_IsBool(get_item(j, "novel")) ||
        !cJSON_IsBool(get_item(j, "novel_by_composition")) || !(cJSON_IsNull(ref) || cJSON_IsString(ref)) ||
        !cJSON_IsArray(z) || !cJSON_IsArray(ox) || cJSON_GetArraySize(z) != cJSON_GetArraySize(ox) ||
        cJSON_GetArraySize(z) < 1)
        return -1;
    e->novel = cJSON_IsTrue(get_item(j, "novel"));
    e->by_composition = cJSON_IsTrue(get_item(j, "novel_by_composition"));
    size_t n = e->n = (size_t)cJSON_GetArraySize(z);
    e->cell_key = strdup(ck->valuestring), e->reduced_key = strdup(rk->valuestring);
    e->ref_id = cJSON_IsString(ref) ? strdup(ref->valuestring) : NULL;
    e->z = malloc(n * sizeof *e->z), e->has_ox = malloc(n * sizeof *e->has_ox);
    e->frac = malloc(3 * n * sizeof *e->frac), e->ox = malloc(n * sizeof *e->ox);
    double *zd = malloc(n * sizeof *zd);
    int bad = !e->cell_key || !e->reduced_key || (cJSON_IsString(ref) && !e->ref_id) || !e->z || !e->has_ox ||
              !e->frac || !e->ox || !zd || json_numbers(get_item(j, "lattice"), e->lattice, 9) ||
              json_numbers(z, zd, n) || json_numbers(get_item(j, "frac"), e->frac, 3 * n);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, ox)
    {
        if (bad) break;
        if (!(zd[i] >= 1 && zd[i] <= 118 && zd[i] == (int)zd[i])) bad = 1;
        e->z[i] = bad ? 0 : (int)zd[i];
        e->has_ox[i] = cJSON_IsNumber(it);
        e->ox[i] = e->has_ox[i] ? it->valuedouble : 0;
        if (!cJSON_IsNumber(it) && !cJSON_IsNull(it)) bad = 1;
        i++;
    }
    free(zd);
    return bad ? -1 : 0;
}

static int acc_merge(void *st, void *ap, const cJSON *saved, mms_error *err)
{
    (void)st;
    acc *a = ap;
    const cJSON *recs = get_item(saved, "records");
    if (!cJSON_IsArray(recs))
        return mms_error_set(err, MMS_EINVAL, 0, "sun: saved state lacks its \"records\" array");
    size_t start = a->n_ents, k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, recs)
    {
        ent *e = ent_push(a);
        if (!e || ent_from_json(e, it)) {
            while (a->n_ents > start) ent_free(&a->ents[--a->n_ents]);
            return e ? mms_error_set(err, MMS_EINVAL, 0, "sun: saved record %zu is malformed", k)
                     : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        k++;
    }
    if (!k) return MMS_OK;
    /* In input order so far (a resumed run: the records read next come
     * after): settle now, so they are judged against these.  A state that
     * continues the records already judged (shards merged in order) is
     * judged after them; anything else is redone from scratch. */
    qsort(a->ents + start, k, sizeof *a->ents, by_index);
    int follows = !a->merged && (start == 0 || a->ents[start].index == a->ents[start - 1].index + 1);
    for (size_t i = start + 1; follows && i < a->n_ents; i++)
        follows = a->ents[i].index == a->ents[i - 1].index + 1;
    if (follows) return judge_from(st, a, start, err);
    a->merged = 1;
    qsort(a->ents, a->n_ents, sizeof *a->ents, by_index);
    for (size_t i = 1; i < a->n_ents; i++)
        if (a->ents[i].index != a->ents[i - 1].index + 1) return MMS_OK; /* finish decides */
    int rc = recompute(st, a, err);
    if (!rc) a->merged = 0;
    return rc;
}

static int by_index(const void *x, const void *y)
{
    const ent *a = x, *b = y;
    return (a->index > b->index) - (a->index < b->index);
}

/* After a merge: every record in input order (indices must tile one
 * range: shards of one input, each record once), uniqueness from scratch. */
static int recompute(const state *s, acc *a, mms_error *err)
{
    qsort(a->ents, a->n_ents, sizeof *a->ents, by_index);
    for (size_t i = 1; i < a->n_ents; i++)
        if (a->ents[i].index != a->ents[i - 1].index + 1)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "sun: the merged states do not hold consecutive records (index %zu, then "
                                 "%zu): uniqueness needs every shard of one input, each once",
                                 a->ents[i - 1].index, a->ents[i].index);
    for (size_t i = 0; i < a->n_reps; i++) free(a->reps[i].id), mms_match_cell_free(a->reps[i].cell);
    a->n_reps = 0;
    table_free(&a->groups);
    cJSON_Delete(a->failed);
    if (!(a->failed = cJSON_CreateObject())) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    a->n = a->n_failed = a->n_unique = a->n_novel = a->n_novel_unique = a->n_by_comp = 0;
    a->n_stable = a->n_sun = a->n_eah = 0;
    a->sum_eah = 0;
    return judge_from(s, a, 0, err);
}

/* judge ents[from..] in order, after the ones before (already judged) */
static int judge_from(const state *s, acc *a, size_t from, mms_error *err)
{
    verdict *v = calloc(1, sizeof *v);
    if (!v) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = MMS_OK;
    for (size_t i = from; i < a->n_ents && !rc; i++) {
        const ent *e = &a->ents[i];
        v->cell = NULL;
        if (!e->reason[0]) {
            snprintf(v->cell_key, sizeof v->cell_key, "%s", e->cell_key);
            snprintf(v->reduced_key, sizeof v->reduced_key, "%s", e->reduced_key);
            v->novel = e->novel, v->by_composition = e->by_composition;
            rc = mms_match_cell_new(&v->cell, &s->o, (const double (*)[3])e->lattice, e->n,
                                    (const double (*)[3])e->frac, e->z, e->ox, e->has_ox, err);
        }
        if (!rc) rc = judge(s, a, e, v, NULL, err);
        mms_match_cell_free(v->cell);
    }
    free(v);
    return rc;
}

static int set_frac(mms_values *out, const char *k, long long num, long long den)
{
    return den ? mms_values_set_number(out, k, (double)num / (double)den) : mms_values_set_null(out, k);
}

static int acc_finish(void *st, void *ap, mms_values *out, mms_error *err)
{
    const state *s = st;
    acc *a = ap;
    int cl = s->def == DEF_CRYSTALLM;
    if (a->merged) {
        int mrc = recompute(s, a, err);
        if (mrc) return mrc;
    }
    int rc = mms_values_set_string(out, "definition", cl ? "crystallm" : "mattergen");
    rc |= mms_values_set_int(out, "n_novelty_reference", (long long)s->n_ref);
    rc |= mms_values_set_int(out, "n_novelty_reference_unmatchable", (long long)s->n_ref_bad);
    rc |= mms_values_set_int(out, "n_structures", a->n);
    rc |= mms_values_set_int(out, "n_failed", a->n_failed);
    rc |= mms_values_set_json(out, "failed", cJSON_Duplicate(a->failed, 1));
    rc |= mms_values_set_int(out, "n_unique", a->n_unique);
    rc |= mms_values_set_int(out, "n_novel", a->n_novel);
    rc |= mms_values_set_int(out, "n_novel_unique", a->n_novel_unique);
    if (cl) {
        rc |= mms_values_set_int(out, "n_novel_by_composition", a->n_by_comp);
        rc |= mms_values_set_int(out, "n_valid_cifs", a->n - a->n_failed);
        rc |= mms_values_set_int(out, "n_unique_materials", a->n_unique);
        rc |= mms_values_set_int(out, "n_novel_materials", a->n_novel);
    } else {
        rc |= set_frac(out, "frac_unique_structures", a->n_unique, a->n);
        rc |= set_frac(out, "frac_novel_structures", a->n_novel, a->n);
        rc |= set_frac(out, "frac_novel_unique_structures", a->n_novel_unique, a->n);
    }
    if (s->has_hull) {
        rc |= mms_values_set_int(out, "n_stable", a->n_stable);
        rc |= mms_values_set_int(out, "n_sun", a->n_sun);
        rc |= set_frac(out, "frac_stable_structures", a->n_stable, a->n);
        rc |= set_frac(out, "frac_novel_unique_stable_structures", a->n_sun, a->n);
        rc |= a->n_eah ? mms_values_set_number(out, "avg_energy_above_hull_per_atom",
                                               a->sum_eah / (double)a->n_eah)
                       : mms_values_set_null(out, "avg_energy_above_hull_per_atom");
    }
    return rc ? mms_error_set(err, MMS_ENOMEM, 0, "sun: cannot store the summary") : MMS_OK;
}

/* The S.U.N. breakdown for the HTML report: the counts acc_finish gave. */
static int acc_report(void *st, const void *ap, cJSON **out, mms_error *err)
{
    const state *s = st;
    const acc *a = ap;
    if (a->merged)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "sun: no breakdown: the merged states could not be put in order "
                             "(see the summary)");
    int cl = s->def == DEF_CRYSTALLM;
    const char *cats[7] = {"structures", "unique", "novel", "unique and novel", "stable",
                           "S.U.N.", "failed"};
    long long v[7] = {a->n, a->n_unique, a->n_novel, a->n_novel_unique, a->n_stable, a->n_sun,
                      a->n_failed};
    /* without a hull reference nothing is stable: those bars are left out */
    size_t n = 7;
    if (!s->has_hull) {
        cats[4] = "failed";
        v[4] = a->n_failed;
        n = 5;
    }
    const long long *per[1] = {v};
    const char *names[1] = {"generated"};
    char cap[400];
    snprintf(cap, sizeof cap,
             "Generated records by verdict (%s definition): unique within the generated set, "
             "novel against the %zu training structures%s; failed records (unreadable, "
             "disordered, not matchable) are neither.",
             cl ? "CrystaLLM" : "MatterGen", s->n_ref,
             s->has_hull ? ", stable on the hull reference; S.U.N. is all three" : "");
    mmsc_fig_text t = {"sun", "Uniqueness and novelty", "S.U.N. breakdown", cap, NULL,
                       "records"};
    cJSON *figs = cJSON_CreateArray();
    int rc = figs ? mmsc_fig_bars(figs, &t, cats, n, names, per, 1, 0) : MMS_ENOMEM;
    /* the same counts as a table, with the share of all generated records */
    cJSON *tab = rc == MMS_OK ? cJSON_CreateObject() : NULL;
    if (tab && cJSON_AddItemToArray(figs, tab)) {
        cJSON_AddStringToObject(tab, "id", "sun_counts");
        cJSON_AddStringToObject(tab, "kind", "table");
        cJSON_AddStringToObject(tab, "section", "Uniqueness and novelty");
        cJSON_AddStringToObject(tab, "title", "S.U.N. counts");
        cJSON *cols = cJSON_AddArrayToObject(tab, "columns");
        cJSON_AddItemToArray(cols, cJSON_CreateString("verdict"));
        cJSON_AddItemToArray(cols, cJSON_CreateString("records"));
        cJSON_AddItemToArray(cols, cJSON_CreateString("% of structures"));
        cJSON *rows = cJSON_AddArrayToObject(tab, "rows");
        for (size_t i = 0; rows && i < n; i++) {
            char pct[32] = "-";
            if (a->n)
                snprintf(pct, sizeof pct, "%.2f", 100.0 * (double)v[i] / (double)a->n);
            cJSON *r = cJSON_CreateArray();
            cJSON_AddItemToArray(rows, r);
            cJSON_AddItemToArray(r, cJSON_CreateString(cats[i]));
            cJSON_AddItemToArray(r, cJSON_CreateNumber((double)v[i]));
            cJSON_AddItemToArray(r, cJSON_CreateString(pct));
        }
        if (cJSON_GetArraySize(rows) != (int)n)
            rc = MMS_ENOMEM;
    } else if (rc == MMS_OK) {
        cJSON_Delete(tab);
        rc = MMS_ENOMEM;
    }
    if (rc != MMS_OK) {
        cJSON_Delete(figs);
        return mms_error_set(err, MMS_ENOMEM, 0, "sun: out of memory");
    }
    *out = figs;
    return MMS_OK;
}

static const mms_headline_def headline[] = {
    {"frac_unique_structures", "Unique", "%", 100, MMS_ROUND_DECIMALS, 2, "MatterGen, %"},
    {"frac_novel_structures", "Novel", "%", 100, MMS_ROUND_DECIMALS, 2, "MatterGen, %"},
    {"frac_novel_unique_structures", "U.N.", "%", 100, MMS_ROUND_DECIMALS, 2, "MatterGen, %"},
    {"frac_novel_unique_stable_structures", "S.U.N.", "%", 100, MMS_ROUND_DECIMALS, 2,
     "MatterGen, %"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "sun",
    .version = "1.0.0",
    .description = "uniqueness, novelty and S.U.N. of generated crystals by structure matching "
                   "(MatterGen, CrystaLLM)",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "eval:novelty_ref",
    .requires = NULL,
    .options = options,
    .metrics = metrics,
    .summary = summary,
    .headline = headline,
    .create = create,
    .destroy = destroy,
    .score = score,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_save = acc_save,
    .acc_merge = acc_merge,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
    .license = "MIT",
    .url = "docs/metrics-sun.md",
    .acc_add_record = acc_add_record,
    .acc_report = acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
