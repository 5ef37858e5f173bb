/* Writers: structure -> CIF, POSCAR, extended XYZ, crystal-text-llm text.
 *
 * Numbers are printed as the shortest decimal that reads back as the same
 * double (as Python's repr does), so read -> write -> read is exact. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"
#include "mmscore/writer.h"
#include "grow_internal.h"
#include "readers_internal.h"

#define NUM_MAX 400    /* a double in positional notation, up to 1e300 */
#define SPECIES_MAX (NUM_MAX + 8)

void mms_buffer_free(mms_buffer *b)
{
    if (b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
    }
}

static int buf_printf(mms_buffer *b, mms_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int buf_printf(mms_buffer *b, mms_error *err, const char *fmt, ...)
{
    for (;;) {
        size_t room = b->cap - b->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return mms_error_set(err, MMS_EINVAL, 0, "formatting failed");
        if (b->data && (size_t)n < room) {
            b->len += (size_t)n;
            return MMS_OK;
        }
        if (!mms_grow((void **)&b->data, &b->cap, b->len + (size_t)n + 1, 1, 1024))
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    }
}

/* Shortest positional decimal ("%.Nf", at least one decimal, as pymatgen's
 * "%.8f" looks) that strtod reads back as x; numbers too small for that
 * within 40 decimals fall back to Python's repr (exponent notation). */
static const char *num_text(char out[NUM_MAX], double x)
{
    if (isfinite(x) && fabs(x) < 1e300)
        for (int prec = 1; prec <= 40; prec++) {
            snprintf(out, NUM_MAX, "%.*f", prec, x);
            if (strtod(out, NULL) == x)
                return out;
        }
    mms_py_float_repr(x, out, NUM_MAX);
    return out;
}

/* pymatgen's formula_double_format: an amount within 1e-8 above its integer
 * part prints as that integer, anything else as str(round(x, 8)).
 * ignore_ones drops a "1" (Species strings do, formula sums do not). */
static void amount_text(char out[NUM_MAX], double x, int ignore_ones)
{
    double t = trunc(x);
    if (ignore_ones && x == 1.0)
        out[0] = '\0';
    else if (fabs(x - t) < 1e-8 && fabs(t) < 1e18)
        snprintf(out, NUM_MAX, "%lld", (long long)t);
    else {
        snprintf(out, NUM_MAX, "%.8f", x);
        mms_py_float_repr(strtod(out, NULL), out, NUM_MAX);
    }
}

/* Species text as pymatgen's Species.__str__ prints it: "Fe", "Fe2+", "O2-",
 * "Na+", "Fe2.5+", "Fe0+". */
static void species_text(const mms_species *sp, char out[SPECIES_MAX])
{
    const char *sym = mms_element_symbol(sp->z);
    if (!sp->has_oxidation) {
        snprintf(out, SPECIES_MAX, "%s", sym);
        return;
    }
    char num[NUM_MAX];
    amount_text(num, fabs(sp->oxidation), 1);
    snprintf(out, SPECIES_MAX, "%s%s%c", sym, num, sp->oxidation < 0 ? '-' : '+');
}

static int require_ordered(const mms_structure *s, const char *what, mms_error *err)
{
    if (!s->is_ordered)
        return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                             "%s cannot hold a disordered structure (partial occupancies); "
                             "write CIF instead", what);
    return MMS_OK;
}

/* ---------------------------------------------------------------- CIF */

/* pymatgen's CifBlock layout: values longer than 70 characters become a
 * semicolon text field wrapped at 70, values with a space or a leading '_'
 * are quoted; "key   value" on one line when it fits in 70 columns. */
#define CIF_MAXLEN 70

static int cif_field(mms_buffer *b, mms_error *err, const char *v)
{
    size_t n = strlen(v);
    if (n > CIF_MAXLEN) {
        int rc = buf_printf(b, err, ";\n");
        size_t col = 0;
        for (const char *w = v; *w && rc == MMS_OK;) {
            size_t len = strcspn(w, " ");
            if (len) {
                if (col && col + 1 + len > CIF_MAXLEN) {
                    rc = buf_printf(b, err, "\n");
                    col = 0;
                }
                if (rc == MMS_OK)
                    rc = buf_printf(b, err, "%s%.*s", col ? " " : "", (int)len, w);
                col += (col ? 1 : 0) + len;
            }
            w += len;
            w += strspn(w, " ");
        }
        return rc == MMS_OK ? buf_printf(b, err, "\n;") : rc;
    }
    if (n == 0)
        return buf_printf(b, err, "\"\"");
    int quoted = (v[0] == '\'' && v[n - 1] == '\'') || (v[0] == '"' && v[n - 1] == '"');
    if ((strchr(v, ' ') || v[0] == '_') && !quoted) {
        char q = strchr(v, '\'') ? '"' : '\'';
        return buf_printf(b, err, "%c%s%c", q, v, q);
    }
    return buf_printf(b, err, "%s", v);
}

