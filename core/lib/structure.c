/* The structure model: construction, derived fields, and the numbers that
 * must agree with pymatgen 2022.11.7 (lattice parameters, volume, density,
 * reduced formula) and with CDVAE (reduced integer counts).
 * docs/readers.md states each definition and the reference it follows. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"
#include "readers_internal.h"
#include "grow_internal.h"

/* pymatgen's Composition.amount_tolerance: amounts below it do not count,
 * amounts this close to an integer are integers. */
#define AMOUNT_TOL 1e-8
/* numpy's NPY_PI (M_PI is not C17) */
#define PI 3.141592653589793238462643383279502884

/* ------------------------------------------------------------------ */
/* construction                                                        */

int mms_structure_create(mms_structure **out, const double lattice[3][3], mms_error *err)
{
    if (!out || !lattice)
        return mms_error_set(err, MMS_EINVAL, 0, "structure_create: NULL argument");
    mms_structure *s = calloc(1, sizeof *s);
    if (!s)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for a structure");
    memcpy(s->lattice, lattice, sizeof s->lattice);
    s->is_ordered = 1;
    s->struct_size = sizeof *s;
    *out = s;
    return MMS_OK;
}

/* Site capacity is not stored in the public struct; it is the next power of
 * two at or above n_sites (at least 8), so growth stays amortised O(1). */
static size_t site_capacity(size_t n)
{
    size_t cap = 8;
    while (cap < n)
        cap *= 2;
    return cap;
}

int mms_structure_add_site(mms_structure *s, const mms_site *site, size_t max_sites,
                           mms_error *err)
{
    if (!s || !site)
        return mms_error_set(err, MMS_EINVAL, 0, "add_site: NULL argument");
    if (site->n_species < 1 || site->n_species > MMS_MAX_SITE_SPECIES)
        return mms_error_set(err, MMS_EINVAL, site->line,
                             "site %s has %d species, expected 1..%d", site->label,
                             site->n_species, MMS_MAX_SITE_SPECIES);
    for (int k = 0; k < site->n_species; k++)
        if (site->species[k].z < 1 || site->species[k].z > MMS_MAX_Z)
            return mms_error_set(err, MMS_EINVAL, site->line,
                                 "site %s: atomic number %d is not an element", site->label,
                                 site->species[k].z);
    if (max_sites && s->n_sites >= max_sites)
        return mms_error_set(err, MMS_ELIMIT, site->line,
                             "more than %zu sites (limit max_sites)", max_sites);
    /* mms_structure has no capacity field (its layout is the ABI): the
     * capacity is the doubling rule's, recomputed from the count. */
    size_t cap = s->n_sites ? site_capacity(s->n_sites) : 0;
    if (!mms_grow((void **)&s->sites, &cap, s->n_sites + 1, sizeof *s->sites, 8))
        return mms_error_set(err, MMS_ENOMEM, site->line, "out of memory for sites");
    s->sites[s->n_sites] = *site;
    s->sites[s->n_sites].label[MMS_SITE_LABEL_MAX - 1] = '\0';
    s->n_sites++;
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* derived fields                                                      */

/* pymatgen's abs_cap: clamp to [-1, 1] before acos. */
static double abs_cap(double v)
{
    return v > 1.0 ? 1.0 : (v < -1.0 ? -1.0 : v);
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Lattice.volume: |(a x b) . c|, in that order of operations. */
static double cell_volume(const double m[3][3])
{
    double c[3] = {m[0][1] * m[1][2] - m[0][2] * m[1][1], m[0][2] * m[1][0] - m[0][0] * m[1][2],
                   m[0][0] * m[1][1] - m[0][1] * m[1][0]};
    return fabs(dot3(c, m[2]));
}

/* np.arccos as numpy 1.24 computes it on AVX-512 machines (its SVML
 * kernel), where the reference ran.  For |x| < 1e-6 that kernel returns
 * fl(pi/2 - x) with the double pi/2, without the low part glibc adds, so a
 * right-angled cell's gamma* is 1.5707963267948966 there and ...968 here;
 * the last bit moves lattice vectors by 1e-16 Å, which reorders CrystalNN
 * neighbours of equal weight.  Checked against numpy on 300,000 random
 * |x| < 1e-6 (all equal); outside that range numpy and glibc differ
 * without pattern, and glibc is kept (see docs/cif-parity.md). */
static double np_arccos(double x)
{
    return fabs(x) < 1e-6 ? PI / 2.0 - x : acos(x);
}

static void lattice_parameters(const double m[3][3], double abc[3], double angles[3])
{
    for (int i = 0; i < 3; i++)
        abc[i] = sqrt(dot3(m[i], m[i]));
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3, k = (i + 2) % 3;
        angles[i] = np_arccos(abs_cap(dot3(m[j], m[k]) / (abc[j] * abc[k]))) * 180.0 / PI;
    }
}

int mms_structure_finalize(mms_structure *s, mms_error *err)
{
    if (!s)
        return mms_error_set(err, MMS_EINVAL, 0, "finalize: NULL structure");
    lattice_parameters(s->lattice, s->abc, s->angles);
    s->volume = cell_volume(s->lattice);

    /* Composition by Z: a presence table over 118 elements keeps it sorted. */
    double amount[MMS_MAX_Z + 1] = {0};
    unsigned char seen[MMS_MAX_Z + 1] = {0};
    s->is_ordered = 1;
    s->has_oxidation = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        const mms_site *site = &s->sites[i];
        /* pymatgen's Site.is_ordered: one species with total occupancy 1. */
        if (site->n_species != 1 || site->species[0].occupancy != 1.0)
            s->is_ordered = 0;
        for (int k = 0; k < site->n_species; k++) {
            const mms_species *sp = &site->species[k];
            amount[sp->z] += sp->occupancy;
            seen[sp->z] = 1;
            if (sp->has_oxidation)
                s->has_oxidation = 1;
        }
    }
    int zs[MMS_MAX_Z];
    size_t n = 0;
    for (int z = 1; z <= MMS_MAX_Z; z++)
        if (seen[z])
            zs[n++] = z;
    free(s->element_z);
    free(s->element_amount);
    s->element_z = NULL;
    s->element_amount = NULL;
    s->n_elements = 0;
    if (n) {
        s->element_z = malloc(n * sizeof *s->element_z);
        s->element_amount = malloc(n * sizeof *s->element_amount);
        if (!s->element_z || !s->element_amount)
            return mms_error_set(err, MMS_ENOMEM, s->line, "out of memory for composition");
        for (size_t i = 0; i < n; i++) {
            s->element_z[i] = zs[i];
            s->element_amount[i] = amount[zs[i]];
        }
    }
    s->n_elements = n;
    return MMS_OK;
}

