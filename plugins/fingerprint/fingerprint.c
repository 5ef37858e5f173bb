/* fingerprint plugin: per structure, the two fingerprints CDVAE's GenEval (as
 * called by crystal-text-llm basic_eval.py) computes for coverage and
 * diversity:
 *   comp_fp   matminer ElementProperty.from_preset("magpie"), 132 values, unscaled
 *   struct_fp matminer CrystalNNFingerprint.from_preset("ops") averaged over sites, 61
 *   fp_status "ok" or why the fingerprints were not computed
 * See docs/metrics-fingerprint.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crystalnn.h"
#include "magpie.h"
#include "mmscore/plugin.h"

typedef struct fp_state {
    mmsc_cnn_options cnn;
    int skip_invalid;
    FILE *devnull; /* qhull's diagnostics go here; stdio locks make it thread-safe */
} fp_state;

static const mms_option_def options[] = {
    {"search_cutoff", MMS_OPT_NUMBER, "7",
     "CrystalNN search_cutoff: initial radius (Angstrom) of the Voronoi neighbour search; "
     "doubled up to the cell diagonal while the cell is unbounded"},
    {"distance_cutoff_low", MMS_OPT_NUMBER, "0.5",
     "CrystalNN distance_cutoffs[0]: weights fall off beyond the sum of covalent radii plus this"},
    {"distance_cutoff_high", MMS_OPT_NUMBER, "1",
     "CrystalNN distance_cutoffs[1]: weight is zero beyond the sum of covalent radii plus this"},
    {"x_diff_weight", MMS_OPT_NUMBER, "3",
     "CrystalNN x_diff_weight: favour neighbours of larger electronegativity difference"},
    {"porous_adjustment", MMS_OPT_BOOL, "true",
     "CrystalNN porous_adjustment: scale solid angles by solid angle / facet area"},
    {"max_points", MMS_OPT_INT, "20000",
     "limit on atoms within the search radius of one site (hostile input guard)"},
    {"exact_voronoi", MMS_OPT_BOOL, "false",
     "build every Voronoi cell as the reference does (qhull Delaunay, scipy's options) "
     "instead of the faster dual hull (same cells; see docs/metrics-fingerprint.md)"},
    {"skip_invalid", MMS_OPT_BOOL, "true",
     "as basic_eval: do not fingerprint a record whose earlier value 'valid' is false"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"comp_fp", "number[]",
     "Magpie ElementProperty (22 properties x min, max, range, mean, avg_dev, mode), unscaled"},
    {"struct_fp", "number[]", "CrystalNN 'ops' fingerprint averaged over sites (61 values)"},
    {"fp_status", "string",
     "ok, not_computed_invalid, not_computed_disordered, not_computed_oxidation_states, "
     "magpie_failed or crystalnn_failed"},
    {"fp_error", "string", "why the fingerprint failed (only when fp_status says failed)"},
    {NULL, NULL, NULL}};

static int opt_number(const cJSON *config, const char *name, double *out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return mms_error_set(err, MMS_EINVAL, 0, "fingerprint: option %s must be a number", name);
    *out = v->valuedouble;
    return MMS_OK;
}

static int opt_bool(const cJSON *config, const char *name, int *out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsBool(v))
        return mms_error_set(err, MMS_EINVAL, 0, "fingerprint: option %s must be a boolean", name);
    *out = cJSON_IsTrue(v);
    return MMS_OK;
}

static void fp_destroy(void *state)
{
    fp_state *s = state;
    if (s && s->devnull)
        fclose(s->devnull);
    free(s);
}

static int fp_create(void **state, const cJSON *config, mms_error *err)
{
    fp_state *s = calloc(1, sizeof *s);
    if (!s)
        return mms_error_set(err, MMS_ENOMEM, 0, "fingerprint: out of memory");
    mmsc_cnn_options_default(&s->cnn);
    double max_points = (double)s->cnn.max_points;
    int rc = MMS_OK;
    if (config) {
        if ((rc = opt_number(config, "search_cutoff", &s->cnn.search_cutoff, err)) ||
            (rc = opt_number(config, "distance_cutoff_low", &s->cnn.distance_cutoff_lo, err)) ||
            (rc = opt_number(config, "distance_cutoff_high", &s->cnn.distance_cutoff_hi, err)) ||
            (rc = opt_number(config, "x_diff_weight", &s->cnn.x_diff_weight, err)) ||
            (rc = opt_bool(config, "porous_adjustment", &s->cnn.porous_adjustment, err)) ||
            (rc = opt_bool(config, "exact_voronoi", &s->cnn.exact_delaunay, err)) ||
            (rc = opt_number(config, "max_points", &max_points, err)) ||
            (rc = opt_bool(config, "skip_invalid", &s->skip_invalid, err))) {
            fp_destroy(s);
            return rc;
        }
    } else {
        s->skip_invalid = 1;
    }
    if (!(s->cnn.search_cutoff > 0) || s->cnn.distance_cutoff_hi <= s->cnn.distance_cutoff_lo ||
        max_points < 16 || max_points > 1e7) {
        fp_destroy(s);
        return mms_error_set(err, MMS_EINVAL, 0,
                             "fingerprint: need search_cutoff > 0, distance_cutoff_high > "
                             "distance_cutoff_low and 16 <= max_points <= 1e7");
    }
    s->cnn.max_points = (size_t)max_points;
    s->devnull = fopen("/dev/null", "w");
    *state = s;
    return MMS_OK;
}

