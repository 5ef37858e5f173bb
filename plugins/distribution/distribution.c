/* `distribution` set scorer: basic_eval's wdist_density and wdist_num_elems,
 * the 1-D Wasserstein distances between the valid generated crystals and ALL
 * reference crystals (CDVAE GenEval get_density_wdist / get_num_elem_wdist).
 * Definitions: docs/metrics-eval.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "evalset.h"
#include "figs.h"
#include "wasserstein.h"

typedef struct dist_state {
    mmsc_ev_sampling sampling;
} dist_state;

static int dist_create(void **state, const cJSON *config, mms_error *err)
{
    dist_state *S = calloc(1, sizeof *S);
    if (!S)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = mmsc_ev_sampling_from_config(&S->sampling, config, err);
    if (rc != MMS_OK) {
        free(S);
        return rc;
    }
    *state = S;
    return MMS_OK;
}

static void dist_destroy(void *state) { free(state); }

/* Fingerprints are not needed here: the accumulator keeps flags, densities
 * and element counts only. */
static int dist_acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    return mmsc_ev_acc_new((mmsc_ev_acc **)acc, 0, err);
}

/* W1 of a property between the generated sample and the reference crystals;
 * null when either side is empty (scipy raises there). */
static int put_wdist(mms_values *out, const char *name, double *gen, size_t ng, double *ref,
                     size_t nr, mms_error *err)
{
    if (ng == 0 || nr == 0)
        return mms_values_set_null(out, name);
    double w;
    int rc = dist_wasserstein_1d(gen, ng, ref, nr, &w, err);
    if (rc != MMS_OK)
        return rc;
    return mms_values_set_number(out, name, w) == MMS_OK
               ? MMS_OK
               : mms_error_set(err, MMS_ENOMEM, 0, "could not store %s", name);
}

/* The two samples of each distance: basic_eval's valid_samples (valid with
 * fingerprints, in the generated sample) and every reference crystal, valid
 * or not (a density the structure could not give, e.g. a flat cell, is left
 * out; so is any non-finite value). */
typedef struct dist_samples {
    double *gd, *gn, *rd, *rn;
    size_t ngd, ngn, nrd, nrn, n_reference;
    const char *sampling;
} dist_samples;

static void samples_free(dist_samples *o)
{
    free(o->gd);
    free(o->gn);
    free(o->rd);
    free(o->rn);
}

static int samples_collect(const dist_state *S, const mmsc_ev_acc *a, dist_samples *o,
                           mms_error *err)
{
    memset(o, 0, sizeof *o);
    const mmsc_ev_set *G = &a->set[MMSC_EV_GENERATED], *R = &a->set[MMSC_EV_REFERENCE];
    size_t *idx = NULL, m = 0;
    int rc = mmsc_ev_acc_generated(a, &S->sampling, &idx, &m, &o->sampling, err);
    if (rc != MMS_OK)
        return rc;
    o->gd = malloc((m + 1) * sizeof *o->gd), o->gn = malloc((m + 1) * sizeof *o->gn);
    o->rd = malloc((R->n + 1) * sizeof *o->rd), o->rn = malloc((R->n + 1) * sizeof *o->rn);
    if (!o->gd || !o->gn || !o->rd || !o->rn) {
        free(idx);
        samples_free(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < m; i++) {
        size_t k = idx[i];
        if (!(G->flags[k] & MMSC_EV_VALID))
            continue;
        if (isfinite(G->density[k]))
            o->gd[o->ngd++] = G->density[k];
        if (isfinite(G->nelems[k]))
            o->gn[o->ngn++] = G->nelems[k];
    }
    for (size_t i = 0; i < R->n; i++) {
        if (isfinite(R->density[i]))
            o->rd[o->nrd++] = R->density[i];
        if (isfinite(R->nelems[i]))
            o->rn[o->nrn++] = R->nelems[i];
    }
    o->n_reference = R->n;
    free(idx);
    return MMS_OK;
}

static int dist_acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    dist_samples d;
    int rc = samples_collect(state, acc, &d, err);
    if (rc != MMS_OK)
        return rc;
    rc = put_wdist(out, "wdist_density", d.gd, d.ngd, d.rd, d.nrd, err);
    if (rc == MMS_OK)
        rc = put_wdist(out, "wdist_num_elems", d.gn, d.ngn, d.rn, d.nrn, err);
    if (rc == MMS_OK) {
        int bad = mms_values_set_int(out, "n_generated_valid", (long long)d.ngn);
        bad |= mms_values_set_int(out, "n_reference_crystals", (long long)d.n_reference);
        bad |= mms_values_set_int(out, "n_reference_density", (long long)d.nrd);
        bad |= mms_values_set_string(out, "sampling", d.sampling);
        if (bad)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "could not store the summary");
    }
    samples_free(&d);
    return rc;
}

