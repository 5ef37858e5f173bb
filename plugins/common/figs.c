/* Report figures from mergeable counts (figs.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figjson.h"
#include "figs.h"

const char *const mmsc_fig_series_names[MMSC_FIG_NSERIES] = {"generated", "reference"};

int mmsc_fig_series_of(const char *set)
{
    if (set && !strcmp(set, "reference"))
        return MMSC_FIG_REFERENCE;
    if (set && !strcmp(set, "train"))
        return -1;
    return MMSC_FIG_GENERATED;
}

int mmsc_fig_counts_init(mmsc_fig_counts *h, size_t n)
{
    memset(h, 0, sizeof *h);
    h->c = calloc(n ? n : 1, sizeof *h->c);
    h->n = n;
    return h->c ? MMS_OK : MMS_ENOMEM;
}

void mmsc_fig_counts_free(mmsc_fig_counts *h)
{
    free(h->c);
    memset(h, 0, sizeof *h);
}

void mmsc_fig_counts_add(mmsc_fig_counts *h, double lo, double width, double x)
{
    if (!isfinite(x))
        return;
    double k = floor((x - lo) / width);
    if (k < 0)
        h->under++;
    else if (k >= (double)h->n)
        h->over++;
    else
        h->c[(size_t)k]++;
}

cJSON *mmsc_fig_counts_save(const mmsc_fig_counts *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *bins = cJSON_AddArrayToObject(o, "bins");
    int bad = !o || !bins;
    for (size_t i = 0; !bad && i < h->n; i++) {
        if (!h->c[i])
            continue;
        double pair[2] = {(double)i, (double)h->c[i]};
        cJSON *p = cJSON_CreateDoubleArray(pair, 2);
        bad = !p || !cJSON_AddItemToArray(bins, p);
    }
    bad = bad || !cJSON_AddNumberToObject(o, "under", (double)h->under) ||
          !cJSON_AddNumberToObject(o, "over", (double)h->over);
    if (bad) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int count_of(const cJSON *v, long long *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9e15 ||
        v->valuedouble != floor(v->valuedouble))
        return 0;
    *out = (long long)v->valuedouble;
    return 1;
}

int mmsc_fig_counts_merge(mmsc_fig_counts *h, const cJSON *saved, const char *what,
                          mms_error *err)
{
    long long under, over;
    const cJSON *bins = cJSON_GetObjectItemCaseSensitive(saved, "bins");
    if (!cJSON_IsArray(bins) || !count_of(cJSON_GetObjectItemCaseSensitive(saved, "under"), &under) ||
        !count_of(cJSON_GetObjectItemCaseSensitive(saved, "over"), &over))
        return mms_error_set(err, MMS_EINVAL, 0, "saved %s: not {bins, under, over} counts", what);
    /* Checked whole before anything is added: a bad state changes nothing. */
    const cJSON *p;
    cJSON_ArrayForEach(p, bins) {
        long long i, c;
        if (cJSON_GetArraySize(p) != 2 || !count_of(cJSON_GetArrayItem(p, 0), &i) ||
            !count_of(cJSON_GetArrayItem(p, 1), &c) || (size_t)i >= h->n)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "saved %s: a bin is not [index < %zu, count]", what, h->n);
    }
    cJSON_ArrayForEach(p, bins)
        h->c[(size_t)cJSON_GetArrayItem(p, 0)->valuedouble] +=
            (long long)cJSON_GetArrayItem(p, 1)->valuedouble;
    h->under += under;
    h->over += over;
    return MMS_OK;
}

void mmsc_fig_counts_absorb(mmsc_fig_counts *dst, const mmsc_fig_counts *src)
{
    for (size_t i = 0; i < dst->n && i < src->n; i++)
        dst->c[i] += src->c[i];
    dst->under += src->under;
    dst->over += src->over;
}

