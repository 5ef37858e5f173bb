/* The `structure` scorer: geometric validity of one crystal, as
 * crystal-text-llm's basic_eval.py (CDVAE's structure_validity) judges it,
 * plus CrystaLLM's cell sanity check.  Definitions and the reference's
 * quirks are in docs/metrics-structure.md; diagnostic codes in
 * docs/diagnostics.md.
 *
 * State is the parsed options, read-only after create: score() is
 * thread-safe.  The summary counts struct_valid over three denominators. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/plugin.h"

#include "cell.h"
#include "diag.h"
#include "figs.h"
#include "mindist.h"

typedef struct options {
    double min_distance_cutoff; /* basic_eval structure_validity cutoff */
    double min_volume;          /* basic_eval: volume < 0.1 is invalid */
    double length_lo, length_hi, angle_lo, angle_hi; /* CrystaLLM is_sensible */
} options;

static const mms_option_def option_defs[] = {
    {"min_distance_cutoff", MMS_OPT_NUMBER, "0.5",
     "struct_valid needs min_distance >= this (Å; basic_eval.py default)"},
    {"min_volume", MMS_OPT_NUMBER, "0.1", "struct_valid needs volume >= this (Å^3; basic_eval.py)"},
    {"cell_length_min", MMS_OPT_NUMBER, "0.5", "cell_sensible: shortest accepted a, b, c (Å)"},
    {"cell_length_max", MMS_OPT_NUMBER, "1000", "cell_sensible: longest accepted a, b, c (Å)"},
    {"cell_angle_min", MMS_OPT_NUMBER, "10", "cell_sensible: smallest accepted angle (deg)"},
    {"cell_angle_max", MMS_OPT_NUMBER, "170", "cell_sensible: largest accepted angle (deg)"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metric_defs[] = {
    {"density", "number", "mass / volume in g/cm^3 (pymatgen masses); null for a flat cell"},
    {"n_elements", "int", "number of distinct elements"},
    {"min_distance", "number",
     "shortest distance between two different sites, minimum image as pymatgen's "
     "distance_matrix (Å); null for one site or a flat cell"},
    {"min_distance_exact", "number",
     "true minimum-image distance, only written where pymatgen's 27-image search misses it"},
    {"struct_valid", "bool", "min_distance >= min_distance_cutoff and volume >= min_volume"},
    {"cell_sensible", "bool", "CrystaLLM is_sensible: lengths and angles within the bounds"},
    {"basic_eval_counted", "bool",
     "ordered and without oxidation states: basic_eval builds a Crystal from it"},
    {"diagnostics", "object", "array of {code, severity, message} (docs/diagnostics.md)"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary_defs[] = {
    {"n_records", "int", "records seen, including those that failed to read"},
    {"n_read", "int", "structures read"},
    {"n_basic_eval", "int", "structures basic_eval counts (ordered, no oxidation states)"},
    {"struct_valid_count", "int", "struct_valid structures among those read"},
    {"struct_valid_rate_basic_eval", "number",
     "struct_valid over n_basic_eval: the rate basic_eval.py reports"},
    {"struct_valid_rate_read", "number", "struct_valid over n_read"},
    {"struct_valid_rate_all", "number", "struct_valid over n_records (failed reads are invalid)"},
    {"cell_sensible_rate_read", "number", "cell_sensible over n_read"},
    {NULL, NULL, NULL}};

static double opt_number(const cJSON *config, const char *name, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static int structure_create(void **state, const cJSON *config, mms_error *err)
{
    options *o = malloc(sizeof *o);
    if (!o)
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");
    o->min_distance_cutoff = opt_number(config, "min_distance_cutoff", 0.5);
    o->min_volume = opt_number(config, "min_volume", 0.1);
    o->length_lo = opt_number(config, "cell_length_min", 0.5);
    o->length_hi = opt_number(config, "cell_length_max", 1000.0);
    o->angle_lo = opt_number(config, "cell_angle_min", 10.0);
    o->angle_hi = opt_number(config, "cell_angle_max", 170.0);
    if (!(o->min_distance_cutoff >= 0) || !(o->min_volume >= 0) ||
        !(o->length_lo <= o->length_hi) || !(o->angle_lo <= o->angle_hi)) {
        free(o);
        return mms_error_set(err, MMS_EINVAL, 0,
                             "structure: thresholds must be non-negative numbers and each "
                             "minimum at most its maximum");
    }
    *state = o;
    return MMS_OK;
}

static void structure_destroy(void *state)
{
    free(state);
}

/* CrystaLLM's is_sensible on the cell as read; offending parameters are
 * named in a diagnostic. */
static int cell_sensible(const options *o, const mms_structure *s, cJSON *diags)
{
    static const char *const names[6] = {"a", "b", "c", "alpha", "beta", "gamma"};
    char bad[256] = "";
    size_t used = 0;
    for (int k = 0; k < 6; k++) {
        double x = k < 3 ? s->abc[k] : s->angles[k - 3];
        double lo = k < 3 ? o->length_lo : o->angle_lo, hi = k < 3 ? o->length_hi : o->angle_hi;
        if (x < lo || x > hi) {
            int w = snprintf(bad + used, sizeof bad - used, "%s%s = %.6g outside [%g, %g]",
                             used ? "; " : "", names[k], x, lo, hi);
            if (w > 0 && (size_t)w < sizeof bad - used)
                used += (size_t)w;
        }
    }
    if (used)
        mmsc_diag_add(diags, "MMS103", MMSC_SEV_WARNING, "cell is not sensible: %s", bad);
    return used == 0;
}

/* Distance check on the cell basic_eval builds: Lattice.from_parameters of
 * the parameters read, the fractional coordinates unchanged. */
static int distance_check(const options *o, const mms_structure *s, const double lat[3][3],
                          mms_values *out, cJSON *diags, int *valid, mms_error *err)
{
    if (s->n_sites < 2) {
        mmsc_diag_add(diags, "MMS106", MMSC_SEV_INFO,
                     "one site: a site's own periodic images do not count, so there is no "
                     "min_distance and struct_valid rests on the volume alone");
        mms_values_set_null(out, "min_distance");
        return MMS_OK;
    }
    double (*frac)[3] = malloc(s->n_sites * sizeof *frac);
    if (!frac)
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");
    for (size_t i = 0; i < s->n_sites; i++)
        memcpy(frac[i], s->sites[i].frac, sizeof frac[i]);
    mmsc_mindist md;
    int rc = mmsc_mindist_compute(lat, s->n_sites, (const double(*)[3])frac, &md);
    free(frac);
    if (rc != MMS_OK || !md.found)
        return mms_error_set(err, MMS_ECOMPUTE, s->line,
                             "structure: minimum-image search failed (singular cell or out of "
                             "memory)");
    mms_values_set_number(out, "min_distance", md.pymatgen);
    if (!md.exact_complete)
        mmsc_diag_add(diags, "MMS107", MMSC_SEV_INFO,
                     "cell so thin that the exact minimum-image check was cut short; "
                     "min_distance is pymatgen's 27-image answer");
    if (md.exact < md.pymatgen) {
        mms_values_set_number(out, "min_distance_exact", md.exact);
        mmsc_diag_add(diags, "MMS104", MMSC_SEV_INFO,
                     "pymatgen's 27-image search gives %.6f Å (reported as min_distance, as the "
                     "reference); a shorter image is %.6f Å away",
                     md.pymatgen, md.exact);
    }
    if (!(md.pymatgen >= o->min_distance_cutoff)) {
        *valid = 0;
        char a[96], b[96];
        const mms_site *si = &s->sites[md.i], *sj = &s->sites[md.j];
        mmsc_diag_site_name(a, sizeof a, si->label, md.i, si->line);
        mmsc_diag_site_name(b, sizeof b, sj->label, md.j, sj->line);
        mmsc_diag_add(diags, "MMS101", MMSC_SEV_ERROR,
                     "atoms too close: %s and %s translated by [%d, %d, %d] are %.6f Å apart "
                     "(< %g Å)",
                     a, b, md.image[0], md.image[1], md.image[2], md.exact,
                     o->min_distance_cutoff);
    }
    return MMS_OK;
}

static int structure_score(void *state, const mms_record *rec, const mms_values *earlier,
                           mms_values *out, mms_error *err)
{
    (void)earlier;
    const options *o = state;
    const mms_structure *s = rec->structure;
    if (!s)
        return MMS_OK; /* failed reads only feed the summary */
    if (s->n_sites == 0)
        return mms_error_set(err, MMS_ECOMPUTE, s->line, "structure: no sites");
    cJSON *diags = cJSON_CreateArray();
    if (!diags)
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");

    /* basic_eval rebuilds the lattice from (a, b, c, alpha, beta, gamma) */
    double lat[3][3];
    mmsc_basic_eval_lattice(s, lat);
    double volume = mmsc_cell_volume(lat);

    int valid = 1, rc = MMS_OK;
    mms_values_set_int(out, "n_elements", (long long)s->n_elements);
    if (!(volume >= o->min_volume)) {
        valid = 0;
        mmsc_diag_add(diags, "MMS102", MMSC_SEV_ERROR,
                     "cell volume %.6g Å^3 is %s (lengths %.6g %.6g %.6g, angles %.6g %.6g "
                     "%.6g); density and min_distance are not defined",
                     volume, isfinite(volume) ? "below the minimum (flat cell)" : "not finite",
                     s->abc[0], s->abc[1], s->abc[2], s->angles[0], s->angles[1], s->angles[2]);
        mms_values_set_null(out, "density");
        mms_values_set_null(out, "min_distance");
    } else {
        mms_values_set_number(out, "density", mms_structure_density(s));
        rc = distance_check(o, s, lat, out, diags, &valid, err);
    }
    if (rc == MMS_OK) {
        mms_values_set_bool(out, "struct_valid", valid);
        mms_values_set_bool(out, "cell_sensible", cell_sensible(o, s, diags));
        int counted = s->is_ordered && !s->has_oxidation;
        mms_values_set_bool(out, "basic_eval_counted", counted);
        if (!counted)
            mmsc_diag_add(diags, "MMS105", MMSC_SEV_INFO,
                         "%s: basic_eval.py cannot build a Crystal from it and leaves it out of "
                         "every rate (counted here in the _read and _all rates only)",
                         !s->is_ordered ? "partial occupancy" : "oxidation-state species");
        rc = mms_values_set_json(out, "diagnostics", diags);
        diags = NULL;
    }
    cJSON_Delete(diags);
    return rc;
}

/* ---------------------------------------------------------------- summary */

typedef struct counts {
    long long records, read, basic, valid, basic_valid, sensible;
} counts;

static const char *const count_names[] = {"n_records", "n_read", "n_basic_eval", "n_valid",
                                          "n_basic_eval_valid", "n_sensible"};

static long long *count_slot(counts *c, int k)
{
    long long *slots[] = {&c->records, &c->read, &c->basic, &c->valid, &c->basic_valid,
                          &c->sensible};
    return slots[k];
}

/* The summary's counts and the report's figures: density, elements and
 * sites over fixed bins per series, diagnostics by code.  All counts, so
 * shards merge exactly. */
#define DENSITY_WIDTH 0.125 /* g/cm^3: a power of two, so bin edges are exact */
#define DENSITY_BINS 256    /* 0 to 32 g/cm^3 (osmium: 22.6) */
#define ELEMENT_BINS 120
#define SITE_BINS 1024      /* 0..1023 sites; more are counted as above the range */

typedef struct struct_acc {
    counts c;
    mmsc_fig_counts density[MMSC_FIG_NSERIES], elements[MMSC_FIG_NSERIES],
        sites[MMSC_FIG_NSERIES];
    mmsc_fig_diags diags;
} struct_acc;

static void acc_free(void *state, void *acc)
{
    (void)state;
    struct_acc *a = acc;
    if (!a)
        return;
    for (int s = 0; s < MMSC_FIG_NSERIES; s++) {
        mmsc_fig_counts_free(&a->density[s]);
        mmsc_fig_counts_free(&a->elements[s]);
        mmsc_fig_counts_free(&a->sites[s]);
    }
    mmsc_fig_diags_free(&a->diags);
    free(a);
}

static int acc_new(void *state, void **acc, mms_error *err)
{
    struct_acc *a = calloc(1, sizeof *a);
    int bad = !a;
    for (int s = 0; !bad && s < MMSC_FIG_NSERIES; s++)
        bad = mmsc_fig_counts_init(&a->density[s], DENSITY_BINS) != MMS_OK ||
              mmsc_fig_counts_init(&a->elements[s], ELEMENT_BINS) != MMS_OK ||
              mmsc_fig_counts_init(&a->sites[s], SITE_BINS) != MMS_OK;
    bad = bad || mmsc_fig_diags_init(&a->diags) != MMS_OK;
    if (bad) {
        acc_free(state, a);
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");
    }
    *acc = a;
    return MMS_OK;
}

static int acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                   mms_error *err)
{
    (void)state;
    struct_acc *a = acc;
    counts *c = &a->c;
    c->records++;
    if (!rec->structure)
        return MMS_OK;
    c->read++;
    int valid = 0, counted = 0, sensible = 0;
    mms_values_get_bool(values, "struct_valid", &valid);
    mms_values_get_bool(values, "basic_eval_counted", &counted);
    mms_values_get_bool(values, "cell_sensible", &sensible);
    c->valid += valid;
    c->sensible += sensible;
    c->basic += counted;
    c->basic_valid += counted && valid;
    int s = mmsc_fig_series_of(rec->set);
    if (s < 0)
        return MMS_OK; /* the training set is not drawn */
    double density;
    if (mms_values_get_number(values, "density", &density) == MMS_OK)
        mmsc_fig_counts_add(&a->density[s], 0, DENSITY_WIDTH, density);
    mmsc_fig_counts_add(&a->elements[s], 0, 1, (double)rec->structure->n_elements);
    mmsc_fig_counts_add(&a->sites[s], 0, 1, (double)rec->structure->n_sites);
    /* Diagnostics of the generated structures only: a reference set's are not news. */
    if (s == MMSC_FIG_GENERATED &&
        mmsc_fig_diags_add(&a->diags, rec, mms_values_get(values, "diagnostics")) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");
    return MMS_OK;
}

static int acc_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const struct_acc *a = acc;
    counts c = a->c;
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; o && k < 6; k++)
        if (!cJSON_AddNumberToObject(o, count_names[k], (double)*count_slot(&c, k))) {
            cJSON_Delete(o);
            o = NULL;
        }
    cJSON *figs = o ? cJSON_AddObjectToObject(o, "figures") : NULL;
    int bad = !figs;
    for (int s = 0; !bad && s < MMSC_FIG_NSERIES; s++) {
        cJSON *one = cJSON_AddObjectToObject(figs, mmsc_fig_series_names[s]);
        bad = !one || !cJSON_AddItemToObject(one, "density", mmsc_fig_counts_save(&a->density[s])) ||
              !cJSON_AddItemToObject(one, "elements", mmsc_fig_counts_save(&a->elements[s])) ||
              !cJSON_AddItemToObject(one, "sites", mmsc_fig_counts_save(&a->sites[s]));
    }
    if (!bad)
        bad = !cJSON_AddItemToObject(figs, "diagnostics", mmsc_fig_diags_save(&a->diags));
    if (bad) {
        cJSON_Delete(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "structure: out of memory");
    }
    *out = o;
    return MMS_OK;
}

static int acc_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    (void)state;
    struct_acc *a = acc;
    counts add = {0};
    for (int k = 0; k < 6; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(saved, count_names[k]);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "structure: saved state lacks a count \"%s\"", count_names[k]);
        *count_slot(&add, k) = (long long)v->valuedouble;
    }
    const cJSON *figs = cJSON_GetObjectItemCaseSensitive(saved, "figures");
    if (!cJSON_IsObject(figs))
        return mms_error_set(err, MMS_EINVAL, 0, "structure: saved state has no figure counts");
    /* Checked on a scratch accumulator first, so a bad state changes nothing. */
    void *scratch = NULL;
    int rc = acc_new(state, &scratch, err);
    struct_acc *t = scratch;
    for (int s = 0; rc == MMS_OK && s < MMSC_FIG_NSERIES; s++) {
        const cJSON *one = cJSON_GetObjectItemCaseSensitive(figs, mmsc_fig_series_names[s]);
        rc = mmsc_fig_counts_merge(&t->density[s], cJSON_GetObjectItemCaseSensitive(one, "density"),
                                   "structure density counts", err);
        if (rc == MMS_OK)
            rc = mmsc_fig_counts_merge(&t->elements[s],
                                       cJSON_GetObjectItemCaseSensitive(one, "elements"),
                                       "structure element counts", err);
        if (rc == MMS_OK)
            rc = mmsc_fig_counts_merge(&t->sites[s], cJSON_GetObjectItemCaseSensitive(one, "sites"),
                                       "structure site counts", err);
    }
    if (rc == MMS_OK)
        rc = mmsc_fig_diags_merge(&t->diags, cJSON_GetObjectItemCaseSensitive(figs, "diagnostics"),
                                  err);
    for (int s = 0; rc == MMS_OK && s < MMSC_FIG_NSERIES; s++) {
        mmsc_fig_counts_absorb(&a->density[s], &t->density[s]);
        mmsc_fig_counts_absorb(&a->elements[s], &t->elements[s]);
        mmsc_fig_counts_absorb(&a->sites[s], &t->sites[s]);
    }
    if (rc == MMS_OK) /* checked above: only memory can fail now */
        rc = mmsc_fig_diags_merge(&a->diags, cJSON_GetObjectItemCaseSensitive(figs, "diagnostics"),
                                  err);
    acc_free(state, scratch);
    if (rc != MMS_OK)
        return rc;
    for (int k = 0; k < 6; k++)
        *count_slot(&a->c, k) += *count_slot(&add, k);
    return MMS_OK;
}

static int acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const struct_acc *a = acc;
    cJSON *figs = cJSON_CreateArray();
    int rc = figs ? MMS_OK : MMS_ENOMEM;
    static const mmsc_fig_text density = {
        "density", "Distributions", "Density",
        "Density of every structure read (mass / cell volume, pymatgen masses), generated and "
        "reference sets; flat cells have none.",
        "density (g/cm\u00b3)", "structures"};
    static const mmsc_fig_text sites = {
        "n_sites", "Distributions", "Number of sites",
        "Sites in the cell after symmetry expansion, every structure read.", "sites per cell",
        "structures"};
    if (rc == MMS_OK)
        rc = mmsc_fig_histogram(figs, &density, 0, DENSITY_WIDTH, a->density, 40);
    static const mmsc_fig_text elements = {
        "n_elements", "Distributions", "Number of elements",
        "Distinct elements per structure, every structure read.", "elements", "structures"};
    if (rc == MMS_OK)
        rc = mmsc_fig_integer_bars(figs, &elements, a->elements);
    if (rc == MMS_OK)
        rc = mmsc_fig_histogram(figs, &sites, 0, 1, a->sites, 40);
    if (rc == MMS_OK)
        rc = mmsc_fig_diags_report(figs, &a->diags, "Validity", "diagnostics",
                                   "Structure checks");
    if (rc != MMS_OK) {
        cJSON_Delete(figs);
        return mms_error_set(err, rc, 0, "structure: out of memory");
    }
    *out = figs;
    return MMS_OK;
}