/* Elements in order of first appearance with their atom counts: basic_eval
 * builds Composition(Counter(atom_types)), and that order fixes the
 * floating-point sums.  MMS_OK, or fp_magpie's code (MMS_EINVAL: an element
 * without Magpie data). */
static int magpie_of(const mms_structure *st, double out[FP_MAGPIE_LEN])
{
    int z[MMS_MAX_Z];
    double amount[MMS_MAX_Z];
    size_t ne = 0;
    for (size_t i = 0; i < st->n_sites; i++) {
        int zi = st->sites[i].species[0].z;
        size_t k = 0;
        while (k < ne && z[k] != zi)
            k++;
        if (k == ne) {
            if (ne == MMS_MAX_Z)
                return MMS_EINVAL;
            z[ne] = zi;
            amount[ne++] = 0;
        }
        amount[k] += 1;
    }
    return fp_magpie(z, amount, ne, out);
}

static int fp_score(void *state, const mms_record *rec, const mms_values *earlier,
                    mms_values *out, mms_error *err)
{
    const fp_state *s = state;
    const mms_structure *st = rec->structure;
    if (!st)
        return mms_values_set_string(out, "fp_status", "not_computed_unread");
    int valid;
    if (s->skip_invalid && mms_values_get_bool(earlier, "valid", &valid) == MMS_OK && !valid)
        return mms_values_set_string(out, "fp_status", "not_computed_invalid");
    if (!st->is_ordered)
        return mms_values_set_string(out, "fp_status", "not_computed_disordered");
    if (st->has_oxidation)
        return mms_values_set_string(out, "fp_status", "not_computed_oxidation_states");

    double comp[FP_MAGPIE_LEN];
    int rc;
    if ((rc = magpie_of(st, comp)) == MMS_ENOMEM)
        return mms_error_set(err, MMS_ENOMEM, 0, "fingerprint: out of memory");
    if (rc != MMS_OK) {
        if ((rc = mms_values_set_string(out, "fp_status", "magpie_failed")))
            return rc;
        return mms_values_set_string(out, "fp_error", "no Magpie data for an element");
    }

    /* basic_eval rebuilds the lattice from its parameters before anything */
    mmsc_cell cell;
    mms_error lerr;
    if (mms_lattice_from_parameters(cell.lattice, st->abc, st->angles, &lerr) != MMS_OK)
        memcpy(cell.lattice, st->lattice, sizeof cell.lattice);
    double(*frac)[3] = malloc(st->n_sites * sizeof *frac);
    int *z = malloc(st->n_sites * sizeof *z);
    if (!frac || !z) {
        free(frac);
        free(z);
        return mms_error_set(err, MMS_ENOMEM, 0, "fingerprint: out of memory");
    }
    for (size_t i = 0; i < st->n_sites; i++) {
        memcpy(frac[i], st->sites[i].frac, sizeof frac[i]);
        z[i] = st->sites[i].species[0].z;
    }
    cell.n = st->n_sites;
    cell.frac = (const double (*)[3])frac;
    cell.z = z;
    double sfp[MMSC_CNN_LEN];
    mms_error why;
    int cnn = mmsc_crystalnn_fingerprint(&cell, &s->cnn, s->devnull, sfp, &why);
    free(frac);
    free(z);

    if ((rc = mms_values_set_numbers(out, "comp_fp", comp, FP_MAGPIE_LEN)))
        return rc;
    if (cnn != MMS_OK) {
        if ((rc = mms_values_set_string(out, "fp_status", "crystalnn_failed")))
            return rc;
        return mms_values_set_string(out, "fp_error", why.message);
    }
    if ((rc = mms_values_set_numbers(out, "struct_fp", sfp, MMSC_CNN_LEN)))
        return rc;
    return mms_values_set_string(out, "fp_status", "ok");
}

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "fingerprint",
    .version = "1.0.0",
    .description = "CDVAE fingerprints: Magpie composition (132) and CrystalNN 'ops' structure (61)",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE,
    .commands = "eval",
    .requires = "validity", /* so that skip_invalid sees "valid", as basic_eval */
    .options = options,
    .metrics = metrics,
    .summary = NULL,
    .create = fp_create,
    .destroy = fp_destroy,
    .score = fp_score,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
