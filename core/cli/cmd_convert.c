/* mmscore convert INPUT... --to FORMAT --out DIR: every record that reads as
 * a structure is written as one file in DIR, by the core's writers.
 *
 * No scorer runs: the pipeline only reads (so every input kind and reader
 * plugin works, in input order), and the files are written from its
 * on_record hook on this thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmscore/writer.h"
#include "cli.h"

static const cli_flag convert_flags[] = {
    {"to", "FORMAT", "cif, poscar, xyz (extended XYZ) or text (crystal-text-llm)"},
    {"out", "DIR", "folder for the files (created if missing; existing files are replaced)"},
    {"text-precision", "P", "for --to text: llm (the prompt format's rounding) or full "
                            "(round-trip digits, the default)"},
    {NULL, NULL, NULL}};

typedef struct target {
    const char *name, *ext;
} target;

static const target targets[] = {
    {"cif", ".cif"}, {"poscar", ".poscar"}, {"xyz", ".xyz"}, {"text", ".txt"}};

/* File names already given out in this run, compared ignoring case so that
 * the set of files is the same on case-insensitive file systems. */
typedef struct name_set {
    char **slot;
    size_t cap, n;
} name_set;

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a over lower-cased bytes */
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 1099511628211u;
    }
    return h;
}

static int name_taken(const name_set *ns, const char *s)
{
    if (!ns->cap)
        return 0;
    for (size_t i = name_hash(s) & (ns->cap - 1); ns->slot[i]; i = (i + 1) & (ns->cap - 1))
        if (!strcasecmp(ns->slot[i], s))
            return 1;
    return 0;
}

static int name_add(name_set *ns, const char *s)
{
    if (2 * (ns->n + 1) > ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return MMS_ENOMEM;
        for (size_t i = 0; i < ns->cap; i++)
            if (ns->slot[i]) {
                size_t j = name_hash(ns->slot[i]) & (cap - 1);
                while (slot[j])
                    j = (j + 1) & (cap - 1);
                slot[j] = ns->slot[i];
            }
        free(ns->slot);
        ns->slot = slot;
        ns->cap = cap;
    }
    size_t j = name_hash(s) & (ns->cap - 1);
    while (ns->slot[j])
        j = (j + 1) & (ns->cap - 1);
    if (!(ns->slot[j] = strdup(s)))
        return MMS_ENOMEM;
    ns->n++;
    return MMS_OK;
}

static void name_set_free(name_set *ns)
{
    for (size_t i = 0; i < ns->cap; i++)
        free(ns->slot[i]);
    free(ns->slot);
}

typedef struct convert_run {
    const target *to;
    int full_precision;
    const char *out_dir;
    name_set names;
    mms_buffer buf;
    long written, not_written;
    cJSON *reasons;  /* reason -> count */
    int io_failed;   /* a file could not be written: exit status 1 */
} convert_run;

#define MAX_STEM 160

/* The record id with every byte outside [A-Za-z0-9._-] replaced by '_', cut
 * to MAX_STEM bytes; a leading '.' or '-' becomes '_' (no hidden files, no
 * "..", nothing a shell command takes for an option: stdin's id is "-"),
 * and an empty id becomes "record". */
static void sanitise(const char *id, char out[MAX_STEM + 1])
{
    size_t n = 0;
    for (const char *p = id ? id : ""; *p && n < MAX_STEM; p++) {
        char ch = *p;
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[n++] = ok ? ch : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, MAX_STEM + 1, "record");
    else if (out[0] == '.' || out[0] == '-')
        out[0] = '_';
}

/* A file name not given out before: the sanitised id, then on collision the
 * id with "_<index>", then "_<index>_2", "_<index>_3"... */
static int unique_name(convert_run *cr, const mms_record *rec, char *name, size_t n)
{
    char stem[MAX_STEM + 1];
    sanitise(rec->id, stem);
    snprintf(name, n, "%s%s", stem, cr->to->ext);
    for (unsigned long k = 1; name_taken(&cr->names, name); k++) {
        if (k == 1)
            snprintf(name, n, "%s_%zu%s", stem, rec->index, cr->to->ext);
        else
            snprintf(name, n, "%s_%zu_%lu%s", stem, rec->index, k, cr->to->ext);
    }
    return name_add(&cr->names, name);
}

static int count_reason(convert_run *cr, const char *reason)
{
    cr->not_written++;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(cr->reasons, reason);
    if (c)
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    else if (!cJSON_AddNumberToObject(cr->reasons, reason, 1))
        return MMS_ENOMEM;
    return MMS_OK;
}