/* Length of a value as cif_field prints it (when not a text field). */
static size_t cif_field_len(const char *v)
{
    size_t n = strlen(v);
    if (n == 0)
        return 2;
    int quoted = (v[0] == '\'' && v[n - 1] == '\'') || (v[0] == '"' && v[n - 1] == '"');
    return n + ((strchr(v, ' ') || v[0] == '_') && !quoted ? 2 : 0);
}

static int cif_item(mms_buffer *b, mms_error *err, const char *key, const char *v)
{
    int inline_ok = strlen(v) <= CIF_MAXLEN && strlen(key) + cif_field_len(v) + 3 < CIF_MAXLEN;
    int rc = buf_printf(b, err, "%s%s", key, inline_ok ? "   " : "\n");
    if (rc == MMS_OK)
        rc = cif_field(b, err, v);
    return rc == MMS_OK ? buf_printf(b, err, "\n") : rc;
}

static int cif_loop_header(mms_buffer *b, mms_error *err, const char *const *keys, int n)
{
    int rc = buf_printf(b, err, "loop_\n");
    for (int i = 0; i < n && rc == MMS_OK; i++)
        rc = buf_printf(b, err, " %s\n", keys[i]);
    return rc;
}

/* One loop row: values joined by two spaces after a two-space indent,
 * starting a new line before a value that would reach column 70. */
static int cif_loop_row(mms_buffer *b, mms_error *err, const char *const *vals, int n)
{
    size_t col = 0;
    int rc = MMS_OK;
    for (int i = 0; i < n && rc == MMS_OK; i++) {
        size_t len = cif_field_len(vals[i]);
        if (col && col + len + 2 + 1 >= CIF_MAXLEN) {
            rc = buf_printf(b, err, "\n");
            col = 0;
        }
        if (rc == MMS_OK)
            rc = buf_printf(b, err, "  ");
        if (rc == MMS_OK)
            rc = cif_field(b, err, vals[i]);
        col += 2 + len;
    }
    return rc == MMS_OK ? buf_printf(b, err, "\n") : rc;
}

typedef struct species_amt {
    mms_species sp;  /* z, has_oxidation, oxidation; occupancy unused */
    double amount;
} species_amt;

/* Distinct species over all sites in first-appearance order (the order of
 * pymatgen's Composition), with their summed amounts.  *out is the caller's
 * to free. */
static int collect_species(const mms_structure *s, species_amt **out, size_t *n_out,
                           mms_error *err)
{
    size_t cap = 1, n = 0;
    for (size_t i = 0; i < s->n_sites; i++)
        cap += (size_t)s->sites[i].n_species;
    species_amt *v = malloc(cap * sizeof *v);
    if (!v)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    for (size_t i = 0; i < s->n_sites; i++)
        for (int k = 0; k < s->sites[i].n_species; k++) {
            const mms_species *x = &s->sites[i].species[k];
            size_t j = 0;
            while (j < n && !(v[j].sp.z == x->z && v[j].sp.has_oxidation == x->has_oxidation &&
                              (!x->has_oxidation || v[j].sp.oxidation == x->oxidation)))
                j++;
            if (j == n)
                v[n++] = (species_amt){*x, 0.0};
            v[j].amount += x->occupancy;
        }
    *out = v;
    *n_out = n;
    return MMS_OK;
}

static int less_x(const void *ctx, int a, int b)
{
    const species_amt *v = ctx;
    return mms_element_x(v[a].sp.z) < mms_element_x(v[b].sp.z);
}

/* pymatgen's Species.__lt__: electronegativity, symbol, then oxidation state
 * (a zero oxidation state never sorts first). */
static int less_species(const void *ctx, int a, int b)
{
    const mms_species *p = &((const species_amt *)ctx)[a].sp, *q = &((const species_amt *)ctx)[b].sp;
    double xa = mms_element_x(p->z), xb = mms_element_x(q->z);
    if (!(xa == xb))
        return xa < xb;
    int c = strcmp(mms_element_symbol(p->z), mms_element_symbol(q->z));
    if (c)
        return c < 0;
    return p->oxidation != 0.0 && p->oxidation < (q->has_oxidation ? q->oxidation : 0.0);
}

