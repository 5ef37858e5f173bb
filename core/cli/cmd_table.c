/* mmscore table: --json summaries of several runs as one paper table, a row
 * per run and a column per headline value the plugins declare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SUMMARY_BYTES (64u << 20) /* a summary is kilobytes; this is a bound, not a size */

typedef struct column {
    const char *plugin;
    const mms_headline_def *hd;
    const char *member; /* of a "X.*.Y" headline (borrowed from a summary); else NULL */
} column;

/* Add the column unless there; 0 when out of memory. */
static int add_column(column **cols, size_t *n, size_t *cap, column c)
{
    for (size_t k = 0; k < *n; k++)
        if (!strcmp((*cols)[k].plugin, c.plugin) && (*cols)[k].hd == c.hd &&
            (!(*cols)[k].member == !c.member) &&
            (!c.member || !strcmp((*cols)[k].member, c.member)))
            return 1;
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        column *t = realloc(*cols, ncap * sizeof *t);
        if (!t)
            return 0;
        *cols = t;
        *cap = ncap;
    }
    (*cols)[(*n)++] = c;
    return 1;
}

typedef enum { FMT_MARKDOWN, FMT_LATEX, FMT_CSV } table_format;

/* *out: the summary (the caller's); else err says what is wrong with it. */
static int read_summary(const char *path, cJSON **out, mms_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mms_error_set(err, MMS_EIO, 0, "cannot open it");
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536 * 2;
            char *t = ncap <= MAX_SUMMARY_BYTES + 65536 + 1 ? realloc(text, ncap) : NULL;
            if (!t) {
                free(text);
                fclose(f);
                return mms_error_set(err, MMS_ELIMIT, 0, "larger than %u MiB or out of memory",
                                     MAX_SUMMARY_BYTES >> 20);
            }
            text = t;
            cap = ncap;
        }
        size_t n = fread(text + len, 1, 65536, f);
        len += n;
        if (n < 65536)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        return mms_error_set(err, MMS_EIO, 0, "read error");
    }
    text[len] = '\0';
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc = MMS_OK;
    if (!j) {
        long line = 1;
        for (const char *p = text; end && p < end; p++)
            line += *p == '\n';
        rc = mms_error_set(err, MMS_EPARSE, line,
                           "line %ld: not JSON (expected the output of mmscore ... --json)", line);
    } else if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "plugins_run")) ||
               !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "plugins"))) {
        rc = mms_error_set(err, MMS_EPARSE, 0,
                           "not an mmscore --json summary (no \"plugins_run\" and \"plugins\")");
        cJSON_Delete(j);
        j = NULL;
    }
    free(text);
    *out = j;
    return rc;
}

/* The file name without folder and a .json extension. */
static void default_label(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".json"))
        n -= 5;
    snprintf(buf, size, "%.*s", (int)n, base);
}

static void put_cell(const char *s, table_format fmt)
{
    if (fmt == FMT_LATEX) {
        for (; *s; s++) {
            switch (*s) {
            case '%': case '&': case '#': case '_': case '$': case '{': case '}':
                printf("\\%c", *s);
                break;
            case '\\': fputs("\\textbackslash{}", stdout); break;
            case '^': fputs("\\textasciicircum{}", stdout); break;
            case '~': fputs("\\textasciitilde{}", stdout); break;
            default: putchar(*s);
            }
        }
    } else if (fmt == FMT_CSV) {
        if (strpbrk(s, ",\"\n\r")) {
            putchar('"');
            for (; *s; s++) {
                if (*s == '"')
                    putchar('"');
                putchar(*s);
            }
            putchar('"');
        } else {
            fputs(s, stdout);
        }
    } else {
        for (; *s; s++) {
            if (*s == '|')
                putchar('\\');
            putchar(*s == '\n' ? ' ' : *s);
        }
    }
}

static void put_sep(table_format fmt, int first)
{
    if (fmt == FMT_MARKDOWN)
        fputs(first ? "| " : " | ", stdout);
    else if (!first)
        fputs(fmt == FMT_LATEX ? " & " : ",", stdout);
}

static void put_end(table_format fmt)
{
    fputs(fmt == FMT_MARKDOWN ? " |\n" : fmt == FMT_LATEX ? " \\\\\n" : "\n", stdout);
}

