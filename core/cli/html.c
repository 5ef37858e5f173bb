/* The HTML report (--report FILE.html, `mmscore report`): one file, inline
 * CSS and SVG, no script that runs, readable offline from file://.  The core
 * draws what the plugins' acc_report figures say (histogram, bars, table)
 * and knows nothing of what they mean.  The SVG is written here rather than
 * by PLplot or cairo: docs/report.md ("HTML report") says why. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* Bounds on what one figure may hold: plugins keep to a few hundred bins;
 * a figure beyond these is shown as malformed, never drawn huge. */
#define MAX_BINS 2000
#define MAX_SERIES 8
#define MAX_ROWS 2000

static const char *const colours[MAX_SERIES] = {"#4269d0", "#efb118", "#ff725c", "#6cc5b0",
                                                "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5"};

/* Text for HTML element content and attribute values alike: n bytes of s. */
static void esc_len(FILE *f, const char *s, size_t n)
{
    for (const char *end = s + n; s < end; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc(' ', f); /* not allowed in XML (SVG), useless in HTML */
            else
                fputc(*s, f);
        }
    }
}

static void esc(FILE *f, const char *s)
{
    if (s)
        esc_len(f, s, strlen(s));
}

/* The byte offset of character k of s (its end when s is shorter). */
static size_t char_offset(const char *s, size_t k)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == k)
            break;
    return i;
}

static size_t text_chars(const char *s);

/* s escaped, at most max characters (a UTF-8 sequence counts as one and is
 * never split).  A longer text keeps its start and its end around an
 * ellipsis: names that differ only at the end (file paths, model versions)
 * stay apart, and no one takes a cut name for the whole one. */
static void esc_cut(FILE *f, const char *s, size_t max)
{
    size_t n = text_chars(s);
    if (!s || n <= max || max < 8) {
        esc(f, s);
        return;
    }
    size_t head = (max - 1) * 2 / 5, tail = max - 1 - head;
    esc_len(f, s, char_offset(s, head));
    fputs("\xE2\x80\xA6", f); /* U+2026 */
    esc(f, s + char_offset(s, n - tail));
}

/* Characters of a UTF-8 text (what a label's width depends on). */
static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A number as a person reads it on an axis or in a cell. */
static void fmt_num(double x, char *buf, size_t n)
{
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, n, "%.0f", x);
    else
        snprintf(buf, n, "%.4g", x);
}

/* 1, 2 or 5 times a power of ten, at least x. */
static double nice_step(double x)
{
    if (!(x > 0))
        return 1;
    double p = pow(10, floor(log10(x)));
    double m = x / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* ------------------------------------------------------------ checking */

/* Why a figure cannot be drawn, or NULL: the core draws nothing it has not
 * checked (a plugin's mistake must not give a plausible wrong picture). */
static const char *check_figure(const cJSON *fig, int *n_out, int *ns_out)
{
    const char *kind = str(fig, "kind");
    if (!kind)
        return "no kind";
    if (!str(fig, "id") || !str(fig, "title") || !str(fig, "section"))
        return "id, title and section must be strings";
    if (!strcmp(kind, "table")) {
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(fig, "columns");
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(fig, "rows");
        if (!cJSON_IsArray(cols) || !cJSON_IsArray(rows))
            return "a table needs columns and rows arrays";
        if (cJSON_GetArraySize(rows) > MAX_ROWS)
            return "more rows than a report shows (2000)";
        const cJSON *r;
        cJSON_ArrayForEach(r, rows)
            if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != cJSON_GetArraySize(cols))
                return "a row is not an array as long as columns";
        return NULL;
    }
    int hist = !strcmp(kind, "histogram");
    if (!hist && strcmp(kind, "bars") != 0)
        return "kind is not histogram, bars or table";
    const cJSON *axis = cJSON_GetObjectItemCaseSensitive(fig, hist ? "edges" : "categories");
    if (!cJSON_IsArray(axis))
        return hist ? "a histogram needs edges" : "bars need categories";
    int n = cJSON_GetArraySize(axis) - hist;
    if (n < 1 || n > MAX_BINS)
        return "no bins, or more than 2000";
    const cJSON *a, *prev = NULL;
    cJSON_ArrayForEach(a, axis) {
        if (hist && (!cJSON_IsNumber(a) || !isfinite(a->valuedouble) ||
                     (prev && !(a->valuedouble > prev->valuedouble))))
            return "edges are not increasing finite numbers";
        if (!hist && !cJSON_IsString(a))
            return "categories are not strings";
        prev = a;
    }
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(fig, "series");
    int ns = cJSON_GetArraySize(series);
    if (!cJSON_IsArray(series) || ns < 1 || ns > MAX_SERIES)
        return "series must be an array of 1 to 8";
    const cJSON *s;
    cJSON_ArrayForEach(s, series) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "values");
        if (!str(s, "name") || !cJSON_IsArray(v) || cJSON_GetArraySize(v) != n)
            return "a series needs a name and one value per bin";
        cJSON_ArrayForEach(a, v)
            if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble) || a->valuedouble < 0)
                return "a value is not a finite non-negative number";
    }
    *n_out = n;
    *ns_out = ns;
    return NULL;
}

