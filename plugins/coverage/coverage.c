/* `coverage` set scorer: the crystal-text-llm basic_eval / CDVAE GenEval
 * table row except the Wasserstein distances (plugin `distribution`):
 * validity rates, COV-R/P, AMSD/AMCD, novelty and diversity.
 * Definitions and the reference's quirks: docs/metrics-eval.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "evalset.h"
#include "fpdist.h"
#include "npsum.h"

/* basic_eval.py COV_Cutoffs and NOVELTY_Cutoffs (commit 7458b28). */
typedef struct cutoff_set {
    const char *name;
    double cov_struc, cov_comp;
    int has_novelty;
    double nov_struc, nov_comp;
} cutoff_set;

static const cutoff_set CUTOFFS[] = {
    {"mp20", 0.4, 10.0, 1, 0.1, 2.0},
    {"carbon", 0.2, 4.0, 0, 0, 0},
    {"perovskite", 0.2, 4.0, 0, 0, 0},
};

typedef struct cov_state {
    double cov_struc, cov_comp;
    int has_novelty;
    double nov_struc, nov_comp;
    const char *novelty_note;
    mmsc_ev_sampling sampling;
    unsigned threads;
} cov_state;

/* A number option that may be absent or null (= take it from `cutoffs`). */
static int opt_number(const cJSON *config, const char *name, double *x)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsNumber(it))
        return 0;
    *x = it->valuedouble;
    return 1;
}

static int cov_create(void **state, const cJSON *config, mms_error *err)
{
    cov_state *S = calloc(1, sizeof *S);
    if (!S)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(config, "cutoffs");
    const char *cname = cJSON_IsString(name) ? name->valuestring : "mp20";
    const cutoff_set *c = NULL;
    for (size_t i = 0; i < sizeof CUTOFFS / sizeof CUTOFFS[0]; i++)
        if (strcmp(cname, CUTOFFS[i].name) == 0)
            c = &CUTOFFS[i];
    if (!c) {
        free(S);
        return mms_error_set(err, MMS_EINVAL, 0,
                             "option cutoffs: \"%s\" is not mp20, carbon or perovskite", cname);
    }
    S->cov_struc = c->cov_struc;
    S->cov_comp = c->cov_comp;
    opt_number(config, "struc_cutoff", &S->cov_struc);
    opt_number(config, "comp_cutoff", &S->cov_comp);
    S->has_novelty = c->has_novelty;
    S->nov_struc = c->nov_struc;
    S->nov_comp = c->nov_comp;
    int ns = opt_number(config, "novelty_struc_cutoff", &S->nov_struc);
    int nc = opt_number(config, "novelty_comp_cutoff", &S->nov_comp);
    if (!c->has_novelty && ns && nc)
        S->has_novelty = 1;
    else if (!c->has_novelty)
        S->novelty_note = "basic_eval has novelty cutoffs for mp20 only (KeyError for this "
                          "cutoff set): give --novelty-struc-cutoff and --novelty-comp-cutoff";
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(config, "distance_threads");
    S->threads = mmsc_ev_threads(cJSON_IsNumber(th) ? (long long)th->valuedouble : 0);
    int rc = mmsc_ev_sampling_from_config(&S->sampling, config, err);
    if (rc != MMS_OK) {
        free(S);
        return rc;
    }
    if (!(S->cov_struc >= 0) || !(S->cov_comp >= 0) ||
        (S->has_novelty && (!(S->nov_struc >= 0) || !(S->nov_comp >= 0)))) {
        free(S);
        return mms_error_set(err, MMS_EINVAL, 0, "cutoffs must be numbers >= 0");
    }
    *state = S;
    return MMS_OK;
}

static void cov_destroy(void *state) { free(state); }

static int cov_acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    return mmsc_ev_acc_new((mmsc_ev_acc **)acc, 1, err);
}

/* ----------------------------------------------------------- finish */

/* The generated fingerprints the metrics use: rows of the valid crystals
 * among the chosen generated indices (with repeats when sampled). */
typedef struct fpset {
    size_t n;
    double *s, *c; /* n x 61, n x 132; owned when `owned` */
    int owned;
} fpset;