static int run_table(cli_ctx *c)
{
    table_format fmt = FMT_MARKDOWN;
    const char *f = c->popt.format; /* --format is a common flag; here it names the output */
    if (f && !strcmp(f, "latex"))
        fmt = FMT_LATEX;
    else if (f && !strcmp(f, "csv"))
        fmt = FMT_CSV;
    else if (f && strcmp(f, "markdown") != 0)
        return cli_usage_error(c, "--format %s: expected markdown, latex or csv", f);
    if (!c->n_args)
        return cli_usage_error(c, "no summaries given (files written by mmscore ... --json)");
    size_t n_labels = 0;
    for (size_t i = 0; i < c->n_flags; i++)
        n_labels += !strcmp(c->flag_names[i], "label");
    if (n_labels && n_labels != c->n_args)
        return cli_usage_error(c, "--label given %zu times for %zu summaries: one per summary, "
                                  "in order",
                               n_labels, c->n_args);
    int raw = cli_flag_value(c, "raw") != NULL;

    cJSON **runs = calloc(c->n_args, sizeof *runs);
    column *cols = NULL;
    size_t n_cols = 0, cap_cols = 0;
    int rc = runs ? CLI_OK : CLI_INPUT;
    for (size_t r = 0; rc == CLI_OK && r < c->n_args; r++) {
        mms_error err;
        if (read_summary(c->args[r], &runs[r], &err) != MMS_OK) {
            fprintf(stderr, "mmscore table: %s: %s\n", c->args[r], err.message);
            rc = CLI_INPUT;
            break;
        }
        const cJSON *name;
        cJSON_ArrayForEach(name, cJSON_GetObjectItemCaseSensitive(runs[r], "plugins_run")) {
            const mms_plugin *d =
                cJSON_IsString(name) ? mms_host_find(c->host, name->valuestring) : NULL;
            if (!d) {
                /* Its columns would silently be missing: say so instead. */
                fprintf(stderr, "mmscore table: %s: plugin %s ran in that run but is not "
                                "loaded here (add its --plugin-dir)\n",
                        c->args[r], cJSON_IsString(name) ? name->valuestring : "(not a name)");
                rc = CLI_INPUT;
                break;
            }
            for (const mms_headline_def *hd = d->headline; rc == CLI_OK && hd && hd->value;
                 hd++) {
                const cJSON *members = cli_headline_members(runs[r], d->name, hd), *m;
                cJSON_ArrayForEach(m, members)
                    if (!add_column(&cols, &n_cols, &cap_cols, (column){d->name, hd, m->string}))
                        rc = CLI_INPUT;
                if (!members && cli_headline_value(runs[r], d->name, hd, NULL) &&
                    !add_column(&cols, &n_cols, &cap_cols, (column){d->name, hd, NULL}))
                    rc = CLI_INPUT;
            }
            if (rc != CLI_OK) {
                fprintf(stderr, "mmscore table: out of memory\n");
                break;
            }
        }
    }
    if (rc == CLI_OK && !n_cols) {
        fprintf(stderr, "mmscore table: none of the plugins of these runs declares a headline "
                        "value (see mmscore plugins)\n");
        rc = CLI_INPUT;
    }
    if (rc == CLI_OK) {
        char buf[256];
        if (fmt == FMT_LATEX) {
            printf("%% mmscore table; needs \\usepackage{booktabs}\n\\begin{tabular}{l");
            for (size_t k = 0; k < n_cols; k++)
                putchar('r');
            printf("}\n\\toprule\n");
        }
        put_sep(fmt, 1);
        put_cell(fmt == FMT_CSV ? "run" : "Run", fmt);
        for (size_t k = 0; k < n_cols; k++) {
            put_sep(fmt, 0);
            cli_headline_label(cols[k].hd, cols[k].member, raw, buf, sizeof buf);
            put_cell(buf, fmt);
        }
        put_end(fmt);
        if (fmt == FMT_MARKDOWN) {
            printf("|---");
            for (size_t k = 0; k < n_cols; k++)
                printf("|---:");
            printf("|\n");
        } else if (fmt == FMT_LATEX) {
            printf("\\midrule\n");
        }
        size_t label_i = 0;
        for (size_t r = 0; r < c->n_args; r++) {
            const char *label = NULL;
            while (n_labels && label_i < c->n_flags && strcmp(c->flag_names[label_i], "label"))
                label_i++;
            if (n_labels)
                label = c->flag_values[label_i++];
            else
                default_label(c->args[r], buf, sizeof buf);
            put_sep(fmt, 1);
            put_cell(label ? label : buf, fmt);
            for (size_t k = 0; k < n_cols; k++) {
                put_sep(fmt, 0);
                const cJSON *v =
                    cli_headline_value(runs[r], cols[k].plugin, cols[k].hd, cols[k].member);
                if (cJSON_IsNumber(v)) {
                    cli_headline_format(cols[k].hd, v->valuedouble, raw, buf, sizeof buf);
                    put_cell(buf, fmt);
                } else if (fmt != FMT_CSV) {
                    /* Not computed in this run, or null (the summary says why). */
                    fputs(fmt == FMT_LATEX ? "--" : "-", stdout);
                }
            }
            put_end(fmt);
        }
        if (fmt == FMT_LATEX)
            printf("\\bottomrule\n\\end{tabular}\n");
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "mmscore table: cannot write the table\n");
            rc = CLI_INPUT;
        }
    }
    for (size_t r = 0; runs && r < c->n_args; r++)
        cJSON_Delete(runs[r]);
    free(runs);
    free(cols);
    return rc;
}

static const cli_flag table_flags[] = {
    {"label", "TEXT", "row label of the next summary, in order (default: its file name)"},
    {"raw", NULL, "unscaled, unrounded values (every digit of the summary)"},
    {NULL, NULL, NULL}};

const cli_command cli_cmd_table = {
    "table", "SUMMARY.json...",
    "Summaries written by `mmscore ... --json` as one table, a row per run and a column per "
    "headline value (--format markdown (default), latex (booktabs tabular) or csv); numbers "
    "rounded as papers round them (docs/report.md), --raw for all digits.",
    table_flags, run_table};