/* ------------------------------------------------------------- drawing */

#define PLOT_H 220.0
#define M_LEFT 64.0
#define M_TOP 16.0
#define M_RIGHT 16.0

static double series_max(const cJSON *series)
{
    double m = 0;
    const cJSON *s, *v;
    cJSON_ArrayForEach(s, series)
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(s, "values"))
            if (v->valuedouble > m)
                m = v->valuedouble;
    return m;
}

/* The key of the series, as HTML above the chart: it wraps however many
 * and however long the names (model names, file paths) are; a name past 72
 * characters is cut in the middle, whole in its tooltip. */
static void legend(FILE *f, const cJSON *series)
{
    int k = 0;
    const cJSON *s;
    fputs("<div class=\"legend\">", f);
    cJSON_ArrayForEach(s, series) {
        fprintf(f, "<span title=\"");
        esc(f, str(s, "name"));
        fprintf(f, "\"><i style=\"background:%s\"></i>", colours[k++]);
        esc_cut(f, str(s, "name"), 72);
        fputs("</span>", f);
    }
    fputs("</div>\n", f);
}

/* Axes, the y grid and its labels; returns the top of the y scale. */
static double y_axis(FILE *f, double width, double ymax, const char *y_label)
{
    double step = nice_step(ymax / 5), top = step * ceil(ymax / step);
    if (top <= 0)
        top = 1;
    for (double y = 0; y <= top + step / 2; y += step) {
        double py = M_TOP + PLOT_H - y / top * PLOT_H;
        char b[32];
        fmt_num(y, b, sizeof b);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                M_LEFT, width - M_RIGHT, py, py, M_LEFT - 4, py + 4, b);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", M_LEFT,
            width - M_RIGHT, M_TOP + PLOT_H, M_TOP + PLOT_H);
    if (y_label) {
        fprintf(f, "<text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" "
                   "text-anchor=\"middle\">",
                M_TOP + PLOT_H / 2);
        esc(f, y_label);
        fputs("</text>", f);
    }
    return top;
}

/* One bar with its tooltip (a title element: no script needed). */
static void bar(FILE *f, double x, double w, double v, double top, int k, const char *series,
                const char *where)
{
    if (!(v > 0))
        return; /* nothing to draw: keeps large sparse figures small */
    double h = v / top * PLOT_H;
    if (h < 1)
        h = 1; /* a count of one among millions still shows */
    char b[32];
    fmt_num(v, b, sizeof b);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>",
            x, M_TOP + PLOT_H - h, w > 0.5 ? w : 0.5, h, colours[k]);
    esc(f, series);
    fputs(" ", f);
    esc(f, where);
    fprintf(f, ": %s</title></rect>", b);
}

/* The value written at the end of a bar, so a chart of a few bars reads
 * without hovering (x, y: where the text is anchored). */
static void bar_value(FILE *f, double x, double y, double v, const char *anchor)
{
    if (!(v > 0))
        return;
    char b[32];
    fmt_num(v, b, sizeof b);
    fprintf(f, "<text class=\"value\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">%s</text>", x, y,
            anchor, b);
}

static void svg_begin(FILE *f, double width, double height)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
            width, height, width, height);
}

/* The x axis title centred at (x, y), and the end of the figure. */
/* Closes a chart under its axis title: `key` names the figure's label drawn
 * below the plot (x_label; y_label when the bars lie down). */