/* The keys every figure has, from figjson.h; the caption comes last. */
static cJSON *figure(const mmsc_fig_text *t, const char *kind)
{
    return mmsc_figure_new(t->id, kind, t->section, t->title, NULL, t->x_label, t->y_label);
}

int mmsc_fig_histogram(cJSON *figs, const mmsc_fig_text *t, double lo, double width,
                       const mmsc_fig_counts *series, size_t max_bins)
{
    size_t first = SIZE_MAX, last = 0, n = series[0].n;
    long long under = 0, over = 0;
    for (int s = 0; s < MMSC_FIG_NSERIES; s++) {
        under += series[s].under;
        over += series[s].over;
        for (size_t i = 0; i < n; i++)
            if (series[s].c[i]) {
                first = i < first ? i : first;
                last = i > last ? i : last;
            }
    }
    if (first == SIZE_MAX)
        return MMS_OK;
    /* Groups of g bins aligned on multiples of g, so edges stay round. */
    size_t g = 1;
    while ((last - first) / g + 1 > max_bins) /* a power of two: 0.125, 0.25, 0.5... wide */
        g *= 2;
    size_t start = first - first % g, nb = (last - start) / g + 1;
    cJSON *f = figure(t, "histogram");
    cJSON *edges = f ? cJSON_AddArrayToObject(f, "edges") : NULL;
    double *v = malloc(nb * sizeof *v);
    int rc = f && edges && v ? MMS_OK : MMS_ENOMEM;
    for (size_t j = 0; rc == MMS_OK && j <= nb; j++)
        if (!cJSON_AddItemToArray(edges, cJSON_CreateNumber(lo + (double)(start + j * g) * width)))
            rc = MMS_ENOMEM;
    for (int s = 0; rc == MMS_OK && s < MMSC_FIG_NSERIES; s++) {
        long long total = 0;
        for (size_t j = 0; j < nb; j++) {
            v[j] = 0;
            for (size_t i = start + j * g; i < start + (j + 1) * g && i < n; i++)
                v[j] += (double)series[s].c[i];
            total += (long long)v[j];
        }
        if (total && !mmsc_figure_add_series(f, mmsc_fig_series_names[s], v, nb))
            rc = MMS_ENOMEM;
    }
    free(v);
    char cap[1024];
    int w = snprintf(cap, sizeof cap, "%s", t->caption ? t->caption : "");
    if (w >= 0 && (under || over) && (size_t)w < sizeof cap)
        snprintf(cap + w, sizeof cap - (size_t)w,
                 "%s%lld below %g and %lld at or above %g are not drawn.", w ? " " : "", under,
                 lo, over, lo + (double)n * width);
    if (rc == MMS_OK && (!cJSON_AddStringToObject(f, "caption", cap) || !cJSON_AddItemToArray(figs, f)))
        rc = MMS_ENOMEM;
    if (rc != MMS_OK)
        cJSON_Delete(f);
    return rc;
}

int mmsc_fig_bars(cJSON *figs, const mmsc_fig_text *t, const char *const *categories,
                  size_t n, const char *const *names, const long long *const *counts,
                  size_t ns, int only_nonzero)
{
    size_t *keep = malloc((n ? n : 1) * sizeof *keep), nk = 0;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!keep || !v) {
        free(keep);
        free(v);
        return MMS_ENOMEM;
    }
    long long all = 0;
    for (size_t i = 0; i < n; i++) {
        long long sum = 0;
        for (size_t s = 0; s < ns; s++)
            sum += counts[s][i];
        all += sum;
        if (sum || !only_nonzero)
            keep[nk++] = i;
    }
    int rc = MMS_OK;
    cJSON *f = all ? figure(t, "bars") : NULL;
    if (all) {
        cJSON *cats = f ? cJSON_AddArrayToObject(f, "categories") : NULL;
        rc = cats ? MMS_OK : MMS_ENOMEM;
        for (size_t j = 0; rc == MMS_OK && j < nk; j++)
            if (!cJSON_AddItemToArray(cats, cJSON_CreateString(categories[keep[j]])))
                rc = MMS_ENOMEM;
        for (size_t s = 0; rc == MMS_OK && s < ns; s++) {
            long long total = 0;
            for (size_t j = 0; j < nk; j++)
                total += counts[s][keep[j]], v[j] = (double)counts[s][keep[j]];
            if (total && !mmsc_figure_add_series(f, names[s], v, nk))
                rc = MMS_ENOMEM;
        }
        if (rc == MMS_OK && t->caption && !cJSON_AddStringToObject(f, "caption", t->caption))
            rc = MMS_ENOMEM;
        if (rc == MMS_OK && !cJSON_AddItemToArray(figs, f))
            rc = MMS_ENOMEM;
        if (rc != MMS_OK)
            cJSON_Delete(f);
    }
    free(keep);
    free(v);
    return rc;
}

