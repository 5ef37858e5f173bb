/* Reading the hull reference.  The formula of each entry is read as
 * pymatgen's Composition(formula) reads it (plugins/common/formula.c);
 * the reduced composition and atom count follow Composition's rules, since
 * the phase diagram groups and sorts entries by them. */
#include "hullref.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "formula.h"
#include "grow.h"
#include "mmscore/elements.h"
#include "read_each.h"

#define AMOUNT_TOL 1e-8

typedef struct builder {
    hull_ref *r;
    size_t cap, cap_arr, cap_el, n_el;
    long *line;
} builder;

/* Composition.get_reduced_composition_and_factor: integer amounts are
 * divided by their gcd, halved again where reduced_formula is one of the
 * special formulas (O2, N2, F2, Cl2, H2, Li2O2, Na2O2, K2O2, H2O2, Cs2O2,
 * Rb2O2); other amounts are kept. */
static void reduce_amounts(const unsigned char *z, const double *amt, size_t n, double *red)
{
    int all_int = 1;
    for (size_t i = 0; i < n; i++)
        if (fabs(amt[i] - nearbyint(amt[i])) >= AMOUNT_TOL)
            all_int = 0;
    double factor = 1;
    if (all_int) {
        long long g = 0;
        for (size_t i = 0; i < n; i++)
            g = mmsc_gcd_ll(g, (long long)nearbyint(amt[i]));
        factor = g ? (double)g : 1;
        int ones = 1;
        for (size_t i = 0; i < n; i++)
            ones &= nearbyint(amt[i]) == factor;
        int special = 0;
        if (ones && n == 1)
            special = z[0] == 8 || z[0] == 7 || z[0] == 9 || z[0] == 17 || z[0] == 1;
        else if (ones && n == 2 && (z[0] == 8 || z[1] == 8)) {
            int o = z[0] == 8 ? z[1] : z[0];
            special = o == 3 || o == 11 || o == 19 || o == 1 || o == 55 || o == 37;
        }
        if (special)
            factor /= 2;
    }
    for (size_t i = 0; i < n; i++)
        red[i] = amt[i] / factor;
}

