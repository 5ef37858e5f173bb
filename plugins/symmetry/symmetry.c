/* The `symmetry` scorer: spglib's space group of a structure, called the
 * way pymatgen 2022.11.7's SpacegroupAnalyzer calls it, and CrystaLLM's
 * consistency checks between a CIF's stated tags and its content.
 * Definitions: docs/metrics-symmetry.md; codes: docs/diagnostics.md.
 *
 * Options are read-only after create; spglib calls share no state we read
 * (see detect()), so score() is thread-safe. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spglib.h>

#include "mmscore/plugin.h"

#include "bonds.h"
#include "cell.h"
#include "diag.h"
#include "figs.h"
#include "formula.h"
#include "stated.h"

typedef struct options {
    double symprec, symprec_extra, angle_tolerance;
} options;

static const mms_option_def option_defs[] = {
    {"symprec", MMS_OPT_NUMBER, "0.1",
     "spglib distance tolerance (Å); 0.1 as CrystaLLM and MatterGen"},
    {"symprec_extra", MMS_OPT_NUMBER, "0",
     "a second tolerance reported in the *_extra values (e.g. 0.01); 0 = off"},
    {"angle_tolerance", MMS_OPT_NUMBER, "5",
     "spglib angle tolerance (degrees); 5 as pymatgen's SpacegroupAnalyzer"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metric_defs[] = {
    {"sg_number", "int", "international space group number at symprec; null if spglib fails"},
    {"sg_symbol", "string", "Hermann-Mauguin symbol as spglib writes it (\"Pm-3m\")"},
    {"hall_number", "int", "spglib Hall number (1..530)"},
    {"crystal_system", "string", "crystal system of sg_number, as pymatgen names it"},
    {"wyckoffs", "object", "Wyckoff letter of each site, in site order"},
    {"site_multiplicities", "object",
     "per site: number of sites of the input cell in its crystallographic orbit"},
    {"sg_error", "string", "spglib's message when detection fails"},
    {"sg_number_extra", "int", "sg_number at symprec_extra (when set)"},
    {"sg_symbol_extra", "string", "sg_symbol at symprec_extra"},
    {"hall_number_extra", "int", "hall_number at symprec_extra"},
    {"crystal_system_extra", "string", "crystal_system at symprec_extra"},
    {"sg_error_extra", "string", "spglib's message at symprec_extra"},
    {"sg_consistent", "bool",
     "CrystaLLM: stated _symmetry_space_group_name_H-M equals the detected symbol"},
    {"formula_consistent", "bool",
     "CrystaLLM: data_ name, _chemical_formula_sum and _chemical_formula_structural reduce to "
     "one formula"},
    {"multiplicity_consistent", "bool",
     "CrystaLLM: per _atom_site_type_symbol, summed _atom_site_symmetry_multiplicity equals "
     "_chemical_formula_sum"},
    {"bond_length_score", "number",
     "CrystaLLM bond_length_reasonableness_score over pymatgen CrystalNN "
     "neighbours: fraction of bonds within 32% of the expected length"},
    {"symmetry_diagnostics", "object", "array of {code, severity, message}"},
    {NULL, NULL, NULL}};

static double opt_number(const cJSON *config, const char *name, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static int symmetry_create(void **state, const cJSON *config, mms_error *err)
{
    options *o = malloc(sizeof *o);
    if (!o)
        return mms_error_set(err, MMS_ENOMEM, 0, "symmetry: out of memory");
    o->symprec = opt_number(config, "symprec", 0.1);
    o->symprec_extra = opt_number(config, "symprec_extra", 0.0);
    o->angle_tolerance = opt_number(config, "angle_tolerance", 5.0);
    if (!(o->symprec > 0) || !(o->symprec_extra >= 0) || !isfinite(o->angle_tolerance)) {
        free(o);
        return mms_error_set(err, MMS_EINVAL, 0,
                             "symmetry: symprec must be > 0 and symprec_extra >= 0");
    }
    *state = o;
    return MMS_OK;
}

static void symmetry_destroy(void *state)
{
    free(state);
}

/* pymatgen SpacegroupAnalyzer.get_crystal_system. */
static const char *crystal_system(int n)
{
    if (n <= 2)
        return "triclinic";
    if (n <= 15)
        return "monoclinic";
    if (n <= 74)
        return "orthorhombic";
    if (n <= 142)
        return "tetragonal";
    if (n <= 167)
        return "trigonal";
    if (n <= 194)
        return "hexagonal";
    return "cubic";
}

