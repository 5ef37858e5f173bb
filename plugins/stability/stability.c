/* stability plugin: energy above the convex hull of a reference, from the
 * energy each record carries, as pymatgen's PhaseDiagram computes it per
 * chemical system (docs/metrics-stability.md), and MatterGen's stability
 * rates over the set.  Selected by validate/eval only when --hull-ref is
 * given (commands "validate:hull_ref eval:hull_ref").
 *
 * Hulls are built lazily, one per chemical system met, and cached: score
 * runs on several threads, so the cache is a table under a mutex and each
 * system's slot is built once under its own mutex; built diagrams are
 * read-only. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "hullref.h"
#include "npsum.h"
#include "phasediag.h"

#define CACHE_MAX_SLOTS ((size_t)1 << 20)
#define CACHE_MAX_POINTS ((size_t)1 << 24) /* hull points kept over all cached systems */

static const mms_option_def options[] = {
    {"hull_ref", MMS_OPT_STRING, NULL,
     "hull reference: CSV id,formula,energy (total eV of that composition) or JSONL with "
     "those fields; enables this scorer in validate and eval"},
    {"energy_column", MMS_OPT_STRING, "energy",
     "record field with the total energy (eV) of the cell"},
    {"energy_per_atom_column", MMS_OPT_STRING, NULL,
     "record field with the energy per atom (eV/atom), used instead of energy_column"},
    {"stable_threshold", MMS_OPT_NUMBER, "0.1",
     "stable when e_above_hull <= this (eV/atom; MatterGen's default)"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"e_above_hull", "number",
     "energy above the reference hull of the record's chemical system, eV/atom (negative: below)"},
    {"formation_energy_per_atom", "number",
     "energy per atom minus the elemental references' (lowest energy per atom of each element)"},
    {"hull_energy_per_atom", "number", "energy per atom of the hull at the record's composition"},
    {"decomposition", "object",
     "hull phases at the composition: pymatgen reduced formula -> atomic fraction"},
    {"decomposition_ids", "object", "the same phases by hull reference id -> atomic fraction"},
    {"stable", "bool", "e_above_hull <= stable_threshold (MatterGen's stable)"},
    {"on_hull", "bool",
     "e_above_hull <= 1e-8 (on or below the hull: pymatgen's stability tolerance)"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"stable_threshold", "number", "the threshold used, eV/atom"},
    {"n_structures", "int",
     "records evaluated (input, or generated in eval), including failures: MatterGen's "
     "submitted jobs"},
    {"n_scored", "int", "records with an e_above_hull"},
    {"n_failed", "int", "records without one (n_structures - n_scored)"},
    {"failed", "object", "n_failed by reason: unreadable, no_energy, bad_energy, "
                         "element_not_in_reference, hull"},
    {"n_stable", "int", "records with stable true"},
    {"n_on_hull", "int", "records with on_hull true"},
    {"frac_stable_structures", "number", "n_stable / n_structures (MatterGen's definition)"},
    {"frac_on_hull_structures", "number", "n_on_hull / n_structures"},
    {"frac_scored", "number", "n_scored / n_structures (MatterGen's frac_successful_jobs)"},
    {"avg_energy_above_hull_per_atom", "number",
     "mean e_above_hull over the scored records, eV/atom (MatterGen's definition)"},
    {NULL, NULL, NULL}};

/* ------------------------------------------------------------------ state */

typedef struct slot {
    hull_mask key;
    pthread_mutex_t mu;
    atomic_int done;
    phase_diagram *pd; /* NULL when building failed: then rc and msg */
    int rc;
    char msg[MMS_ERROR_MESSAGE_MAX];
} slot;

typedef struct state {
    hull_ref *ref;
    char *energy_col;
    int per_atom;
    double threshold;
    pthread_mutex_t mu; /* guards the table and the counters below */
    slot **tab;         /* open addressing, cap a power of two */
    size_t cap, n_slots, n_points;
} state;

