/* See compare.h.  Reference semantics: pymatgen's Structure.from_str takes
 * the first structure of the text, so "we read it" means some data block
 * gave a structure, and the first such block is compared. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mmscore/elements.h"
#include "mmscore/reader.h"

char *cmp_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(fp);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

void cmp_csv_split(const char *buf, size_t len,
                   void (*cell)(void *ctx, size_t row, size_t col, const char *p, size_t n),
                   void *ctx)
{
    size_t row = 0, col = 0, i = 0;
    char *tmp = malloc(len + 1);
    if (!tmp)
        return;
    while (i < len) {
        size_t n = 0;
        if (buf[i] == '"') {
            i++;
            while (i < len) {
                if (buf[i] == '"') {
                    if (i + 1 < len && buf[i + 1] == '"') {
                        tmp[n++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                tmp[n++] = buf[i++];
            }
        } else {
            while (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r')
                tmp[n++] = buf[i++];
        }
        tmp[n] = '\0';
        cell(ctx, row, col, tmp, n);
        if (i < len && buf[i] == ',') {
            col++;
            i++;
        } else {
            while (i < len && (buf[i] == '\r' || buf[i] == '\n')) {
                if (buf[i] == '\n') {
                    row++;
                    col = 0;
                }
                i++;
            }
        }
    }
    free(tmp);
}

/* ---- reading one text ---- */

typedef struct first_read {
    mms_structure *s;    /* first structure, owned */
    mms_error err;       /* first error, if no structure */
    int have_err;
} first_read;

static int keep_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    first_read *fr = ctx;
    if (s) {
        if (!fr->s)
            fr->s = s;
        else
            mms_structure_free(s);
    } else if (!fr->have_err) {
        fr->err = *err;
        fr->have_err = 1;
    }
    return 0;
}

