/* The `match` scorer: pymatgen's StructureMatcher through libmmscore_match.
 *
 * Three uses, chosen by options (the `mmscore match` command sets them):
 * - match_ref FILE: every input structure B is compared with the first
 *   structure A of FILE: fit(A, B), get_rms_dist(A, B), fit(B, A);
 * - JSONL records with `cif_a` and `cif_b` fields: one pair a record;
 * - match_group: group_structures over all input structures, in order
 *   (a set computation: the groups are in the summary).
 * docs/metrics-match.md has the definitions and the parity measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_cells.h"
#include "mmscore/reader.h"

typedef struct state {
    mms_match_options o;
    mmsc_match_refs ref; /* match_ref's structures (first one used) */
    int have_ref, group, threads;
    size_t *group_of, n_group_of; /* match_group_of: groups of a first run */
} state;

static const mms_option_def options[] = {
    {"match_preset", MMS_OPT_STRING, "default", "matcher preset: default, cdvae or supercell"},
    {"ltol", MMS_OPT_NUMBER, "-1", "fractional length tolerance (negative: the preset's)"},
    {"stol", MMS_OPT_NUMBER, "-1", "site tolerance in (V/n)^(1/3) (negative: the preset's)"},
    {"angle_tol", MMS_OPT_NUMBER, "-1", "angle tolerance in degrees (negative: the preset's)"},
    {"match_primitive_cell", MMS_OPT_INT, "-1", "1/0: reduce to the primitive cell (-1: preset)"},
    {"match_scale", MMS_OPT_INT, "-1", "1/0: scale the cells to equal volume (-1: preset)"},
    {"match_attempt_supercell", MMS_OPT_INT, "-1", "1/0: match supercells (-1: preset)"},
    {"match_allow_subset", MMS_OPT_INT, "-1", "1/0: allow matching onto a subset (-1: preset)"},
    {"match_comparator", MMS_OPT_STRING, "", "species or element (empty: the preset's)"},
    {"match_ref", MMS_OPT_STRING, "", "compare every input with the first structure of this file"},
    {"match_group", MMS_OPT_BOOL, "false", "group_structures over all inputs"},
    {"match_threads", MMS_OPT_INT, "1", "threads for group_structures"},
    {"match_group_of", MMS_OPT_STRING, "",
     "JSON array of every record's group from an earlier run over the same inputs (the command's "
     "two-pass --group --records): written into each record as `group`"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"fit", "bool", "StructureMatcher.fit(A, B)"},
    {"fit_ba", "bool", "StructureMatcher.fit(B, A) (can differ from fit)"},
    {"rms", "number", "get_rms_dist(A, B)[0], normalised RMS displacement; null: no match"},
    {"max_dist", "number", "get_rms_dist(A, B)[1], largest normalised displacement; null: no match"},
    {"group", "int", "group_structures group of this record (match --group with --records)"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"n_pairs", "int", "pairs compared"},
    {"n_fit", "int", "pairs with fit true"},
    {"fit_rate", "number", "n_fit / n_pairs"},
    {"n_rms", "int", "pairs where get_rms_dist found a match"},
    {"n_structures", "int", "structures grouped (match_group)"},
    {"n_groups", "int", "groups found (match_group)"},
    {"n_unmatchable", "int", "records that could not be grouped (each in its own group)"},
    {"group_of", "object", "group of every input record, in input order; groups numbered by their "
                           "first member (match_group)"},
    {NULL, NULL, NULL}};