static int same_site_species(const mms_site *a, const mms_site *b)
{
    if (a->n_species != b->n_species)
        return 0;
    for (int k = 0; k < a->n_species; k++) {
        const mms_species *x = &a->species[k];
        int found = 0;
        for (int l = 0; l < b->n_species && !found; l++) {
            const mms_species *y = &b->species[l];
            found = x->z == y->z && x->has_oxidation == y->has_oxidation &&
                    (!x->has_oxidation || x->oxidation == y->oxidation) &&
                    fabs(x->occupancy - y->occupancy) < 1e-8;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The spglib cell as SpacegroupAnalyzer builds it: lattice of the
 * structure (here basic_eval's rebuilt one, vectors as columns for the C
 * API), fractional coordinates as they are, and as types the 1-based index
 * of each site's species in order of first appearance.  Site order
 * matters (spglib's answer near a tolerance depends on atom order and type
 * numbers): the core's readers keep pymatgen's (CifParser's sorted
 * structure), and the cell keeps theirs. */
typedef struct spg_cell {
    double lattice[3][3];
    double (*pos)[3];
    int *types;
    int n;
} spg_cell;

static int cell_build(const mms_structure *s, spg_cell *c)
{
    double lat[3][3];
    mmsc_basic_eval_lattice(s, lat);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c->lattice[i][j] = lat[j][i];
    c->n = (int)s->n_sites;
    c->pos = malloc(s->n_sites * sizeof *c->pos);
    c->types = malloc(s->n_sites * sizeof *c->types);
    size_t *first = malloc(s->n_sites * sizeof *first);
    if (!c->pos || !c->types || !first) {
        free(first);
        return -1;
    }
    size_t n_unique = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        memcpy(c->pos[i], s->sites[i].frac, sizeof c->pos[i]);
        size_t u = 0;
        while (u < n_unique && !same_site_species(&s->sites[first[u]], &s->sites[i]))
            u++;
        if (u == n_unique)
            first[n_unique++] = i;
        c->types[i] = (int)u + 1;
    }
    free(first);
    return 0;
}

static void cell_free(spg_cell *c)
{
    free(c->pos);
    free(c->types);
}

/* spglib's own test before it searches (cel_any_overlap_with_same_type):
 * two atoms of one type closer than symprec, image by rounding. */
static int atoms_too_close(const spg_cell *c, double symprec)
{
    for (int i = 0; i < c->n; i++)
        for (int j = i + 1; j < c->n; j++) {
            if (c->types[i] != c->types[j])
                continue;
            double v[3], w[3];
            for (int k = 0; k < 3; k++) {
                v[k] = c->pos[i][k] - c->pos[j][k];
                v[k] -= (double)(v[k] >= 0 ? (int)(v[k] + 0.5) : (int)(v[k] - 0.5));
            }
            for (int k = 0; k < 3; k++)
                w[k] = c->lattice[k][0] * v[0] + c->lattice[k][1] * v[1] + c->lattice[k][2] * v[2];
            if (sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]) < symprec)
                return 1;
        }
    return 0;
}

/* spglib 2.0.2 dereferences NULL on a lattice holding inf or NaN (a cell
 * of 1e300 Å overflows to that), and squares lengths internally: keep it
 * to numbers whose squares are finite. */
static int cell_in_range(const spg_cell *c)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!(fabs(c->lattice[i][j]) <= 1e100))
                return 0;
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < 3; k++)
            if (!(fabs(c->pos[i][k]) <= 1e6))
                return 0;
    return 1;
}