static void svg_end(FILE *f, const cJSON *fig, const char *key, double x, double y)
{
    if (str(fig, key)) {
        fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
                y);
        esc(f, str(fig, key));
        fputs("</text>", f);
    }
    fputs("</svg>\n", f);
}

static void draw_histogram(FILE *f, const cJSON *fig, int n, int ns)
{
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(fig, "edges");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(fig, "series");
    /* wider with more series, so each bar of a group stays a few pixels wide */
    double width = ns <= 2 ? 640 : fmin(960, 640 + 80.0 * (ns - 2));
    double pw = width - M_LEFT - M_RIGHT, height = M_TOP + PLOT_H + 48;
    double lo = cJSON_GetArrayItem(edges, 0)->valuedouble;
    double hi = cJSON_GetArrayItem(edges, n)->valuedouble;
    svg_begin(f, width, height);
    double top = y_axis(f, width, series_max(series), str(fig, "y_label"));
    double *e = malloc((size_t)(n + 1) * sizeof *e);
    if (!e)
        return;
    for (int i = 0; i <= n; i++)
        e[i] = M_LEFT + (cJSON_GetArrayItem(edges, i)->valuedouble - lo) / (hi - lo) * pw;
    int k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, series) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "values")->child;
        for (int i = 0; i < n && v; i++, v = v->next) {
            double bw = (e[i + 1] - e[i]) * 0.9 / ns;
            char where[96], a[32], b[32];
            fmt_num(cJSON_GetArrayItem(edges, i)->valuedouble, a, sizeof a);
            fmt_num(cJSON_GetArrayItem(edges, i + 1)->valuedouble, b, sizeof b);
            snprintf(where, sizeof where, "[%s, %s%s", a, b, i == n - 1 ? "]" : ")");
            bar(f, e[i] + (e[i + 1] - e[i]) * 0.05 + k * bw, bw, v->valuedouble, top, k,
                str(s, "name"), where);
        }
        k++;
    }
    /* At most about ten edge labels, every k-th edge with k dividing the
     * bins when one does (20 bins: every other edge, 0 to 1 by 0.1), so the
     * last edge is labelled too. */
    int every = (n + 9) / 10;
    for (int k = every; k <= n / 4 + 1; k++)
        if (n % k == 0) {
            every = k;
            break;
        }
    for (int i = 0; i <= n; i += every) {
        char b[32];
        fmt_num(cJSON_GetArrayItem(edges, i)->valuedouble, b, sizeof b);
        fprintf(f, "<line class=\"axis\" x1=\"%.2f\" x2=\"%.2f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                e[i], e[i], M_TOP + PLOT_H, M_TOP + PLOT_H + 4, e[i], M_TOP + PLOT_H + 16, b);
    }
    free(e);
    svg_end(f, fig, "x_label", M_LEFT + pw / 2, height - 8);
}

/* Bars lying down, a row per category with its label in full (up to 48
 * characters) on the left and each bar's value at its end: how long labels
 * (model names, subjects) stay readable, whatever their number. */
static void draw_hbars(FILE *f, const cJSON *fig, int n, int ns, size_t longest)
{
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(fig, "categories");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(fig, "series");
    if (longest > 48)
        longest = 48;
    const double bh = 11, row = ns * bh + 7, head = 20, pw = 480;
    double left = 12 + 6.6 * (double)longest, width = left + pw + 56;
    double height = head + n * row + 44;
    svg_begin(f, width, height);
    if (str(fig, "x_label")) { /* what the rows are, above their labels */
        fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"12\" text-anchor=\"end\">", left - 6);
        esc(f, str(fig, "x_label"));
        fputs("</text>", f);
    }
    double vmax = series_max(series), step = nice_step(vmax / 5), top = step * ceil(vmax / step);
    if (top <= 0)
        top = 1;
    double y0 = head + n * row;
    for (double x = 0; x <= top + step / 2; x += step) {
        double px = left + x / top * pw;
        char b[32];
        fmt_num(x, b, sizeof b);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                px, px, head, y0, px, y0 + 14, b);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", left,
            left, head, y0);
    int k = 0;
    const cJSON *s, *c;
    cJSON_ArrayForEach(s, series) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "values")->child;
        c = cats->child;
        for (int i = 0; i < n && v && c; i++, v = v->next, c = c->next) {
            double y = head + i * row + 3.5 + k * bh, w = v->valuedouble / top * pw;
            if (!(v->valuedouble > 0))
                continue;
            if (w < 1)
                w = 1;
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
                       "<title>",
                    left + 0.5, y, w, bh - 1, colours[k]);
            esc(f, str(s, "name"));
            fputs(" ", f);
            esc(f, c->valuestring);
            char b[32];
            fmt_num(v->valuedouble, b, sizeof b);
            fprintf(f, ": %s</title></rect>", b);
            bar_value(f, left + w + 4, y + bh - 2.5, v->valuedouble, "start");
        }
        k++;
    }
    c = cats->child;
    for (int i = 0; i < n && c; i++, c = c->next) {
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\"><title>",
                left - 6, head + (i + 0.5) * row + 4);
        esc(f, c->valuestring);
        fputs("</title>", f);
        esc_cut(f, c->valuestring, longest);
        fputs("</text>", f);
    }
    svg_end(f, fig, "y_label", left + pw / 2, height - 8);
}