static int sorted_order(const species_amt *v, size_t n, py_less lt, int **order, mms_error *err)
{
    *order = malloc((n ? n : 1) * sizeof **order);
    if (!*order)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    for (size_t i = 0; i < n; i++)
        (*order)[i] = (int)i;
    if (mms_py_sort(*order, n, lt, v) != MMS_OK) {
        free(*order);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    }
    return MMS_OK;
}

/* _chemical_formula_sum (pymatgen's Composition.formula of the element
 * composition: elements in first-appearance order sorted by electronegativity
 * alone, every amount written, amounts below 1e-8 dropped) into b, and Z
 * (get_reduced_composition_and_factor: the gcd of the amounts when all are
 * integers within 1e-8, halved for the formulas pymatgen writes doubled such
 * as O2 and Li2O2, truncated to an integer). */
static int formula_sum_and_z(const species_amt *sp, size_t ns, const char *reduced,
                             mms_buffer *b, long long *z, mms_error *err)
{
    species_amt *el = malloc((ns ? ns : 1) * sizeof *el);
    if (!el)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    size_t ne = 0;
    for (size_t i = 0; i < ns; i++) {
        if (fabs(sp[i].amount) < 1e-8)
            continue;
        size_t j = 0;
        while (j < ne && el[j].sp.z != sp[i].sp.z)
            j++;
        if (j == ne)
            el[ne++] = (species_amt){{.z = sp[i].sp.z}, 0.0};
        el[j].amount += sp[i].amount;
    }
    int *order = NULL;
    int rc = sorted_order(el, ne, less_x, &order, err);
    long long g = 0;
    int all_int = 1;
    for (size_t i = 0; i < ne && rc == MMS_OK; i++) {
        char amt[NUM_MAX];
        amount_text(amt, el[order[i]].amount, 0);
        rc = buf_printf(b, err, "%s%s%s", i ? " " : "", mms_element_symbol(el[order[i]].sp.z), amt);
        double a = el[order[i]].amount, r = nearbyint(a);
        if (fabs(a - r) >= 1e-8 || fabs(r) > 1e18)
            all_int = 0;
        for (long long v = all_int ? llabs((long long)r) : 0; v;) {
            long long t = g % v;
            g = v;
            v = t;
        }
    }
    free(order);
    free(el);
    static const char *const doubled[] = {"Li2O2", "Na2O2", "K2O2", "H2O2", "Cs2O2", "Rb2O2",
                                          "O2",    "N2",    "F2",   "Cl2",  "H2"};
    double factor = all_int && g > 0 ? (double)g : 1.0;
    for (size_t k = 0; all_int && k < sizeof doubled / sizeof *doubled; k++)
        if (!strcmp(reduced, doubled[k]))
            factor /= 2;
    *z = (long long)factor;
    return rc;
}

