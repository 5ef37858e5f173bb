/* Writer round trips and pymatgen layout comparison (see roundtrip.h).
 *
 * POSCAR and extended XYZ have no reader in the core (Open Babel reads them,
 * converting through Cartesian coordinates, so not bit for bit): here they
 * are read back by a strict parser of exactly what the writers print. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roundtrip.h"

const char *const rt_format_names[RT_NFMT] = {"cif", "text-full", "poscar", "xyz"};

static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int keep_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    mms_structure **out = ctx;
    if (!s) {
        (void)err;
        return MMS_EPARSE;
    }
    if (*out) {
        mms_structure_free(s);
        return MMS_EPARSE; /* one structure was written, one must come back */
    }
    *out = s;
    return MMS_OK;
}

static int rel_close(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)) || a == b;
}

/* Sites, species, occupancies and oxidation states identical. */
/* The CIF and text readers do what pymatgen's CifParser does: a coordinate
 * within 1e-4 of 1/3 or 2/3 becomes exactly that double.  A structure whose
 * coordinate was near but not at it (e.g. 1/3 + 1/3 from a symmetry
 * operation) therefore comes back snapped: reported apart, not as a failure. */
static int snapped(double was, double now)
{
    return (now == 1.0 / 3.0 || now == 2.0 / 3.0) && fabs(was - now) < 1e-12;
}

static int same_site(const mms_site *p, const mms_site *q)
{
    if (p->n_species != q->n_species)
        return 0;
    for (int k = 0; k < 3; k++)
        if (p->frac[k] != q->frac[k])
            return 0;
    for (int k = 0; k < p->n_species; k++) {
        const mms_species *x = &p->species[k], *y = &q->species[k];
        if (x->z != y->z || x->occupancy != y->occupancy || x->has_oxidation != y->has_oxidation ||
            (x->has_oxidation && x->oxidation != y->oxidation))
            return 0;
    }
    return 1;
}

/* The readers put sites in the order pymatgen's CifParser leaves them, and
 * that sort (CPython's, with NaN electronegativities for He, Ne, Ar...) is
 * not idempotent: such a structure can come back as a permutation of its
 * sites, every site exact.  Reported apart (4). */
static int permuted(const mms_structure *a, const mms_structure *b)
{
    if (a->n_sites != b->n_sites || a->n_sites > 5000)
        return 0;
    char *used = calloc(a->n_sites ? a->n_sites : 1, 1);
    int ok = used != NULL;
    for (size_t i = 0; ok && i < a->n_sites; i++) {
        size_t j = 0;
        while (j < b->n_sites && (used[j] || !same_site(&a->sites[i], &b->sites[j])))
            j++;
        if (j == b->n_sites)
            ok = 0;
        else
            used[j] = 1;
    }
    free(used);
    return ok;
}

static int same_sites(const mms_structure *a, const mms_structure *b, char *why, size_t n)
{
    int res = 1;
    if (a->n_sites == b->n_sites) {
        size_t i = 0;
        while (i < a->n_sites && same_site(&a->sites[i], &b->sites[i]))
            i++;
        if (i < a->n_sites && permuted(a, b))
            return 4;
    }
    if (a->n_sites != b->n_sites)
        return fail(why, n, "%zu sites became %zu", a->n_sites, b->n_sites);
    for (size_t i = 0; i < a->n_sites; i++) {
        const mms_site *p = &a->sites[i], *q = &b->sites[i];
        for (int k = 0; k < 3; k++)
            if (snapped(p->frac[k], q->frac[k]))
                res = 2;
            else if (p->frac[k] != q->frac[k])
                return fail(why, n, "site %zu coordinate %d: %.17g became %.17g", i, k,
                            p->frac[k], q->frac[k]);
        if (p->n_species != q->n_species)
            return fail(why, n, "site %zu: %d species became %d", i, p->n_species, q->n_species);
        for (int k = 0; k < p->n_species; k++) {
            const mms_species *x = &p->species[k], *y = &q->species[k];
            if (x->z != y->z || x->occupancy != y->occupancy ||
                x->has_oxidation != y->has_oxidation ||
                (x->has_oxidation && x->oxidation != y->oxidation))
                return fail(why, n, "site %zu species %d: Z %d occ %.17g ox %d/%.17g became "
                            "Z %d occ %.17g ox %d/%.17g", i, k, x->z, x->occupancy,
                            x->has_oxidation, x->oxidation, y->z, y->occupancy,
                            y->has_oxidation, y->oxidation);
        }
    }
    return res;
}