int mmsc_fig_integer_bars(cJSON *figs, const mmsc_fig_text *t, const mmsc_fig_counts *series)
{
    size_t n = series[0].n, lo = n, hi = 0;
    for (int s = 0; s < MMSC_FIG_NSERIES; s++)
        for (size_t i = 0; i < n; i++)
            if (series[s].c[i]) {
                lo = i < lo ? i : lo;
                hi = i > hi ? i : hi;
            }
    if (lo > hi)
        return MMS_OK;
    size_t m = hi - lo + 1;
    char (*labels)[24] = malloc(m * sizeof *labels);
    const char **cats = malloc(m * sizeof *cats);
    int rc = labels && cats ? MMS_OK : MMS_ENOMEM;
    for (size_t i = 0; rc == MMS_OK && i < m; i++) {
        snprintf(labels[i], sizeof labels[i], "%zu", lo + i);
        cats[i] = labels[i];
    }
    const long long *per[MMSC_FIG_NSERIES];
    for (int s = 0; s < MMSC_FIG_NSERIES; s++)
        per[s] = series[s].c + lo;
    if (rc == MMS_OK)
        rc = mmsc_fig_bars(figs, t, cats, m, mmsc_fig_series_names, per, MMSC_FIG_NSERIES, 0);
    free(labels);
    free(cats);
    return rc;
}

/* ------------------------------------------------------------ diagnostics */

static const char *const severities[3] = {"error", "warning", "info"};
#define MAX_CODES 256   /* codes are a plugin's fixed list; a bound all the same */
#define MAX_MESSAGE 300 /* bytes of an example's file, id and message */

int mmsc_fig_diags_init(mmsc_fig_diags *t)
{
    t->codes = cJSON_CreateObject();
    return t->codes ? MMS_OK : MMS_ENOMEM;
}

void mmsc_fig_diags_free(mmsc_fig_diags *t)
{
    cJSON_Delete(t->codes);
    t->codes = NULL;
}

static cJSON *code_entry(mmsc_fig_diags *t, const char *code)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(t->codes, code);
    if (e || cJSON_GetArraySize(t->codes) >= MAX_CODES)
        return e;
    e = cJSON_AddObjectToObject(t->codes, code);
    if (e && (!cJSON_AddObjectToObject(e, "records") || !cJSON_AddArrayToObject(e, "examples"))) {
        cJSON_Delete(cJSON_DetachItemViaPointer(t->codes, e));
        return NULL;
    }
    return e;
}

static int bump(cJSON *e, const char *sev, double by)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "records");
    cJSON *c = cJSON_GetObjectItemCaseSensitive(r, sev);
    if (c) {
        cJSON_SetNumberValue(c, c->valuedouble + by);
        return MMS_OK;
    }
    return cJSON_AddNumberToObject(r, sev, by) ? MMS_OK : MMS_ENOMEM;
}

/* s cut to MAX_MESSAGE bytes, not inside a UTF-8 sequence: ids can be whole
 * CSV cells, and an example is a pointer to the record, not the record. */