static void destroy(void *sp)
{
    state *s = sp;
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->tab[i]) {
            pd_free(s->tab[i]->pd);
            pthread_mutex_destroy(&s->tab[i]->mu);
            free(s->tab[i]);
        }
    free(s->tab);
    pthread_mutex_destroy(&s->mu);
    hull_ref_free(s->ref);
    free(s->energy_col);
    free(s);
}

static const char *opt_string(const cJSON *config, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

static int create(void **out, const cJSON *config, mms_error *err)
{
    *out = NULL;
    const char *path = opt_string(config, "hull_ref");
    if (!path)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "stability needs --hull-ref FILE (CSV id,formula,energy or JSONL)");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(config, "stable_threshold");
    if (!cJSON_IsNumber(th) || !isfinite(th->valuedouble))
        return mms_error_set(err, MMS_EINVAL, 0, "--stable-threshold: expected a finite number");
    state *s = calloc(1, sizeof *s);
    if (!s)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->threshold = th->valuedouble;
    const char *pa = opt_string(config, "energy_per_atom_column");
    const char *col = pa ? pa : opt_string(config, "energy_column");
    s->per_atom = pa != NULL;
    s->cap = 1024;
    s->tab = calloc(s->cap, sizeof *s->tab);
    if (!col) {
        destroy(s);
        return mms_error_set(err, MMS_EINVAL, 0, "--energy-column: expected a field name");
    }
    if (!s->tab || !(s->energy_col = strdup(col))) {
        destroy(s);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    int rc = hull_ref_load(path, &s->ref, err);
    if (rc != MMS_OK) {
        destroy(s);
        return rc;
    }
    *out = s;
    return MMS_OK;
}

/* The slot of system m, made if new; NULL when the cache is full (the
 * caller then builds a diagram of its own). */
static slot *find_slot(state *s, const hull_mask *m)
{
    pthread_mutex_lock(&s->mu);
    size_t i = hull_mask_hash(m) & (s->cap - 1);
    while (s->tab[i] && !hull_mask_eq(&s->tab[i]->key, m))
        i = (i + 1) & (s->cap - 1);
    slot *sl = s->tab[i];
    if (!sl && s->n_slots < CACHE_MAX_SLOTS && s->n_points < CACHE_MAX_POINTS) {
        if (2 * (s->n_slots + 1) > s->cap) {
            size_t cap = 2 * s->cap;
            slot **tab = calloc(cap, sizeof *tab);
            if (!tab)
                goto out;
            for (size_t k = 0; k < s->cap; k++)
                if (s->tab[k]) {
                    size_t j = hull_mask_hash(&s->tab[k]->key) & (cap - 1);
                    while (tab[j])
                        j = (j + 1) & (cap - 1);
                    tab[j] = s->tab[k];
                }
            free(s->tab);
            s->tab = tab;
            s->cap = cap;
            i = hull_mask_hash(m) & (cap - 1);
            while (tab[i])
                i = (i + 1) & (cap - 1);
        }
        if ((sl = calloc(1, sizeof *sl))) {
            sl->key = *m;
            pthread_mutex_init(&sl->mu, NULL);
            s->tab[i] = sl;
            s->n_slots++;
        }
    }
out:
    pthread_mutex_unlock(&s->mu);
    return sl;
}

/* The diagram of system m: cached, or *own (to free) when not cacheable. */
static int get_diagram(state *s, const hull_mask *m, const phase_diagram **pd,
                       phase_diagram **own, mms_error *err)
{
    *own = NULL;
    slot *sl = find_slot(s, m);
    if (!sl) {
        int rc = pd_build(s->ref, m, own, err);
        *pd = *own;
        return rc;
    }
    if (!atomic_load_explicit(&sl->done, memory_order_acquire)) {
        pthread_mutex_lock(&sl->mu);
        if (!atomic_load_explicit(&sl->done, memory_order_relaxed)) {
            mms_error e;
            mms_error_clear(&e);
            sl->rc = pd_build(s->ref, m, &sl->pd, &e);
            snprintf(sl->msg, sizeof sl->msg, "%s", e.message);
            if (sl->pd) {
                pthread_mutex_lock(&s->mu);
                s->n_points += sl->pd->nq;
                pthread_mutex_unlock(&s->mu);
            }
            atomic_store_explicit(&sl->done, 1, memory_order_release);
        }
        pthread_mutex_unlock(&sl->mu);
    }
    *pd = sl->pd;
    return sl->rc == MMS_OK ? MMS_OK : mms_error_set(err, sl->rc, 0, "%s", sl->msg);
}

/* ----------------------------------------------------------- per record */

enum { R_UNREADABLE, R_NO_ENERGY, R_BAD_ENERGY, R_ELEMENT, R_HULL, N_REASONS };
static const char *const reason_names[N_REASONS] = {
    "unreadable", "no_energy", "bad_energy", "element_not_in_reference", "hull"};

static int is_reference_set(const mms_record *rec)
{
    return rec->set && (!strcmp(rec->set, "reference") || !strcmp(rec->set, "train"));
}

/* The record's energy field: MMS_OK with *e, or an error and *reason. */
static int record_energy(const state *s, const mms_record *rec, double *e, int *reason,
                         mms_error *err)
{
    const cJSON *v = rec->fields ? cJSON_GetObjectItemCaseSensitive(rec->fields, s->energy_col)
                                 : NULL;
    const char *what = s->per_atom ? "energy per atom, eV/atom" : "total energy of the cell, eV";
    const char *text = cJSON_IsString(v) ? v->valuestring : NULL;
    if (text)
        while (isspace((unsigned char)*text))
            text++;
    if (!v || cJSON_IsNull(v) || (text && !*text)) {
        *reason = R_NO_ENERGY;
        return mms_error_set(err, MMS_ENOTFOUND, rec->line,
                             "no energy: expected a field \"%s\" (%s)", s->energy_col, what);
    }
    if (cJSON_IsNumber(v)) {
        *e = v->valuedouble;
    } else if (text) {
        char *end;
        errno = 0;
        *e = strtod(text, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == text || *end) {
            *reason = R_BAD_ENERGY;
            return mms_error_set(err, MMS_EPARSE, rec->line,
                                 "energy field \"%s\": expected a number (%s), got \"%.64s\"",
                                 s->energy_col, what, text);
        }
    } else {
        *reason = R_BAD_ENERGY;
        return mms_error_set(err, MMS_EPARSE, rec->line,
                             "energy field \"%s\": expected a number (%s)", s->energy_col, what);
    }
    if (!isfinite(*e)) {
        *reason = R_BAD_ENERGY;
        return mms_error_set(err, MMS_EINVAL, rec->line, "energy field \"%s\" is not finite (%g)",
                             s->energy_col, *e);
    }
    return MMS_OK;
}

/* The structure's composition: elements with amount >= 1e-8 (pymatgen's
 * Composition drops smaller ones). */
static size_t composition(const mms_structure *st, int *z, double *amt, hull_mask *m)
{
    size_t n = 0;
    *m = (hull_mask){{0, 0}};
    for (size_t i = 0; i < st->n_elements; i++)
        if (fabs(st->element_amount[i]) >= 1e-8) {
            z[n] = st->element_z[i];
            amt[n++] = st->element_amount[i];
            hull_mask_add(m, st->element_z[i]);
        }
    return n;
}

/* First element of the structure with no elemental reference entry, or 0. */
static int missing_element(const state *s, const mms_structure *st)
{
    for (size_t i = 0; i < st->n_elements; i++)
        if (fabs(st->element_amount[i]) >= 1e-8 && !s->ref->has_element[st->element_z[i]])
            return st->element_z[i];
    return 0;
}

static int set_decomposition(mms_values *out, const state *s, const pd_result *r)
{
    cJSON *by_formula = cJSON_CreateObject(), *by_id = cJSON_CreateObject();
    int ok = by_formula && by_id;
    for (int k = 0; ok && k < r->n; k++)
        ok = cJSON_AddNumberToObject(by_formula, r->formula[k], r->amount[k]) &&
             cJSON_AddNumberToObject(by_id, s->ref->id[r->entry[k]], r->amount[k]);
    if (!ok) {
        cJSON_Delete(by_formula);
        cJSON_Delete(by_id);
        return MMS_ENOMEM;
    }
    int rc = mms_values_set_json(out, "decomposition", by_formula);
    int rc2 = mms_values_set_json(out, "decomposition_ids", by_id);
    return rc != MMS_OK ? rc : rc2;
}

static int score(void *sp, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier;
    state *s = sp;
    if (is_reference_set(rec) || rec->error || !rec->structure)
        return MMS_OK; /* reference rows are not judged; a failed read is the core's to report */
    double energy;
    int reason;
    int rc = record_energy(s, rec, &energy, &reason, err);
    if (rc != MMS_OK)
        return rc;
    int z[MMS_MAX_Z];
    double amt[MMS_MAX_Z];
    hull_mask m;
    size_t n = composition(rec->structure, z, amt, &m);
    if (!n)
        return mms_error_set(err, MMS_EINVAL, rec->line, "the structure has no atoms");
    int miss = missing_element(s, rec->structure);
    if (miss)
        return mms_error_set(err, MMS_ENOTFOUND, rec->line,
                             "element %s is not in the hull reference %s (no entry of %s alone)",
                             mms_element_symbol(miss), s->ref->path, mms_element_symbol(miss));
    if (s->per_atom) {
        double natoms = 0;
        for (size_t i = 0; i < n; i++)
            natoms += amt[i];
        energy *= natoms;
    }
    const phase_diagram *pd;
    phase_diagram *own;
    rc = get_diagram(s, &m, &pd, &own, err);
    pd_result r;
    if (rc == MMS_OK)
        rc = pd_query(pd, s->ref, z, amt, n, energy, &r, err);
    if (rc == MMS_OK && !(isfinite(r.e_above_hull) && isfinite(r.formation_energy_per_atom)))
        rc = mms_error_set(err, MMS_EINVAL, rec->line,
                           "energy %g eV gives no finite energy above the hull", energy);
    if (rc == MMS_OK) {
        int w = MMS_OK;
        double values[3] = {r.e_above_hull, r.formation_energy_per_atom, r.hull_energy_per_atom};
        static const char *const names[3] = {"e_above_hull", "formation_energy_per_atom",
                                             "hull_energy_per_atom"};
        for (int k = 0; k < 3 && w == MMS_OK; k++)
            w = mms_values_set_number(out, names[k], values[k]);
        if (w == MMS_OK)
            w = set_decomposition(out, s, &r);
        if (w == MMS_OK)
            w = mms_values_set_bool(out, "stable", r.e_above_hull <= s->threshold);
        if (w == MMS_OK)
            w = mms_values_set_bool(out, "on_hull", r.e_above_hull <= 1e-8);
        if (w != MMS_OK)
            rc = mms_error_set(err, w, rec->line, "stability: cannot store values");
    } else {
        err->line = rec->line;
    }
    pd_free(own);
    return rc;
}

/* ------------------------------------------------------------ accumulator */

enum { N_STRUCT, N_SCORED, N_STABLE, N_ON_HULL, N_COUNTS };
static const char *const count_names[N_COUNTS] = {"n_structures", "n_scored", "n_stable",
                                                  "n_on_hull"};

typedef struct tally {
    long long n[N_COUNTS], failed[N_REASONS];
    double *eah; /* e_above_hull of the scored records, input order (np.mean needs them) */
    size_t n_eah, cap;
} tally;

static int acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    *acc = calloc(1, sizeof(tally));
    return *acc ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "stability: out of memory");
}

