/* Reports: one JSON object per record for the records file, and the summary
 * as a readable table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/mmscore.h"
#include "pipeline_internal.h"

static void add_structure(cJSON *o, const mms_structure *s)
{
    char formula[1024];
    mms_error e;
    if (mms_structure_formula_reduced(s, formula, sizeof formula, &e) == MMS_OK)
        cJSON_AddStringToObject(o, "formula", formula);
    else
        cJSON_AddNullToObject(o, "formula");
    cJSON *el = cJSON_AddArrayToObject(o, "elements");
    for (size_t i = 0; el && i < s->n_elements; i++) {
        const char *sym = mms_element_symbol(s->element_z[i]);
        cJSON_AddItemToArray(el, cJSON_CreateString(sym ? sym : "?"));
    }
    int small[64];
    int *counts = s->n_elements <= 64 ? small : NULL;
    if (counts && mms_structure_counts_reduced(s, counts, &e) == MMS_OK)
        cJSON_AddItemToObject(o, "counts", cJSON_CreateIntArray(counts, (int)s->n_elements));
    else
        cJSON_AddNullToObject(o, "counts"); /* not integers: a disordered structure */
    cJSON_AddNumberToObject(o, "n_sites", (double)s->n_sites);
    if (isfinite(s->volume))
        cJSON_AddNumberToObject(o, "volume", s->volume);
    else
        cJSON_AddNullToObject(o, "volume");
    cJSON *lat = cJSON_AddObjectToObject(o, "lattice");
    if (lat) {
        static const char *const keys[6] = {"a", "b", "c", "alpha", "beta", "gamma"};
        for (int i = 0; i < 3; i++)
            cJSON_AddNumberToObject(lat, keys[i], s->abc[i]);
        for (int i = 0; i < 3; i++)
            cJSON_AddNumberToObject(lat, keys[3 + i], s->angles[i]);
        cJSON *m = cJSON_AddArrayToObject(lat, "matrix");
        for (int i = 0; m && i < 3; i++)
            cJSON_AddItemToArray(m, cJSON_CreateDoubleArray(s->lattice[i], 3));
    }
    cJSON_AddBoolToObject(o, "disordered", !s->is_ordered);
    cJSON_AddBoolToObject(o, "has_oxidation", s->has_oxidation != 0);
}

/* %.{prec}g of the decimal d0.d1d2... x 10^exp (digits[0..prec-1], no
 * leading zero): printf's choice of fixed or exponent form, trailing zeros
 * and a bare point dropped, exponent of at least two digits. */
static void format_g(char *out, int neg, const char *digits, int prec, int exp)
{
    int n = prec;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (exp < -4 || exp >= prec) {
        *o++ = digits[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(n - 1));
            o += n - 1;
        }
        o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -exp - 1; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)n);
        o += n;
    } else {
        for (int i = 0; i <= exp; i++)
            *o++ = i < n ? digits[i] : '0';
        if (n > exp + 1) {
            *o++ = '.';
            memcpy(o, digits + exp + 1, (size_t)(n - exp - 1));
            o += n - exp - 1;
        }
    }
    *o = '\0';
}

/* Round the 17 significant digits of d to prec digits as printf would and
 * format them as %.{prec}g.  Rounding the already rounded 17 digits again
 * differs from rounding d itself only when the dropped digits are exactly
 * a half ("5" for 16 digits, "50" for 15); then printf decides.  */
static void round_g(char *out, size_t size, double d, int neg, const char *d17, int exp17,
                    int prec)
{
    int half = d17[prec] == '5';
    for (int i = prec + 1; half && i < 17; i++)
        half = d17[i] == '0';
    if (half) {
        snprintf(out, size, "%.*g", prec, d);
        return;
    }
    char digits[18];
    memcpy(digits, d17, (size_t)prec);
    int exp = exp17;
    if (d17[prec] >= '5') {
        int i = prec - 1;
        while (i >= 0 && digits[i] == '9')
            digits[i--] = '0';
        if (i >= 0) {
            digits[i]++;
        } else { /* 99...9 rounds up to 100...0 */
            digits[0] = '1';
            exp++;
        }
    }
    format_g(out, neg, digits, prec, exp);
}

/* cJSON prints a double with 15 digits whenever that reads back within an
 * epsilon of it, which is not exact (0.1 + 0.2 prints as 0.3).  Records,
 * summaries and saved states must round-trip exactly, so every number is
 * replaced by a raw item holding the shortest of %.15g, %.16g, %.17g that
 * strtod turns back into the same double.  The three are derived from one
 * %.16e (printf's floating-point path is the cost of a record). */