static int read_group_of(state *s, const char *path, mms_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mms_error_set(err, MMS_EIO, 0, "match_group_of: cannot read %s", path);
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *t = realloc(text, cap = 2 * cap + 8192);
            if (!t) break;
            text = t;
        }
        size_t k = fread(text + len, 1, cap - len - 1, f);
        if (!k) break;
        len += k;
    }
    fclose(f);
    if (!text) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    text[len] = 0;
    cJSON *a = cJSON_Parse(text);
    free(text);
    int n = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return mms_error_set(err, MMS_EPARSE, 0, "match_group_of: %s is not a JSON array", path);
    }
    s->group_of = malloc(((size_t)n + 1) * sizeof *s->group_of);
    int rc = s->group_of ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, a)
    {
        if (rc) break;
        if (!cJSON_IsNumber(it) || it->valuedouble < 0)
            rc = mms_error_set(err, MMS_EPARSE, 0, "match_group_of: entry %zu is not a group number", i);
        else
            s->group_of[i++] = (size_t)it->valuedouble;
    }
    s->n_group_of = i;
    cJSON_Delete(a);
    return rc;
}

static int create(void **out, const cJSON *config, mms_error *err)
{
    state *s = calloc(1, sizeof *s);
    if (!s) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = mmsc_match_options_from_config(&s->o, config, "match_preset", err);
    const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "match_ref"));
    s->group = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "match_group"));
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(config, "match_threads");
    s->threads = cJSON_IsNumber(th) ? (int)th->valuedouble : 1;
    s->ref.o = &s->o;
    if (!rc && s->group && s->o.allow_subset)
        rc = mms_error_set(err, MMS_EINVAL, 0, "allow_subset cannot be used with group_structures");
    if (!rc && ref && *ref) {
        rc = mmsc_match_refs_read(&s->ref, ref, err);
        if (!rc && s->ref.n == 0) rc = mms_error_set(err, MMS_EINVAL, 0, "%s: no structure", ref);
        if (!rc && !s->ref.r[0].cell)
            rc = mms_error_set(err, MMS_EINVAL, 0, "%s: first structure cannot be matched: %s", ref,
                               s->ref.r[0].error);
        s->have_ref = 1;
    }
    const char *gof = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "match_group_of"));
    if (!rc && gof && *gof) rc = read_group_of(s, gof, err);
    if (rc) {
        mmsc_match_refs_free(&s->ref);
        free(s->group_of);
        free(s);
        return rc;
    }
    *out = s;
    return MMS_OK;
}

static void destroy(void *st)
{
    state *s = st;
    if (!s) return;
    mmsc_match_refs_free(&s->ref);
    free(s->group_of);
    free(s);
}

static int first_cif(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)err;
    mms_structure **out = ctx;
    if (block == 0 && s && !*out)
        *out = s;
    else
        mms_structure_free(s);
    return MMS_OK;
}

/* a structure from a CIF field of a pairs record */
static int field_cell(const state *s, const mms_record *rec, const char *name, mms_match_cell **out,
                      mms_error *err)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec->fields, name));
    if (!text) return mms_error_set(err, MMS_EPARSE, rec->line, "expected a string field \"%s\"", name);
    mms_structure *st = NULL;
    mms_read_options ro = {.source = rec->source, .line_offset = rec->line};
    mms_error e;
    mms_error_clear(&e);
    int rc = mms_read_cif(text, strlen(text), &ro, first_cif, &st, &e);
    if (!rc && !st) rc = mms_error_set(&e, MMS_EPARSE, rec->line, "no structure in the CIF");
    if (rc) return mms_error_set(err, rc, e.line, "%s: %s", name, e.message);
    rc = mms_match_cell_from_structure(out, &s->o, st, &e);
    mms_structure_free(st);
    return rc ? mms_error_set(err, rc, e.line, "%s: %s", name, e.message) : MMS_OK;
}