int mms_write_cif(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    char reduced[512];
    int rc = mms_structure_formula_reduced(s, reduced, sizeof reduced, err);
    if (rc != MMS_OK)
        return rc;
    species_amt *sp = NULL;
    size_t ns = 0;
    if ((rc = collect_species(s, &sp, &ns, err)) != MMS_OK)
        return rc;
    mms_buffer sum = {0};
    long long z = 1;
    rc = formula_sum_and_z(sp, ns, reduced, &sum, &z, err);

    /* pymatgen cuts block names to 74 characters. */
    if (rc == MMS_OK)
        rc = buf_printf(out, err, "# generated using mmscore\ndata_%.74s\n", reduced);
    if (rc == MMS_OK)
        rc = cif_item(out, err, "_symmetry_space_group_name_H-M", "P 1");
    static const char *const cell_keys[6] = {"_cell_length_a",    "_cell_length_b",
                                             "_cell_length_c",    "_cell_angle_alpha",
                                             "_cell_angle_beta",  "_cell_angle_gamma"};
    char n[4][NUM_MAX];
    for (int i = 0; i < 6 && rc == MMS_OK; i++)
        rc = cif_item(out, err, cell_keys[i], num_text(n[0], i < 3 ? s->abc[i] : s->angles[i - 3]));
    if (rc == MMS_OK)
        rc = cif_item(out, err, "_symmetry_Int_Tables_number", "1");
    if (rc == MMS_OK)
        rc = cif_item(out, err, "_chemical_formula_structural", reduced);
    if (rc == MMS_OK)
        rc = cif_item(out, err, "_chemical_formula_sum", sum.data ? sum.data : "");
    if (rc == MMS_OK)
        rc = cif_item(out, err, "_cell_volume", num_text(n[0], s->volume));
    if (rc == MMS_OK) {
        snprintf(n[0], NUM_MAX, "%lld", z);
        rc = cif_item(out, err, "_cell_formula_units_Z", n[0]);
    }
    static const char *const sym_keys[2] = {"_symmetry_equiv_pos_site_id",
                                            "_symmetry_equiv_pos_as_xyz"};
    static const char *const sym_row[2] = {"1", "x, y, z"};
    if (rc == MMS_OK)
        rc = cif_loop_header(out, err, sym_keys, 2);
    if (rc == MMS_OK)
        rc = cif_loop_row(out, err, sym_row, 2);

    /* pymatgen writes the _atom_type loop only when every species carries an
     * oxidation state (sorted as Species sort); otherwise the states stay in
     * the site symbols alone. */
    int all_ox = ns > 0;
    for (size_t i = 0; i < ns; i++)
        all_ox &= sp[i].sp.has_oxidation;
    if (rc == MMS_OK && all_ox) {
        static const char *const keys[2] = {"_atom_type_symbol", "_atom_type_oxidation_number"};
        int *order = NULL;
        rc = cif_loop_header(out, err, keys, 2);
        if (rc == MMS_OK)
            rc = sorted_order(sp, ns, less_species, &order, err);
        for (size_t i = 0; i < ns && rc == MMS_OK; i++) {
            char t[SPECIES_MAX];
            species_text(&sp[order[i]].sp, t);
            mms_py_float_repr(sp[order[i]].sp.oxidation, n[0], NUM_MAX);
            const char *row[2] = {t, n[0]};
            rc = cif_loop_row(out, err, row, 2);
        }
        free(order);
    }
    free(sp);
    mms_buffer_free(&sum);

    /* Species of a disordered site keep the structure's order (pymatgen sorts
     * them; readers, pymatgen's included, build the same site either way),
     * so that read -> write -> read keeps every species where it was. */
    static const char *const site_keys[7] = {
        "_atom_site_type_symbol", "_atom_site_label",   "_atom_site_symmetry_multiplicity",
        "_atom_site_fract_x",     "_atom_site_fract_y", "_atom_site_fract_z",
        "_atom_site_occupancy"};
    /* pymatgen's CifParser gives the integer 1 as occupancy when the CIF has
     * no _atom_site_occupancy column, and CifWriter then prints "1" where it
     * prints "1.0" for a read occupancy: the source's tags tell which. */
    const char *const *occ_loop = NULL;
    int int_occupancy = s->tags && s->format && !strcmp(s->format, "cif") &&
                        mms_structure_loop(s, "_atom_site_occupancy", &occ_loop) == 0;
    if (rc == MMS_OK)
        rc = cif_loop_header(out, err, site_keys, 7);
    size_t row = 0;
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        const mms_site *site = &s->sites[i];
        for (int k = 0; k < site->n_species && rc == MMS_OK; k++) {
            char t[SPECIES_MAX], label[SPECIES_MAX + 24], occ[NUM_MAX];
            species_text(&site->species[k], t);
            snprintf(label, sizeof label, "%s%zu", mms_element_symbol(site->species[k].z), row++);
            if (int_occupancy && site->species[k].occupancy == 1.0)
                snprintf(occ, NUM_MAX, "1");
            else
                mms_py_float_repr(site->species[k].occupancy, occ, NUM_MAX);
            const char *vals[7] = {t,
                                   label,
                                   "1",
                                   num_text(n[0], site->frac[0]),
                                   num_text(n[1], site->frac[1]),
                                   num_text(n[2], site->frac[2]),
                                   occ};
            rc = cif_loop_row(out, err, vals, 7);
        }
    }
    return rc;
}

static int write_lattice_rows(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    int rc = MMS_OK;
    char n[3][NUM_MAX];
    for (int i = 0; i < 3 && rc == MMS_OK; i++)
        rc = buf_printf(out, err, "  %s %s %s\n", num_text(n[0], s->lattice[i][0]),
                        num_text(n[1], s->lattice[i][1]), num_text(n[2], s->lattice[i][2]));
    return rc;
}