static int gather(const mmsc_ev_set *g, const size_t *idx, size_t m, int sampled, fpset *out,
                  mms_error *err)
{
    memset(out, 0, sizeof *out);
    if (!sampled) { /* every stored row, already in order */
        out->n = g->nfp;
        out->s = g->sfp;
        out->c = g->cfp;
        return MMS_OK;
    }
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        n += g->fp_of[idx[i]] != SIZE_MAX;
    out->owned = 1;
    out->s = malloc((n ? n : 1) * MMSC_EV_STRUCT_FP_LEN * sizeof(double));
    out->c = malloc((n ? n : 1) * MMSC_COMP_FP_LEN * sizeof(double));
    if (!out->s || !out->c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < m; i++) {
        size_t r = g->fp_of[idx[i]];
        if (r == SIZE_MAX)
            continue;
        memcpy(out->s + out->n * MMSC_EV_STRUCT_FP_LEN, g->sfp + r * MMSC_EV_STRUCT_FP_LEN,
               MMSC_EV_STRUCT_FP_LEN * sizeof(double));
        memcpy(out->c + out->n * MMSC_COMP_FP_LEN, g->cfp + r * MMSC_COMP_FP_LEN,
               MMSC_COMP_FP_LEN * sizeof(double));
        out->n++;
    }
    return MMS_OK;
}

static void fpset_free(fpset *f)
{
    if (f->owned) {
        free(f->s);
        free(f->c);
    }
}

static int set_rate(mms_values *out, const char *name, size_t k, size_t n)
{
    return n ? mms_values_set_number(out, name, (double)k / (double)n)
             : mms_values_set_null(out, name);
}

static int set_mean(mms_values *out, const char *name, const double *x, size_t n)
{
    return n ? mms_values_set_number(out, name, mmsc_np_sum(x, n) / (double)n)
             : mms_values_set_null(out, name);
}

/* Minimum distances of both fingerprint kinds between gen and a reference. */
typedef struct nn_pair {
    double *gs, *gc; /* per generated row */
    double *rs, *rc; /* per reference row (NULL when not wanted) */
} nn_pair;

static int nearest_both(const cov_state *S, const fpset *g, const mmsc_ev_set *r, int want_ref,
                        nn_pair *o, mms_error *err)
{
    o->gs = malloc(g->n * sizeof(double));
    o->gc = malloc(g->n * sizeof(double));
    o->rs = want_ref ? malloc(r->nfp * sizeof(double)) : NULL;
    o->rc = want_ref ? malloc(r->nfp * sizeof(double)) : NULL;
    if (!o->gs || !o->gc || (want_ref && (!o->rs || !o->rc)))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = cov_nearest(g->s, g->n, r->sfp, r->nfp, MMSC_EV_STRUCT_FP_LEN, S->threads, o->gs, o->rs,
                         err);
    if (rc == MMS_OK)
        rc = cov_nearest(g->c, g->n, r->cfp, r->nfp, MMSC_COMP_FP_LEN, S->threads, o->gc, o->rc,
                         err);
    return rc;
}

static void nn_pair_free(nn_pair *o)
{
    free(o->gs);
    free(o->gc);
    free(o->rs);
    free(o->rc);
}

static size_t count_within(const double *s, const double *c, size_t n, double cs, double cc)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] <= cs && c[i] <= cc;
    return k;
}

/* A rate is null when some crystal lacks the value it needs (its producer
 * plugin did not run), rather than counting that crystal as invalid. */
static int put_validity(mms_values *out, const mmsc_ev_set *g, const size_t *idx, size_t m)
{
    size_t sv = 0, cv = 0, v = 0, ks = 0, kc = 0, kf = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned f = g->flags[idx[i]];
        sv += (f & MMSC_EV_STRUCT_VALID) != 0;
        cv += (f & MMSC_EV_COMP_VALID) != 0;
        v += (f & MMSC_EV_VALID) != 0;
        ks += (f & MMSC_EV_KNOWN_STRUCT) != 0;
        kc += (f & MMSC_EV_KNOWN_COMP) != 0;
        kf += (f & MMSC_EV_KNOWN_FP) != 0;
    }
    int rc = set_rate(out, "comp_valid", cv, kc == m ? m : 0);
    rc |= set_rate(out, "struct_valid", sv, ks == m ? m : 0);
    rc |= set_rate(out, "valid", v, ks == m && kc == m && kf == m ? m : 0);
    return rc;
}