/* One detection.  Returns the dataset (caller frees) or NULL with spglib's
 * message in msg.  spglib 2.0.2 keeps its last error in one process-wide
 * variable, which concurrent calls overwrite; its get_dataset fails in only
 * two ways, so the message is derived here from the same test instead of
 * read back from that variable.  No lock is needed. */
static SpglibDataset *detect(spg_cell *c, double symprec, double angle_tol, char *msg, size_t n)
{
    if (!cell_in_range(c)) {
        snprintf(msg, n, "cell not passed to spglib: lattice entries beyond 1e100 Å, non-finite, "
                         "or fractional coordinates beyond 1e6");
        return NULL;
    }
    SpglibDataset *d = spgat_get_dataset(c->lattice, c->pos, c->types, c->n, symprec, angle_tol);
    if (!d)
        snprintf(msg, n, "%s",
                 spg_get_error_message(atoms_too_close(c, symprec) ? SPGERR_ATOMS_TOO_CLOSE
                                                                   : SPGERR_SPACEGROUP_SEARCH_FAILED));
    return d;
}

/* Per-site Wyckoff letters, or orbit sizes within the input cell. */
static cJSON *site_arrays(const SpglibDataset *d, int multiplicities)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < d->n_atoms; i++) {
        cJSON *item;
        if (multiplicities) {
            int m = 0;
            for (int j = 0; j < d->n_atoms; j++)
                m += d->crystallographic_orbits[j] == d->crystallographic_orbits[i];
            item = cJSON_CreateNumber(m);
        } else {
            int w = d->wyckoffs[i];
            char t[2] = {(w >= 0 && w < (int)sizeof letters - 1) ? letters[w] : '?', '\0'};
            item = cJSON_CreateString(t);
        }
        if (!cJSON_AddItemToArray(a, item)) {
            cJSON_Delete(item);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return a;
}

/* Write one tolerance's values; suffix "" or "_extra".  *symbol gets the
 * detected symbol (empty when detection failed); with keep, *keep gets the
 * dataset (the caller frees it; NULL when detection failed). */
static void report(spg_cell *c, double symprec, double angle_tol, const char *suffix,
                   mms_values *out, cJSON *diags, char symbol[16], SpglibDataset **keep)
{
    char name[64], msg[128];
    SpglibDataset *d = detect(c, symprec, angle_tol, msg, sizeof msg);
    symbol[0] = '\0';
#define NAME(x) (snprintf(name, sizeof name, "%s%s", (x), suffix), name)
    if (!d) {
        mms_values_set_null(out, NAME("sg_number"));
        mms_values_set_null(out, NAME("sg_symbol"));
        mms_values_set_null(out, NAME("hall_number"));
        mms_values_set_null(out, NAME("crystal_system"));
        mms_values_set_string(out, NAME("sg_error"), msg);
        mmsc_diag_add(diags, *suffix ? "MMS207" : "MMS201", MMSC_SEV_WARNING,
                     "spglib found no space group at symprec %g Å, angle tolerance %g°: %s",
                     symprec, angle_tol, msg);
        return;
    }
    snprintf(symbol, 16, "%s", d->international_symbol);
    mms_values_set_int(out, NAME("sg_number"), d->spacegroup_number);
    mms_values_set_string(out, NAME("sg_symbol"), d->international_symbol);
    mms_values_set_int(out, NAME("hall_number"), d->hall_number);
    mms_values_set_string(out, NAME("crystal_system"), crystal_system(d->spacegroup_number));
    if (!*suffix) {
        cJSON *w = site_arrays(d, 0), *m = site_arrays(d, 1);
        if (w)
            mms_values_set_json(out, "wyckoffs", w);
        if (m)
            mms_values_set_json(out, "site_multiplicities", m);
    }
#undef NAME
    if (keep)
        *keep = d;
    else
        spg_free_dataset(d);
}

/* ----------------------------------------------------- CIF consistency */

static void strip_copy(char *dst, size_t n, const char *src)
{
    while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
        src++;
    snprintf(dst, n, "%s", src);
    size_t l = strlen(dst);
    while (l && (dst[l - 1] == ' ' || dst[l - 1] == '\t' || dst[l - 1] == '\n' ||
                 dst[l - 1] == '\r'))
        dst[--l] = '\0';
}

static int same_ignoring_spaces(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

static int tag_usable(const char *v)
{
    return v && strcmp(v, "?") && strcmp(v, ".");
}

/* sg_consistent is CrystaLLM's string comparison.  The diagnostic says
 * whether the difference matters: a warning only when the atoms lack
 * operations the stated group has; a file written in a subgroup of the
 * structure's group (pymatgen writes every CIF in P1) or naming the group
 * in another notation or setting is info. */
static void check_space_group(const mms_structure *s, const char *detected,
                              const SpglibDataset *d, const spg_cell *c, double symprec,
                              mms_values *out, cJSON *diags)
{
    const char *stated = mms_structure_tag(s, "_symmetry_space_group_name_H-M");
    if (!tag_usable(stated) || !*detected || !d) {
        mms_values_set_null(out, "sg_consistent");
        if (!tag_usable(stated))
            mmsc_diag_add(diags, "MMS206", MMSC_SEV_INFO,
                         "no _symmetry_space_group_name_H-M: sg_consistent not checked");
        return;
    }
    char st[128];
    strip_copy(st, sizeof st, stated);
    int same = !strcmp(st, detected);
    mms_values_set_bool(out, "sg_consistent", same);
    if (same)
        return;
    if (same_ignoring_spaces(st, detected)) {
        mmsc_diag_add(diags, "MMS203", MMSC_SEV_INFO,
                     "stated space group '%s' is the detected '%s' written with other spacing; "
                     "CrystaLLM's exact comparison counts it as inconsistent",
                     st, detected);
        return;
    }
    int halls[SYM_MAX_HALLS];
    int nh = sym_halls_of_symbol(st, halls, SYM_MAX_HALLS);
    for (int i = 0; i < nh; i++)
        if (spg_get_spacegroup_type(halls[i]).number == d->spacegroup_number) {
            mmsc_diag_add(diags, "MMS211", MMSC_SEV_INFO,
                         "stated space group '%s' is the detected '%s' in another notation or "
                         "setting; CrystaLLM's exact comparison counts it as inconsistent",
                         st, detected);
            return;
        }
    int fewest = -1, n_ops = 0;
    for (int i = 0; i < nh && fewest != 0; i++) {
        int n, missing = sym_missing_operations(halls[i], d, (const double(*)[3])c->lattice,
                                                symprec, &n);
        if (fewest < 0 || missing < fewest)
            fewest = missing, n_ops = n;
    }
    if (fewest == 0)
        mmsc_diag_add(diags, "MMS210", MMSC_SEV_INFO,
                     "stated space group '%s' is a subgroup of the detected '%s': the atoms have "
                     "all its operations and more (pymatgen writes its CIFs in P1)",
                     st, detected);
    else if (fewest > 0)
        mmsc_diag_add(diags, "MMS202", MMSC_SEV_WARNING,
                     "stated space group '%s' differs from the detected '%s': %d of its %d "
                     "operations are not symmetries of the atoms at symprec %g Å",
                     st, detected, fewest, n_ops, symprec);
    else
        mmsc_diag_add(diags, "MMS202", MMSC_SEV_WARNING,
                     "stated space group '%s' differs from the detected '%s' and is no "
                     "Hermann-Mauguin symbol spglib knows",
                     st, detected);
}

/* CrystaLLM reads the formula from the block name with data_([A-Za-z0-9]+)\n. */
static int data_name_formula(const mms_structure *s, mmsc_formula *f, mms_error *err)
{
    const char *name = s->name;
    if (!name || !*name)
        return mms_error_set(err, MMS_EPARSE, 0, "no data_ block name");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return mms_error_set(err, MMS_EPARSE, 0, "data_ name '%s' is not a bare formula", name);
    return mmsc_formula_parse(name, f, err);
}

static void check_formulas(const mms_structure *s, mms_values *out, cJSON *diags)
{
    const char *sum = mms_structure_tag(s, "_chemical_formula_sum");
    const char *structural = mms_structure_tag(s, "_chemical_formula_structural");
    if (!tag_usable(sum) || !tag_usable(structural)) {
        mms_values_set_null(out, "formula_consistent");
        mmsc_diag_add(diags, "MMS206", MMSC_SEV_INFO,
                     "no _chemical_formula_sum or _chemical_formula_structural: "
                     "formula_consistent not checked");
        return;
    }
    mmsc_formula fd, fs, ft;
    mms_error why; /* shown to 159 bytes, as since v0.1 (a hostile name can be 4 kB) */
    const char *which = "data_ name";
    int rc = data_name_formula(s, &fd, &why);
    if (rc == MMS_OK && (which = "_chemical_formula_sum",
                         rc = mmsc_formula_parse(sum, &fs, &why)) == MMS_OK)
        which = "_chemical_formula_structural", rc = mmsc_formula_parse(structural, &ft, &why);
    if (rc != MMS_OK) {
        mms_values_set_null(out, "formula_consistent");
        mmsc_diag_add(diags, "MMS206", MMSC_SEV_INFO,
                     "%s is not a formula pymatgen reads (%.159s): formula_consistent not checked",
                     which, why.message);
        return;
    }
    int same = mmsc_formula_same_reduced(&fd, &fs) && mmsc_formula_same_reduced(&fs, &ft);
    mms_values_set_bool(out, "formula_consistent", same);
    if (!same)
        mmsc_diag_add(diags, "MMS204", MMSC_SEV_WARNING,
                     "formulas disagree: data_%s, _chemical_formula_sum '%s', "
                     "_chemical_formula_structural '%s'",
                     s->name, sum, structural);
}

static void check_multiplicity(const mms_structure *s, mms_values *out, cJSON *diags)
{
    const char *sum = mms_structure_tag(s, "_chemical_formula_sum");
    const char *const *types = NULL, *const *mults = NULL;
    size_t nt = mms_structure_loop(s, "_atom_site_type_symbol", &types);
    size_t nm = mms_structure_loop(s, "_atom_site_symmetry_multiplicity", &mults);
    if (!tag_usable(sum) || nt == 0 || nm == 0) {
        mms_values_set_null(out, "multiplicity_consistent");
        mmsc_diag_add(diags, "MMS206", MMSC_SEV_INFO,
                     "no _chemical_formula_sum or no _atom_site_type_symbol/"
                     "_atom_site_symmetry_multiplicity loop: multiplicity_consistent not checked");
        return;
    }
    mmsc_formula expected, actual = {0};
    mms_error why;
    if (mmsc_formula_parse(sum, &expected, &why) != MMS_OK) {
        mms_values_set_null(out, "multiplicity_consistent");
        mmsc_diag_add(diags, "MMS206", MMSC_SEV_INFO,
                     "_chemical_formula_sum is not a formula pymatgen reads (%.159s): "
                     "multiplicity_consistent not checked",
                     why.message);
        return;
    }
    /* zip() stops at the shorter column; keys are the type symbols as written */
    size_t n = nt < nm ? nt : nm;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        char *end;
        long m = strtol(mults[i], &end, 10);
        size_t len = strlen(types[i]);
        if (*end != '\0' || end == mults[i] || len > 3) {
            ok = 0; /* int() would raise, or a key no formula has */
            break;
        }
        size_t k = 0;
        while (k < actual.n && strcmp(actual.symbol[k], types[i]))
            k++;
        if (k == actual.n) {
            if (actual.n == MMSC_FORMULA_MAX_ELEMENTS) {
                ok = 0;
                break;
            }
            strcpy(actual.symbol[actual.n], types[i]);
            actual.amount[actual.n++] = 0;
        }
        actual.amount[k] += (double)m;
    }
    /* dict equality: same keys, equal amounts */
    if (ok && actual.n != expected.n)
        ok = 0;
    for (size_t i = 0; ok && i < expected.n; i++) {
        size_t k = 0;
        while (k < actual.n && strcmp(actual.symbol[k], expected.symbol[i]))
            k++;
        ok = k < actual.n && actual.amount[k] == expected.amount[i];
    }
    mms_values_set_bool(out, "multiplicity_consistent", ok);
    if (ok)
        return;
    /* CrystaLLM's dictionary comparison ignores occupancies, charges in type
     * symbols and the formula per unit: a file right by those conventions is
     * info, not a warning. */
    int factor = sym_multiplicity_fits_formula(s, &expected);
    if (factor)
        mmsc_diag_add(diags, "MMS212", MMSC_SEV_INFO,
                     "summed _atom_site_symmetry_multiplicity per type does not match "
                     "_chemical_formula_sum '%s' as CrystaLLM compares them, but per element "
                     "multiplicity x occupancy sums to %d x the formula (%s)",
                     sum, factor,
                     factor == 1 ? "the formula as the cell's content, pymatgen's convention"
                                 : "_cell_formula_units_Z units, the CIF convention");
    else
        mmsc_diag_add(diags, "MMS205", MMSC_SEV_WARNING,
                     "summed _atom_site_symmetry_multiplicity per type does not match "
                     "_chemical_formula_sum '%s'",
                     sum);
}

static int symmetry_score(void *state, const mms_record *rec, const mms_values *earlier,
                          mms_values *out, mms_error *err)
{
    (void)earlier;
    const options *o = state;
    const mms_structure *s = rec->structure;
    if (!s)
        return MMS_OK;
    if (s->n_sites == 0 || s->n_sites > (size_t)INT32_MAX)
        return mms_error_set(err, MMS_ECOMPUTE, s->line,
                             "symmetry: no sites, or more than spglib can index");
    cJSON *diags = cJSON_CreateArray();
    spg_cell c = {0};
    if (!diags || cell_build(s, &c) != 0) {
        cJSON_Delete(diags);
        cell_free(&c);
        return mms_error_set(err, MMS_ENOMEM, 0, "symmetry: out of memory");
    }
    char detected[16], detected_extra[16];
    SpglibDataset *dataset = NULL;
    report(&c, o->symprec, o->angle_tolerance, "", out, diags, detected, &dataset);
    if (o->symprec_extra > 0)
        report(&c, o->symprec_extra, o->angle_tolerance, "_extra", out, diags, detected_extra,
               NULL);

    double bls;
    long n_bonds;
    mms_error why;
    if (sym_bond_length_score(s, &bls, &n_bonds, &why) == MMS_OK) {
        mms_values_set_number(out, "bond_length_score", bls);
        if (bls < 1.0)
            mmsc_diag_add(diags, "MMS209", MMSC_SEV_INFO,
                         "%.0f of %ld bonds are more than 32%% off the expected length",
                         (1.0 - bls) * (double)n_bonds, n_bonds);
    } else {
        mms_values_set_null(out, "bond_length_score");
        mmsc_diag_add(diags, "MMS208", MMSC_SEV_INFO, "bond_length_score not computed: %s",
                     why.message);
    }

    if (s->format && !strcmp(s->format, "cif")) {
        check_space_group(s, detected, dataset, &c, o->symprec, out, diags);
        check_formulas(s, out, diags);
        check_multiplicity(s, out, diags);
    }
    if (dataset)
        spg_free_dataset(dataset);
    cell_free(&c);
    return mms_values_set_json(out, "symmetry_diagnostics", diags);
}

/* ------------------------------------------------- report figures (set part) */

/* Space groups and crystal systems of the structures read, per series, and
 * the diagnostics by code: counts only, for the HTML report (no summary
 * values).  Symbols as spglib wrote them, the first seen for each number. */
typedef struct sym_acc {
    long long sg[MMSC_FIG_NSERIES][231]; /* [0]: no space group (spglib failed) */
    char symbol[231][16];
    mmsc_fig_diags diags;
} sym_acc;

static void sym_acc_free(void *state, void *acc)
{
    (void)state;
    sym_acc *a = acc;
    if (a)
        mmsc_fig_diags_free(&a->diags);
    free(a);
}

static int sym_acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    sym_acc *a = calloc(1, sizeof *a);
    if (!a || mmsc_fig_diags_init(&a->diags) != MMS_OK) {
        free(a);
        return mms_error_set(err, MMS_ENOMEM, 0, "symmetry: out of memory");
    }
    *acc = a;
    return MMS_OK;
}