static cJSON *exact_number(double d)
{
    char buf[40];
    if (!isfinite(d))
        return cJSON_CreateNull();
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        /* An integer below 2^53 is exact as a long long: %lld gives %.0f's
         * digits without printf's floating-point path (most record numbers
         * are zeros and counts), and -0 as 0. */
        snprintf(buf, sizeof buf, "%lld", (long long)d);
        return cJSON_CreateRaw(buf);
    }
    char e[40], d17[18];
    snprintf(e, sizeof e, "%.16e", d); /* [-]d.dddddddddddddddde[+-]XX */
    int neg = e[0] == '-';
    const char *m = e + neg;
    d17[0] = m[0];
    memcpy(d17 + 1, m + 2, 16);
    d17[17] = '\0';
    int exp17 = atoi(m + 19);
    for (int prec = 15; prec <= 16; prec++) {
        round_g(buf, sizeof buf, d, neg, d17, exp17, prec);
        if (strtod(buf, NULL) == d)
            return cJSON_CreateRaw(buf);
    }
    format_g(buf, neg, d17, 17, exp17);
    return cJSON_CreateRaw(buf);
}

void mms_json_exact_numbers(cJSON *node)
{
    cJSON *c = node ? node->child : NULL;
    while (c) {
        cJSON *next = c->next;
        if (cJSON_IsNumber(c)) {
            cJSON *raw = exact_number(c->valuedouble);
            if (raw) {
                /* The key moves to the new item (ViaPointer keeps none). */
                raw->string = c->string;
                raw->type |= c->type & cJSON_StringIsConst;
                c->string = NULL;
                cJSON_ReplaceItemViaPointer(node, c, raw);
            }
        } else if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
            mms_json_exact_numbers(c);
        }
        c = next;
    }
}

int mms_report_print_json(FILE *f, const cJSON *summary)
{
    cJSON *copy = cJSON_Duplicate(summary, 1);
    if (!copy)
        return MMS_ENOMEM;
    mms_json_exact_numbers(copy);
    mms_json_utf8_fix(copy);
    char *t = cJSON_Print(copy);
    cJSON_Delete(copy);
    if (!t)
        return MMS_ENOMEM;
    int rc = fprintf(f, "%s\n", t) < 0 ? MMS_EIO : MMS_OK;
    cJSON_free(t);
    return rc;
}

/* The record's fields without the column its structure was read from: the
 * structure is in the record already. */
/* The structure's own text is the record itself: only the other columns
 * are kept, whichever column (--column) held the structure. */
static void add_fields(cJSON *o, const pipe_record *r, const char *column)
{
    int structure_row = r->structure || r->error.code != MMS_OK;
    cJSON *f = cJSON_Duplicate(r->fields, 1);
    if (!f)
        return;
    if (structure_row && cJSON_IsObject(f)) {
        cJSON_DeleteItemFromObjectCaseSensitive(f, "cif");
        cJSON_DeleteItemFromObjectCaseSensitive(f, "text");
        if (column)
            cJSON_DeleteItemFromObjectCaseSensitive(f, column);
    }
    cJSON_AddItemToObject(o, "fields", f);
}

cJSON *mms_report_record(const pipe_record *r, int with_fields, const char *column)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddNumberToObject(o, "index", (double)r->pub.index);
    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddNumberToObject(o, "line", (double)r->pub.line);
    cJSON_AddStringToObject(o, "set", r->set);
    cJSON_AddBoolToObject(o, "ok", r->error.code == MMS_OK);
    if (r->error.code != MMS_OK) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code", mms_error_code_name(r->error.code));
        cJSON_AddStringToObject(e, "message", r->error.message);
        cJSON_AddNumberToObject(e, "line", (double)r->error.line);
    }
    if (r->structure)
        add_structure(o, r->structure);
    const cJSON *v;
    cJSON_ArrayForEach(v, r->values->obj)
        cJSON_AddItemToObject(o, v->string, mms_values_item_copy(r->values, v));
    if (r->plugin_errors)
        cJSON_AddItemToObject(o, "plugin_errors", cJSON_Duplicate(r->plugin_errors, 1));
    if (with_fields && r->fields)
        add_fields(o, r, column);
    mms_json_exact_numbers(o);
    mms_json_utf8_fix(o); /* input bytes are not always UTF-8; the line must be JSON */
    return o;
}