static int put_diversity(const cov_state *S, mms_values *out, const fpset *g, mms_error *err)
{
    if (g->n < 2)
        return mms_values_set_null(out, "comp_div") | mms_values_set_null(out, "struct_div");
    double cd, sd;
    int rc = cov_pdist_mean(g->c, g->n, MMSC_COMP_FP_LEN, S->threads, &cd, err);
    if (rc == MMS_OK)
        rc = cov_pdist_mean(g->s, g->n, MMSC_EV_STRUCT_FP_LEN, S->threads, &sd, err);
    if (rc != MMS_OK)
        return rc;
    return mms_values_set_number(out, "comp_div", cd) |
           mms_values_set_number(out, "struct_div", sd);
}

static const char *COV_KEYS[] = {"cov_recall", "cov_precision", "amsd_recall", "amsd_precision",
                                 "amcd_recall", "amcd_precision"};
static const char *NOV_KEYS[] = {"struc_novelty", "comp_novelty", "novelty"};

static int put_nulls(mms_values *out, const char **keys, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        rc |= mms_values_set_null(out, keys[i]);
    return rc;
}

static int put_coverage(const cov_state *S, mms_values *out, const fpset *g, const mmsc_ev_set *r,
                        const nn_pair *nn)
{
    if (!nn)
        return put_nulls(out, COV_KEYS, 6);
    int rc = set_rate(out, "cov_recall",
                      count_within(nn->rs, nn->rc, r->nfp, S->cov_struc, S->cov_comp), r->nfp);
    rc |= set_rate(out, "cov_precision",
                   count_within(nn->gs, nn->gc, g->n, S->cov_struc, S->cov_comp), g->n);
    rc |= set_mean(out, "amsd_recall", nn->rs, r->nfp);
    rc |= set_mean(out, "amsd_precision", nn->gs, g->n);
    rc |= set_mean(out, "amcd_recall", nn->rc, r->nfp);
    rc |= set_mean(out, "amcd_precision", nn->gc, g->n);
    return rc;
}

static int put_novelty(const cov_state *S, mms_values *out, const fpset *g, const nn_pair *nn)
{
    if (!nn || !S->has_novelty)
        return put_nulls(out, NOV_KEYS, 3);
    size_t s = 0, c = 0, any = 0;
    for (size_t i = 0; i < g->n; i++) {
        int sn = nn->gs[i] > S->nov_struc, cn = nn->gc[i] > S->nov_comp;
        s += (size_t)sn;
        c += (size_t)cn;
        any += (size_t)(sn || cn);
    }
    return set_rate(out, "struc_novelty", s, g->n) | set_rate(out, "comp_novelty", c, g->n) |
           set_rate(out, "novelty", any, g->n);
}