static int sym_acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                       mms_error *err)
{
    (void)state;
    sym_acc *a = acc;
    int s = mmsc_fig_series_of(rec->set);
    if (s < 0 || !rec->structure)
        return MMS_OK;
    double n = 0;
    if (mms_values_get_number(values, "sg_number", &n) != MMS_OK || !(n >= 1 && n <= 230))
        n = 0;
    a->sg[s][(int)n]++;
    const char *sym = cJSON_GetStringValue(mms_values_get(values, "sg_symbol"));
    if (n >= 1 && sym && !a->symbol[(int)n][0])
        snprintf(a->symbol[(int)n], sizeof a->symbol[0], "%s", sym);
    if (s == MMSC_FIG_GENERATED &&
        mmsc_fig_diags_add(&a->diags, rec, mms_values_get(values, "symmetry_diagnostics")) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "symmetry: out of memory");
    return MMS_OK;
}

static int sym_acc_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const sym_acc *a = acc;
    cJSON *o = cJSON_CreateObject();
    int bad = !o;
    for (int s = 0; !bad && s < MMSC_FIG_NSERIES; s++) {
        double v[231];
        for (int i = 0; i < 231; i++)
            v[i] = (double)a->sg[s][i];
        bad = !cJSON_AddItemToObject(o, mmsc_fig_series_names[s], cJSON_CreateDoubleArray(v, 231));
    }
    cJSON *syms = bad ? NULL : cJSON_AddObjectToObject(o, "symbols");
    bad = bad || !syms;
    for (int i = 1; !bad && i <= 230; i++) {
        char key[8];
        snprintf(key, sizeof key, "%d", i);
        if (a->symbol[i][0])
            bad = !cJSON_AddStringToObject(syms, key, a->symbol[i]);
    }
    bad = bad || !cJSON_AddItemToObject(o, "diagnostics", mmsc_fig_diags_save(&a->diags));
    if (bad) {
        cJSON_Delete(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "symmetry: out of memory");
    }
    *out = o;
    return MMS_OK;
}