static void acc_free(void *state, void *acc)
{
    (void)state;
    tally *t = acc;
    if (t)
        free(t->eah);
    free(t);
}

static int push_eah(tally *t, double x)
{
    if (t->n_eah == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        double *p = realloc(t->eah, cap * sizeof *p);
        if (!p)
            return MMS_ENOMEM;
        t->eah = p;
        t->cap = cap;
    }
    t->eah[t->n_eah++] = x;
    return MMS_OK;
}

/* Why a record has no e_above_hull (the checks score made, without the hull). */
static int failure_reason(const state *s, const mms_record *rec)
{
    if (rec->error || !rec->structure)
        return R_UNREADABLE;
    double e;
    int reason = R_HULL;
    mms_error scratch;
    if (record_energy(s, rec, &e, &reason, &scratch) != MMS_OK)
        return reason;
    return missing_element(s, rec->structure) ? R_ELEMENT : R_HULL;
}

static int acc_add(void *sp, void *acc, const mms_record *rec, const mms_values *values,
                   mms_error *err)
{
    tally *t = acc;
    if (is_reference_set(rec))
        return MMS_OK;
    t->n[N_STRUCT]++;
    double eah;
    if (mms_values_get_number(values, "e_above_hull", &eah) != MMS_OK) {
        t->failed[failure_reason(sp, rec)]++;
        return MMS_OK;
    }
    int b;
    t->n[N_SCORED]++;
    t->n[N_STABLE] += mms_values_get_bool(values, "stable", &b) == MMS_OK && b;
    t->n[N_ON_HULL] += mms_values_get_bool(values, "on_hull", &b) == MMS_OK && b;
    if (push_eah(t, eah) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "stability: out of memory");
    return MMS_OK;
}

