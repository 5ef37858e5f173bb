/* The `csp` scorer: CDVAE's crystal-structure-prediction RecEval
 * (scripts/compute_metrics.py) on predictions paired with ground truths.
 *
 * A prediction is valid when the validity plugin says `valid` (SMACT
 * composition and 0.5 Å / 0.1 Å^3 structure checks, as CDVAE's Crystal)
 * and the fingerprint plugin computed its fingerprints (`fp_status` ok):
 * CDVAE's Crystal marks a structure invalid when CrystalNN fails.  rms =
 * StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3).get_rms_dist(pred, gt)[0]
 * on both structures rebuilt from their lattice parameters, null when
 * invalid, no match, or the matcher fails.  Several predictions of one
 * ground truth (DiffCSP's RecEvalBatch) keep the smallest rms.
 * match_rate = ground truths with an rms / ground truths predicted;
 * rms_dist = mean of those rms. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_cells.h"

typedef struct state {
    mms_match_options o;
    mmsc_match_refs gt;
    size_t *by_id;      /* gt indices sorted by id */
    int pair;           /* 0 auto, 1 id, 2 row */
} state;

static const mms_option_def options[] = {
    {"csp_gt", MMS_OPT_STRING, "", "ground-truth structures (the command's --gt)"},
    {"csp_preset", MMS_OPT_STRING, "cdvae", "matcher preset (CDVAE: ltol 0.3, stol 0.5, angle_tol 10)"},
    {"csp_pair", MMS_OPT_STRING, "auto",
     "pair predictions with ground truths by id, by row, or auto (id when it is a ground-truth id)"},
    {"csp_rebuild", MMS_OPT_BOOL, "true",
     "rebuild both cells from a, b, c, alpha, beta, gamma as CDVAE's Crystal does"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"csp_valid", "bool", "prediction valid (validity `valid` and fingerprints computed), as RecEval"},
    {"csp_rms", "number", "get_rms_dist(pred, gt)[0] under the CDVAE matcher; null: invalid or no match"},
    {"csp_gt_id", "string", "the ground truth this prediction was paired with"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"match_rate", "number", "ground truths with a match / ground truths predicted (RecEval)"},
    {"rms_dist", "number", "mean rms over matched ground truths (best of k per ground truth)"},
    {"n_predictions", "int", "prediction records"},
    {"n_valid", "int", "valid predictions"},
    {"n_gt", "int", "ground truths predicted"},
    {"n_matched", "int", "ground truths with a match"},
    {NULL, NULL, NULL}};

static const state *g_sort; /* qsort context: create() runs on one thread */
static int cmp_gt(const void *a, const void *b)
{
    int c = strcmp(g_sort->gt.r[*(const size_t *)a].id, g_sort->gt.r[*(const size_t *)b].id);
    if (c) return c;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void destroy(void *st)
{
    state *s = st;
    if (!s) return;
    mmsc_match_refs_free(&s->gt);
    free(s->by_id);
    free(s);
}

static int create(void **out, const cJSON *config, mms_error *err)
{
    state *s = calloc(1, sizeof *s);
    if (!s) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = mmsc_match_options_from_config(&s->o, config, "csp_preset", err);
    const char *gt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "csp_gt"));
    const char *pair = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "csp_pair"));
    s->pair = pair && !strcmp(pair, "id") ? 1 : pair && !strcmp(pair, "row") ? 2 : 0;
    if (!rc && pair && s->pair == 0 && strcmp(pair, "auto"))
        rc = mms_error_set(err, MMS_EINVAL, 0, "csp_pair '%s': expected auto, id or row", pair);
    s->gt.o = &s->o;
    s->gt.rebuild = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "csp_rebuild"));
    if (!rc && (!gt || !*gt)) rc = mms_error_set(err, MMS_EINVAL, 0, "csp: no ground truth (--gt FILE)");
    if (!rc) rc = mmsc_match_refs_read(&s->gt, gt, err);
    if (!rc) {
        s->by_id = malloc((s->gt.n ? s->gt.n : 1) * sizeof *s->by_id);
        if (!s->by_id) rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    if (rc) {
        destroy(s);
        return rc;
    }
    for (size_t i = 0; i < s->gt.n; i++) s->by_id[i] = i;
    g_sort = s;
    qsort(s->by_id, s->gt.n, sizeof *s->by_id, cmp_gt);
    *out = s;
    return MMS_OK;
}