static int sym_acc_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    (void)state;
    sym_acc *a = acc;
    long long add[MMSC_FIG_NSERIES][231];
    for (int s = 0; s < MMSC_FIG_NSERIES; s++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(saved, mmsc_fig_series_names[s]);
        if (cJSON_GetArraySize(arr) != 231)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "symmetry: saved state lacks 231 space-group counts of %s",
                                 mmsc_fig_series_names[s]);
        int i = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, arr) {
            if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0) || x->valuedouble > 9e15)
                return mms_error_set(err, MMS_EINVAL, 0,
                                     "symmetry: a saved space-group count is not a count");
            add[s][i++] = (long long)x->valuedouble;
        }
    }
    const cJSON *syms = cJSON_GetObjectItemCaseSensitive(saved, "symbols");
    if (!cJSON_IsObject(syms))
        return mms_error_set(err, MMS_EINVAL, 0, "symmetry: saved state has no symbols");
    int rc = mmsc_fig_diags_merge(&a->diags, cJSON_GetObjectItemCaseSensitive(saved, "diagnostics"),
                                  err);
    if (rc != MMS_OK)
        return rc;
    for (int s = 0; s < MMSC_FIG_NSERIES; s++)
        for (int i = 0; i < 231; i++)
            a->sg[s][i] += add[s][i];
    const cJSON *x;
    cJSON_ArrayForEach(x, syms) {
        int i = atoi(x->string);
        if (i >= 1 && i <= 230 && cJSON_IsString(x) && !a->symbol[i][0])
            snprintf(a->symbol[i], sizeof a->symbol[0], "%s", x->valuestring);
    }
    return MMS_OK;
}