/* ------------------------------------------------------------ the table */

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_value(FILE *f, const cJSON *v)
{
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (x == (double)(long long)x && fabs(x) < 1e15)
            fprintf(f, "%lld", (long long)x);
        else
            fprintf(f, "%.6g", x);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", f);
    } else if (cJSON_IsString(v)) {
        fputs(v->valuestring, f);
    } else if (cJSON_IsNull(v)) {
        fputs("-", f);
    } else {
        char *t = cJSON_PrintUnformatted(v);
        if (t) {
            /* Long arrays or objects stay readable: cut them short. */
            if (strlen(t) > 100)
                fprintf(f, "%.97s...", t);
            else
                fputs(t, f);
            cJSON_free(t);
        }
    }
}

static void print_failed(FILE *f, const cJSON *failed)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, failed)
        fprintf(f, "  %s %lld", c->string, (long long)c->valuedouble);
}

int mms_report_print(FILE *f, const cJSON *s)
{
    fprintf(f, "%-28s %lld\n", "records", (long long)num(s, "records"));
    fprintf(f, "%-28s %lld\n", "read", (long long)num(s, "read"));
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(s, "failed");
    long long nf = (long long)(num(s, "records") - num(s, "read"));
    fprintf(f, "%-28s %lld", "failed", nf);
    if (nf)
        print_failed(f, failed);
    fputc('\n', f);
    const cJSON *ex;
    cJSON_ArrayForEach(ex, cJSON_GetObjectItemCaseSensitive(s, "failed_examples"))
        fprintf(f, "  %s\n", ex->valuestring);
    if (nf > cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "failed_examples")) &&
        cJSON_GetObjectItemCaseSensitive(s, "failed_examples"))
        fprintf(f, "  ... (--records FILE has every record's error)\n");
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(s, "skipped");
    if (sk) {
        long long n = (long long)num(sk, "files"), shown = 0;
        fprintf(f, "%-28s %lld (in folders, not read)\n", "skipped", n);
        const cJSON *one;
        cJSON_ArrayForEach(one, cJSON_GetObjectItemCaseSensitive(sk, "named")) {
            if (shown++ == 10)
                break;
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(one, "path");
            const cJSON *why = cJSON_GetObjectItemCaseSensitive(one, "why");
            fprintf(f, "  %s: %s\n", cJSON_IsString(path) ? path->valuestring : "?",
                    cJSON_IsString(why) ? why->valuestring : "?");
        }
        if (n > 10)
            fprintf(f, "  ... (--json names the first 100)\n");
    }
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(s, "sets");
    if (cJSON_GetArraySize(sets) > 1 ||
        (cJSON_GetArraySize(sets) == 1 && strcmp(sets->child->string, "input") != 0)) {
        const cJSON *set;
        cJSON_ArrayForEach(set, sets) {
            fprintf(f, "  set %-22s records %lld  read %lld", set->string,
                    (long long)num(set, "records"), (long long)num(set, "read"));
            print_failed(f, cJSON_GetObjectItemCaseSensitive(set, "failed"));
            fputc('\n', f);
        }
    }
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(s, "plugin_errors");
    const cJSON *e;
    cJSON_ArrayForEach(e, errs)
        fprintf(f, "plugin %-21s failed on %lld records\n", e->string, (long long)e->valuedouble);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "plugin_faults"))
        fprintf(f, "plugin %-21s crashed on %lld, timed out on %lld records (isolated: each "
                   "is that record's plugin error, the run went on)\n",
                e->string, (long long)num(e, "crashed"), (long long)num(e, "timed_out"));
    const cJSON *pl;
    cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(s, "plugins")) {
        fprintf(f, "\n[%s]\n", pl->string);
        int width = 26; /* names line up within a plugin's section */
        const cJSON *v;
        cJSON_ArrayForEach(v, pl)
            if ((int)strlen(v->string) > width)
                width = (int)strlen(v->string);
        cJSON_ArrayForEach(v, pl) {
            fprintf(f, "  %-*s ", width, v->string);
            print_value(f, v);
            fputc('\n', f);
        }
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(s, "warnings"))
        fprintf(f, "\nwarning: %s\n", w->valuestring);
    return ferror(f) ? MMS_EIO : MMS_OK;
}