static int write_structure(convert_run *cr, const mms_structure *s, mms_error *err)
{
    cr->buf.len = 0;
    if (!strcmp(cr->to->name, "cif"))
        return mms_write_cif(s, &cr->buf, err);
    if (!strcmp(cr->to->name, "poscar"))
        return mms_write_poscar(s, &cr->buf, err);
    if (!strcmp(cr->to->name, "xyz"))
        return mms_write_xyz(s, &cr->buf, err);
    return mms_write_text(s, cr->full_precision, &cr->buf, err);
}

static void say_not_written(const mms_record *rec, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void say_not_written(const mms_record *rec, const char *fmt, ...)
{
    fprintf(stderr, "mmscore convert: %s: record %s (line %ld): not written: ",
            rec->source ? rec->source : "-", rec->id ? rec->id : "?", rec->line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Called by the pipeline for every record, in input order; `written` added
 * to its values goes on the record's line. */
static int on_record(void *ctx, const mms_record *rec, mms_values *v, mms_error *err)
{
    convert_run *cr = ctx;
    int rc = MMS_OK;
    const char *reason = NULL;
    if (rec->error) {
        /* The reader's message already names the source, record and line. */
        fprintf(stderr, "mmscore convert: not written: %s\n", rec->error->message);
        reason = mms_error_code_name(rec->error->code);
    } else if (!rec->structure) {
        say_not_written(rec, "the record holds no structure");
        reason = "no structure";
    } else {
        mms_error werr;
        mms_error_clear(&werr);
        int wrc = write_structure(cr, rec->structure, &werr);
        if (wrc == MMS_ENOMEM)
            return mms_error_set(err, MMS_ENOMEM, 0, "%s", werr.message);
        if (wrc != MMS_OK) {
            say_not_written(rec, "%s", werr.message);
            reason = wrc == MMS_EUNSUPPORTED ? "disordered" : mms_error_code_name(wrc);
        } else {
            char name[MAX_STEM + 64], path[4096];
            if (unique_name(cr, rec, name, sizeof name) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            snprintf(path, sizeof path, "%s/%s", cr->out_dir, name);
            FILE *f = fopen(path, "wb");
            int ok = f && fwrite(cr->buf.data, 1, cr->buf.len, f) == cr->buf.len &&
                     fflush(f) == 0;
            int e = errno;
            if (f && fclose(f) != 0 && ok) {
                ok = 0;
                e = errno;
            }
            if (!ok) {
                /* No half-written file stays behind looking like a result. */
                if (f)
                    unlink(path);
                say_not_written(rec, "cannot write %s: %s", path, strerror(e ? e : EIO));
                cr->io_failed = 1;
                reason = "io";
            } else {
                cr->written++;
                rc = mms_values_set_string(v, "written", path);
            }
        }
    }
    if (reason) {
        rc = count_reason(cr, reason);
        if (rc == MMS_OK)
            rc = mms_values_set_null(v, "written");
    }
    return rc == MMS_OK ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

/* mkdir -p: every missing parent of dir, then dir.  MMS_OK, or MMS_EIO with
 * the system's reason in err (the caller names dir). */
static int make_dir(const char *dir, mms_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return mms_error_set(err, MMS_EIO, 0, "%s", strerror(ENAMETOOLONG));
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return mms_error_set(err, MMS_EIO, 0, "%s", strerror(errno));
            *p = '/';
        }
    struct stat st;
    if ((mkdir(tmp, 0777) != 0 && errno != EEXIST) || stat(tmp, &st) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mms_error_set(err, MMS_EIO, 0, "%s", strerror(ENOTDIR));
    return MMS_OK;
}

static void print_convert(FILE *f, const convert_run *cr)
{
    fprintf(f, "\n[convert]\n  %-26s %s\n  %-26s %s\n  %-26s %ld\n  %-26s %ld", "to",
            cr->to->name, "out", cr->out_dir, "written", cr->written, "not written",
            cr->not_written);
    const cJSON *r;
    cJSON_ArrayForEach(r, cr->reasons)
        fprintf(f, "  %s %lld", r->string, (long long)r->valuedouble);
    fputc('\n', f);
}

/* The pipeline's summary plus {"convert": {to, out, written, not_written,
 * reasons}}; printed as validate prints its own. */
static int finish(cli_ctx *c, convert_run *cr, mms_pipeline *p, int to_stdout)
{
    mms_error err;
    cJSON *summary = NULL;
    if (mms_pipeline_finish(p, &summary, &err) != MMS_OK) {
        fprintf(stderr, "mmscore convert: %s\n", err.message);
        return CLI_INPUT;
    }
    cJSON *conv = cJSON_AddObjectToObject(summary, "convert");
    if (!conv || !cJSON_AddStringToObject(conv, "to", cr->to->name) ||
        !cJSON_AddStringToObject(conv, "out", cr->out_dir) ||
        !cJSON_AddNumberToObject(conv, "written", (double)cr->written) ||
        !cJSON_AddNumberToObject(conv, "not_written", (double)cr->not_written) ||
        !cJSON_AddItemToObject(conv, "reasons", cJSON_Duplicate(cr->reasons, 1))) {
        cJSON_Delete(summary);
        fprintf(stderr, "mmscore convert: out of memory\n");
        return CLI_INPUT;
    }
    if (c->json) {
        mms_report_print_json(stdout, summary); /* exact numbers, as every report */
    } else if (!c->quiet) {
        FILE *f = to_stdout ? stderr : stdout;
        mms_report_print(f, summary);
        print_convert(f, cr);
    }
    cJSON_Delete(summary);
    return CLI_OK;
}

static int run_convert(cli_ctx *c)
{
    const char *to = cli_flag_value(c, "to"), *out = cli_flag_value(c, "out");
    const char *prec = cli_flag_value(c, "text-precision");
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one INPUT (file, folder, or - for stdin)");
    convert_run cr = {0};
    for (size_t i = 0; to && i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(to, targets[i].name))
            cr.to = &targets[i];
    if (!cr.to)
        return cli_usage_error(c, "--to expects cif, poscar, xyz or text%s%s%s",
                               to ? " (got \"" : "", to ? to : "", to ? "\")" : "");
    if (!out || !*out)
        return cli_usage_error(c, "expected --out DIR");
    if (prec && strcmp(prec, "llm") && strcmp(prec, "full"))
        return cli_usage_error(c, "--text-precision expects llm or full, got \"%s\"", prec);
    if (prec && strcmp(cr.to->name, "text"))
        return cli_usage_error(c, "--text-precision applies to --to text only");
    cr.full_precision = !prec || !strcmp(prec, "full");
    cr.out_dir = out;
    mms_error derr;
    if (make_dir(out, &derr) != MMS_OK) {
        fprintf(stderr, "mmscore convert: cannot create %s: %s\n", out, derr.message);
        return CLI_INPUT;
    }

    if (c->resume || c->summary_path)
        return cli_usage_error(c, "%s is not supported by convert",
                               c->resume ? "--resume" : "--summary");
    FILE *records = NULL;
    int to_stdout = c->records && !strcmp(c->records, "-");
    for (size_t i = 0; c->records && !to_stdout && i < c->n_args; i++)
        if (cli_same_file(c->records, c->args[i]))
            return cli_usage_error(c, "--records %s is the input %s: refusing to overwrite an "
                                      "input", c->records, c->args[i]);
    if (c->records && !(records = to_stdout ? stdout : fopen(c->records, "w"))) {
        fprintf(stderr, "mmscore convert: cannot write %s: %s\n", c->records, strerror(errno));
        return CLI_INPUT;
    }
    c->popt.records = records;
    c->popt.records_path = c->records;
    c->popt.command = c->cmd->name;
    c->popt.progress = c->quiet ? 0 : isatty(STDERR_FILENO) ? 1 : c->progress ? 2 : 0;
    c->popt.on_record = on_record;
    c->popt.on_record_ctx = &cr;

    int exit_code = CLI_INPUT;
    mms_pipeline *p = NULL;
    mms_error err;
    mms_error_clear(&err);
    if (!(cr.reasons = cJSON_CreateObject()))
        fprintf(stderr, "mmscore convert: out of memory\n");
    else if (mms_pipeline_new(&p, c->host, &c->popt, &err) != MMS_OK ||
             mms_pipeline_start(p, &err) != MMS_OK)
        fprintf(stderr, "mmscore convert: %s\n", err.message);
    else {
        exit_code = cli_add_inputs(c, p, c->args, c->n_args, "input");
        int fin = finish(c, &cr, p, to_stdout);
        if (fin != CLI_OK || cr.io_failed)
            exit_code = CLI_INPUT;
    }
    mms_pipeline_free(p);
    if (records && !to_stdout && fclose(records) != 0) {
        fprintf(stderr, "mmscore convert: cannot write %s: %s\n", c->records, strerror(errno));
        exit_code = CLI_INPUT;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mmscore convert: cannot write to stdout: %s\n",
                strerror(errno ? errno : EIO));
        exit_code = CLI_INPUT;
    }
    cJSON_Delete(cr.reasons);
    name_set_free(&cr.names);
    mms_buffer_free(&cr.buf);
    return exit_code;
}

const cli_command cli_cmd_convert = {
    "convert", "INPUT... --to cif|poscar|xyz|text --out DIR",
    "Write every structure of the inputs (any format mmscore reads, e.g. raw crystal-text-llm "
    "text) as one file per record: P1 CIF, POSCAR, extended XYZ or crystal-text-llm text.",
    convert_flags, run_convert};