int mms_structure_new(mms_structure **out, const double lattice[3][3], size_t n,
                      const double positions[][3], const int z[], mms_error *err)
{
    if (!out || (n && (!positions || !z)))
        return mms_error_set(err, MMS_EINVAL, 0, "structure_new: NULL argument");
    *out = NULL;
    mms_structure *s = NULL;
    int rc = mms_structure_create(&s, lattice, err);
    for (size_t i = 0; rc == MMS_OK && i < n; i++) {
        mms_site site = {.n_species = 1};
        memcpy(site.frac, positions[i], sizeof site.frac);
        site.species[0].z = z[i];
        site.species[0].occupancy = 1.0;
        rc = mms_structure_add_site(s, &site, 0, err);
    }
    if (rc == MMS_OK)
        rc = mms_structure_finalize(s, err);
    if (rc != MMS_OK) {
        mms_structure_free(s);
        return rc;
    }
    *out = s;
    return MMS_OK;
}

int mms_structure_copy(mms_structure **out, const mms_structure *s, mms_error *err)
{
    if (!out || !s)
        return mms_error_set(err, MMS_EINVAL, 0, "structure_copy: NULL argument");
    *out = NULL;
    mms_structure *c = calloc(1, sizeof *c);
    if (!c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory copying a structure");
    *c = *s;
    c->struct_size = sizeof *c;
    c->sites = NULL;
    c->element_z = NULL;
    c->element_amount = NULL;
    c->name = NULL;
    c->tags = NULL;
    int ok = 1;
    if (s->n_sites) {
        c->sites = malloc(site_capacity(s->n_sites) * sizeof *c->sites);
        if ((ok = c->sites != NULL))
            memcpy(c->sites, s->sites, s->n_sites * sizeof *c->sites);
    }
    if (ok && s->n_elements) {
        c->element_z = malloc(s->n_elements * sizeof *c->element_z);
        c->element_amount = malloc(s->n_elements * sizeof *c->element_amount);
        if ((ok = c->element_z && c->element_amount)) {
            memcpy(c->element_z, s->element_z, s->n_elements * sizeof *c->element_z);
            memcpy(c->element_amount, s->element_amount,
                   s->n_elements * sizeof *c->element_amount);
        }
    }
    if (ok && s->name)
        ok = (c->name = strdup(s->name)) != NULL;
    if (ok)
        ok = mms_tags_copy(&c->tags, s->tags) == MMS_OK;
    if (!ok) {
        mms_structure_free(c);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory copying a structure");
    }
    *out = c;
    return MMS_OK;
}

void mms_structure_free(mms_structure *s)
{
    if (!s)
        return;
    free(s->sites);
    free(s->element_z);
    free(s->element_amount);
    free(s->name);
    mms_tags_free(s->tags);
    free(s);
}

/* ------------------------------------------------------------------ */
/* lattice from parameters                                             */

int mms_lattice_from_parameters_capped(double lattice[3][3], const double abc[3],
                                       const double angles[3])
{
    const double deg = PI / 180.0; /* np.radians multiplies by pi/180 */
    double ca = cos(angles[0] * deg), cb = cos(angles[1] * deg), cg = cos(angles[2] * deg);
    double sa = sin(angles[0] * deg), sb = sin(angles[1] * deg);
    double val = (ca * cb - cg) / (sa * sb);
    int impossible = !(fabs(val) <= 1.0);
    double gamma_star = np_arccos(abs_cap(val));
    double m[3][3] = {{abc[0] * sb, 0.0, abc[0] * cb},
                      {-abc[1] * sa * cos(gamma_star), abc[1] * sa * sin(gamma_star), abc[1] * ca},
                      {0.0, 0.0, abc[2]}};
    memcpy(lattice, m, sizeof m);
    return impossible;
}

int mms_lattice_from_parameters(double lattice[3][3], const double abc[3], const double angles[3],
                                mms_error *err)
{
    if (!lattice || !abc || !angles)
        return mms_error_set(err, MMS_EINVAL, 0, "lattice_from_parameters: NULL argument");
    for (int i = 0; i < 3; i++) {
        if (!isfinite(abc[i]) || abc[i] <= 0.0)
            return mms_error_set(err, MMS_ECOMPUTE, 0, "cell length %g is not positive", abc[i]);
        if (!isfinite(angles[i]) || angles[i] <= 0.0 || angles[i] >= 180.0)
            return mms_error_set(err, MMS_ECOMPUTE, 0, "cell angle %g is not in (0, 180)",
                                 angles[i]);
    }
    if (mms_lattice_from_parameters_capped(lattice, abc, angles) || cell_volume(lattice) == 0.0)
        return mms_error_set(err, MMS_ECOMPUTE, 0,
                             "angles %g %g %g admit no cell (pymatgen would build a flat one)",
                             angles[0], angles[1], angles[2]);
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* mass and density                                                    */

void mms_structure_cart(const mms_structure *s, const double frac[3], double cart[3])
{
    for (int j = 0; j < 3; j++)
        cart[j] = frac[0] * s->lattice[0][j] + frac[1] * s->lattice[1][j] +
                  frac[2] * s->lattice[2][j];
}

double mms_structure_mass(const mms_structure *s)
{
    double w = 0.0;
    for (size_t i = 0; s && i < s->n_sites; i++)
        for (int k = 0; k < s->sites[i].n_species; k++)
            w += s->sites[i].species[k].occupancy * mms_element_mass(s->sites[i].species[k].z);
    return w;
}

double mms_structure_density(const mms_structure *s)
{
    /* Structure.density: Mass(w, "amu").to("g") / (V * Length(1, "ang").to("cm")**3)
     * with pymatgen's unit factors (amu = 1.6605390666e-27 kg, scipy CODATA
     * 2018), computed in the same order so the doubles agree. */
    const double amu_g = 1.6605390666e-27 / 1e-3;
    const double ang_cm = 1e-10 / 1e-2;
    double cm3 = pow(ang_cm, 3);
    return mms_structure_mass(s) * amu_g / (s->volume * cm3);
}

/* ------------------------------------------------------------------ */
/* reduced formula (pymatgen Composition.reduced_formula)              */

/* pymatgen sorts with Python's sorted().  Where an electronegativity is NaN
 * (He, Ne, Ar, Z >= 104) comparisons stop being a total order, and the
 * result depends on which comparisons the sort makes.  CPython 3.11 sorts a
 * list of fewer than 64 items by taking its leading run (reversed if strictly
 * descending) and inserting every later item by binary search; those exact
 * comparisons are made here, so short lists (every real composition, the
 * sites of most cells) come out as pymatgen's.  Longer lists are insertion-
 * sorted in chunks and merged stably: identical to CPython whenever the order
 * is total, possibly not with NaN keys (docs/readers.md says so). */

/* Length of the sorted run at the start of v, made ascending. */
static size_t leading_run(int *v, size_t n, py_less lt, const void *ctx)
{
    if (n < 2)
        return n;
    size_t k = 2;
    if (lt(ctx, v[1], v[0])) {
        while (k < n && lt(ctx, v[k], v[k - 1]))
            k++;
        for (size_t a = 0, b = k - 1; a < b; a++, b--) {
            int t = v[a];
            v[a] = v[b];
            v[b] = t;
        }
    } else {
        while (k < n && !lt(ctx, v[k], v[k - 1]))
            k++;
    }
    return k;
}

/* v[0..sorted) is sorted: insert each later item after its equals. */
static void insert_rest(int *v, size_t sorted, size_t n, py_less lt, const void *ctx)
{
    for (size_t i = sorted ? sorted : 1; i < n; i++) {
        int x = v[i];
        size_t lo = 0, hi = i;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (lt(ctx, x, v[mid]))
                hi = mid;
            else
                lo = mid + 1;
        }
        memmove(v + lo + 1, v + lo, (i - lo) * sizeof *v);
        v[lo] = x;
    }
}

static void sort_short(int *v, size_t n, py_less lt, const void *ctx)
{
    insert_rest(v, leading_run(v, n, lt, ctx), n, lt, ctx);
}

#define PY_SHORT 64

int mms_py_sort(int *v, size_t n, py_less lt, const void *ctx)
{
    if (n < PY_SHORT) {
        sort_short(v, n, lt, ctx);
        return MMS_OK;
    }
    int *tmp = malloc(n * sizeof *v);
    if (!tmp)
        return MMS_ENOMEM;
    const size_t chunk = PY_SHORT / 2;
    for (size_t lo = 0; lo < n; lo += chunk)
        sort_short(v + lo, n - lo < chunk ? n - lo : chunk, lt, ctx);
    /* Bottom-up merges; on ties the left item goes first, so it is stable. */
    for (size_t width = chunk; width < n; width *= 2) {
        for (size_t lo = 0; lo + width < n; lo += 2 * width) {
            size_t mid = lo + width, hi = mid + width < n ? mid + width : n;
            size_t a = lo, b = mid, o = 0;
            while (a < mid && b < hi)
                tmp[o++] = lt(ctx, v[b], v[a]) ? v[b++] : v[a++];
            while (a < mid)
                tmp[o++] = v[a++];
            while (b < hi)
                tmp[o++] = v[b++];
            memcpy(v + lo, tmp, o * sizeof *v);
        }
    }
    free(tmp);
    return MMS_OK;
}

static void py_sorted(int *v, size_t n, py_less lt, const void *ctx)
{
    if (mms_py_sort(v, n, lt, ctx) != MMS_OK) /* out of memory: still sorted, in place */
        insert_rest(v, 1, n, lt, ctx);
}

/* key [X, symbol]: Python compares lists element by element, NaN != NaN. */
static int less_x_symbol(const void *ctx, int a, int b)
{
    (void)ctx;
    double xa = mms_element_x(a), xb = mms_element_x(b);
    if (!(xa == xb))
        return xa < xb;
    return strcmp(mms_element_symbol(a), mms_element_symbol(b)) < 0;
}

static int less_x(const void *ctx, int a, int b)
{
    (void)ctx;
    return mms_element_x(a) < mms_element_x(b);
}

/* Python's round(x, 8) followed by str(): correctly rounded to 8 decimals,
 * then the shortest repr of the resulting double. */
static size_t py_round8_str(double x, char *buf, size_t n)
{
    char tmp[400];
    if (isfinite(x) && fabs(x) < 1e300) {
        snprintf(tmp, sizeof tmp, "%.8f", x);
        x = strtod(tmp, NULL);
    }
    return mms_py_float_repr(x, buf, n);
}

size_t mms_py_float_repr(double x, char *buf, size_t n)
{
    if (n == 0)
        return 0;
    if (isnan(x))
        return (size_t)snprintf(buf, n, "nan");
    if (isinf(x))
        return (size_t)snprintf(buf, n, x < 0 ? "-inf" : "inf");
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    /* e = [-]d[.ddd]e[+-]XX: split into digits and decimal exponent */
    const char *p = e;
    int neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp10 = atoi(p + 1);
    int decpt = exp10 + 1; /* position of the decimal point after digit 0 */
    char out[64];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (decpt <= -4 || decpt > 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+',
                              abs(exp10));
    } else if (decpt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -decpt; i++)
            out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        for (int i = 0; i < decpt; i++)
            out[o++] = (size_t)i < nd ? digits[i] : '0';
        out[o++] = '.';
        if ((size_t)decpt < nd) {
            memcpy(out + o, digits + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        } else {
            out[o++] = '0';
        }
    }
    out[o] = '\0';
    snprintf(buf, n, "%s", out);
    return o;
}