/* The samples the two distances compare, for the HTML report, on fixed
 * bins like the structure plugin's figures. */
static int dist_acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    dist_samples d;
    int rc = samples_collect(state, acc, &d, err);
    if (rc != MMS_OK)
        return rc;
    mmsc_fig_counts dens[MMSC_FIG_NSERIES], elems[MMSC_FIG_NSERIES];
    memset(dens, 0, sizeof dens);
    memset(elems, 0, sizeof elems);
    int bad = 0;
    for (int k = 0; k < MMSC_FIG_NSERIES; k++)
        bad |= mmsc_fig_counts_init(&dens[k], 256) != MMS_OK ||
               mmsc_fig_counts_init(&elems[k], 120) != MMS_OK;
    for (size_t i = 0; !bad && i < d.ngd; i++)
        mmsc_fig_counts_add(&dens[MMSC_FIG_GENERATED], 0, 0.125, d.gd[i]);
    for (size_t i = 0; !bad && i < d.ngn; i++)
        mmsc_fig_counts_add(&elems[MMSC_FIG_GENERATED], 0, 1, d.gn[i]);
    for (size_t i = 0; !bad && i < d.nrd; i++)
        mmsc_fig_counts_add(&dens[MMSC_FIG_REFERENCE], 0, 0.125, d.rd[i]);
    for (size_t i = 0; !bad && i < d.nrn; i++)
        mmsc_fig_counts_add(&elems[MMSC_FIG_REFERENCE], 0, 1, d.rn[i]);
    samples_free(&d);
    static const mmsc_fig_text td = {
        "wdist_density", "Distributions", "Density as wdist_density compares it",
        "Valid generated crystals (structurally and compositionally valid with fingerprints, "
        "as basic_eval's valid_samples) against every reference crystal: the two samples of "
        "the Wasserstein distance.",
        "density (g/cm\u00b3)", "crystals"};
    static const mmsc_fig_text te = {
        "wdist_num_elems", "Distributions", "Number of elements as wdist_num_elems compares it",
        "The same two samples, by number of distinct elements.", "elements", "crystals"};
    cJSON *figs = bad ? NULL : cJSON_CreateArray();
    rc = figs ? mmsc_fig_histogram(figs, &td, 0, 0.125, dens, 40) : MMS_ENOMEM;
    if (rc == MMS_OK)
        rc = mmsc_fig_integer_bars(figs, &te, elems);
    for (int k = 0; k < MMSC_FIG_NSERIES; k++) {
        mmsc_fig_counts_free(&dens[k]);
        mmsc_fig_counts_free(&elems[k]);
    }
    if (rc != MMS_OK) {
        cJSON_Delete(figs);
        return mms_error_set(err, MMS_ENOMEM, 0, "distribution: out of memory");
    }
    *out = figs;
    return MMS_OK;
}

static const mms_option_def OPTIONS[] = {MMSC_EV_SAMPLING_OPTIONS, {NULL, 0, NULL, NULL}};

static const mms_metric_def SUMMARY[] = {
    {"wdist_density", "number",
     "Wasserstein distance of density (g/cm^3): valid generated vs all reference crystals"},
    {"wdist_num_elems", "number",
     "Wasserstein distance of the number of elements: valid generated vs all reference"},
    {"n_generated_valid", "int", "valid generated crystals in the distributions"},
    {"n_reference_crystals", "int", "reference crystals in the element-count distribution"},
    {"n_reference_density", "int", "reference crystals with a density"},
    {"sampling", "string", "whether basic_eval's subsampling was applied"},
    {NULL, NULL, NULL}};

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"wdist_density", "wdist density", "", 1, MMS_ROUND_SIGNIFICANT, 4, "CDVAE property statistics: 4 significant digits"},
    {"wdist_num_elems", "wdist #elements", "", 1, MMS_ROUND_SIGNIFICANT, 4, "CDVAE property statistics: 4 significant digits"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin DESCRIPTOR = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "distribution",
    .version = "1.0.0",
    .description = "basic_eval/CDVAE Wasserstein distances of density and number of elements",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FIELDS | MMS_ACCEPT_FAILED,
    .commands = "eval",
    .options = OPTIONS,
    .summary = SUMMARY,
    .headline = headline,
    .create = dist_create,
    .destroy = dist_destroy,
    .acc_new = dist_acc_new,
    .acc_add = mmsc_ev_cb_add,
    .acc_save = mmsc_ev_cb_save,
    .acc_merge = mmsc_ev_cb_merge,
    .acc_finish = dist_acc_finish,
    .acc_free = mmsc_ev_cb_free,
    .acc_report = dist_acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &DESCRIPTOR; }