static int fail(mms_error *err, const char *path, long line, const char *fmt, const char *a,
                const char *b)
{
    char msg[MMS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return mms_error_set(err, MMS_EPARSE, line, "%s:%ld: %s", path, line, msg);
}

static int parse_energy(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int add_entry(builder *b, const char *path, long line, const char *id, const char *formula,
                     const char *energy_text, const double *energy_num, mms_error *err)
{
    hull_ref *r = b->r;
    if (!id || !*id)
        return fail(err, path, line, "expected a non-empty id", NULL, NULL);
    double e;
    if (energy_num)
        e = *energy_num;
    else if (!energy_text || parse_energy(energy_text, &e) != 0)
        return fail(err, path, line, "energy: expected a finite number (total eV), got \"%s\"",
                    energy_text ? energy_text : "", NULL);
    if (!isfinite(e))
        return fail(err, path, line, "energy: expected a finite number (total eV)", NULL, NULL);
    mmsc_formula f;
    mms_error why; /* shown to 159 bytes, as since v0.1 (a hostile symbol can be 4 kB) */
    if (!formula || mmsc_formula_parse(formula, &f, &why) != MMS_OK)
        return fail(err, path, line, "formula \"%s\": %.159s", formula ? formula : "",
                    formula ? why.message : "missing");
    if (mmsc_grow((void **)&r->id, &b->cap, r->n + 1, sizeof *r->id) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (b->cap != b->cap_arr) { /* the per-entry arrays follow id's capacity (+1 for off) */
        void **arrays[] = {(void **)&r->off, (void **)&r->energy, (void **)&r->natoms,
                           (void **)&r->mask, (void **)&b->line};
        size_t sizes[] = {sizeof *r->off, sizeof *r->energy, sizeof *r->natoms,
                          sizeof *r->mask, sizeof *b->line};
        for (size_t k = 0; k < 5; k++) {
            void *q = realloc(*arrays[k], (b->cap + 1) * sizes[k]);
            if (!q)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            *arrays[k] = q;
        }
        b->cap_arr = b->cap;
    }
    size_t cap_el = b->cap_el;
    if (mmsc_grow((void **)&r->amt, &b->cap_el, b->n_el + f.n, sizeof *r->amt) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (b->cap_el != cap_el || !r->z) {
        void *q = realloc(r->z, b->cap_el);
        if (!q)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        r->z = q;
    }
    size_t i = r->n, start = b->n_el;
    hull_mask m = {{0, 0}};
    double natoms = 0;
    for (size_t k = 0; k < f.n; k++) {
        double a = f.amount[k];
        if (a < -AMOUNT_TOL)
            return fail(err, path, line, "formula \"%s\": negative amount of %s", formula,
                        f.symbol[k]);
        if (fabs(a) < AMOUNT_TOL)
            continue; /* pymatgen drops it */
        if (a > 1e15)
            return fail(err, path, line, "formula \"%s\": amount of %s too large", formula,
                        f.symbol[k]);
        int z = mms_element_z(f.symbol[k]);
        r->z[b->n_el] = (unsigned char)z;
        r->amt[b->n_el++] = a;
        natoms += fabs(a);
        hull_mask_add(&m, z);
    }
    if (b->n_el == start)
        return fail(err, path, line, "formula \"%s\": no atoms", formula, NULL);
    if (!(r->id[i] = strdup(id)))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    r->off[i] = start;
    r->off[i + 1] = b->n_el;
    r->energy[i] = e;
    r->natoms[i] = natoms;
    r->mask[i] = m;
    b->line[i] = line;
    r->n++;
    return MMS_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* ------------------------------------------------------------- reading */

/* The file is read by the core's CSV and JSONL readers (rows without a
 * structure are fields-only records): one reader, with its limits, quoting
 * and gzip, for every table mmscore takes. */
typedef struct loader {
    builder b;
    int jsonl;
} loader;

/* A CSV row's field by its column name, compared without surrounding blanks
 * (nor a UTF-8 byte order mark before the first): the first such column. */
static const cJSON *csv_field(const cJSON *fields, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, fields)
    {
        const char *k = it->string;
        if (it == fields->child && !strncmp(k, "\xEF\xBB\xBF", 3))
            k += 3;
        while (isspace((unsigned char)*k))
            k++;
        size_t n = strlen(k);
        while (n && isspace((unsigned char)k[n - 1]))
            n--;
        if (n == strlen(name) && !strncmp(k, name, n) && cJSON_IsString(it))
            return it;
    }
    return NULL;
}

static int add_csv_row(builder *b, const mms_record *rec, mms_error *err)
{
    const char *path = b->r->path;
    const cJSON *id = csv_field(rec->fields, "id"), *fo = csv_field(rec->fields, "formula");
    const cJSON *en = csv_field(rec->fields, "energy");
    if (!id || !fo || !en)
        return fail(err, path, 1, "expected a header naming the columns id, formula and energy",
                    NULL, NULL);
    char *ids = strdup(id->valuestring), *fos = strdup(fo->valuestring);
    int rc = ids && fos ? add_entry(b, path, rec->line, trim(ids), trim(fos), en->valuestring,
                                    NULL, err)
                        : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    free(ids);
    free(fos);
    return rc;
}

static int add_jsonl_object(builder *b, const mms_record *rec, mms_error *err)
{
    const char *path = b->r->path;
    long line = rec->line;
    const cJSON *o = rec->fields;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *fo = cJSON_GetObjectItemCaseSensitive(o, "formula");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "energy");
    char idbuf[64];
    const char *ids = NULL;
    if (cJSON_IsString(id))
        ids = id->valuestring;
    else if (cJSON_IsNumber(id)) {
        snprintf(idbuf, sizeof idbuf, "%.17g", id->valuedouble);
        ids = idbuf;
    }
    if (!cJSON_IsString(fo))
        return fail(err, path, line, "expected \"formula\": a string", NULL, NULL);
    if (cJSON_IsNumber(en))
        return add_entry(b, path, line, ids, fo->valuestring, NULL, &en->valuedouble, err);
    if (cJSON_IsString(en))
        return add_entry(b, path, line, ids, fo->valuestring, en->valuestring, NULL, err);
    return fail(err, path, line, "expected \"energy\": a number (total eV)", NULL, NULL);
}

/* One record of the file: an entry, or the error that stops the loading. */
static int on_entry(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    loader *ld = ctx;
    (void)values;
    if (rec->error) /* the reader's message names the file and line */
        return mms_error_set(err, rec->error->code, rec->error->line, "%s",
                             rec->error->message);
    if (!rec->fields)
        return fail(err, ld->b.r->path, rec->line, "expected the fields id, formula and energy",
                    NULL, NULL);
    return ld->jsonl ? add_jsonl_object(&ld->b, rec, err) : add_csv_row(&ld->b, rec, err);
}

/* JSONL by the name (.jsonl, .json, before a .gz) or by a first character
 * '{'; else CSV, as is a stream that cannot be looked at twice (a FIFO). */
static const char *ref_format(const char *path, const struct stat *st)
{
    size_t n = strlen(path);
    if (n > 3 && !strcmp(path + n - 3, ".gz"))
        n -= 3;
    if ((n > 6 && !strncmp(path + n - 6, ".jsonl", 6)) ||
        (n > 5 && !strncmp(path + n - 5, ".json", 5)))
        return "jsonl";
    if (!S_ISREG(st->st_mode))
        return "csv";
    FILE *fp = fopen(path, "rb");
    int c = fp ? getc(fp) : EOF;
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        c = getc(fp);
    if (fp)
        fclose(fp);
    return c == '{' ? "jsonl" : "csv";
}

/* ---------------------------------------------------------------- index */

static const hull_ref *sort_ref;
static const char *const *sort_ids;

static int cmp_mask(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const hull_mask *x = &sort_ref->mask[a], *y = &sort_ref->mask[b];
    if (x->w[1] != y->w[1])
        return x->w[1] < y->w[1] ? -1 : 1;
    if (x->w[0] != y->w[0])
        return x->w[0] < y->w[0] ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int cmp_id(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(sort_ids[a], sort_ids[b]);
    return c ? c : (a < b ? -1 : a > b);
}

/* qsort's comparators cannot take a context in C17; loading is done under
 * the caller's single thread (the plugin's create). */
static int build_index(builder *b, mms_error *err)
{
    hull_ref *r = b->r;
    size_t *ix = malloc((r->n + 1) * sizeof *ix);
    r->red = malloc((b->n_el + 1) * sizeof *r->red);
    r->sys_entries = malloc((r->n + 1) * sizeof *r->sys_entries);
    r->sys_mask = malloc((r->n + 1) * sizeof *r->sys_mask);
    r->sys_off = malloc((r->n + 2) * sizeof *r->sys_off);
    if (!ix || !r->red || !r->sys_entries || !r->sys_mask || !r->sys_off) {
        free(ix);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < r->n; i++) {
        ix[i] = i;
        size_t o = r->off[i], n = r->off[i + 1] - o;
        reduce_amounts(r->z + o, r->amt + o, n, r->red + o);
        if (n == 1)
            r->has_element[r->z[o]] = 1;
    }
    sort_ids = (const char *const *)r->id;
    qsort(ix, r->n, sizeof *ix, cmp_id);
    for (size_t i = 1; i < r->n; i++)
        if (!strcmp(r->id[ix[i - 1]], r->id[ix[i]])) {
            size_t later = ix[i] > ix[i - 1] ? ix[i] : ix[i - 1];
            size_t first = ix[i] > ix[i - 1] ? ix[i - 1] : ix[i];
            char l1[32];
            snprintf(l1, sizeof l1, "%ld", b->line[first]);
            int rc = fail(err, r->path, b->line[later], "duplicate id \"%s\" (first on line %s)",
                          r->id[later], l1);
            free(ix);
            return rc;
        }
    for (size_t i = 0; i < r->n; i++)
        ix[i] = i;
    sort_ref = r;
    qsort(ix, r->n, sizeof *ix, cmp_mask);
    r->n_sys = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || !hull_mask_eq(&r->mask[ix[i]], &r->mask[ix[i - 1]])) {
            r->sys_mask[r->n_sys] = r->mask[ix[i]];
            r->sys_off[r->n_sys++] = i;
        }
        r->sys_entries[i] = ix[i];
    }
    r->sys_off[r->n_sys] = r->n;
    free(ix);
    r->sys_cap = 16;
    while (r->sys_cap < 2 * r->n_sys)
        r->sys_cap *= 2;
    if (!(r->sys_tab = calloc(r->sys_cap, sizeof *r->sys_tab)))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    for (size_t s = 0; s < r->n_sys; s++) {
        size_t h = hull_mask_hash(&r->sys_mask[s]) & (r->sys_cap - 1);
        while (r->sys_tab[h])
            h = (h + 1) & (r->sys_cap - 1);
        r->sys_tab[h] = s + 1;
    }
    return MMS_OK;
}

/* Index of system m, or (size_t)-1 when no entry has exactly those elements. */
static size_t find_sys(const hull_ref *r, const hull_mask *m)
{
    for (size_t h = hull_mask_hash(m) & (r->sys_cap - 1); r->sys_tab[h];
         h = (h + 1) & (r->sys_cap - 1))
        if (hull_mask_eq(&r->sys_mask[r->sys_tab[h] - 1], m))
            return r->sys_tab[h] - 1;
    return (size_t)-1;
}

int hull_ref_load(const char *path, hull_ref **out, mms_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot open the hull reference: %s", path,
                             strerror(errno));
    if (S_ISDIR(st.st_mode))
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read the hull reference", path);
    hull_ref *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        hull_ref_free(r);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    const char *format = ref_format(path, &st);
    loader ld = {.b = {.r = r}, .jsonl = !strcmp(format, "jsonl")};
    /* a file named "-" is that file, not stdin */
    int rc = mmsc_read_each(strcmp(path, "-") ? path : "./-", "hull_ref", format, on_entry, &ld,
                            err);
    if (rc == MMS_OK && r->n == 0)
        rc = mms_error_set(err, MMS_EPARSE, 0, "%s: no entries in the hull reference", path);
    if (rc == MMS_OK)
        rc = build_index(&ld.b, err);
    free(ld.b.line);
    if (rc != MMS_OK) {
        hull_ref_free(r);
        return rc;
    }
    *out = r;
    return MMS_OK;
}

void hull_ref_free(hull_ref *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->id[i]);
    free(r->id);
    free(r->off);
    free(r->z);
    free(r->amt);
    free(r->red);
    free(r->energy);
    free(r->natoms);
    free(r->mask);
    free(r->sys_mask);
    free(r->sys_off);
    free(r->sys_entries);
    free(r->sys_tab);
    free(r->path);
    free(r);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t *hull_ref_subset(const hull_ref *r, const hull_mask *m, size_t *n, int *oom)
{
    *n = 0;
    *oom = 0;
    /* the systems inside m: by looking up each of its subsets when there are
     * fewer of those than systems, else by testing every system */
    int el[128], k = 0;
    for (int z = 1; z < 128; z++)
        if (m->w[z >> 6] >> (z & 63) & 1)
            el[k++] = z;
    size_t n_sub = k < 20 ? ((size_t)1 << k) - 1 : (size_t)-1;
    int enumerate = n_sub < r->n_sys;
    size_t cap = enumerate ? n_sub : r->n_sys, ns = 0, total = 0;
    size_t *sys = malloc((cap ? cap : 1) * sizeof *sys);
    if (!sys) {
        *oom = 1;
        return NULL;
    }
    if (enumerate) {
        for (size_t b = 1; b <= n_sub; b++) {
            hull_mask sm = {{0, 0}};
            for (int i = 0; i < k; i++)
                if (b >> i & 1)
                    hull_mask_add(&sm, el[i]);
            size_t s = find_sys(r, &sm);
            if (s != (size_t)-1)
                sys[ns++] = s;
        }
    } else {
        for (size_t s = 0; s < r->n_sys; s++)
            if (hull_mask_subset(&r->sys_mask[s], m))
                sys[ns++] = s;
    }
    for (size_t i = 0; i < ns; i++)
        total += r->sys_off[sys[i] + 1] - r->sys_off[sys[i]];
    size_t *ix = total ? malloc(total * sizeof *ix) : NULL;
    if (total && !ix)
        *oom = 1;
    for (size_t i = 0; ix && i < ns; i++) {
        size_t c = r->sys_off[sys[i] + 1] - r->sys_off[sys[i]];
        memcpy(ix + *n, r->sys_entries + r->sys_off[sys[i]], c * sizeof *ix);
        *n += c;
    }
    free(sys);
    if (ix)
        qsort(ix, *n, sizeof *ix, cmp_size);
    return ix;
}