static int acc_save(void *sp, const void *acc, cJSON **out, mms_error *err)
{
    const state *s = sp;
    const tally *t = acc;
    cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject(), *a = cJSON_CreateArray();
    int ok = o && f && a;
    for (int k = 0; ok && k < N_COUNTS; k++)
        ok = cJSON_AddNumberToObject(o, count_names[k], (double)t->n[k]) != NULL;
    for (int k = 0; ok && k < N_REASONS; k++)
        ok = cJSON_AddNumberToObject(f, reason_names[k], (double)t->failed[k]) != NULL;
    for (size_t i = 0; ok && i < t->n_eah; i++) {
        cJSON *x = cJSON_CreateNumber(t->eah[i]);
        ok = x && cJSON_AddItemToArray(a, x);
    }
    if (ok)
        ok = cJSON_AddNumberToObject(o, "stable_threshold", s->threshold) != NULL;
    if (ok) {
        cJSON_AddItemToObject(o, "failed", f);
        cJSON_AddItemToObject(o, "e_above_hull", a);
        *out = o;
        return MMS_OK;
    }
    cJSON_Delete(o);
    cJSON_Delete(f);
    cJSON_Delete(a);
    return mms_error_set(err, MMS_ENOMEM, 0, "stability: out of memory");
}