static const char *cut(char buf[MAX_MESSAGE + 1], const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > MAX_MESSAGE) {
        n = MAX_MESSAGE;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf, s ? s : "", n);
    buf[n] = '\0';
    return buf;
}

static int add_example(cJSON *e, const char *source, const char *id, double line,
                       const char *sev, const char *message)
{
    cJSON *ex = cJSON_GetObjectItemCaseSensitive(e, "examples");
    if (cJSON_GetArraySize(ex) >= MMSC_FIG_EXAMPLES)
        return MMS_OK;
    char src[MAX_MESSAGE + 1], rid[MAX_MESSAGE + 1], msg[MAX_MESSAGE + 1];
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(ex, o))
        return cJSON_Delete(o), MMS_ENOMEM;
    int bad = !cJSON_AddStringToObject(o, "source", cut(src, source)) ||
              !cJSON_AddStringToObject(o, "id", cut(rid, id)) ||
              !cJSON_AddNumberToObject(o, "line", line) ||
              !cJSON_AddStringToObject(o, "severity", sev ? sev : "") ||
              !cJSON_AddStringToObject(o, "message", cut(msg, message));
    return bad ? MMS_ENOMEM : MMS_OK;
}

/* Whether an earlier diagnostic of the list, before `d`, has the same
 * code (and, with sev, the same severity): a record counts once per code. */
static int seen_before(const cJSON *list, const cJSON *d, const char *code, const char *sev)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, list) {
        if (x == d)
            return 0;
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "code"));
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "severity"));
        if (c && !strcmp(c, code) && (!sev || (s && !strcmp(s, sev))))
            return 1;
    }
    return 0;
}

int mmsc_fig_diags_add(mmsc_fig_diags *t, const mms_record *rec, const cJSON *list)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, list) {
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "code"));
        const char *sev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "severity"));
        if (!code || !sev || seen_before(list, d, code, sev))
            continue;
        cJSON *e = code_entry(t, code);
        if (!e)
            continue; /* past MAX_CODES */
        int rc = bump(e, sev, 1);
        if (rc == MMS_OK && !seen_before(list, d, code, NULL))
            rc = add_example(e, rec->source, rec->id, (double)rec->line, sev,
                             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "message")));
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}

cJSON *mmsc_fig_diags_save(const mmsc_fig_diags *t)
{
    return cJSON_Duplicate(t->codes, 1);
}