/* The lattice is rebuilt from (a, b, c, alpha, beta, gamma): parameters and
 * volume agree to 1e-12 relative; for CIF the printed parameters are the
 * structure's own doubles. */
static int same_parameters(const mms_structure *a, const mms_structure *b, char *why, size_t n)
{
    for (int k = 0; k < 3; k++) {
        if (!rel_close(a->abc[k], b->abc[k], 1e-12))
            return fail(why, n, "length %d: %.17g became %.17g", k, a->abc[k], b->abc[k]);
        if (!rel_close(a->angles[k], b->angles[k], 1e-12))
            return fail(why, n, "angle %d: %.17g became %.17g", k, a->angles[k], b->angles[k]);
    }
    if (!rel_close(a->volume, b->volume, 1e-12)) {
        /* A flat cell (impossible angles, volume ~0 against a*b*c) has no
         * volume digits to keep: rebuilding it from exact parameters moves
         * the volume by about sqrt(epsilon) * a*b*c.  Reported apart. */
        if (a->volume < 1e-6 * a->abc[0] * a->abc[1] * a->abc[2] &&
            b->volume < 1e-6 * b->abc[0] * b->abc[1] * b->abc[2])
            return 3;
        return fail(why, n, "volume %.17g became %.17g", a->volume, b->volume);
    }
    static const char *const tags[6] = {"_cell_length_a",   "_cell_length_b",
                                        "_cell_length_c",   "_cell_angle_alpha",
                                        "_cell_angle_beta", "_cell_angle_gamma"};
    for (int k = 0; k < 6 && b->tags; k++) {
        const char *t = mms_structure_tag(b, tags[k]);
        double want = k < 3 ? a->abc[k] : a->angles[k - 3];
        if (!t || strtod(t, NULL) != want)
            return fail(why, n, "%s printed as %s for %.17g", tags[k], t ? t : "(none)", want);
    }
    return 1;
}

/* Next line of text at *p (without its newline), or NULL at the end. */
static const char *next_line(const char **p, size_t *len)
{
    if (!**p)
        return NULL;
    const char *l = *p;
    const char *e = strchr(l, '\n');
    *len = e ? (size_t)(e - l) : strlen(l);
    *p = e ? e + 1 : l + *len;
    return l;
}

/* k numbers from a line into v; returns the position after them or NULL. */
static const char *numbers(const char *l, double *v, int k)
{
    for (int i = 0; i < k; i++) {
        char *end;
        v[i] = strtod(l, &end);
        if (end == l)
            return NULL;
        l = end;
    }
    return l;
}

static int read_symbol(const char *l, int *z)
{
    char sym[8];
    if (sscanf(l, " %7s", sym) != 1)
        return -1;
    *z = mms_element_z(sym);
    return *z > 0 ? 0 : -1;
}

static int check_poscar(const mms_structure *s, const char *t, char *why, size_t n)
{
    size_t len;
    const char *l;
    double v[3];
    next_line(&t, &len); /* title */
    next_line(&t, &len); /* scale */
    for (int i = 0; i < 3; i++) {
        if (!(l = next_line(&t, &len)) || !numbers(l, v, 3))
            return fail(why, n, "POSCAR lattice row %d unreadable", i);
        for (int k = 0; k < 3; k++)
            if (v[k] != s->lattice[i][k])
                return fail(why, n, "POSCAR lattice[%d][%d] %.17g became %.17g", i, k,
                            s->lattice[i][k], v[k]);
    }
    const char *syms = next_line(&t, &len), *counts = next_line(&t, &len);
    if (!syms || !counts || !next_line(&t, &len))
        return fail(why, n, "POSCAR header incomplete");
    /* groups: symbol i with count i, in site order */
    size_t site = 0;
    const char *sp = syms, *cp = counts;
    char sym[8];
    int used;
    while (sscanf(sp, " %7s%n", sym, &used) == 1) {
        sp += used;
        char *end;
        long cnt = strtol(cp, &end, 10);
        if (end == cp || cnt <= 0)
            return fail(why, n, "POSCAR counts do not match the symbols");
        cp = end;
        int z = mms_element_z(sym);
        for (long k = 0; k < cnt; k++, site++)
            if (site >= s->n_sites || s->sites[site].species[0].z != z)
                return fail(why, n, "POSCAR group %s does not match site %zu", sym, site);
        if (*sp == '\n' || *sp == '\0')
            break;
    }
    if (site != s->n_sites)
        return fail(why, n, "POSCAR holds %zu sites of %zu", site, s->n_sites);
    for (size_t i = 0; i < s->n_sites; i++) {
        int z;
        const char *rest;
        if (!(l = next_line(&t, &len)) || !(rest = numbers(l, v, 3)) || read_symbol(rest, &z))
            return fail(why, n, "POSCAR position %zu unreadable", i);
        for (int k = 0; k < 3; k++)
            if (v[k] != s->sites[i].frac[k])
                return fail(why, n, "POSCAR site %zu coordinate %d %.17g became %.17g", i, k,
                            s->sites[i].frac[k], v[k]);
        if (z != s->sites[i].species[0].z)
            return fail(why, n, "POSCAR site %zu element changed", i);
    }
    return 1;
}