/* index of the ground truth of a prediction, or (size_t)-1 */
static size_t find_gt(const state *s, const mms_record *rec)
{
    if (s->pair != 2 && rec->id) {
        size_t lo = 0, hi = s->gt.n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(s->gt.r[s->by_id[mid]].id, rec->id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->gt.n && !strcmp(s->gt.r[s->by_id[lo]].id, rec->id)) return s->by_id[lo];
        if (s->pair == 1) return (size_t)-1;
    }
    return rec->index < s->gt.n ? rec->index : (size_t)-1;
}

static int score(void *st, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    const state *s = st;
    size_t g = find_gt(s, rec);
    if (g == (size_t)-1)
        return mms_error_set(err, MMS_ENOTFOUND, rec->line,
                             "no ground truth for prediction %s (record %zu): %zu ground truths",
                             rec->id ? rec->id : "?", rec->index, s->gt.n);
    int valid = 0;
    const char *fp = cJSON_GetStringValue(mms_values_get(earlier, "fp_status"));
    if (rec->structure && mms_values_get_bool(earlier, "valid", &valid) == MMS_OK && valid)
        valid = fp && !strcmp(fp, "ok");
    else
        valid = 0;
    int found = 0;
    double rms = 0;
    if (valid && s->gt.r[g].cell) {
        mms_match_cell *p = NULL;
        mms_error e;
        /* RecEval catches the matcher's exceptions: the pair counts as no match */
        if (mmsc_match_cell_of(&p, &s->o, rec->structure, s->gt.rebuild, &e) == MMS_OK &&
            mms_match_rms(&s->o, p, s->gt.r[g].cell, &found, &rms, NULL, &e) != MMS_OK)
            found = 0;
        mms_match_cell_free(p);
    }
    int rc = mms_values_set_bool(out, "csp_valid", valid);
    if (!rc) rc = found ? mms_values_set_number(out, "csp_rms", rms) : mms_values_set_null(out, "csp_rms");
    if (!rc) rc = mms_values_set_string(out, "csp_gt_id", s->gt.r[g].id);
    return rc ? mms_error_set(err, rc, 0, "csp: cannot store values") : MMS_OK;
}

/* ---- set part: best rms per ground truth ---- */
typedef struct acc {
    size_t n_gt;             /* ground truths seen (first prediction order) */
    char **ids;
    double *best;            /* NAN: no match yet */
    size_t cap;
    size_t *table;           /* open addressing over ids: index + 1, 0 = empty */
    size_t tcap;
    long long n_pred, n_valid;
} acc;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

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
    for (size_t i = 0; i < a->n_gt; i++) free(a->ids[i]);
    free(a->ids), free(a->best), free(a->table), free(a);
}

/* the slot of id, added if new; -1 out of memory */
static long slot(acc *a, const char *id)
{
    if (2 * (a->n_gt + 1) > a->tcap) {
        size_t nc = a->tcap ? 2 * a->tcap : 1024;
        size_t *t = calloc(nc, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < a->n_gt; i++) {
            size_t h = hash(a->ids[i]) & (nc - 1);
            while (t[h]) h = (h + 1) & (nc - 1);
            t[h] = i + 1;
        }
        free(a->table);
        a->table = t, a->tcap = nc;
    }
    size_t h = hash(id) & (a->tcap - 1);
    while (a->table[h]) {
        if (!strcmp(a->ids[a->table[h] - 1], id)) return (long)(a->table[h] - 1);
        h = (h + 1) & (a->tcap - 1);
    }
    if (a->n_gt == a->cap) {
        size_t nc = a->cap ? 2 * a->cap : 1024;
        char **ids = realloc(a->ids, nc * sizeof *ids);
        if (ids) a->ids = ids;
        double *b = realloc(a->best, nc * sizeof *b);
        if (b) a->best = b;
        if (!ids || !b) return -1;
        a->cap = nc;
    }
    if (!(a->ids[a->n_gt] = strdup(id))) return -1;
    a->best[a->n_gt] = NAN;
    a->table[h] = a->n_gt + 1;
    return (long)a->n_gt++;
}

static int add_one(acc *a, const char *id, const cJSON *rms, mms_error *err)
{
    long k = slot(a, id);
    if (k < 0) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (cJSON_IsNumber(rms) && (isnan(a->best[k]) || rms->valuedouble < a->best[k]))
        a->best[k] = rms->valuedouble;
    return MMS_OK;
}