static int whole_count(const cJSON *v, long long *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return 0;
    *out = (long long)v->valuedouble;
    return 1;
}

static int acc_merge(void *sp, void *acc, const cJSON *saved, mms_error *err)
{
    const state *s = sp;
    tally *t = acc;
    /* stable and on_hull were decided when the shard ran */
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(saved, "stable_threshold");
    if (!cJSON_IsNumber(th))
        return mms_error_set(err, MMS_EPARSE, 0, "stability: saved state lacks stable_threshold");
    if (th->valuedouble != s->threshold)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "stability: state made with --stable-threshold %.17g, this run uses "
                             "%.17g",
                             th->valuedouble, s->threshold);
    long long n[N_COUNTS], failed[N_REASONS];
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(saved, "failed");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(saved, "e_above_hull");
    for (int k = 0; k < N_COUNTS; k++)
        if (!whole_count(cJSON_GetObjectItemCaseSensitive(saved, count_names[k]), &n[k]))
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "stability: saved state lacks a count \"%s\"", count_names[k]);
    for (int k = 0; k < N_REASONS; k++)
        if (!whole_count(cJSON_GetObjectItemCaseSensitive(f, reason_names[k]), &failed[k]))
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "stability: saved state lacks failed.%s", reason_names[k]);
    if (!cJSON_IsArray(a) || (long long)cJSON_GetArraySize(a) != n[N_SCORED])
        return mms_error_set(err, MMS_EPARSE, 0,
                             "stability: saved state needs e_above_hull: n_scored numbers");
    const cJSON *x;
    cJSON_ArrayForEach(x, a) if (!cJSON_IsNumber(x)) return mms_error_set(
        err, MMS_EPARSE, 0, "stability: saved e_above_hull holds a non-number");
    cJSON_ArrayForEach(x, a) if (push_eah(t, x->valuedouble) != MMS_OK) return mms_error_set(
        err, MMS_ENOMEM, 0, "stability: out of memory");
    for (int k = 0; k < N_COUNTS; k++)
        t->n[k] += n[k];
    for (int k = 0; k < N_REASONS; k++)
        t->failed[k] += failed[k];
    return MMS_OK;
}