static int score(void *st, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier;
    const state *s = st;
    if (s->group) {
        /* the set part groups; here each record learns whether it can be
         * matched at all, with the reason in its record when not */
        mms_match_cell *c = NULL;
        if (s->group_of && rec->index < s->n_group_of &&
            mms_values_set_int(out, "group", (long long)s->group_of[rec->index]))
            return mms_error_set(err, MMS_ENOMEM, 0, "match: cannot store values");
        if (!rec->structure) return MMS_OK; /* the core reports why it did not read */
        int rc = mms_match_cell_from_structure(&c, &s->o, rec->structure, err);
        mms_match_cell_free(c);
        return rc;
    }
    mms_match_cell *a = NULL, *b = NULL;
    int own_a = 0, rc;
    if (rec->structure && s->have_ref) {
        a = s->ref.r[0].cell;
        rc = mms_match_cell_from_structure(&b, &s->o, rec->structure, err);
    } else if (rec->fields && cJSON_GetObjectItemCaseSensitive(rec->fields, "cif_a")) {
        own_a = 1;
        rc = field_cell(s, rec, "cif_a", &a, err);
        if (!rc) rc = field_cell(s, rec, "cif_b", &b, err);
    } else if (rec->structure) {
        return MMS_OK; /* a structure with nothing to compare it with */
    } else if (rec->fields) {
        return mms_error_set(err, MMS_EPARSE, rec->line,
                             "expected a pair: string fields \"cif_a\" and \"cif_b\"");
    } else {
        return MMS_OK;
    }
    int fit = 0, fit_ba = 0, found = 0;
    double rms = 0, mx = 0;
    if (!rc) rc = mms_match_fit(&s->o, a, b, &fit, err);
    if (!rc) rc = mms_match_fit(&s->o, b, a, &fit_ba, err);
    if (!rc) rc = mms_match_rms(&s->o, a, b, &found, &rms, &mx, err);
    if (!rc) {
        rc = mms_values_set_bool(out, "fit", fit);
        if (!rc) rc = mms_values_set_bool(out, "fit_ba", fit_ba);
        if (!rc) rc = found ? mms_values_set_number(out, "rms", rms) : mms_values_set_null(out, "rms");
        if (!rc) rc = found ? mms_values_set_number(out, "max_dist", mx) : mms_values_set_null(out, "max_dist");
        if (rc) mms_error_set(err, rc, 0, "match: cannot store values");
    }
    if (own_a) mms_match_cell_free(a);
    mms_match_cell_free(b);
    return rc;
}

/* ---- set part: counts, or the structures to group ---- */
typedef struct acc {
    long long n_pairs, n_fit, n_rms;
    mms_match_cell **cells; /* match_group: one per record, NULL if unmatchable */
    size_t n, cap;
} acc;

static int acc_new(void *st, void **out, mms_error *err)
{
    (void)st;
    acc *a = calloc(1, sizeof *a);
    if (!a) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    *out = a;
    return MMS_OK;
}

static void acc_free(void *st, void *ap)
{
    (void)st;
    acc *a = ap;
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) mms_match_cell_free(a->cells[i]);
    free(a->cells);
    free(a);
}

static int acc_add(void *st, void *ap, const mms_record *rec, const mms_values *values, mms_error *err)
{
    const state *s = st;
    acc *a = ap;
    if (!s->group) {
        int b = 0;
        if (mms_values_get_bool(values, "fit", &b) == MMS_OK) {
            a->n_pairs++;
            a->n_fit += b;
            a->n_rms += cJSON_IsNumber(mms_values_get(values, "rms"));
        }
        return MMS_OK;
    }
    if (a->n == a->cap) {
        size_t nc = a->cap ? 2 * a->cap : 1024;
        mms_match_cell **t = realloc(a->cells, nc * sizeof *t);
        if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        a->cells = t, a->cap = nc;
    }
    mms_match_cell *c = NULL;
    mms_error e;
    /* a record that cannot be matched stays alone (its read or matcher
     * error is in the records file through the core or is reported here) */
    if (rec->structure) mms_match_cell_from_structure(&c, &s->o, rec->structure, &e);
    a->cells[a->n++] = c;
    return MMS_OK;
}