static int acc_add(void *st, void *ap, const mms_record *rec, const mms_values *values, mms_error *err)
{
    (void)st, (void)rec;
    acc *a = ap;
    const char *id = cJSON_GetStringValue(mms_values_get(values, "csp_gt_id"));
    if (!id) return MMS_OK; /* not paired: the record carries the error */
    int v = 0;
    a->n_pred++;
    if (mms_values_get_bool(values, "csp_valid", &v) == MMS_OK) a->n_valid += v;
    return add_one(a, id, mms_values_get(values, "csp_rms"), err);
}

static int acc_save(void *st, const void *ap, cJSON **out, mms_error *err)
{
    (void)st;
    const acc *a = ap;
    cJSON *j = cJSON_CreateObject(), *ids = cJSON_CreateArray(), *best = cJSON_CreateArray();
    int ok = j && ids && best;
    for (size_t i = 0; ok && i < a->n_gt; i++) {
        ok = cJSON_AddItemToArray(ids, cJSON_CreateString(a->ids[i]));
        ok = ok && cJSON_AddItemToArray(best, isnan(a->best[i]) ? cJSON_CreateNull()
                                                                 : cJSON_CreateNumber(a->best[i]));
    }
    if (ok) ok = cJSON_AddItemToObject(j, "gt_ids", ids), ids = NULL;
    if (ok) ok = cJSON_AddItemToObject(j, "best_rms", best), best = NULL;
    ok = ok && cJSON_AddNumberToObject(j, "n_predictions", (double)a->n_pred) &&
         cJSON_AddNumberToObject(j, "n_valid", (double)a->n_valid);
    cJSON_Delete(ids), cJSON_Delete(best);
    if (!ok) {
        cJSON_Delete(j);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = j;
    return MMS_OK;
}

static int acc_merge(void *st, void *ap, const cJSON *saved, mms_error *err)
{
    (void)st;
    acc *a = ap;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(saved, "gt_ids");
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(saved, "best_rms");
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(saved, "n_predictions");
    const cJSON *nv = cJSON_GetObjectItemCaseSensitive(saved, "n_valid");
    if (!cJSON_IsArray(ids) || !cJSON_IsArray(best) || cJSON_GetArraySize(ids) != cJSON_GetArraySize(best) ||
        !cJSON_IsNumber(np) || !cJSON_IsNumber(nv) || np->valuedouble < 0 || nv->valuedouble < 0)
        return mms_error_set(err, MMS_EINVAL, 0, "csp: saved state lacks gt_ids/best_rms/n_predictions/n_valid");
    for (int i = 0; i < cJSON_GetArraySize(ids); i++) {
        const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(ids, i));
        const cJSON *r = cJSON_GetArrayItem(best, i);
        if (!id || !(cJSON_IsNumber(r) || cJSON_IsNull(r)))
            return mms_error_set(err, MMS_EINVAL, 0, "csp: saved state: bad entry %d", i);
        int rc = add_one(a, id, r, err);
        if (rc) return rc;
    }
    a->n_pred += (long long)np->valuedouble;
    a->n_valid += (long long)nv->valuedouble;
    return MMS_OK;
}

static int acc_finish(void *st, void *ap, mms_values *out, mms_error *err)
{
    (void)st;
    const acc *a = ap;
    size_t matched = 0;
    double sum = 0;
    for (size_t i = 0; i < a->n_gt; i++)
        if (!isnan(a->best[i])) matched++, sum += a->best[i];
    int rc = mms_values_set_int(out, "n_predictions", a->n_pred);
    if (!rc) rc = mms_values_set_int(out, "n_valid", a->n_valid);
    if (!rc) rc = mms_values_set_int(out, "n_gt", (long long)a->n_gt);
    if (!rc) rc = mms_values_set_int(out, "n_matched", (long long)matched);
    if (!rc)
        rc = a->n_gt ? mms_values_set_number(out, "match_rate", (double)matched / (double)a->n_gt)
                     : mms_values_set_null(out, "match_rate");
    if (!rc)
        rc = matched ? mms_values_set_number(out, "rms_dist", sum / (double)matched)
                     : mms_values_set_null(out, "rms_dist");
    return rc ? mms_error_set(err, rc, 0, "csp: cannot store the summary") : MMS_OK;
}

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"match_rate", "Match rate", "%", 100, MMS_ROUND_DECIMALS, 2, "CDVAE CSP match rate, %"},
    {"rms_dist", "RMSE", "", 1, MMS_ROUND_SIGNIFICANT, 4, "CDVAE CSP RMSE: 4 significant digits"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "csp",
    .version = "1.0.0",
    .description = "CDVAE RecEval: CSP match rate and mean RMS distance against ground truths",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "",
    .requires = "validity fingerprint",
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