int mmsc_fig_diags_merge(mmsc_fig_diags *t, const cJSON *saved, mms_error *err)
{
    if (!cJSON_IsObject(saved))
        return mms_error_set(err, MMS_EINVAL, 0, "saved diagnostics tally is not an object");
    const cJSON *e, *x;
    cJSON_ArrayForEach(e, saved) {
        long long n;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "records"))
            if (!count_of(x, &n))
                return mms_error_set(err, MMS_EINVAL, 0,
                                     "saved diagnostics tally: %s has a count that is not one",
                                     e->string);
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e, "examples")))
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "saved diagnostics tally: %s has no examples array", e->string);
    }
    cJSON_ArrayForEach(e, saved) {
        cJSON *mine = code_entry(t, e->string);
        if (!mine)
            continue;
        int rc = MMS_OK;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "records"))
            if (rc == MMS_OK)
                rc = bump(mine, x->string, x->valuedouble);
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "examples")) {
            const cJSON *ln = cJSON_GetObjectItemCaseSensitive(x, "line");
            if (rc == MMS_OK)
                rc = add_example(
                    mine, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "source")),
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id")),
                    cJSON_IsNumber(ln) ? ln->valuedouble : 0,
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "severity")),
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "message")));
        }
        if (rc != MMS_OK)
            return mms_error_set(err, rc, 0, "out of memory");
    }
    return MMS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mmsc_fig_diags_report(cJSON *figs, const mmsc_fig_diags *t, const char *section,
                          const char *id_prefix, const char *what)
{
    size_t n = (size_t)cJSON_GetArraySize(t->codes);
    if (!n)
        return MMS_OK;
    const char **codes = malloc(n * sizeof *codes);
    long long *cnt = calloc(3 * n, sizeof *cnt);
    cJSON *table = NULL;
    int rc = codes && cnt ? MMS_OK : MMS_ENOMEM;
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, t->codes)
        if (codes)
            codes[k++] = e->string;
    if (rc == MMS_OK) {
        qsort(codes, n, sizeof *codes, by_name); /* the same order however shards came */
        for (size_t i = 0; i < n; i++)
            for (int s = 0; s < 3; s++) {
                const cJSON *c = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(t->codes, codes[i]), "records"),
                    severities[s]);
                cnt[s * n + i] = cJSON_IsNumber(c) ? (long long)c->valuedouble : 0;
            }
        char id[64], title[160], cap[400];
        snprintf(id, sizeof id, "%s_codes", id_prefix);
        snprintf(title, sizeof title, "%s: records with each diagnostic code", what);
        snprintf(cap, sizeof cap,
                 "Generated records (not diagnostics: a record counts once per code) carrying "
                 "each code, by severity; docs/diagnostics.md defines the codes.");
        mmsc_fig_text tx = {id, section, title, cap, "diagnostic code", "records"};
        const long long *per[3] = {cnt, cnt + n, cnt + 2 * n};
        rc = mmsc_fig_bars(figs, &tx, codes, n, severities, per, 3, 0);
    }
    if (rc == MMS_OK) {
        char id[64], title[160];
        snprintf(id, sizeof id, "%s_examples", id_prefix);
        snprintf(title, sizeof title, "%s: example records of each code", what);
        mmsc_fig_text tx = {id, section, title, NULL, NULL, NULL};
        table = figure(&tx, "table");
        cJSON *cols = table ? cJSON_AddArrayToObject(table, "columns") : NULL;
        cJSON *rows = table ? cJSON_AddArrayToObject(table, "rows") : NULL;
        static const char *const names[] = {"code", "severity", "file", "record", "line",
                                            "message"};
        rc = cols && rows ? MMS_OK : MMS_ENOMEM;
        for (int c = 0; rc == MMS_OK && c < 6; c++)
            if (!cJSON_AddItemToArray(cols, cJSON_CreateString(names[c])))
                rc = MMS_ENOMEM;
        for (size_t i = 0; rc == MMS_OK && i < n; i++) {
            const cJSON *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(t->codes, codes[i]),
                                      "examples")) {
                cJSON *r = cJSON_CreateArray();
                if (!r || !cJSON_AddItemToArray(rows, r)) {
                    cJSON_Delete(r);
                    rc = MMS_ENOMEM;
                    break;
                }
                static const char *const keys[] = {"severity", "source", "id", "line", "message"};
                cJSON_AddItemToArray(r, cJSON_CreateString(codes[i]));
                for (int c = 0; c < 5; c++) {
                    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, keys[c]);
                    cJSON_AddItemToArray(r, v ? cJSON_Duplicate(v, 1) : cJSON_CreateString(""));
                }
                if (cJSON_GetArraySize(r) != 6)
                    rc = MMS_ENOMEM;
            }
        }
        char cap[200];
        snprintf(cap, sizeof cap, "The first %d records of each code in input order (the "
                 "records file has every record's diagnostics).", MMSC_FIG_EXAMPLES);
        if (rc == MMS_OK && (!cJSON_AddStringToObject(table, "caption", cap) ||
                             !cJSON_AddItemToArray(figs, table)))
            rc = MMS_ENOMEM;
        if (rc == MMS_OK)
            table = NULL;
    }
    cJSON_Delete(table);
    free(codes);
    free(cnt);
    return rc;
}