static int put_counts(const cov_state *S, mms_values *out, const mmsc_ev_acc *a, size_t m,
                      const fpset *g, const mmsc_ev_set *nov, const char *sampling)
{
    const mmsc_ev_set *G = &a->set[MMSC_EV_GENERATED], *R = &a->set[MMSC_EV_REFERENCE];
    size_t pre = 0;
    for (size_t i = 0; i < G->n; i++)
        pre += (G->flags[i] & MMSC_EV_VALID_PRE_FP) != 0;
    int rc = mms_values_set_int(out, "n_records", (long long)G->records);
    rc |= mms_values_set_int(out, "n_read", (long long)G->read);
    rc |= mms_values_set_int(out, "n_crystals", (long long)G->n);
    rc |= mms_values_set_int(out, "n_valid_pre_fp", (long long)pre);
    rc |= mms_values_set_int(out, "n_fingerprinted", (long long)G->nfp);
    rc |= mms_values_set_int(out, "n_samples", (long long)m);
    rc |= mms_values_set_int(out, "n_samples_valid", (long long)g->n);
    rc |= mms_values_set_string(out, "sampling", sampling);
    rc |= mms_values_set_int(out, "n_reference_records", (long long)R->records);
    rc |= mms_values_set_int(out, "n_reference_crystals", (long long)R->n);
    rc |= mms_values_set_int(out, "n_reference_fingerprinted", (long long)R->nfp);
    rc |= mms_values_set_string(out, "novelty_reference", nov == R ? "reference" : "train");
    rc |= mms_values_set_int(out, "n_novelty_fingerprinted", (long long)nov->nfp);
    rc |= mms_values_set_number(out, "cov_struc_cutoff", S->cov_struc);
    rc |= mms_values_set_number(out, "cov_comp_cutoff", S->cov_comp);
    if (S->has_novelty) {
        rc |= mms_values_set_number(out, "novelty_struc_cutoff", S->nov_struc);
        rc |= mms_values_set_number(out, "novelty_comp_cutoff", S->nov_comp);
    } else {
        rc |= mms_values_set_null(out, "novelty_struc_cutoff");
        rc |= mms_values_set_null(out, "novelty_comp_cutoff");
        rc |= mms_values_set_string(out, "novelty_note", S->novelty_note);
    }
    return rc;
}

static int cov_acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    const cov_state *S = state;
    const mmsc_ev_acc *a = acc;
    const mmsc_ev_set *G = &a->set[MMSC_EV_GENERATED], *R = &a->set[MMSC_EV_REFERENCE];
    /* The train set is the novelty reference when one was given. */
    const mmsc_ev_set *N = a->set[MMSC_EV_TRAIN].records ? &a->set[MMSC_EV_TRAIN] : R;
    size_t *idx = NULL, m = 0;
    const char *sampling = NULL;
    int rc = mmsc_ev_acc_generated(a, &S->sampling, &idx, &m, &sampling, err);
    if (rc != MMS_OK)
        return rc;
    int sampled = m != G->n || (m && idx[m - 1] != m - 1);
    fpset g;
    nn_pair cov = {0}, nov = {0};
    int have_cov = 0, have_nov = 0;
    rc = gather(G, idx, m, sampled, &g, err);
    if (rc == MMS_OK && g.n && R->nfp) {
        rc = nearest_both(S, &g, R, 1, &cov, err);
        have_cov = rc == MMS_OK;
    }
    if (rc == MMS_OK && g.n && N->nfp && S->has_novelty) {
        if (N == R) { /* same cdist as coverage: reuse its row minima */
            have_nov = have_cov;
        } else {
            rc = nearest_both(S, &g, N, 0, &nov, err);
            have_nov = rc == MMS_OK;
        }
    }
    if (rc == MMS_OK) {
        int bad = put_validity(out, G, idx, m);
        if ((rc = put_diversity(S, out, &g, err)) == MMS_OK) {
            bad |= put_coverage(S, out, &g, R, have_cov ? &cov : NULL);
            bad |= put_novelty(S, out, &g, have_nov ? (N == R ? &cov : &nov) : NULL);
            bad |= put_counts(S, out, a, m, &g, N, sampling);
            if (bad)
                rc = mms_error_set(err, MMS_ENOMEM, 0, "could not store the summary");
        }
    }
    nn_pair_free(&cov);
    nn_pair_free(&nov);
    fpset_free(&g);
    free(idx);
    return rc;
}

/* -------------------------------------------------------- descriptor */