static void draw_bars(FILE *f, const cJSON *fig, int n, int ns)
{
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(fig, "categories");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(fig, "series");
    size_t longest = 1;
    const cJSON *c;
    cJSON_ArrayForEach(c, cats)
        if (text_chars(c->valuestring) > longest)
            longest = text_chars(c->valuestring);
    double slot = ns * 9.0 + 5, pw = n * slot;
    if (pw < 300)
        pw = 300, slot = pw / n;
    if (pw > 900)
        pw = 900, slot = pw / n;
    /* Labels stand upright under wide slots, slanted otherwise, and only
     * every k-th one when they would overlap; labels too long to slant
     * (past 14 characters) lie the bars down instead. */
    int slanted = slot < 7.0 * (double)longest;
    if (slanted && longest > 14) {
        draw_hbars(f, fig, n, ns, longest);
        return;
    }
    int every = slot >= 12 || !slanted ? 1 : (int)ceil(12 / slot);
    double width = M_LEFT + pw + M_RIGHT;
    double below = slanted ? 12 + 5.0 * (double)longest : 22;
    double height = M_TOP + PLOT_H + below + 22;
    svg_begin(f, width, height);
    double top = y_axis(f, width, series_max(series), str(fig, "y_label"));
    /* values over the bars when every one fits, or none (some but not
     * others would look like missing data) */
    size_t widest = 0;
    const cJSON *s, *val;
    cJSON_ArrayForEach(s, series)
        cJSON_ArrayForEach(val, cJSON_GetObjectItemCaseSensitive(s, "values")) {
            char b[32];
            fmt_num(val->valuedouble, b, sizeof b);
            if (strlen(b) > widest)
                widest = strlen(b);
        }
    double bw = (slot - 3) / ns;
    int values = bw >= 6.0 * (double)widest + 4;
    int k = 0;
    cJSON_ArrayForEach(s, series) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "values")->child;
        c = cats->child;
        for (int i = 0; i < n && v && c; i++, v = v->next, c = c->next) {
            double x = M_LEFT + i * slot + 1.5 + k * bw;
            bar(f, x, bw, v->valuedouble, top, k, str(s, "name"), c->valuestring);
            if (values)
                bar_value(f, x + bw / 2, M_TOP + PLOT_H - fmax(v->valuedouble / top * PLOT_H, 1) - 3,
                          v->valuedouble, "middle");
        }
        k++;
    }
    c = cats->child;
    for (int i = 0; i < n && c; i++, c = c->next) {
        if (i % every)
            continue;
        double x = M_LEFT + (i + 0.5) * slot, y = M_TOP + PLOT_H + 14;
        if (slanted)
            fprintf(f, "<text class=\"tick\" transform=\"translate(%.2f %.1f) rotate(-60)\" "
                       "text-anchor=\"end\">",
                    x + 3, y - 4);
        else
            fprintf(f, "<text class=\"tick\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
        esc(f, c->valuestring);
        fputs("</text>", f);
    }
    svg_end(f, fig, "x_label", M_LEFT + pw / 2, height - 6);
}

