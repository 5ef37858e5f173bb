/* Headline values: the numbers papers report, as the plugins declare them
 * (mms_headline_def), rounded the way papers round them.  Used by the top of
 * the text summary and by `mmscore table`; the core adds no metric of its own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* |v| rounded half away from zero at `places` digits after the point, from
 * its 15-significant-digit decimal form: x100 scaling leaves binary noise
 * (0.12345 * 100 = 12.344999...), and a paper rounds the decimal it sees,
 * not the double.  printf's %.*f rounds the double, so it is not used. */
static void fixed_round(double v, int places, char *out, size_t size)
{
    char e[40];
    snprintf(e, sizeof e, "%.14e", fabs(v)); /* d.dddddddddddddde+XX */
    char d[15];
    d[0] = e[0];
    memcpy(d + 1, e + 2, 14);
    int exp = atoi(e + 17);
    /* a[j] holds the digit of power top - j; a[0] is room for a carry. */
    int top = exp + 1, m = top + places + 1;
    int a[360] = {0};
    if (m > (int)(sizeof a / sizeof a[0]))
        m = (int)(sizeof a / sizeof a[0]); /* beyond 15 digits all are zeros anyway */
    for (int j = 1; j < m; j++)
        a[j] = j - 1 < 15 ? d[j - 1] - '0' : 0;
    /* The first dropped digit (power -places-1) is d[m - 1]; below m = 1 it
     * is the carry room's zero, so the value rounds to 0. */
    if (m >= 1 && m - 1 < 15 && d[m - 1] >= '5') {
        int j = m - 1;
        while (j > 0 && a[j] == 9)
            a[j--] = 0;
        a[j]++;
    }
    char *o = out, *end = out + size - 1;
    int nonzero = 0, leading = 1;
    for (int p = top > 0 ? top : 0; p >= -places && o < end; p--) {
        int j = top - p;
        int digit = m > 0 && j >= 0 && j < m ? a[j] : 0;
        nonzero |= digit;
        if (p > 0 && leading && !digit)
            continue;
        leading = 0;
        *o++ = (char)('0' + digit);
        if (p == 0 && places > 0 && o < end)
            *o++ = '.';
    }
    *o = '\0';
    if (v < 0 && nonzero && strlen(out) + 1 < size) {
        memmove(out + 1, out, strlen(out) + 1);
        out[0] = '-';
    }
}

void cli_number_exact(double x, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

void cli_headline_format(const mms_headline_def *hd, double x, int raw, char *buf, size_t size)
{
    if (!isfinite(x)) {
        snprintf(buf, size, "%s", "");
        return;
    }
    if (raw) {
        cli_number_exact(x, buf, size);
        return;
    }
    double v = x * (hd->scale > 0 ? hd->scale : 1);
    int places = hd->digits, exp = 0;
    if (hd->round == MMS_ROUND_SIGNIFICANT) {
        if (v == 0) {
            places = hd->digits > 0 ? hd->digits - 1 : 0;
        } else {
            char e[40];
            snprintf(e, sizeof e, "%.14e", fabs(v));
            exp = atoi(e + 17);
            places = hd->digits - 1 - exp;
            if (places < 0)
                places = 0;
        }
    }
    if (fabs(v) >= 1e15 || places > 12) { /* out of any paper's fixed notation */
        snprintf(buf, size, "%.*e", hd->digits > 0 ? hd->digits - 1 : 0, v);
        return;
    }
    fixed_round(v, places, buf, size);
    /* 9.99996 to 4 significant digits is 10.00, not 10.000. */
    if (hd->round == MMS_ROUND_SIGNIFICANT && v != 0 && places > 0 &&
        fabs(strtod(buf, NULL)) >= pow(10, exp + 1))
        fixed_round(v, places - 1, buf, size);
}

void cli_headline_label(const mms_headline_def *hd, const char *member, int raw, char *buf,
                        size_t size)
{
    int scaled = hd->scale > 0 && hd->scale != 1;
    const char *unit = hd->unit && *hd->unit ? hd->unit : NULL;
    if (raw && scaled)
        unit = unit && !strcmp(unit, "%") ? "fraction" : NULL;
    snprintf(buf, size, "%s%s%s%s%s%s", hd->label, member ? " " : "", member ? member : "",
             unit ? " (" : "", unit ? unit : "", unit ? ")" : "");
}

/* "X.*.Y": the object X of the plugin's summary, one value per member. */
static const char *wildcard(const mms_headline_def *hd, size_t *xlen)
{
    const char *star = strstr(hd->value, ".*.");
    if (!star)
        return NULL;
    *xlen = (size_t)(star - hd->value);
    return star + 3;
}

const cJSON *cli_headline_members(const cJSON *summary, const char *plugin,
                                  const mms_headline_def *hd)
{
    size_t xlen = 0;
    if (!wildcard(hd, &xlen))
        return NULL;
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(summary, "plugins"), plugin);
    const cJSON *m;
    cJSON_ArrayForEach(m, pl)
        if (strlen(m->string) == xlen && !strncmp(m->string, hd->value, xlen))
            return cJSON_IsObject(m) ? m : NULL;
    return NULL;
}

