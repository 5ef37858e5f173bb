/* Readings of a CIF's claims with crystallographic conventions (stated.h).
 * Space-group symbols are resolved with spglib's own database of the 530
 * Hall settings (spg_get_spacegroup_type, spg_get_symmetry_from_database):
 * no table of ours to keep. */
#include "stated.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"

#define KEYS_PER_HALL 10
#define KEY_LEN 32

static char hall_keys[531][KEYS_PER_HALL][KEY_LEN];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

/* The symbol with blanks, '_' and ':' removed ("P 1 2_1/c 1" -> "P121/c1"),
 * followed by suffix; empty when it does not fit. */
static void make_key(char out[KEY_LEN], const char *p, size_t n, const char *suffix)
{
    size_t k = 0;
    for (size_t i = 0; i < n && p[i]; i++) {
        char c = p[i];
        if (c == ' ' || c == '\t' || c == '_' || c == ':' || c == '\n' || c == '\r')
            continue;
        if (k + 1 >= KEY_LEN) {
            out[0] = '\0';
            return;
        }
        out[k++] = c;
    }
    size_t ls = strlen(suffix);
    if (k == 0 || k + ls >= KEY_LEN) {
        out[0] = '\0';
        return;
    }
    memcpy(out + k, suffix, ls + 1);
}

static void add_keys(int hall, int *n, const char *p, size_t len, const char *choice)
{
    if (*n + 2 > KEYS_PER_HALL)
        return;
    make_key(hall_keys[hall][(*n)++], p, len, "");
    if (*choice)
        make_key(hall_keys[hall][(*n)++], p, len, choice);
}

static void build_keys(void)
{
    for (int h = 1; h <= 530; h++) {
        SpglibSpacegroupType t = spg_get_spacegroup_type(h);
        int n = 0;
        add_keys(h, &n, t.international_short, strlen(t.international_short), t.choice);
        add_keys(h, &n, t.international_full, strlen(t.international_full), t.choice);
        /* "P 2_1/c = P 1 1 2_1/b = P 2_1/b": every spelling of the setting */
        const char *p = t.international;
        for (;;) {
            const char *eq = strstr(p, " = ");
            size_t len = eq ? (size_t)(eq - p) : strlen(p);
            add_keys(h, &n, p, len, t.choice);
            if (!eq)
                break;
            p = eq + 3;
        }
    }
}

int sym_halls_of_symbol(const char *stated, int *halls, int max)
{
    char key[KEY_LEN];
    make_key(key, stated, strlen(stated), "");
    if (!*key)
        return 0;
    pthread_once(&keys_once, build_keys);
    int n = 0;
    for (int h = 1; h <= 530 && n < max; h++)
        for (int k = 0; k < KEYS_PER_HALL; k++)
            if (hall_keys[h][k][0] && !strcmp(hall_keys[h][k], key)) {
                halls[n++] = h;
                break;
            }
    return n;
}

static int same_rotation(const int a[3][3], const int b[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (a[i][j] != b[i][j])
                return 0;
    return 1;
}

static int same_translation(const double a[3], const double b[3], const double lattice[3][3],
                            double symprec)
{
    double v[3], w[3];
    for (int k = 0; k < 3; k++)
        v[k] = a[k] - b[k] - nearbyint(a[k] - b[k]);
    for (int k = 0; k < 3; k++)
        w[k] = lattice[k][0] * v[0] + lattice[k][1] * v[1] + lattice[k][2] * v[2];
    return sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]) < symprec;
}

int sym_missing_operations(int hall, const SpglibDataset *d, const double lattice[3][3],
                           double symprec, int *n_ops)
{
    int rot[192][3][3];
    double tr[192][3];
    int n = spg_get_symmetry_from_database(rot, tr, hall);
    int missing = 0;
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (int j = 0; j < d->n_operations && !found; j++)
            found = same_rotation((const int(*)[3])rot[k], (const int(*)[3])d->rotations[j]) &&
                    same_translation(tr[k], d->translations[j], lattice, symprec);
        missing += !found;
    }
    *n_ops = n;
    return missing;
}

/* The element of a type symbol: "Fe2+" -> Fe, "O2-" -> O; 0 if none. */
static int type_element(const char *t)
{
    if (!(t[0] >= 'A' && t[0] <= 'Z'))
        return 0;
    int z = 0;
    if (t[1] >= 'a' && t[1] <= 'z')
        z = mms_element_z_n(t, 2);
    return z ? z : mms_element_z_n(t, 1);
}

/* A CIF number with its standard uncertainty ("0.5(1)"); '?' and '.' are
 * "not given", read as full occupancy. */
static int cif_number(const char *v, double *x)
{
    if (!strcmp(v, "?") || !strcmp(v, ".")) {
        *x = 1.0;
        return 0;
    }
    char *end;
    *x = strtod(v, &end);
    return end != v && (*end == '\0' || *end == '(') && isfinite(*x) ? 0 : -1;
}

int sym_multiplicity_fits_formula(const mms_structure *s, const mmsc_formula *expected)
{
    const char *const *types = NULL, *const *mults = NULL, *const *occs = NULL;
    size_t nt = mms_structure_loop(s, "_atom_site_type_symbol", &types);
    size_t nm = mms_structure_loop(s, "_atom_site_symmetry_multiplicity", &mults);
    size_t no = mms_structure_loop(s, "_atom_site_occupancy", &occs);
    size_t n = nt < nm ? nt : nm;
    int z[MMSC_FORMULA_MAX_ELEMENTS];
    double sum[MMSC_FORMULA_MAX_ELEMENTS];
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        char *end;
        long m = strtol(mults[i], &end, 10);
        double occ = 1.0;
        int e = type_element(types[i]);
        if (*end != '\0' || end == mults[i] || m < 1 || !e ||
            (i < no && cif_number(occs[i], &occ) != 0))
            return 0;
        size_t k = 0;
        while (k < ne && z[k] != e)
            k++;
        if (k == ne) {
            if (ne == MMSC_FORMULA_MAX_ELEMENTS)
                return 0;
            z[ne] = e;
            sum[ne++] = 0;
        }
        sum[k] += (double)m * occ;
    }
    long units = 0;
    const char *zt = mms_structure_tag(s, "_cell_formula_units_Z");
    if (zt) {
        char *end;
        units = strtol(zt, &end, 10);
        if (*end != '\0' || units < 1)
            units = 0;
    }
    long factors[2] = {1, units};
    for (int f = 0; f < 2; f++) {
        if (factors[f] < 1 || ne != expected->n)
            continue;
        int fits = 1;
        for (size_t i = 0; i < expected->n && fits; i++) {
            double want = (double)factors[f] * expected->amount[i];
            size_t k = 0;
            while (k < ne && z[k] != mms_element_z(expected->symbol[i]))
                k++;
            fits = k < ne && fabs(sum[k] - want) <= 0.01 * want;
        }
        if (fits)
            return (int)factors[f];
    }
    return 0;
}