static void cell(FILE *f, const cJSON *v, int head)
{
    fputs(head ? "<th>" : cJSON_IsNumber(v) ? "<td class=\"n\">" : "<td>", f);
    if (cJSON_IsString(v)) {
        esc(f, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        char b[40];
        fmt_num(v->valuedouble, b, sizeof b);
        fputs(b, f);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", f);
    } else if (!cJSON_IsNull(v)) {
        char *t = cJSON_PrintUnformatted(v);
        esc(f, t);
        cJSON_free(t);
    }
    fputs(head ? "</th>" : "</td>", f);
}

static void draw_table(FILE *f, const cJSON *fig)
{
    fputs("<table><thead><tr>", f);
    const cJSON *c, *r;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(fig, "columns"))
        cell(f, c, 1);
    fputs("</tr></thead><tbody>\n", f);
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(fig, "rows")) {
        fputs("<tr>", f);
        cJSON_ArrayForEach(c, r)
            cell(f, c, 0);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* ----------------------------------------------------------- the page */

static const char css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1d1d1f;max-width:1000px;margin:24px auto;padding:0 16px;background:#fff}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:1px solid #ddd;"
    "padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}"
    "th,td{border-bottom:1px solid #e4e4e4;padding:3px 10px;text-align:left;vertical-align:top}"
    "th{background:#f5f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.where,.muted{color:#6e6e73}figure{margin:12px 0 22px}figcaption{color:#424245;"
    "font-size:13px;max-width:720px}svg{display:block;font-size:11px;"
    "font-family:system-ui,'DejaVu Sans',sans-serif}svg text{fill:#333}"
    "svg .label{font-size:12px}svg .value{font-size:10px;fill:#555}"
    ".legend{display:flex;flex-wrap:wrap;gap:2px 16px;margin:0 0 4px 64px;font-size:12px;"
    "max-width:860px}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;"
    "vertical-align:-1px}"
    "svg .grid{stroke:#ececec}svg .axis{stroke:#888}"
    ".problem{background:#fff4f2;border-left:4px solid #d03b2b;padding:6px 10px;margin:8px 0}"
    "nav a{margin-right:12px}code{font-size:13px}";

typedef struct html_ctx {
    FILE *f;
    int rows;
} html_ctx;

static void headline_row(void *ctx, const mms_plugin *d, const mms_headline_def *hd,
                         const char *member, const cJSON *v)
{
    html_ctx *hc = ctx;
    cli_headline_text t;
    cli_headline_cells(d, hd, member, v, &t);
    if (!hc->rows++)
        fputs("<table><thead><tr><th>value</th><th>as papers report it</th><th>from</th>"
              "</tr></thead><tbody>\n", hc->f);
    fputs("<tr><td>", hc->f);
    esc(hc->f, t.label);
    fprintf(hc->f, "</td><td class=\"n\">%s</td><td class=\"where\"><code>", t.value);
    esc(hc->f, t.where);
    fputs("</code></td></tr>\n", hc->f);
}

static void provenance(FILE *f, const cli_ctx *c, const cJSON *summary)
{
    fputs("<section id=\"run\"><h2>Run</h2>\n<table><tbody>\n<tr><th>command</th><td><code>", f);
    for (int i = 0; i < c->argc; i++) {
        if (i)
            fputc(' ', f);
        esc(f, c->argv[i]);
    }
    fputs("</code></td></tr>\n<tr><th>mmscore</th><td>", f);
    esc(f, str(summary, "mmscore_version"));
    /* SOURCE_DATE_EPOCH (reproducible-builds.org) pins the date for tests. */
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t now = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    struct tm tm;
    char date[64] = "";
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(f, "</td></tr>\n<tr><th>written</th><td>%s</td></tr>\n", date);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(summary, "merge");
    if (m) {
        char *missing = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "missing_shards"));
        fprintf(f, "<tr><th>shards</th><td>%.0f of %.0f merged%s", num(m, "merged"),
                num(m, "shards"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "partial"))
                                      ? "; <strong>partial</strong>, missing "
                                      : "");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "partial")))
            esc(f, missing);
        fputs("</td></tr>\n", f);
        cJSON_free(missing);
    }
    fprintf(f, "<tr><th>records</th><td>%.0f (%.0f read)</td></tr>\n</tbody></table>\n",
            num(summary, "records"), num(summary, "read"));
    fputs("<h3>Inputs</h3>\n<table><thead><tr><th>set</th><th>inputs</th><th>records</th>"
          "<th>read</th><th>did not read</th></tr></thead><tbody>\n", f);
    const cJSON *set;
    cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(summary, "sets")) {
        fputs("<tr><td>", f);
        esc(f, set->string);
        fputs("</td><td>", f);
        const cJSON *in;
        int k = 0;
        cJSON_ArrayForEach(in, c->report_inputs)
            if (str(in, "set") && !strcmp(str(in, "set"), set->string)) {
                fputs(k++ ? "<br><code>" : "<code>", f);
                esc(f, str(in, "path"));
                fputs("</code>", f);
            }
        double failed = num(set, "records") - num(set, "read");
        fprintf(f, "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>"
                   "<td class=\"n\">%.0f</td></tr>\n",
                num(set, "records"), num(set, "read"), failed);
    }
    fputs("</tbody></table></section>\n", f);
}

