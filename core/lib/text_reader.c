/* mms_read_text: the crystal-text-llm format.
 *
 *     4.1 4.1 4.1          lengths a b c (Å)
 *     90 90 90             angles alpha beta gamma (degrees)
 *     Ti                   element (or species such as Fe2+)
 *     0.50 0.50 0.50       its fractional coordinates
 *     ...                  further element / coordinate line pairs
 *
 * The reference (facebookresearch/crystal-text-llm, llama_sample.py parse_fn)
 * drops empty lines, builds a pymatgen Structure from
 * Lattice.from_parameters and the pairs, writes it as CIF and reads that back
 * (Structure.from_str).  We build the same structure directly and apply what
 * that CIF round trip does: coordinates near 1/3 and 2/3 become exact, and
 * two atoms closer than 1e-4 (fractional, periodic) make the structure
 * unreadable.  We are more tolerant than parse_fn about whitespace: runs of
 * spaces or tabs separate numbers and a trailing '\r' is ignored. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cif_internal.h"
#include "mmscore/elements.h"
#include "readers_internal.h"
#include "grow_internal.h"

typedef struct line_view {
    const char *p;
    size_t n;
    long line;
} line_view;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The numbers of one line; MMS_EPARSE naming the line unless exactly
 * `want` numbers are there. */
static int line_numbers(const line_view *l, double *v, int want, const char *what,
                        mms_error *err)
{
    int got = 0;
    size_t i = 0;
    while (i < l->n) {
        while (i < l->n && is_blank(l->p[i]))
            i++;
        if (i >= l->n)
            break;
        size_t j = i;
        while (j < l->n && !is_blank(l->p[j]))
            j++;
        double x;
        if (memchr(l->p + i, '(', j - i) || !cif_parse_number(l->p + i, j - i, &x) ||
            (j - i == 1 && l->p[i] == '.') || !isfinite(x))
            return mms_error_set(err, MMS_EPARSE, l->line, "expected %d numbers (%s), got '%.*s'",
                                 want, what, (int)(l->n > 60 ? 60 : l->n), l->p);
        if (got < want)
            v[got] = x;
        got++;
        i = j;
    }
    if (got != want)
        return mms_error_set(err, MMS_EPARSE, l->line, "expected %d numbers (%s), got %d", want,
                             what, got);
    return MMS_OK;
}

/* pymatgen's Species string: element symbol, then an optional oxidation
 * state written as digits followed by signs ("Fe2+", "O2-", "Na+"). */