static void set_rate(mms_values *v, const char *name, long long num, long long den)
{
    if (den > 0)
        mms_values_set_number(v, name, (double)num / (double)den);
    else
        mms_values_set_null(v, name);
}

static int acc_finish(void *state, void *acc, mms_values *summary, mms_error *err)
{
    (void)state;
    (void)err;
    const counts *c = &((const struct_acc *)acc)->c;
    mms_values_set_int(summary, "n_records", c->records);
    mms_values_set_int(summary, "n_read", c->read);
    mms_values_set_int(summary, "n_basic_eval", c->basic);
    mms_values_set_int(summary, "struct_valid_count", c->valid);
    set_rate(summary, "struct_valid_rate_basic_eval", c->basic_valid, c->basic);
    set_rate(summary, "struct_valid_rate_read", c->valid, c->read);
    set_rate(summary, "struct_valid_rate_all", c->valid, c->records);
    set_rate(summary, "cell_sensible_rate_read", c->sensible, c->read);
    return MMS_OK;
}

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "structure",
    .version = "1.1.0", /* 1.1: the accumulator keeps the report's counts */
    .description = "geometric validity: minimum distance, volume, density, cell sanity",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "validate eval",
    .requires = "",
    .options = option_defs,
    .metrics = metric_defs,
    .summary = summary_defs,
    .create = structure_create,
    .destroy = structure_destroy,
    .score = structure_score,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_save = acc_save,
    .acc_merge = acc_merge,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
    .acc_report = acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