/* Fractional coordinates from Cartesian ones: solve f * L = c. */
static void to_frac(const double l[3][3], const double c[3], double f[3])
{
    double inv[3][3];
    double det = l[0][0] * (l[1][1] * l[2][2] - l[1][2] * l[2][1]) -
                 l[0][1] * (l[1][0] * l[2][2] - l[1][2] * l[2][0]) +
                 l[0][2] * (l[1][0] * l[2][1] - l[1][1] * l[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int a = (j + 1) % 3, b = (j + 2) % 3, p = (i + 1) % 3, q = (i + 2) % 3;
            inv[i][j] = (l[a][p] * l[b][q] - l[a][q] * l[b][p]) / det;
        }
    for (int k = 0; k < 3; k++)
        f[k] = c[0] * inv[0][k] + c[1] * inv[1][k] + c[2] * inv[2][k];
}

static int check_xyz(const mms_structure *s, const char *t, char *why, size_t n)
{
    size_t len;
    const char *l = next_line(&t, &len);
    if (!l || strtoul(l, NULL, 10) != s->n_sites)
        return fail(why, n, "XYZ atom count line wrong");
    l = next_line(&t, &len);
    const char *lat = l ? strstr(l, "Lattice=\"") : NULL;
    double m[9];
    if (!lat || !numbers(lat + 9, m, 9))
        return fail(why, n, "XYZ comment line has no Lattice=\"...\"");
    for (int k = 0; k < 9; k++)
        if (m[k] != s->lattice[k / 3][k % 3])
            return fail(why, n, "XYZ lattice entry %d %.17g became %.17g", k,
                        s->lattice[k / 3][k % 3], m[k]);
    for (size_t i = 0; i < s->n_sites; i++) {
        int z;
        double c[3], f[3];
        if (!(l = next_line(&t, &len)) || read_symbol(l, &z))
            return fail(why, n, "XYZ atom %zu unreadable", i);
        while (*l == ' ')
            l++;
        l += strcspn(l, " ");
        if (!numbers(l, c, 3))
            return fail(why, n, "XYZ atom %zu has no position", i);
        to_frac(s->lattice, c, f);
        for (int k = 0; k < 3; k++)
            if (fabs(f[k] - s->sites[i].frac[k]) > 1e-12)
                return fail(why, n, "XYZ site %zu coordinate %d %.17g came back as %.17g", i, k,
                            s->sites[i].frac[k], f[k]);
        if (z != s->sites[i].species[0].z)
            return fail(why, n, "XYZ site %zu element changed", i);
    }
    return 1;
}

int rt_check(const mms_structure *s, int fmt, char *why, size_t n)
{
    mms_buffer b = {0};
    mms_error err;
    mms_error_clear(&err);
    int rc = fmt == RT_CIF      ? mms_write_cif(s, &b, &err)
             : fmt == RT_TEXT   ? mms_write_text(s, 1, &b, &err)
             : fmt == RT_POSCAR ? mms_write_poscar(s, &b, &err)
                                : mms_write_xyz(s, &b, &err);
    if (rc == MMS_EUNSUPPORTED && !s->is_ordered) {
        mms_buffer_free(&b);
        return 0;
    }
    if (rc != MMS_OK) {
        mms_buffer_free(&b);
        return fail(why, n, "write failed: %s", err.message);
    }
    int res;
    if (fmt == RT_POSCAR) {
        res = check_poscar(s, b.data, why, n);
    } else if (fmt == RT_XYZ) {
        res = check_xyz(s, b.data, why, n);
    } else {
        mms_structure *back = NULL;
        rc = fmt == RT_CIF ? mms_read_cif(b.data, b.len, NULL, keep_first, &back, &err)
                           : mms_read_text(b.data, b.len, NULL, keep_first, &back, &err);
        if (rc != MMS_OK || !back)
            res = fail(why, n, "written %s does not read back%s%s", rt_format_names[fmt],
                       rc != MMS_OK ? ": " : "", rc != MMS_OK ? err.message : "");
        else if ((res = same_sites(s, back, why, n)) > 0) {
            int p = same_parameters(s, back, why, n);
            res = p < 0 ? -1 : p == 3 && res == 1 ? 3 : res;
        }
        mms_structure_free(back);
    }
    mms_buffer_free(&b);
    return res;
}

/* ------------------------------------------------------- over inputs */

typedef struct run_ctx {
    rt_counts *c;
    long max_report, reported;
} run_ctx;

static int on_record(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    (void)values;
    (void)err;
    run_ctx *r = ctx;
    r->c->records++;
    if (!rec->structure) {
        r->c->unread++;
        return MMS_OK;
    }
    for (int f = 0; f < RT_NFMT; f++) {
        char why[512];
        int res = rt_check(rec->structure, f, why, sizeof why);
        if (res == 1)
            r->c->exact[f]++;
        else if (res == 2)
            r->c->snapped[f]++;
        else if (res == 3)
            r->c->flat[f]++;
        else if (res == 4)
            r->c->reordered[f]++;
        else if (res == 0)
            r->c->skipped[f]++;
        else {
            r->c->failed[f]++;
            if (r->reported++ < r->max_report)
                fprintf(stderr, "%s: record %s: %s: %s\n", rec->source, rec->id,
                        rt_format_names[f], why);
        }
    }
    return MMS_OK;
}

int rt_run_inputs(const char *const *inputs, size_t n, rt_counts *c, long max_report)
{
    memset(c, 0, sizeof *c);
    run_ctx r = {c, max_report, 0};
    mms_host *h = NULL;
    mms_pipeline *p = NULL;
    mms_error err;
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = 1;
    opt.on_record = on_record;
    opt.on_record_ctx = &r;
    int rc = mms_host_new(&h, &err);
    if (rc == MMS_OK)
        rc = mms_pipeline_new(&p, h, &opt, &err);
    if (rc == MMS_OK)
        rc = mms_pipeline_start(p, &err);
    for (size_t i = 0; i < n && rc == MMS_OK; i++)
        rc = mms_pipeline_add_input(p, inputs[i], "input", &err);
    cJSON *summary = NULL;
    if (rc == MMS_OK)
        rc = mms_pipeline_finish(p, &summary, &err);
    if (rc != MMS_OK)
        fprintf(stderr, "roundtrip: %s\n", err.message);
    cJSON_Delete(summary);
    mms_pipeline_free(p);
    mms_host_free(h);
    return rc;
}

/* ------------------------------------------------------------ layout */

/* CIF tokens: whitespace-separated, quotes kept whole, comments dropped. */
static size_t tokens(const char *t, const char ***out)
{
    size_t n = 0, cap = 64;
    const char **v = malloc(cap * sizeof *v);
    while (v && *t) {
        if (isspace((unsigned char)*t)) {
            t++;
            continue;
        }
        if (*t == '#') {
            t += strcspn(t, "\n");
            continue;
        }
        if (n == cap) {
            const char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                return 0;
            }
            v = nv;
        }
        v[n++] = t;
        if (*t == '\'' || *t == '"') {
            const char *e = strchr(t + 1, *t);
            t = e ? e + 1 : t + strlen(t);
        } else {
            while (*t && !isspace((unsigned char)*t))
                t++;
        }
    }
    *out = v;
    return v ? n : 0;
}