static double rel(double a, double b)
{
    if (a == b)
        return 0;
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

static void check(cmp_stats *st, const char *id, const char *text, size_t len, const cJSON *ref,
                  FILE *log, size_t max_log, size_t *logged)
{
    first_read fr = {0};
    mms_error err;
    mms_read_cif(text, len, NULL, keep_first, &fr, &err);
    int ref_ok = cJSON_IsTrue(cJSON_GetObjectItem(ref, "parse_ok"));
    int ours = fr.s != NULL;
    st->rows++;
    st->ref_ok += ref_ok;
    st->ours_ok += ours;
#define DISAGREE(...)                                                                         \
    do {                                                                                      \
        if (log && *logged < max_log) {                                                      \
            fprintf(log, "  %s: ", id);                                                      \
            fprintf(log, __VA_ARGS__);                                                       \
            fputc('\n', log);                                                                 \
        }                                                                                     \
        ++*logged;                                                                            \
    } while (0)
    if (ref_ok != ours) {
        const cJSON *pe = cJSON_GetObjectItem(ref, "parse_error");
        DISAGREE("parse: pymatgen %s, mmscore %s (%s)", ref_ok ? "ok" : "fails",
                 ours ? "ok" : "fails",
                 ours ? (cJSON_IsString(pe) ? pe->valuestring : "") : fr.err.message);
        mms_structure_free(fr.s);
        return;
    }
    st->parse_agree++;
    if (!ours)
        return;
    st->both_ok++;
    const mms_structure *s = fr.s;
    const cJSON *ns = cJSON_GetObjectItem(ref, "parsed_n_sites");
    if (cJSON_IsNumber(ns) && (size_t)ns->valuedouble == s->n_sites)
        st->sites_agree++;
    else
        DISAGREE("n_sites: pymatgen %g, mmscore %zu", cJSON_IsNumber(ns) ? ns->valuedouble : -1,
                 s->n_sites);
    char f[512];
    const cJSON *pf = cJSON_GetObjectItem(ref, "parsed_formula");
    if (mms_structure_formula_reduced(s, f, sizeof f, NULL) == 0 && cJSON_IsString(pf) &&
        strcmp(pf->valuestring, f) == 0)
        st->formula_agree++;
    else
        DISAGREE("formula: pymatgen %s, mmscore %s", cJSON_IsString(pf) ? pf->valuestring : "?",
                 f);
    /* elements/counts exist where basic_eval's Crystal was built */
    const cJSON *els = cJSON_GetObjectItem(ref, "elements");
    const cJSON *cnt = cJSON_GetObjectItem(ref, "counts");
    if (cJSON_IsArray(els) && cJSON_IsArray(cnt)) {
        st->comp_checked++;
        int ok = (size_t)cJSON_GetArraySize(els) == s->n_elements;
        int counts[MMS_MAX_Z];
        if (ok)
            ok = mms_structure_counts_reduced(s, counts, NULL) == 0;
        for (size_t i = 0; ok && i < s->n_elements; i++) {
            const cJSON *e = cJSON_GetArrayItem(els, (int)i), *c = cJSON_GetArrayItem(cnt, (int)i);
            ok = cJSON_IsString(e) && strcmp(e->valuestring, mms_element_symbol(s->element_z[i])) == 0 &&
                 cJSON_IsNumber(c) && (int)c->valuedouble == counts[i];
        }
        if (ok)
            st->comp_agree++;
        else
            DISAGREE("elements/counts differ");
    }
    const cJSON *vol = cJSON_GetObjectItem(ref, "volume");
    if (cJSON_IsNumber(vol)) {
        st->volume_checked++;
        double r = rel(vol->valuedouble, s->volume);
        int flat = vol->valuedouble < 0.1;
        st->flat += flat;
        /* A flat cell's reference volume is rounding noise of basic_eval's
         * rebuild (docs/cif-parity.md): both below 0.1 is the agreement. */
        if (flat ? s->volume < 0.1 : r <= 1e-6) {
            st->volume_agree++;
            if (!flat && r > st->max_rel_volume)
                st->max_rel_volume = r;
        } else {
            DISAGREE("volume: pymatgen %.12g, mmscore %.12g", vol->valuedouble, s->volume);
        }
    }
    const cJSON *den = cJSON_GetObjectItem(ref, "density");
    if (cJSON_IsNumber(den) && !(cJSON_IsNumber(vol) && vol->valuedouble < 0.1)) {
        st->density_checked++;
        double d = mms_structure_density(s), r = rel(den->valuedouble, d);
        if (r <= 1e-9) {
            st->density_agree++;
            if (r > st->max_rel_density)
                st->max_rel_density = r;
        } else {
            DISAGREE("density: pymatgen %.15g, mmscore %.15g", den->valuedouble, d);
        }
    }
#undef DISAGREE
    mms_structure_free(fr.s);
}

/* ---- drivers ---- */

typedef struct csv_ctx {
    long cif_col, id_col;
    size_t row;
    char *cif, *id;
    size_t cif_len;
    FILE *ref;
    cmp_stats *st;
    FILE *log;
    size_t max_log, logged;
    char *line;
    size_t line_cap;
} csv_ctx;

static void finish_row(csv_ctx *c)
{
    if (!c->cif)
        return;
    ssize_t got = getline(&c->line, &c->line_cap, c->ref);
    cJSON *ref = got > 0 ? cJSON_Parse(c->line) : NULL;
    if (ref) {
        check(c->st, c->id ? c->id : "?", c->cif, c->cif_len, ref, c->log, c->max_log,
              &c->logged);
        cJSON_Delete(ref);
    }
    free(c->cif);
    free(c->id);
    c->cif = c->id = NULL;
}

static void on_cell(void *ctx, size_t row, size_t col, const char *p, size_t n)
{
    csv_ctx *c = ctx;
    if (row == 0) {
        if (strcmp(p, "cif") == 0)
            c->cif_col = (long)col;
        if (col == 0 || strcmp(p, "material_id") == 0 || strcmp(p, "id") == 0)
            c->id_col = (long)col;
        return;
    }
    if (row != c->row) {
        finish_row(c);
        c->row = row;
    }
    if ((long)col == c->cif_col) {
        c->cif = malloc(n + 1);
        memcpy(c->cif, p, n + 1);
        c->cif_len = n;
    }
    if ((long)col == c->id_col) {
        free(c->id);
        c->id = strdup(p);
    }
}

int cmp_csv(const char *csv_path, const char *ref_path, cmp_stats *st, FILE *log, size_t max_log)
{
    size_t len;
    char *buf = cmp_slurp(csv_path, &len);
    FILE *ref = fopen(ref_path, "r");
    if (!buf || !ref) {
        free(buf);
        if (ref)
            fclose(ref);
        return -1;
    }
    csv_ctx c = {.cif_col = -1, .id_col = 0, .row = 0, .ref = ref, .st = st, .log = log,
                 .max_log = max_log};
    cmp_csv_split(buf, len, on_cell, &c);
    finish_row(&c);
    free(c.line);
    free(buf);
    fclose(ref);
    return 0;
}

int cmp_folder(const char *dir, const char *ref_path, cmp_stats *st, FILE *log, size_t max_log)
{
    FILE *ref = fopen(ref_path, "r");
    if (!ref)
        return -1;
    char *line = NULL;
    size_t cap = 0, logged = 0;
    while (getline(&line, &cap, ref) > 0) {
        cJSON *r = cJSON_Parse(line);
        const cJSON *file = cJSON_GetObjectItem(r, "file");
        if (cJSON_IsString(file)) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, file->valuestring);
            size_t len;
            char *text = cmp_slurp(path, &len);
            if (text)
                check(st, file->valuestring, text, len, r, log, max_log, &logged);
            free(text);
        }
        cJSON_Delete(r);
    }
    free(line);
    fclose(ref);
    return 0;
}

void cmp_print_header(FILE *out)
{
    fprintf(out, "%-28s %6s %7s %7s %8s %9s %9s %11s %13s %13s %6s\n", "input", "rows",
            "ref_ok", "our_ok", "parse=", "n_sites=", "formula=", "comp=", "volume=",
            "density=", "flat");
}

void cmp_print(FILE *out, const char *name, const cmp_stats *st)
{
    char comp[32], vol[32], den[32];
    snprintf(comp, sizeof comp, "%zu/%zu", st->comp_agree, st->comp_checked);
    snprintf(vol, sizeof vol, "%zu/%zu", st->volume_agree, st->volume_checked);
    snprintf(den, sizeof den, "%zu/%zu", st->density_agree, st->density_checked);
    fprintf(out, "%-28s %6zu %7zu %7zu %8zu %4zu/%-4zu %4zu/%-4zu %11s %13s %13s %6zu\n", name,
            st->rows, st->ref_ok, st->ours_ok, st->parse_agree, st->sites_agree, st->both_ok,
            st->formula_agree, st->both_ok, comp, vol, den, st->flat);
}
