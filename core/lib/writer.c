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
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
        b->data = p;
        b->cap = cap;
    }
}

/* Shortest "%.Ng" that strtod reads back as x (17 digits always suffice). */
static const char *fmt_double(char out[40], double x)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
    return out;
}

/* Species text as pymatgen prints it: "Fe", "Fe2+", "O2-", "Na+", "Fe2.5+". */
static void species_text(const mms_species *sp, char out[48])
{
    const char *sym = mms_element_symbol(sp->z);
    if (!sp->has_oxidation) {
        snprintf(out, 48, "%s", sym);
        return;
    }
    double mag = fabs(sp->oxidation);
    char num[40] = "";
    if (mag != 1.0)
        fmt_double(num, mag);
    snprintf(out, 48, "%s%s%c", sym, num, sp->oxidation < 0 ? '-' : '+');
}

static int require_ordered(const mms_structure *s, const char *what, mms_error *err)
{
    if (!s->is_ordered)
        return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                             "%s cannot hold a disordered structure (partial occupancies); "
                             "write CIF instead", what);
    return MMS_OK;
}

/* Elements in pymatgen's Composition.formula order: by electronegativity,
 * elements without one last, ties by atomic number. */
static int cmp_by_x(const void *pa, const void *pb)
{
    int za = *(const int *)pa, zb = *(const int *)pb;
    double xa = mms_element_x(za), xb = mms_element_x(zb);
    if (isnan(xa) != isnan(xb))
        return isnan(xa) ? 1 : -1;
    if (!isnan(xa) && xa != xb)
        return xa < xb ? -1 : 1;
    return (za > zb) - (za < zb);
}

static double amount_of(const mms_structure *s, int z)
{
    for (size_t i = 0; i < s->n_elements; i++)
        if (s->element_z[i] == z)
            return s->element_amount[i];
    return 0.0;
}

/* Formula units Z: the gcd of the amounts when they are all integers. */
static long formula_units(const mms_structure *s)
{
    long g = 0;
    for (size_t i = 0; i < s->n_elements; i++) {
        double a = s->element_amount[i];
        if (a != floor(a) || a < 1)
            return 1;
        long v = (long)a;
        while (v) {
            long t = g % v;
            g = v;
            v = t;
        }
    }
    return g > 0 ? g : 1;
}

int mms_write_cif(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    char reduced[512];
    int rc = mms_structure_formula_reduced(s, reduced, sizeof reduced, err);
    if (rc != MMS_OK)
        return rc;
    char n[6][40];
    rc = buf_printf(out, err,
                    "# generated using mmscore\ndata_%s\n"
                    "_symmetry_space_group_name_H-M   'P 1'\n"
                    "_cell_length_a   %s\n_cell_length_b   %s\n_cell_length_c   %s\n"
                    "_cell_angle_alpha   %s\n_cell_angle_beta   %s\n_cell_angle_gamma   %s\n"
                    "_symmetry_Int_Tables_number   1\n"
                    "_chemical_formula_structural   %s\n_chemical_formula_sum   '",
                    reduced, fmt_double(n[0], s->abc[0]), fmt_double(n[1], s->abc[1]),
                    fmt_double(n[2], s->abc[2]), fmt_double(n[3], s->angles[0]),
                    fmt_double(n[4], s->angles[1]), fmt_double(n[5], s->angles[2]), reduced);
    if (rc != MMS_OK)
        return rc;

    int *order = malloc((s->n_elements ? s->n_elements : 1) * sizeof *order);
    if (!order)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory writing a structure");
    for (size_t i = 0; i < s->n_elements; i++)
        order[i] = s->element_z[i];
    qsort(order, s->n_elements, sizeof *order, cmp_by_x);
    for (size_t i = 0; i < s->n_elements && rc == MMS_OK; i++)
        rc = buf_printf(out, err, "%s%s%s", i ? " " : "", mms_element_symbol(order[i]),
                        fmt_double(n[0], amount_of(s, order[i])));
    free(order);
    if (rc != MMS_OK)
        return rc;

    rc = buf_printf(out, err,
                    "'\n_cell_volume   %s\n_cell_formula_units_Z   %ld\n"
                    "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n"
                    "  1  'x, y, z'\n",
                    fmt_double(n[0], s->volume), formula_units(s));
    if (rc != MMS_OK)
        return rc;

    /* Oxidation states go in an _atom_type loop, one row per distinct species. */
    if (s->has_oxidation) {
        rc = buf_printf(out, err, "loop_\n _atom_type_symbol\n _atom_type_oxidation_number\n");
        for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++)
            for (int k = 0; k < s->sites[i].n_species && rc == MMS_OK; k++) {
                const mms_species *sp = &s->sites[i].species[k];
                int seen = 0;
                for (size_t j = 0; j <= i && !seen; j++)
                    for (int m = 0; m < (j == i ? k : s->sites[j].n_species); m++) {
                        const mms_species *o = &s->sites[j].species[m];
                        if (o->z == sp->z && o->has_oxidation == sp->has_oxidation &&
                            o->oxidation == sp->oxidation)
                            seen = 1;
                    }
                if (!seen) {
                    char t[48];
                    species_text(sp, t);
                    rc = buf_printf(out, err, "  %s  %s\n", t,
                                    fmt_double(n[0], sp->has_oxidation ? sp->oxidation : 0.0));
                }
            }
        if (rc != MMS_OK)
            return rc;
    }

    rc = buf_printf(out, err,
                    "loop_\n _atom_site_type_symbol\n _atom_site_label\n"
                    " _atom_site_symmetry_multiplicity\n _atom_site_fract_x\n"
                    " _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n");
    size_t row = 0;
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        const mms_site *site = &s->sites[i];
        for (int k = 0; k < site->n_species && rc == MMS_OK; k++) {
            char t[48];
            species_text(&site->species[k], t);
            rc = buf_printf(out, err, "  %s  %s%zu  1  %s  %s  %s  %s\n", t,
                            mms_element_symbol(site->species[k].z), row++,
                            fmt_double(n[0], site->frac[0]), fmt_double(n[1], site->frac[1]),
                            fmt_double(n[2], site->frac[2]),
                            fmt_double(n[3], site->species[k].occupancy));
        }
    }
    return rc;
}