static const mms_option_def OPTIONS[] = {
    {"cutoffs", MMS_OPT_STRING, "mp20",
     "basic_eval cutoff set: mp20 (basic_eval's default), carbon or perovskite"},
    {"struc_cutoff", MMS_OPT_NUMBER, NULL, "coverage structure cutoff (overrides cutoffs)"},
    {"comp_cutoff", MMS_OPT_NUMBER, NULL, "coverage composition cutoff (overrides cutoffs)"},
    {"novelty_struc_cutoff", MMS_OPT_NUMBER, NULL,
     "novelty structure cutoff (overrides cutoffs; basic_eval has mp20 only: 0.1)"},
    {"novelty_comp_cutoff", MMS_OPT_NUMBER, NULL,
     "novelty composition cutoff (overrides cutoffs; basic_eval has mp20 only: 2)"},
    MMSC_EV_SAMPLING_OPTIONS,
    {"distance_threads", MMS_OPT_INT, "0", "threads for the distance passes (0 = all cores)"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def SUMMARY[] = {
    {"comp_valid", "number", "share of generated crystals that pass SMACT (basic_eval)"},
    {"struct_valid", "number", "share with all distances >= 0.5 A and volume >= 0.1 A^3"},
    {"valid", "number", "share struct- and comp-valid with both fingerprints computed"},
    {"comp_div", "number", "mean pairwise distance of scaled Magpie fingerprints (valid)"},
    {"struct_div", "number", "mean pairwise distance of CrystalNN fingerprints (valid)"},
    {"cov_recall", "number",
     "share of reference crystals with a generated one within both cutoffs"},
    {"cov_precision", "number", "share of valid generated crystals with a reference within both"},
    {"amsd_recall", "number", "mean over reference of the nearest generated struct distance"},
    {"amsd_precision", "number", "mean over generated of the nearest reference struct distance"},
    {"amcd_recall", "number", "mean over reference of the nearest generated comp distance"},
    {"amcd_precision", "number", "mean over generated of the nearest reference comp distance"},
    {"struc_novelty", "number", "share of valid generated crystals beyond the struct cutoff"},
    {"comp_novelty", "number", "share beyond the composition cutoff of the novelty set"},
    {"novelty", "number", "share beyond either cutoff"},
    {"n_records", "int", "generated records"},
    {"n_read", "int", "generated records whose structure was read"},
    {"n_crystals", "int", "generated crystals basic_eval counts (the rate denominator)"},
    {"n_valid_pre_fp", "int", "struct- and comp-valid generated crystals"},
    {"n_fingerprinted", "int", "valid generated crystals with both fingerprints"},
    {"n_samples", "int", "generated crystals the table uses (after any sampling)"},
    {"n_samples_valid", "int", "of those, valid with fingerprints"},
    {"sampling", "string", "whether basic_eval's subsampling was applied"},
    {"n_reference_records", "int", "reference records"},
    {"n_reference_crystals", "int", "reference crystals basic_eval counts"},
    {"n_reference_fingerprinted", "int", "reference crystals in the coverage distances"},
    {"novelty_reference", "string", "set used for novelty: train (--novelty-ref) or reference"},
    {"n_novelty_fingerprinted", "int", "novelty-set crystals in the novelty distances"},
    {"cov_struc_cutoff", "number", "structure cutoff used for coverage"},
    {"cov_comp_cutoff", "number", "composition cutoff used for coverage"},
    {"novelty_struc_cutoff", "number", "structure cutoff used for novelty (null: none)"},
    {"novelty_comp_cutoff", "number", "composition cutoff used for novelty (null: none)"},
    {"novelty_note", "string", "why novelty is null, when it is"},
    {NULL, NULL, NULL}};

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"cov_recall", "COV-R", "%", 100, MMS_ROUND_DECIMALS, 2, "CDVAE coverage, %"},
    {"cov_precision", "COV-P", "%", 100, MMS_ROUND_DECIMALS, 2, "CDVAE coverage, %"},
    {"novelty", "Novelty", "%", 100, MMS_ROUND_DECIMALS, 2, "share as %, 2 decimals"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin DESCRIPTOR = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "coverage",
    .version = "1.0.0",
    .description = "basic_eval/CDVAE generation table: validity, COV-R/P, AMSD/AMCD, "
                   "novelty, diversity",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FIELDS | MMS_ACCEPT_FAILED,
    .commands = "eval",
    .options = OPTIONS,
    .summary = SUMMARY,
    .headline = headline,
    .create = cov_create,
    .destroy = cov_destroy,
    .acc_new = cov_acc_new,
    .acc_add = mmsc_ev_cb_add,
    .acc_save = mmsc_ev_cb_save,
    .acc_merge = mmsc_ev_cb_merge,
    .acc_finish = cov_acc_finish,
    .acc_free = mmsc_ev_cb_free,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &DESCRIPTOR; }