static int sym_acc_finish(void *state, void *acc, mms_values *summary, mms_error *err)
{
    (void)state, (void)acc, (void)summary, (void)err;
    return MMS_OK; /* the summary's values stay those of the records */
}

static int sym_acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const sym_acc *a = acc;
    cJSON *figs = cJSON_CreateArray();
    int rc = figs ? MMS_OK : MMS_ENOMEM;
    char labels[231][32];
    const char *cats[230];
    const long long *per[MMSC_FIG_NSERIES];
    for (int i = 1; i <= 230; i++) {
        snprintf(labels[i], sizeof labels[i], "%d%s%s", i, a->symbol[i][0] ? " " : "",
                 a->symbol[i]);
        cats[i - 1] = labels[i];
    }
    for (int s = 0; s < MMSC_FIG_NSERIES; s++)
        per[s] = a->sg[s] + 1;
    char cap[300];
    snprintf(cap, sizeof cap,
             "spglib space group (the symprec option) of every structure read, the groups that "
             "occur, by number; %lld generated and %lld reference structures have none "
             "(spglib failed).",
             a->sg[MMSC_FIG_GENERATED][0], a->sg[MMSC_FIG_REFERENCE][0]);
    mmsc_fig_text sg = {"space_group", "Distributions", "Space group", cap, "space group",
                        "structures"};
    if (rc == MMS_OK)
        rc = mmsc_fig_bars(figs, &sg, cats, 230, mmsc_fig_series_names, per, MMSC_FIG_NSERIES, 1);
    static const char *const systems[7] = {"triclinic", "monoclinic", "orthorhombic",
                                           "tetragonal", "trigonal", "hexagonal", "cubic"};
    long long cs[MMSC_FIG_NSERIES][7] = {{0}};
    for (int s = 0; s < MMSC_FIG_NSERIES; s++) {
        for (int i = 1; i <= 230; i++)
            for (int k = 0; k < 7; k++)
                if (!strcmp(crystal_system(i), systems[k]))
                    cs[s][k] += a->sg[s][i];
        per[s] = cs[s];
    }
    static const mmsc_fig_text sys = {
        "crystal_system", "Distributions", "Crystal system",
        "Crystal system of the space group above (pymatgen's get_crystal_system), every "
        "structure with a space group.",
        "crystal system", "structures"};
    if (rc == MMS_OK)
        rc = mmsc_fig_bars(figs, &sys, systems, 7, mmsc_fig_series_names, per, MMSC_FIG_NSERIES,
                           0);
    if (rc == MMS_OK)
        rc = mmsc_fig_diags_report(figs, &a->diags, "Validity", "symmetry_diagnostics",
                                   "Symmetry and CIF consistency checks");
    if (rc != MMS_OK) {
        cJSON_Delete(figs);
        return mms_error_set(err, rc, 0, "symmetry: out of memory");
    }
    *out = figs;
    return MMS_OK;
}

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "symmetry",
    .version = "1.1.0", /* 1.1: a set part for the report's figures */
    .description = "space group (spglib, as pymatgen's SpacegroupAnalyzer) and CIF consistency",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE,
    .commands = "", /* validate --symmetry selects it: the default validate is the fast path */
    .requires = "",
    .options = option_defs,
    .metrics = metric_defs,
    .summary = NULL,
    .create = symmetry_create,
    .destroy = symmetry_destroy,
    .score = symmetry_score,
    .acc_new = sym_acc_new,
    .acc_add = sym_acc_add,
    .acc_save = sym_acc_save,
    .acc_merge = sym_acc_merge,
    .acc_finish = sym_acc_finish,
    .acc_free = sym_acc_free,
    .acc_report = sym_acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