static void failed_section(FILE *f, const cJSON *summary, const cJSON *figs)
{
    fputs("<h2>Records that did not read</h2>\n", f);
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(summary, "failed");
    if (!cJSON_GetArraySize(failed)) {
        fputs("<p>Every record read.</p>\n", f);
        return;
    }
    fputs("<p class=\"muted\">By error code; the first records of each code in input order "
          "(the records file, <code>--records</code>, has every one).</p>\n", f);
    const cJSON *code;
    cJSON_ArrayForEach(code, failed) {
        fprintf(f, "<h3><code>");
        esc(f, code->string);
        fprintf(f, "</code>: %.0f record%s</h3>\n", code->valuedouble,
                code->valuedouble == 1 ? "" : "s");
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(figs, "failed_records"), code->string);
        if (!cJSON_GetArraySize(ex))
            continue;
        fputs("<table><thead><tr><th>file</th><th>record</th><th>line</th><th>message</th>"
              "</tr></thead><tbody>\n", f);
        const cJSON *e;
        cJSON_ArrayForEach(e, ex) {
            fputs("<tr><td><code>", f);
            esc(f, str(e, "source"));
            fputs("</code></td><td>", f);
            esc(f, str(e, "id"));
            fprintf(f, "</td><td class=\"n\">%.0f</td><td>", num(e, "line"));
            esc(f, str(e, "message"));
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
}

/* The sections in the order their first figure comes (plugins in run order). */
static cJSON *section_names(const cJSON *figs)
{
    cJSON *names = cJSON_CreateArray();
    const cJSON *pl, *fig, *n;
    cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(figs, "plugins"))
        cJSON_ArrayForEach(fig, cJSON_GetObjectItemCaseSensitive(pl, "figures")) {
            const char *sec = str(fig, "section");
            int seen = !sec;
            cJSON_ArrayForEach(n, names)
                seen |= sec && !strcmp(n->valuestring, sec);
            if (!seen)
                cJSON_AddItemToArray(names, cJSON_CreateString(sec));
        }
    return names;
}

/* Everything a plugin got wrong is said on the page and on stderr. */
static int problems(FILE *f, const cli_ctx *c, const cJSON *figs, int print)
{
    int n = 0;
    const cJSON *pl, *fig;
    cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(figs, "plugins")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(pl, "error");
        if (e) {
            n++;
            if (print) {
                fputs("<p class=\"problem\">plugin <code>", f);
                esc(f, str(pl, "plugin"));
                fputs("</code> could not give its figures: ", f);
                esc(f, str(e, "message"));
                fputs("</p>\n", f);
                fprintf(stderr, "mmscore %s: report: plugin %s could not give its figures: %s\n",
                        c->cmd->name, str(pl, "plugin"), str(e, "message"));
            }
        }
        cJSON_ArrayForEach(fig, cJSON_GetObjectItemCaseSensitive(pl, "figures")) {
            int nb, ns;
            const char *why = check_figure(fig, &nb, &ns);
            if (!why)
                continue;
            n++;
            if (print) {
                fputs("<p class=\"problem\">plugin <code>", f);
                esc(f, str(pl, "plugin"));
                fputs("</code>: figure <code>", f);
                esc(f, str(fig, "id") ? str(fig, "id") : "?");
                fputs("</code> not drawn: ", f);
                esc(f, why);
                fputs("</p>\n", f);
                fprintf(stderr, "mmscore %s: report: plugin %s: figure %s not drawn: %s\n",
                        c->cmd->name, str(pl, "plugin"), str(fig, "id") ? str(fig, "id") : "?",
                        why);
            }
        }
    }
    return n;
}