static int set_rate(mms_values *out, const char *name, long long part, long long whole)
{
    return whole ? mms_values_set_number(out, name, (double)part / (double)whole)
                 : mms_values_set_null(out, name);
}

static int acc_finish(void *sp, void *acc, mms_values *out, mms_error *err)
{
    const state *s = sp;
    const tally *t = acc;
    long long n = t->n[N_STRUCT], failed = 0;
    int rc = mms_values_set_number(out, "stable_threshold", s->threshold);
    for (int k = 0; rc == MMS_OK && k < N_COUNTS; k++)
        rc = mms_values_set_int(out, count_names[k], t->n[k]);
    cJSON *f = cJSON_CreateObject();
    for (int k = 0; f && k < N_REASONS; k++) {
        failed += t->failed[k];
        if (t->failed[k] && !cJSON_AddNumberToObject(f, reason_names[k], (double)t->failed[k])) {
            cJSON_Delete(f);
            f = NULL;
        }
    }
    if (rc == MMS_OK)
        rc = mms_values_set_int(out, "n_failed", failed);
    if (rc == MMS_OK)
        rc = f ? mms_values_set_json(out, "failed", f) : MMS_ENOMEM;
    if (rc == MMS_OK)
        rc = set_rate(out, "frac_stable_structures", t->n[N_STABLE], n);
    if (rc == MMS_OK)
        rc = set_rate(out, "frac_on_hull_structures", t->n[N_ON_HULL], n);
    if (rc == MMS_OK)
        rc = set_rate(out, "frac_scored", t->n[N_SCORED], n);
    if (rc == MMS_OK)
        rc = t->n_eah ? mms_values_set_number(out, "avg_energy_above_hull_per_atom",
                                              mmsc_np_sum(t->eah, t->n_eah) / (double)t->n_eah)
                      : mms_values_set_null(out, "avg_energy_above_hull_per_atom");
    return rc ? mms_error_set(err, rc, 0, "stability: cannot store the summary") : MMS_OK;
}

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"frac_stable_structures", "Stable", "%", 100, MMS_ROUND_DECIMALS, 2, "MatterGen stability, %"},
    {"avg_energy_above_hull_per_atom", "Mean E above hull", "eV/atom", 1, MMS_ROUND_SIGNIFICANT, 4, "4 significant digits"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "stability",
    .version = "1.0.0",
    .description = "energy above the convex hull of a reference (pymatgen PhaseDiagram), "
                   "MatterGen's stability rates",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "validate:hull_ref eval:hull_ref",
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
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