/* A growing output string that reports truncation once at the end. */
typedef struct outbuf {
    char *buf;
    size_t cap, len;
} outbuf;

static void out_str(outbuf *o, const char *s)
{
    size_t k = strlen(s);
    if (o->len + k < o->cap)
        memcpy(o->buf + o->len, s, k + 1);
    else if (o->cap)
        o->buf[o->cap - 1] = '\0';
    o->len += k;
}

/* formula_double_format(amount, ignore_ones) */
static void out_amount(outbuf *o, double amt, int ignore_ones)
{
    char tmp[64];
    if (ignore_ones && amt == 1.0)
        return;
    double t = trunc(amt);
    if (fabs(amt - t) < AMOUNT_TOL && fabs(t) < 1e18)
        snprintf(tmp, sizeof tmp, "%lld", (long long)t);
    else
        py_round8_str(amt, tmp, sizeof tmp);
    out_str(o, tmp);
}

static long long gcd_ll(long long a, long long b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* pymatgen's reduce_formula over integer amounts (indexed by Z), with its
 * poly-anion rule: when the last two elements by electronegativity differ by
 * less than 1.65, they are written as a group "(XY)n" if they share a
 * further factor. */
static void reduce_formula(outbuf *o, const int *order, size_t n, const long long *amt)
{
    long long factor = 0;
    for (size_t i = 0; i < n; i++)
        factor = gcd_ll(factor, amt[order[i]]);
    if (factor == 0)
        factor = 1;
    size_t shown = n;
    char poly[128] = "";
    if (n >= 3 && mms_element_x(order[n - 1]) - mms_element_x(order[n - 2]) < 1.65) {
        int pair[2] = {order[n - 2], order[n - 1]};
        long long pa = amt[pair[0]] / factor, pb = amt[pair[1]] / factor;
        long long pf = gcd_ll(pa, pb);
        if (pf != 1 && pf != 0) {
            /* the pair is sorted again by [X, symbol] inside the recursion */
            py_sorted(pair, 2, less_x_symbol, NULL);
            long long pamt[MMS_MAX_Z + 1] = {0};
            pamt[order[n - 2]] = pa;
            pamt[order[n - 1]] = pb;
            outbuf po = {poly, sizeof poly, 0};
            out_str(&po, "(");
            for (int k = 0; k < 2; k++) {
                out_str(&po, mms_element_symbol(pair[k]));
                out_amount(&po, (double)pamt[pair[k]] / (double)pf, 1);
            }
            char tail[32];
            snprintf(tail, sizeof tail, ")%lld", pf);
            out_str(&po, tail);
            shown = n - 2;
        }
    }
    for (size_t i = 0; i < shown; i++) {
        out_str(o, mms_element_symbol(order[i]));
        out_amount(o, (double)amt[order[i]] / (double)factor, 1);
    }
    out_str(o, poly);
}

/* Species of the structure's composition in pymatgen's dict order (first
 * appearance over sites), merged by (Z, oxidation) as pymatgen's dict keys. */
typedef struct species_amt {
    int z, has_ox;
    double ox, amount;
} species_amt;

static const char *const special_formulas[][2] = {
    {"LiO", "Li2O2"}, {"NaO", "Na2O2"}, {"KO", "K2O2"}, {"HO", "H2O2"},
    {"CsO", "Cs2O2"}, {"RbO", "Rb2O2"}, {"O", "O2"},    {"N", "N2"},
    {"F", "F2"},      {"Cl", "Cl2"},    {"H", "H2"},
};

/* The formula of element amounts (el_amt indexed by Z, elements in
 * Composition order in order[0..ne)); all_int as pymatgen decides it. */
static int formula_reduced(int *order, size_t ne, const double *el_amt, int all_int, char *buf,
                           size_t n, mms_error *err)
{
    outbuf o = {buf, n, 0};
    buf[0] = '\0';
    if (!all_int) {
        /* Composition.formula without spaces: sorted by X alone */
        py_sorted(order, ne, less_x, NULL);
        for (size_t e = 0; e < ne; e++) {
            out_str(&o, mms_element_symbol(order[e]));
            out_amount(&o, el_amt[order[e]], 0);
        }
    } else {
        long long amt[MMS_MAX_Z + 1] = {0};
        for (size_t e = 0; e < ne; e++) {
            if (fabs(el_amt[order[e]]) > 1e18) {
                return mms_error_set(err, MMS_ECOMPUTE, 0, "amount of %s too large",
                                     mms_element_symbol(order[e]));
            }
            amt[order[e]] = (long long)nearbyint(el_amt[order[e]]);
        }
        py_sorted(order, ne, less_x_symbol, NULL);
        reduce_formula(&o, order, ne, amt);
        for (size_t k = 0; o.len < n && k < sizeof special_formulas / sizeof *special_formulas;
             k++)
            if (strcmp(buf, special_formulas[k][0]) == 0) {
                o.len = 0;
                out_str(&o, special_formulas[k][1]);
                break;
            }
    }
    if (o.len >= n)
        return mms_error_set(err, MMS_ELIMIT, 0, "formula needs %zu bytes, buffer has %zu",
                             o.len + 1, n);
    return MMS_OK;
}

int mms_structure_formula_reduced(const mms_structure *s, char *buf, size_t n, mms_error *err)
{
    if (!s || !buf || n == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "formula_reduced: NULL or empty buffer");
    /* per-species amounts in first-appearance order */
    size_t cap = 0, ns = 0;
    species_amt *sp = NULL;
    for (size_t i = 0; i < s->n_sites; i++)
        cap += (size_t)s->sites[i].n_species;
    if (cap && !(sp = malloc(cap * sizeof *sp)))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for formula");
    for (size_t i = 0; i < s->n_sites; i++)
        for (int k = 0; k < s->sites[i].n_species; k++) {
            const mms_species *x = &s->sites[i].species[k];
            size_t j = 0;
            while (j < ns && !(sp[j].z == x->z && sp[j].has_ox == x->has_oxidation &&
                               (!x->has_oxidation || sp[j].ox == x->oxidation)))
                j++;
            if (j == ns)
                sp[ns++] = (species_amt){x->z, x->has_oxidation, x->oxidation, 0.0};
            sp[j].amount += x->occupancy;
        }
    /* Composition() drops amounts below the tolerance; elements keep the
     * order in which their first kept species appears */
    double el_amt[MMS_MAX_Z + 1] = {0};
    int order[MMS_MAX_Z];
    size_t ne = 0;
    int all_int = 1;
    for (size_t j = 0; j < ns; j++) {
        if (fabs(sp[j].amount) < AMOUNT_TOL)
            continue;
        if (fabs(sp[j].amount - nearbyint(sp[j].amount)) >= AMOUNT_TOL)
            all_int = 0;
        int seen = 0;
        for (size_t e = 0; e < ne; e++)
            seen |= order[e] == sp[j].z;
        if (!seen)
            order[ne++] = sp[j].z;
        el_amt[sp[j].z] += sp[j].amount;
    }
    free(sp);
    return formula_reduced(order, ne, el_amt, all_int, buf, n, err);
}

int mms_composition_formula_reduced(const int *z, const double *amount, size_t n_el,
                                    char *buf, size_t n, mms_error *err)
{
    if (!buf || n == 0 || (n_el && (!z || !amount)))
        return mms_error_set(err, MMS_EINVAL, 0, "formula_reduced: NULL or empty buffer");
    double el_amt[MMS_MAX_Z + 1] = {0};
    int order[MMS_MAX_Z];
    size_t ne = 0;
    int all_int = 1;
    for (size_t i = 0; i < n_el; i++) {
        if (z[i] < 1 || z[i] > MMS_MAX_Z)
            return mms_error_set(err, MMS_EINVAL, 0, "formula_reduced: no element Z=%d", z[i]);
        if (fabs(amount[i]) < AMOUNT_TOL)
            continue;
        if (fabs(amount[i] - nearbyint(amount[i])) >= AMOUNT_TOL)
            all_int = 0;
        int seen = 0;
        for (size_t e = 0; e < ne; e++)
            seen |= order[e] == z[i];
        if (!seen)
            order[ne++] = z[i];
        el_amt[z[i]] += amount[i];
    }
    return formula_reduced(order, ne, el_amt, all_int, buf, n, err);
}

/* CDVAE Crystal.get_composition: counts of each atom type divided by the gcd
 * of all counts. */
int mms_structure_counts_reduced(const mms_structure *s, int *counts, mms_error *err)
{
    if (!s || (s->n_elements && !counts))
        return mms_error_set(err, MMS_EINVAL, 0, "counts_reduced: NULL argument");
    long long g = 0;
    for (size_t i = 0; i < s->n_elements; i++) {
        double a = s->element_amount[i];
        if (!(fabs(a - nearbyint(a)) < AMOUNT_TOL) || a < 0.5 || a > 2e9)
            return mms_error_set(err, MMS_ECOMPUTE, 0,
                                 "amount %g of %s is not a whole number of atoms", a,
                                 mms_element_symbol(s->element_z[i]));
        g = gcd_ll(g, (long long)nearbyint(a));
    }
    for (size_t i = 0; i < s->n_elements; i++)
        counts[i] = (int)((long long)nearbyint(s->element_amount[i]) / g);
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* pymatgen's site order                                               */

/* Element/Species.__lt__: electronegativity (NaN as +inf), symbol, then
 * oxidation state. */
static int species_less(const mms_species *a, const mms_species *b)
{
    double xa = mms_element_x(a->z), xb = mms_element_x(b->z);
    if (isnan(xa))
        xa = INFINITY;
    if (isnan(xb))
        xb = INFINITY;
    if (xa != xb)
        return xa < xb;
    int c = strcmp(mms_element_symbol(a->z), mms_element_symbol(b->z));
    if (c)
        return c < 0;
    if (a->has_oxidation && a->oxidation != 0.0)
        return a->oxidation < (b->has_oxidation ? b->oxidation : 0.0);
    return 0;
}

static double site_amount(const mms_site *s, const mms_species *sp)
{
    for (int k = 0; k < s->n_species; k++)
        if (s->species[k].z == sp->z && s->species[k].has_oxidation == sp->has_oxidation &&
            (!sp->has_oxidation || s->species[k].oxidation == sp->oxidation))
            return s->species[k].occupancy;
    return 0.0;
}

/* Composition.__ge__ over the union of species in __lt__ order; the sort
 * uses not(a >= b). */
static int composition_ge(const mms_site *a, const mms_site *b)
{
    mms_species u[2 * MMS_MAX_SITE_SPECIES];
    int n = 0;
    for (int k = 0; k < a->n_species; k++)
        u[n++] = a->species[k];
    for (int k = 0; k < b->n_species; k++)
        if (site_amount(a, &b->species[k]) == 0.0)
            u[n++] = b->species[k];
    for (int i = 1; i < n; i++) /* insertion sort: a total order, any sort agrees */
        for (int j = i; j > 0 && species_less(&u[j], &u[j - 1]); j--) {
            mms_species t = u[j];
            u[j] = u[j - 1];
            u[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        double x = site_amount(a, &u[i]), y = site_amount(b, &u[i]);
        if (y - x >= AMOUNT_TOL)
            return 0;
        if (x - y >= AMOUNT_TOL)
            return 1;
    }
    return 1;
}

typedef struct site_keys {
    const mms_site *sites;
    double *avg_x;
    char (*str)[MMS_MAX_SITE_SPECIES * 24];
} site_keys;

static int less_composition(const void *ctx, int a, int b)
{
    const site_keys *k = ctx;
    return !composition_ge(&k->sites[a], &k->sites[b]);
}

/* Site.__lt__: average electronegativity, then species_string; with a NaN
 * average both tests are false and the strings decide. */
static int less_site(const void *ctx, int a, int b)
{
    const site_keys *k = ctx;
    if (k->avg_x[a] < k->avg_x[b])
        return 1;
    if (k->avg_x[a] > k->avg_x[b])
        return 0;
    return strcmp(k->str[a], k->str[b]) < 0;
}

/* str(Species): symbol, then formula_double_format(|oxidation|) and the sign. */
static void species_str(outbuf *o, const mms_species *sp)
{
    out_str(o, mms_element_symbol(sp->z));
    if (sp->has_oxidation) {
        out_amount(o, sp->oxidation >= 0 ? sp->oxidation : -sp->oxidation, 1);
        out_str(o, sp->oxidation >= 0 ? "+" : "-");
    }
}

static void site_string(const mms_site *s, char *buf, size_t n)
{
    outbuf o = {buf, n, 0};
    buf[0] = '\0';
    double total = 0;
    for (int k = 0; k < s->n_species; k++)
        total += s->species[k].occupancy;
    if (s->n_species == 1 && total == 1.0) {
        species_str(&o, &s->species[0]);
        return;
    }
    int idx[MMS_MAX_SITE_SPECIES];
    for (int k = 0; k < s->n_species; k++)
        idx[k] = k;
    for (int i = 1; i < s->n_species; i++)
        for (int j = i; j > 0 && species_less(&s->species[idx[j]], &s->species[idx[j - 1]]); j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (int k = 0; k < s->n_species; k++) {
        char amt[48];
        if (k)
            out_str(&o, ", ");
        species_str(&o, &s->species[idx[k]]);
        snprintf(amt, sizeof amt, ":%.3f", s->species[idx[k]].occupancy);
        out_str(&o, amt);
    }
}

int mms_structure_sort_sites_pymatgen(mms_structure *s, mms_error *err)
{
    size_t n = s->n_sites;
    if (n < 2)
        return MMS_OK;
    if (n > INT32_MAX)
        return mms_error_set(err, MMS_ELIMIT, s->line, "too many sites to sort");
    int *order = malloc(n * sizeof *order);
    site_keys k = {s->sites, malloc(n * sizeof *k.avg_x), malloc(n * sizeof *k.str)};
    mms_site *sorted = malloc(n * sizeof *sorted);
    int rc = order && k.avg_x && k.str && sorted ? MMS_OK : MMS_ENOMEM;
    for (size_t i = 0; rc == MMS_OK && i < n; i++) {
        const mms_site *site = &s->sites[i];
        double sum = 0, natoms = 0;
        for (int j = 0; j < site->n_species; j++) {
            sum += mms_element_x(site->species[j].z) * fabs(site->species[j].occupancy);
            natoms += fabs(site->species[j].occupancy);
        }
        k.avg_x[i] = sum / natoms;
        site_string(site, k.str[i], sizeof k.str[i]);
        order[i] = (int)i;
    }
    /* CifParser groups positions by composition (sorted), then
     * get_sorted_structure sorts the sites */
    if (rc == MMS_OK)
        rc = mms_py_sort(order, n, less_composition, &k);
    if (rc == MMS_OK)
        rc = mms_py_sort(order, n, less_site, &k);
    if (rc == MMS_OK) {
        for (size_t i = 0; i < n; i++)
            sorted[i] = s->sites[order[i]];
        memcpy(s->sites, sorted, n * sizeof *sorted);
    }
    free(order);
    free(k.avg_x);
    free(k.str);
    free(sorted);
    if (rc != MMS_OK)
        return mms_error_set(err, rc, s->line, "out of memory sorting sites");
    return MMS_OK;
}