static void figure(FILE *f, const char *plugin, const cJSON *fig)
{
    int n = 0, ns = 0;
    if (check_figure(fig, &n, &ns))
        return; /* said under "Problems" */
    fputs("<figure id=\"fig-", f);
    esc(f, plugin);
    fputc('-', f);
    esc(f, str(fig, "id"));
    fputs("\" data-plugin=\"", f);
    esc(f, plugin);
    fputs("\" data-figure=\"", f);
    esc(f, str(fig, "id"));
    fputs("\"><h3>", f);
    esc(f, str(fig, "title"));
    fputs("</h3>\n", f);
    const char *kind = str(fig, "kind");
    if (strcmp(kind, "table") != 0)
        legend(f, cJSON_GetObjectItemCaseSensitive(fig, "series"));
    if (!strcmp(kind, "histogram"))
        draw_histogram(f, fig, n, ns);
    else if (!strcmp(kind, "bars"))
        draw_bars(f, fig, n, ns);
    else
        draw_table(f, fig);
    if (str(fig, "caption")) {
        fputs("<figcaption>", f);
        esc(f, str(fig, "caption"));
        fputs(" <span class=\"muted\">(", f);
        esc(f, plugin);
        fputs(")</span></figcaption>", f);
    }
    fputs("</figure>\n", f);
}

/* How deep a plugin builds on others: 0 without `requires`, else one more
 * than its deepest requirement (guard: requirement chains are short and the
 * host refuses cycles). */
static int requires_depth(const mms_host *h, const char *name, int guard)
{
    const mms_plugin *d = h && name ? mms_host_find(h, name) : NULL;
    if (!d || !d->requires || guard > 16)
        return 0;
    int depth = 0;
    for (const char *r = d->requires; *r;) {
        size_t n = strcspn(r, " ");
        char req[64];
        if (n && n < sizeof req) {
            memcpy(req, r, n);
            req[n] = '\0';
            int k = 1 + requires_depth(h, req, guard + 1);
            depth = k > depth ? k : depth;
        }
        r += n + (r[n] == ' ');
    }
    return depth;
}

/* A section's figures: plugins that build on others first (validity's
 * rates before structure's diagnostics, which they summarise), then in the
 * figure data's order (docs/report.md, "Sections"). */
static void section_figures(FILE *f, const cli_ctx *c, const cJSON *figs, const char *sec)
{
    const cJSON *pl, *fig;
    int top = 0;
    cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(figs, "plugins")) {
        int d = requires_depth(c->host, str(pl, "plugin"), 0);
        top = d > top ? d : top;
    }
    for (int depth = top; depth >= 0; depth--)
        cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(figs, "plugins")) {
            if (requires_depth(c->host, str(pl, "plugin"), 0) != depth)
                continue;
            cJSON_ArrayForEach(fig, cJSON_GetObjectItemCaseSensitive(pl, "figures"))
                if (str(fig, "section") && !strcmp(str(fig, "section"), sec))
                    figure(f, str(pl, "plugin"), fig);
        }
}

/* The figure data again, as JSON a program reads (tests do); a JSON script
 * block is data, never run.  json is the library's exact text (every number
 * reads back to the same double, as in --json; cJSON's own printer keeps 15
 * digits, so an accuracy of 55.00000000000001 % would read back as 55),
 * written without the whitespace between tokens.  Every "<" is written
 * \u003c (inside strings, the only place JSON has one), so no input text
 * can end the block or put the HTML parser in another state ("<!--",
 * "</script"). */
static void data_block(FILE *f, const char *json)
{
    fputs("<script type=\"application/json\" id=\"mmscore-figures\">", f);
    int in_string = 0;
    for (const char *s = json; *s; s++) {
        if (*s == '<')
            fputs("\\u003c", f);
        else if (in_string || !strchr(" \t\r\n", *s))
            fputc(*s, f);
        if (in_string && *s == '\\' && s[1])
            fputc(*++s, f); /* an escaped character, maybe a quote */
        else if (*s == '"')
            in_string = !in_string;
    }
    fputs("</script>\n", f);
}