static int line_species(const line_view *l, mms_species *sp, mms_error *err)
{
    size_t a = 0, b = l->n;
    while (a < b && is_blank(l->p[a]))
        a++;
    while (b > a && is_blank(l->p[b - 1]))
        b--;
    const char *s = l->p + a;
    size_t n = b - a, i = 0;
    if (i < n && s[i] >= 'A' && s[i] <= 'Z')
        i++;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
        i++;
    int z = mms_element_z_n(s, i);
    memset(sp, 0, sizeof *sp);
    sp->z = z;
    sp->occupancy = 1.0;
    if (z > 0 && i < n) {
        size_t d = i;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            i++;
        size_t signs = i;
        while (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        double mag = 1.0;
        if (i == n && signs > d && !cif_parse_number(s + d, signs - d, &mag))
            i = 0;
        if (i == n && i > signs) {
            sp->has_oxidation = 1;
            sp->oxidation = (s[signs] == '-' ? -mag : mag) * (double)(i - signs);
        } else {
            z = 0;
        }
    }
    if (z <= 0)
        return mms_error_set(err, MMS_EPARSE, l->line,
                             "expected an element symbol (e.g. Fe or Fe2+), got "
                             "'%.*s'",
                             (int)(n > 40 ? 40 : n), s);
    return MMS_OK;
}

static int coincide(const double a[3], const double b[3], double tol)
{
    for (int k = 0; k < 3; k++) {
        double d = a[k] - b[k];
        if (!(fabs(d - nearbyint(d)) < tol))
            return 0;
    }
    return 1;
}

static int read_text(const char *text, size_t len, const mms_read_options *opt,
                     mms_structure **out, mms_error *err)
{
    size_t max_line = opt && opt->max_line_len ? opt->max_line_len : MMS_DEFAULT_MAX_LINE;
    size_t max_sites = opt && opt->max_sites ? opt->max_sites : MMS_DEFAULT_MAX_SITES;
    double tol = opt && opt->merge_tol > 0 ? opt->merge_tol : 1e-4;
    long line0 = opt ? opt->line_offset : 0;

    /* non-empty lines, as parse_fn keeps them */
    size_t cap = 64, n = 0;
    line_view *lines = malloc(cap * sizeof *lines);
    if (!lines)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    const char *p = text, *end = text + len;
    long ln = line0;
    int rc = MMS_OK;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        ln++;
        if ((size_t)(e - p) > max_line) {
            rc = mms_error_set(err, MMS_ELIMIT, ln,
                               "line longer than %zu bytes (limit max_line_len)", max_line);
            break;
        }
        size_t k = (size_t)(e - p);
        if (k && p[k - 1] == '\r')
            k--;
        if (k) {
            if (n == cap) {
                if (n / 2 > max_sites + 2) {
                    rc = mms_error_set(err, MMS_ELIMIT, ln, "more than %zu atoms (limit max_sites)",
                                       max_sites);
                    break;
                }
                if (!mms_grow((void **)&lines, &cap, n + 1, sizeof *lines, 64)) {
                    rc = mms_error_set(err, MMS_ENOMEM, ln, "out of memory");
                    break;
                }
            }
            lines[n++] = (line_view){p, k, ln};
        }
        p = nl ? nl + 1 : end;
    }
    double abc[3], ang[3];
    if (ln == line0)
        ln = line0 + 1; /* an empty text still has a first line to point at */
    if (rc == MMS_OK && n < 2)
        rc = mms_error_set(err, MMS_EPARSE, ln,
                           "expected a lengths line and an angles line, got %zu "
                           "non-empty line(s)",
                           n);
    if (rc == MMS_OK)
        rc = line_numbers(&lines[0], abc, 3, "lattice lengths a b c", err);
    if (rc == MMS_OK)
        rc = line_numbers(&lines[1], ang, 3, "lattice angles alpha beta gamma", err);
    if (rc == MMS_OK && n % 2)
        rc = mms_error_set(err, MMS_EPARSE, lines[n - 1].line,
                           "element '%.*s' has no coordinate line after it: "
                           "expected \"x y z\"",
                           (int)(lines[n - 1].n > 40 ? 40 : lines[n - 1].n), lines[n - 1].p);
    if (rc == MMS_OK && n == 2)
        rc = mms_error_set(err, MMS_EPARSE, lines[1].line,
                           "expected element and coordinate lines after the angles");
    if (rc == MMS_OK && (n - 2) / 2 > max_sites)
        rc = mms_error_set(err, MMS_ELIMIT, lines[1].line, "%zu atoms, expected at most %zu (--max-atoms)",
                           (n - 2) / 2, max_sites);
    mms_structure *s = NULL;
    if (rc == MMS_OK) {
        double m[3][3];
        mms_lattice_from_parameters_capped(m, abc, ang); /* flat cells as the reference */
        rc = mms_structure_create(&s, m, err);
    }
    for (size_t i = 2; rc == MMS_OK && i + 1 < n; i += 2) {
        mms_site site = {.n_species = 1, .line = lines[i].line};
        rc = line_species(&lines[i], &site.species[0], err);
        if (rc == MMS_OK)
            rc = line_numbers(&lines[i + 1], site.frac, 3, "fractional coordinates x y z",
                              err);
        if (rc != MMS_OK)
            break;
        for (int k = 0; k < 3; k++)
            site.frac[k] = cif_ideal_fraction(site.frac[k]);
        const char *sym = mms_element_symbol(site.species[0].z);
        snprintf(site.label, sizeof site.label, "%s%zu", sym, s->n_sites);
        /* the CIF round trip merges such atoms into one over-full site */
        for (size_t j = 0; j < s->n_sites; j++)
            if (coincide(s->sites[j].frac, site.frac, tol)) {
                rc = mms_error_set(err, MMS_EPARSE, site.line,
                                   "atom at the same position as the atom of line %ld "
                                   "(closer than %g in fractional coordinates)",
                                   s->sites[j].line, tol);
                break;
            }
        if (rc == MMS_OK)
            rc = mms_structure_add_site(s, &site, max_sites, err);
    }
    free(lines);
    if (rc == MMS_OK) /* the order the reference's CIF round trip gives */
        rc = mms_structure_sort_sites_pymatgen(s, err);
    if (rc == MMS_OK)
        rc = mms_structure_finalize(s, err);
    if (rc != MMS_OK) {
        mms_structure_free(s);
        return rc;
    }
    s->format = "text";
    s->line = line0 + 1;
    *out = s;
    return MMS_OK;
}

int mms_read_text(const char *text, size_t len, const mms_read_options *opt, mms_structure_cb cb,
                  void *ctx, mms_error *err)
{
    mms_error_clear(err);
    if ((!text && len) || !cb)
        return mms_error_set(err, MMS_EINVAL, 0, "read_text: NULL text or callback");
    mms_structure *s = NULL;
    mms_error e;
    mms_error_clear(&e);
    int rc = read_text(text ? text : "", len, opt, &s, &e);
    if (rc == MMS_OK)
        cb(ctx, 0, s, NULL);
    else
        cb(ctx, 0, NULL, &e);
    return MMS_OK;
}