static size_t token_len(const char *t)
{
    if (*t == '\'' || *t == '"') {
        const char *e = strchr(t + 1, *t);
        return e ? (size_t)(e - t) + 1 : strlen(t);
    }
    size_t n = 0;
    while (t[n] && !isspace((unsigned char)t[n]))
        n++;
    return n;
}

/* Numbers: equal at pymatgen's 8 decimals (*exact) or within 1e-6 (*close);
 * with `periodic`, equal modulo 1 (the readers wrap coordinates into [0, 1)
 * as pymatgen's CifParser does; the fixture CIFs were written before that). */
static int same_token(const char *a, const char *b, int periodic, long *exact, long *close)
{
    size_t la = token_len(a), lb = token_len(b);
    if (la == lb && !memcmp(a, b, la))
        return 1;
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (ea != a + la || eb != b + lb)
        return 0;
    char r8[64];
    snprintf(r8, sizeof r8, "%.8f", y);
    if (strlen(r8) == la && !memcmp(r8, a, la)) {
        (*exact)++;
        return 1;
    }
    double d = fabs(x - y);
    if (periodic)
        d = fabs(d - nearbyint(d));
    /* pymatgen's CifParser (and our readers) snap coordinates within 1e-4
     * (relative) of 1/3 or 2/3 to exactly that. */
    double w = periodic ? x - floor(x) : x;
    int snap = periodic && (y == 1.0 / 3.0 || y == 2.0 / 3.0) && fabs(1 - w / y) < 1e-4;
    if (d <= 1e-6 * fmax(1.0, fabs(x)) || snap) {
        (*close)++;
        return 1;
    }
    return 0;
}