const cJSON *cli_headline_value(const cJSON *summary, const char *plugin,
                                const mms_headline_def *hd, const char *member)
{
    size_t xlen = 0;
    const char *field = wildcard(hd, &xlen);
    if (field) {
        const cJSON *x = cli_headline_members(summary, plugin, hd);
        return member ? cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(x, member), field)
                      : NULL;
    }
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(summary, "plugins"), plugin);
    return cJSON_GetObjectItemCaseSensitive(pl, hd->value);
}

void cli_headline_where(const mms_plugin *d, const mms_headline_def *hd, const char *member,
                        char *buf, size_t size)
{
    if (member) {
        size_t xlen = 0;
        const char *field = wildcard(hd, &xlen);
        snprintf(buf, size, "%s.%.*s.%s.%s", d->name, (int)xlen, hd->value, member, field);
    } else {
        snprintf(buf, size, "%s.%s", d->name, hd->value);
    }
}

void cli_headline_each(const mms_host *h, const cJSON *summary, cli_headline_fn fn, void *ctx)
{
    const cJSON *name;
    cJSON_ArrayForEach(name, cJSON_GetObjectItemCaseSensitive(summary, "plugins_run")) {
        const mms_plugin *d = cJSON_IsString(name) ? mms_host_find(h, name->valuestring) : NULL;
        for (const mms_headline_def *hd = d ? d->headline : NULL; hd && hd->value; hd++) {
            size_t xlen = 0;
            if (wildcard(hd, &xlen)) {
                const cJSON *m;
                cJSON_ArrayForEach(m, cli_headline_members(summary, d->name, hd))
                    fn(ctx, d, hd, m->string,
                       cli_headline_value(summary, d->name, hd, m->string));
                continue;
            }
            const cJSON *v = cli_headline_value(summary, d->name, hd, NULL);
            if (v) /* absent: not computed in this run (an option was off) */
                fn(ctx, d, hd, NULL, v);
        }
    }
}

void cli_headline_cells(const mms_plugin *d, const mms_headline_def *hd, const char *member,
                        const cJSON *v, cli_headline_text *out)
{
    cli_headline_label(hd, member, 0, out->label, sizeof out->label);
    if (cJSON_IsNumber(v))
        cli_headline_format(hd, v->valuedouble, 0, out->value, sizeof out->value);
    else
        snprintf(out->value, sizeof out->value, "-"); /* null: the details say why */
    cli_headline_where(d, hd, member, out->where, sizeof out->where);
}

typedef struct print_ctx {
    FILE *f;
    int shown, width, measured; /* width < 0: only measure the labels */
} print_ctx;

static void print_one(void *ctx, const mms_plugin *d, const mms_headline_def *hd,
                      const char *member, const cJSON *v)
{
    print_ctx *pc = ctx;
    cli_headline_text t;
    cli_headline_cells(d, hd, member, v, &t);
    if (pc->width < 0) {
        if ((int)strlen(t.label) > pc->measured)
            pc->measured = (int)strlen(t.label);
        return;
    }
    if (!pc->shown++)
        fprintf(pc->f, "headline (as papers report them; details below)\n");
    fprintf(pc->f, "  %-*s %10s   %s\n", pc->width, t.label, t.value, t.where);
}

void cli_headline_print(FILE *f, const mms_host *h, const cJSON *summary)
{
    /* Twice: measure the labels (model names are long), then print aligned. */
    print_ctx pc = {f, 0, -1, 20};
    cli_headline_each(h, summary, print_one, &pc);
    pc.width = pc.measured;
    cli_headline_each(h, summary, print_one, &pc);
    if (pc.shown)
        fputc('\n', f);
}