static int write_lattice_rows(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    int rc = MMS_OK;
    char n[3][40];
    for (int i = 0; i < 3 && rc == MMS_OK; i++)
        rc = buf_printf(out, err, "  %s %s %s\n", fmt_double(n[0], s->lattice[i][0]),
                        fmt_double(n[1], s->lattice[i][1]), fmt_double(n[2], s->lattice[i][2]));
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
    char n[3][40];
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++)
        rc = buf_printf(out, err, "  %s %s %s %s\n", fmt_double(n[0], s->sites[i].frac[0]),
                        fmt_double(n[1], s->sites[i].frac[1]),
                        fmt_double(n[2], s->sites[i].frac[2]),
                        mms_element_symbol(s->sites[i].species[0].z));
    return rc;
}

int mms_write_xyz(const mms_structure *s, mms_buffer *out, mms_error *err)
{
    int rc = require_ordered(s, "XYZ", err);
    char n[9][40];
    if (rc == MMS_OK)
        rc = buf_printf(out, err,
                        "%zu\nLattice=\"%s %s %s %s %s %s %s %s %s\" "
                        "Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n",
                        s->n_sites, fmt_double(n[0], s->lattice[0][0]),
                        fmt_double(n[1], s->lattice[0][1]), fmt_double(n[2], s->lattice[0][2]),
                        fmt_double(n[3], s->lattice[1][0]), fmt_double(n[4], s->lattice[1][1]),
                        fmt_double(n[5], s->lattice[1][2]), fmt_double(n[6], s->lattice[2][0]),
                        fmt_double(n[7], s->lattice[2][1]), fmt_double(n[8], s->lattice[2][2]));
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        double c[3];
        mms_structure_cart(s, s->sites[i].frac, c);
        rc = buf_printf(out, err, "%s %s %s %s\n", mms_element_symbol(s->sites[i].species[0].z),
                        fmt_double(n[0], c[0]), fmt_double(n[1], c[1]), fmt_double(n[2], c[2]));
    }
    return rc;
}

int mms_write_text(const mms_structure *s, int full_precision, mms_buffer *out, mms_error *err)
{
    int rc = require_ordered(s, "crystal-text-llm text", err);
    char n[3][40];
    if (rc != MMS_OK)
        return rc;
    /* crystal-text-llm's get_crystal_string: lengths "{:.1f}", angles
     * str(int(x)) (truncated, not rounded), coordinates "{:.2f}". */
    if (full_precision)
        rc = buf_printf(out, err, "%s %s %s\n", fmt_double(n[0], s->abc[0]),
                        fmt_double(n[1], s->abc[1]), fmt_double(n[2], s->abc[2]));
    else
        rc = buf_printf(out, err, "%.1f %.1f %.1f\n", s->abc[0], s->abc[1], s->abc[2]);
    if (rc == MMS_OK) {
        if (full_precision)
            rc = buf_printf(out, err, "%s %s %s\n", fmt_double(n[0], s->angles[0]),
                            fmt_double(n[1], s->angles[1]), fmt_double(n[2], s->angles[2]));
        else
            rc = buf_printf(out, err, "%ld %ld %ld\n", (long)s->angles[0], (long)s->angles[1],
                            (long)s->angles[2]);
    }
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        char t[48];
        species_text(&s->sites[i].species[0], t);
        const double *f = s->sites[i].frac;
        if (full_precision)
            rc = buf_printf(out, err, "%s\n%s %s %s\n", t, fmt_double(n[0], f[0]),
                            fmt_double(n[1], f[1]), fmt_double(n[2], f[2]));
        else
            rc = buf_printf(out, err, "%s\n%.2f %.2f %.2f\n", t, f[0], f[1], f[2]);
    }
    return rc;
}