/* An atom_site row (7 tokens) against another: the label's number is the
 * row's index, so only its element part must agree. */
static int same_row(const char *const *a, const char *const *b, long *exact, long *close)
{
    for (int k = 0; k < 7; k++) {
        if (k == 1) {
            size_t la = strcspn(a[k], "0123456789"), lb = strcspn(b[k], "0123456789");
            if (la != lb || memcmp(a[k], b[k], la))
                return 0;
        } else if (!same_token(a[k], b[k], k >= 3 && k <= 5, exact, close)) {
            return 0;
        }
    }
    return 1;
}

int rt_layout(const char *text, size_t len, long *exact, long *close, char *why, size_t n)
{
    mms_structure *s = NULL;
    mms_error err;
    if (mms_read_cif(text, len, NULL, keep_first, &s, &err) != MMS_OK || !s) {
        mms_structure_free(s);
        return 0;
    }
    mms_buffer b = {0};
    int res = mms_write_cif(s, &b, &err) == MMS_OK ? 1 : fail(why, n, "%s", err.message);
    mms_structure_free(s);
    char *theirs = strndup(text, len);
    const char **ta = NULL, **tb = NULL;
    size_t na = res == 1 && theirs ? tokens(theirs, &ta) : 0;
    size_t nb = res == 1 ? tokens(b.data, &tb) : 0;
    if (res == 1 && na != nb)
        res = fail(why, n, "%zu tokens in pymatgen's CIF, %zu in ours", na, nb);
    /* Items and loop headers in order, up to the last atom_site column. */
    size_t head = 0;
    for (size_t i = 0; res == 1 && i < na; i++)
        if (!strncmp(ta[i], "_atom_site_occupancy", 20))
            head = i + 1;
    for (size_t i = 0; res == 1 && i < head; i++)
        if (!same_token(ta[i], tb[i], 0, exact, close))
            res = fail(why, n, "token %zu: pymatgen '%.*s', ours '%.*s'", i,
                       (int)token_len(ta[i]), ta[i], (int)token_len(tb[i]), tb[i]);
    /* Site rows as a set: the readers order sites as pymatgen's CifParser
     * does, the fixture CIFs keep the order of the structure pymatgen wrote. */
    size_t rows = (na - head) / 7;
    char *used = res == 1 ? calloc(rows + 1, 1) : NULL;
    if (res == 1 && (!used || (na - head) % 7))
        res = fail(why, n, "atom_site rows are not 7 tokens each");
    for (size_t r = 0; res == 1 && r < rows; r++) {
        size_t q = 0;
        while (q < rows && (used[q] || !same_row(ta + head + 7 * r, tb + head + 7 * q, exact,
                                                 close)))
            q++;
        if (q == rows)
            res = fail(why, n, "pymatgen's site row %zu (%.*s ...) is not in ours", r,
                       (int)token_len(ta[head + 7 * r]), ta[head + 7 * r]);
        else
            used[q] = 1;
    }
    free(used);
    free(ta);
    free(tb);
    free(theirs);
    mms_buffer_free(&b);
    return res;
}

char *rt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}