static int acc_save(void *st, const void *ap, cJSON **out, mms_error *err)
{
    const state *s = st;
    const acc *a = ap;
    if (s->group)
        return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                             "match --group needs all structures in one run: it cannot be sharded");
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddNumberToObject(j, "n_pairs", (double)a->n_pairs) ||
        !cJSON_AddNumberToObject(j, "n_fit", (double)a->n_fit) ||
        !cJSON_AddNumberToObject(j, "n_rms", (double)a->n_rms)) {
        cJSON_Delete(j);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = j;
    return MMS_OK;
}

static int acc_merge(void *st, void *ap, const cJSON *saved, mms_error *err)
{
    const state *s = st;
    acc *a = ap;
    if (s->group) return mms_error_set(err, MMS_EUNSUPPORTED, 0, "match --group cannot be merged");
    const char *k[3] = {"n_pairs", "n_fit", "n_rms"};
    long long *dst[3] = {&a->n_pairs, &a->n_fit, &a->n_rms}, add[3];
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(saved, k[i]);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
            v->valuedouble != (double)(long long)v->valuedouble)
            return mms_error_set(err, MMS_EINVAL, 0, "match: saved state lacks a count \"%s\"", k[i]);
        add[i] = (long long)v->valuedouble;
    }
    for (int i = 0; i < 3; i++) *dst[i] += add[i];
    return MMS_OK;
}

static int acc_finish(void *st, void *ap, mms_values *out, mms_error *err)
{
    const state *s = st;
    acc *a = ap;
    int rc = MMS_OK;
    if (!s->group) {
        rc = mms_values_set_int(out, "n_pairs", a->n_pairs);
        if (!rc) rc = mms_values_set_int(out, "n_fit", a->n_fit);
        if (!rc) rc = mms_values_set_int(out, "n_rms", a->n_rms);
        if (!rc)
            rc = a->n_pairs ? mms_values_set_number(out, "fit_rate", (double)a->n_fit / (double)a->n_pairs)
                            : mms_values_set_null(out, "fit_rate");
        return rc ? mms_error_set(err, rc, 0, "match: cannot store the summary") : MMS_OK;
    }
    size_t nok = 0;
    const mms_match_cell **ok = malloc((a->n ? a->n : 1) * sizeof *ok);
    size_t *g = malloc((a->n ? a->n : 1) * sizeof *g), ng = 0;
    if (!ok || !g) {
        free(ok), free(g);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->cells[i]) ok[nok++] = a->cells[i];
    rc = mms_match_group(&s->o, nok, ok, s->threads, g, &ng, err);
    if (!rc) {
        /* every record in input order; unmatchable ones get a group of
         * their own, numbered with the others by first member */
        cJSON *arr = cJSON_CreateArray();
        size_t q = 0, next = 0, *map = malloc((ng + 1) * sizeof *map);
        if (!arr || !map) {
            cJSON_Delete(arr), free(map), free(ok), free(g);
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        for (size_t k = 0; k <= ng; k++) map[k] = (size_t)-1;
        for (size_t i = 0; i < a->n; i++) {
            size_t id;
            if (a->cells[i]) {
                size_t gi = g[q++];
                if (map[gi] == (size_t)-1) map[gi] = next++;
                id = map[gi];
            } else {
                id = next++;
            }
            cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)id));
        }
        free(map);
        rc = mms_values_set_int(out, "n_structures", (long long)a->n);
        if (!rc) rc = mms_values_set_int(out, "n_groups", (long long)next);
        if (!rc) rc = mms_values_set_int(out, "n_unmatchable", (long long)(a->n - nok));
        if (!rc) rc = mms_values_set_json(out, "group_of", arr);
        if (rc) rc = mms_error_set(err, rc, 0, "match: cannot store the summary");
    }
    free(ok), free(g);
    return rc;
}

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"fit_rate", "Match rate", "%", 100, MMS_ROUND_DECIMALS, 2, "% of pairs, 2 decimals"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "match",
    .version = "1.0.0",
    .description = "pymatgen 2022.11.7 StructureMatcher: fit, get_rms_dist, group_structures",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FIELDS | MMS_ACCEPT_FAILED,
    .commands = "",
    .requires = "",
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