int mms_write_poscar(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    int rc = require_ordered(s, "POSCAR", err);
    char reduced[512];
    if (rc == MMS_OK)
        rc = mms_structure_formula_reduced(s, reduced, sizeof reduced, err);
    if (rc == MMS_OK)
        rc = buf_printf(out, err, "%s\n1.0\n", reduced);
    if (rc == MMS_OK)
        rc = write_lattice_rows(s, out, err);
    /* Symbol line, then counts line, over runs of consecutive equal elements. */
    for (int pass = 0; pass < 2 && rc == MMS_OK; pass++) {
        for (size_t i = 0; i < s->n_sites && rc == MMS_OK;) {
            size_t j = i;
            while (j < s->n_sites && s->sites[j].species[0].z == s->sites[i].species[0].z)
                j++;
            if (pass == 0)
                rc = buf_printf(out, err, "%s%s", i ? " " : "",
                                mms_element_symbol(s->sites[i].species[0].z));
            else
                rc = buf_printf(out, err, "%s%zu", i ? " " : "", j - i);
            i = j;
        }
        if (rc == MMS_OK)
            rc = buf_printf(out, err, "\n");
    }
    if (rc == MMS_OK)
        rc = buf_printf(out, err, "direct\n");
    char n[3][NUM_MAX];
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++)
        rc = buf_printf(out, err, "  %s %s %s %s\n", num_text(n[0], s->sites[i].frac[0]),
                        num_text(n[1], s->sites[i].frac[1]),
                        num_text(n[2], s->sites[i].frac[2]),
                        mms_element_symbol(s->sites[i].species[0].z));
    return rc;
}

int mms_write_xyz(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    int rc = require_ordered(s, "XYZ", err);
    char n[9][NUM_MAX];
    if (rc == MMS_OK)
        rc = buf_printf(out, err,
                        "%zu\nLattice=\"%s %s %s %s %s %s %s %s %s\" "
                        "Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n",
                        s->n_sites, num_text(n[0], s->lattice[0][0]),
                        num_text(n[1], s->lattice[0][1]), num_text(n[2], s->lattice[0][2]),
                        num_text(n[3], s->lattice[1][0]), num_text(n[4], s->lattice[1][1]),
                        num_text(n[5], s->lattice[1][2]), num_text(n[6], s->lattice[2][0]),
                        num_text(n[7], s->lattice[2][1]), num_text(n[8], s->lattice[2][2]));
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        double c[3];
        mms_structure_cart(s, s->sites[i].frac, c);
        rc = buf_printf(out, err, "%s %s %s %s\n", mms_element_symbol(s->sites[i].species[0].z),
                        num_text(n[0], c[0]), num_text(n[1], c[1]), num_text(n[2], c[2]));
    }
    return rc;
}

int mms_write_text(const mms_structure *s, int full_precision, mms_buffer *out, mms_error *err)
{
    int rc = require_ordered(s, "crystal-text-llm text", err);
    char n[3][NUM_MAX];
    if (rc != MMS_OK)
        return rc;
    /* crystal-text-llm's get_crystal_string: lengths "{:.1f}", angles
     * str(int(x)) (truncated, not rounded), coordinates "{:.2f}". */
    if (full_precision)
        rc = buf_printf(out, err, "%s %s %s\n", num_text(n[0], s->abc[0]),
                        num_text(n[1], s->abc[1]), num_text(n[2], s->abc[2]));
    else
        rc = buf_printf(out, err, "%.1f %.1f %.1f\n", s->abc[0], s->abc[1], s->abc[2]);
    if (rc == MMS_OK) {
        if (full_precision)
            rc = buf_printf(out, err, "%s %s %s\n", num_text(n[0], s->angles[0]),
                            num_text(n[1], s->angles[1]), num_text(n[2], s->angles[2]));
        else
            rc = buf_printf(out, err, "%ld %ld %ld\n", (long)s->angles[0], (long)s->angles[1],
                            (long)s->angles[2]);
    }
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        char t[SPECIES_MAX];
        species_text(&s->sites[i].species[0], t);
        const double *f = s->sites[i].frac;
        if (full_precision)
            rc = buf_printf(out, err, "%s\n%s %s %s\n", t, num_text(n[0], f[0]),
                            num_text(n[1], f[1]), num_text(n[2], f[2]));
        else
            rc = buf_printf(out, err, "%s\n%.2f %.2f %.2f\n", t, f[0], f[1], f[2]);
    }
    return rc;
}
