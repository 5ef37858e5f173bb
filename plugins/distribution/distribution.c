/* `distribution` set scorer: basic_eval's wdist_density and wdist_num_elems,
 * the 1-D Wasserstein distances between the valid generated crystals and ALL
 * reference crystals (CDVAE GenEval get_density_wdist / get_num_elem_wdist).
 * Definitions: docs/metrics-eval.md. */
#include <math.h>
#include <stdlib.h>

#include <mmscore/plugin.h>

#include "evalset.h"
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

static int dist_acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    const dist_state *S = state;
    const mmsc_ev_acc *a = acc;
    const mmsc_ev_set *G = &a->set[MMSC_EV_GENERATED], *R = &a->set[MMSC_EV_REFERENCE];
    size_t *idx = NULL, m = 0;
    const char *sampling = NULL;
    int rc = mmsc_ev_acc_generated(a, &S->sampling, &idx, &m, &sampling, err);
    if (rc != MMS_OK)
        return rc;
    double *gd = malloc((m + 1) * sizeof *gd), *gn = malloc((m + 1) * sizeof *gn);
    double *rd = malloc((R->n + 1) * sizeof *rd), *rn = malloc((R->n + 1) * sizeof *rn);
    if (!gd || !gn || !rd || !rn) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto done;
    }
    /* generated: basic_eval's valid_samples (valid with fingerprints) */
    size_t ngd = 0, ngn = 0;
    for (size_t i = 0; i < m; i++) {
        size_t k = idx[i];
        if (!(G->flags[k] & MMSC_EV_VALID))
            continue;
        if (isfinite(G->density[k]))
            gd[ngd++] = G->density[k];
        if (isfinite(G->nelems[k]))
            gn[ngn++] = G->nelems[k];
    }
    /* reference: every crystal, valid or not (a density the structure could
     * not give, e.g. a flat cell, is left out; so is any non-finite value) */
    size_t nrd = 0, nrn = 0;
    for (size_t i = 0; i < R->n; i++) {
        if (isfinite(R->density[i]))
            rd[nrd++] = R->density[i];
        if (isfinite(R->nelems[i]))
            rn[nrn++] = R->nelems[i];
    }
    rc = put_wdist(out, "wdist_density", gd, ngd, rd, nrd, err);
    if (rc == MMS_OK)
        rc = put_wdist(out, "wdist_num_elems", gn, ngn, rn, nrn, err);
    if (rc == MMS_OK) {
        int bad = mms_values_set_int(out, "n_generated_valid", (long long)ngn);
        bad |= mms_values_set_int(out, "n_reference_crystals", (long long)R->n);
        bad |= mms_values_set_int(out, "n_reference_density", (long long)nrd);
        bad |= mms_values_set_string(out, "sampling", sampling);
        if (bad)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "could not store the summary");
    }
done:
    free(gd);
    free(gn);
    free(rd);
    free(rn);
    free(idx);
    return rc;
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
    .create = dist_create,
    .destroy = dist_destroy,
    .acc_new = dist_acc_new,
    .acc_add = mmsc_ev_cb_add,
    .acc_save = mmsc_ev_cb_save,
    .acc_merge = mmsc_ev_cb_merge,
    .acc_finish = dist_acc_finish,
    .acc_free = mmsc_ev_cb_free,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &DESCRIPTOR; }