/* open + "sec-NAME" + mid + NAME + close: a section's link or heading. */
static void section_tag(FILE *f, const char *open, const char *mid, const char *name,
                        const char *close)
{
    fputs(open, f);
    fputs("sec-", f);
    for (const char *s = name; *s; s++)
        fputc((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ? *s
              : (*s >= 'A' && *s <= 'Z')                           ? *s - 'A' + 'a'
                                                                   : '-',
              f);
    fputs(mid, f);
    esc(f, name);
    fputs(close, f);
}

static void page(FILE *f, const cli_ctx *c, const cJSON *summary, const cJSON *figs,
                 const char *figs_json)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>mmscore report: ", f);
    esc(f, c->cmd->name);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>mmscore report: ", css);
    esc(f, c->cmd->name);
    fputs("</h1>\n", f);
    cJSON *secs = section_names(figs);
    const cJSON *s;
    fputs("<nav><a href=\"#run\">Run</a><a href=\"#headline\">Headline</a>", f);
    cJSON_ArrayForEach(s, secs) {
        section_tag(f, "<a href=\"#", "\">", s->valuestring, "</a>");
    }
    fputs("<a href=\"#failed\">Records that did not read</a></nav>\n", f);
    if (problems(f, c, figs, 0)) {
        fputs("<section id=\"problems\"><h2>Problems</h2>\n", f);
        problems(f, c, figs, 1);
        fputs("</section>\n", f);
    }
    provenance(f, c, summary);
    fputs("<section id=\"headline\"><h2>Headline</h2>\n", f);
    html_ctx hc = {f, 0};
    cli_headline_each(c->host, summary, headline_row, &hc);
    fputs(hc.rows ? "</tbody></table>\n" : "<p>No headline values in this run.</p>\n", f);
    fputs("<p class=\"muted\">Rounded as papers report them; the summary "
          "(<code>--json</code>) has every digit.</p></section>\n", f);
    cJSON_ArrayForEach(s, secs) {
        section_tag(f, "<section id=\"", "\"><h2>", s->valuestring, "</h2>\n");
        section_figures(f, c, figs, s->valuestring);
        fputs("</section>\n", f);
    }
    cJSON_Delete(secs);
    fputs("<section id=\"failed\">", f);
    failed_section(f, summary, figs);
    fputs("</section>\n", f);
    data_block(f, figs_json);
    fputs("</body></html>\n", f);
}

/* o as the library writes JSON (exact numbers, strict UTF-8); NULL when out
 * of memory.  The caller frees it. */
static char *exact_json(const cJSON *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    int rc = mms_report_print_json(m, o);
    if (fclose(m) != 0)
        rc = MMS_EIO;
    if (rc != MMS_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Strings from inputs (ids, model names) may not be UTF-8: the library's
 * JSON writer replaces what is not, so the page gets a copy that went
 * through it (numbers read back exactly). */
static cJSON *utf8_copy(const cJSON *o, char **text)
{
    char *buf = exact_json(o);
    cJSON *copy = buf ? cJSON_Parse(buf) : NULL;
    if (text && copy)
        *text = buf;
    else
        free(buf);
    return copy;
}

int cli_report_write(cli_ctx *c, mms_pipeline *p, const cJSON *summary)
{
    const char *path = c->report_path;
    cJSON *raw = NULL;
    mms_error err;
    if (mms_pipeline_figures(p, &raw, &err) != MMS_OK) {
        fprintf(stderr, "mmscore %s: report: %s\n", c->cmd->name, err.message);
        return CLI_INPUT;
    }
    /* the figures' strings come from inputs too (model names) */
    char *figs_json = NULL;
    cJSON *figs = utf8_copy(raw, &figs_json);
    cJSON_Delete(raw);
    cJSON *sum = figs ? utf8_copy(summary, NULL) : NULL;
    if (!sum) {
        cJSON_Delete(figs);
        free(figs_json);
        fprintf(stderr, "mmscore %s: report: out of memory\n", c->cmd->name);
        return CLI_INPUT;
    }
    int to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mmscore %s: cannot write the report to %s: %s\n", c->cmd->name, path,
                strerror(errno));
        cJSON_Delete(figs);
        cJSON_Delete(sum);
        free(figs_json);
        return CLI_INPUT;
    }
    errno = 0;
    page(f, c, sum, figs, figs_json);
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno ? errno : EIO;
    if (!to_stdout && fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    cJSON_Delete(figs);
    cJSON_Delete(sum);
    free(figs_json);
    if (bad) {
        fprintf(stderr, "mmscore %s: cannot write the report to %s: %s\n", c->cmd->name,
                to_stdout ? "stdout" : path, strerror(e));
        return CLI_INPUT;
    }
    return CLI_OK;
}
