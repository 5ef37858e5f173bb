/* Inputs: turn files, folders, CSV rows, JSONL lines and stdin into records,
 * streaming, so memory is bounded by one record, never by the input.  Every
 * piece of input that should have been a record becomes one: a structure, a
 * fields-only record, or an error record saying what was expected where. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "host_internal.h"
#include "input_internal.h"
#include "util_internal.h"

/* ---------------------------------------------------------------- helpers */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The base name's length without a trailing ".gz" (x.cif.gz is read as
 * x.cif through zlib) in *n, and where its extension's dot is (NULL if none;
 * a leading dot is a hidden file, not an extension). */
static const char *split_name(const char *path, size_t *n)
{
    const char *b = base_name(path);
    size_t len = strlen(b);
    if (len > 3 && !strcasecmp(b + len - 3, ".gz"))
        len -= 3;
    *n = len;
    for (size_t i = len; i-- > 1;)
        if (b[i] == '.')
            return b + i;
    return NULL;
}

/* The extension (without ".gz") copied into buf. */
static const char *extension_buf(const char *path, char *buf, size_t cap)
{
    size_t n;
    const char *dot = split_name(path, &n);
    size_t k = dot ? (size_t)(base_name(path) + n - dot - 1) : 0;
    if (k >= cap)
        k = 0; /* an absurd extension matches nothing */
    memcpy(buf, dot ? dot + 1 : "", k);
    buf[k] = '\0';
    return buf;
}

/* File name without its extension (and ".gz"): the id of a one-structure file. */
static char *stem(const char *path)
{
    const char *b = base_name(path);
    size_t n;
    const char *dot = split_name(path, &n);
    if (dot)
        n = (size_t)(dot - b);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

static char *id_printf(const char *fmt, const char *a, size_t k)
{
    size_t n = strlen(a) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, k);
    return s;
}

/* Hand one record to the sink; id ownership passes (also on failure). */
static int emit(input_ctx *in, char *id, const char *source, long line, mms_structure *s,
                cJSON *fields, const mms_error *e)
{
    input_item it = {id, source, line, s, fields, e, in->cur_values};
    in->cur_values = 0; /* a text's later blocks carry copies: counted once is enough */
    in->n_emitted++;
    return in->sink(in->sink_ctx, &it);
}

static int emit_error(input_ctx *in, char *id, const char *source, long line, cJSON *fields,
                      int code, const char *fmt, const char *detail)
{
    mms_error e;
    mms_error_set(&e, code, line, fmt, detail ? detail : "");
    return emit(in, id, source, line, NULL, fields, &e);
}

/* Reader plugin (by the format it declares) for a format name, or -1. */
static long reader_plugin_for(const input_ctx *in, const char *format)
{
    for (size_t i = 0; i < mms_host_plugin_count(in->host); i++) {
        const mms_plugin *d = mms_host_plugin(in->host, i, NULL);
        if (d->kind == MMS_PLUGIN_READER && in->reader_ok && in->reader_ok[i] &&
            mms_word_in_list(d->formats, format))
            return (long)i;
    }
    return -1;
}

static int is_core_format(const char *f)
{
    return !strcasecmp(f, "cif") || !strcasecmp(f, "text");
}

/* ------------------------------------------------ structures from a reader */

typedef struct read_job {
    input_ctx *in;
    const char *source;
    const char *id_base;  /* id of block 0; later blocks get "#k" */
    long first_line;
    cJSON *fields;        /* owned; the first record takes it, later ones a copy */
    size_t n_seen;
    int sink_rc;
} read_job;

static int read_cb(void *ctx, size_t block, mms_structure *s, const mms_error *e)
{
    read_job *j = ctx;
    j->n_seen++;
    char *id = block == 0 ? strdup(j->id_base) : id_printf("%s#%zu", j->id_base, block);
    long line = s ? (s->line ? s->line : j->first_line) : (e && e->line ? e->line : j->first_line);
    mms_error none;
    if (!s && !e) {
        mms_error_set(&none, MMS_EPARSE, line, "reader gave neither a structure nor an error");
        e = &none;
    }
    cJSON *fields = j->fields;
    if (j->n_seen == 1)
        j->fields = NULL;
    else if (fields)
        fields = cJSON_Duplicate(fields, 1);
    j->sink_rc = emit(j->in, id, j->source, line, s, fields, s ? NULL : e);
    return j->sink_rc;
}

/* Read `text` as `format` with the core reader or a reader plugin.  Every
 * outcome is at least one record (the reader's structures and block errors,
 * or one error record).  `fields` (owned) go with the records of the text. */
static int read_structures(input_ctx *in, const char *format, const char *text, size_t len,
                           const char *source, const char *id_base, long first_line,
                           cJSON *fields)
{
    read_job j = {in, source, id_base, first_line, fields, 0, MMS_OK};
    mms_read_options ro = in->ropt;
    ro.line_offset = first_line > 0 ? first_line - 1 : 0;
    ro.source = source;
    mms_error e;
    mms_error_clear(&e);
    int rc;
    if (is_core_format(format)) {
        rc = mms_read_format(!strcasecmp(format, "cif") ? "cif" : "text", text, len, &ro,
                             read_cb, &j, &e);
    } else {
        long pi = reader_plugin_for(in, format);
        if (pi < 0) {
            rc = mms_error_set(&e, MMS_EUNSUPPORTED, first_line,
                               "no reader for format \"%s\" (core reads cif and text; "
                               "reader plugins add others)",
                               format);
        } else {
            const mms_plugin *d = mms_host_plugin(in->host, (size_t)pi, NULL);
            rc = d->read(in->reader_states[pi], format, text, len, &ro, read_cb, &j, &e);
        }
    }
    if (j.sink_rc != MMS_OK) {
        cJSON_Delete(j.fields);
        return j.sink_rc;
    }
    if (j.n_seen == 0) {
        if (rc == MMS_OK)
            mms_error_set(&e, MMS_EPARSE, first_line, "expected a structure, found none");
        if (!e.line)
            e.line = first_line;
        return emit(in, strdup(id_base), source, e.line, NULL, j.fields, &e);
    }
    cJSON_Delete(j.fields);
    return MMS_OK;
}

/* ------------------------------------------------------- whole-file kinds */

/* Read the rest of a byte stream into memory, at most `max` bytes. */
static int slurp(byte_in *b, size_t max, strbuf *out, int *too_big)
{
    *too_big = 0;
    int c;
    while ((c = byte_in_get(b)) >= 0) {
        if (out->len >= max) {
            *too_big = 1;
            while (byte_in_get(b) >= 0)
                ;
            return MMS_OK;
        }
        if (strbuf_putc(out, (char)c))
            return MMS_ENOMEM;
        /* Bulk-copy the rest of the buffer. */
        size_t avail = b->len - b->pos;
        if (avail && out->len + avail <= max) {
            if (strbuf_put(out, (const char *)b->buf + b->pos, avail))
                return MMS_ENOMEM;
            b->pos = b->len;
        }
    }
    return MMS_OK;
}

static int read_whole(input_ctx *in, byte_in *b, const char *source, const char *format)
{
    strbuf text = {0};
    int too_big;
    char *id = stem(source);
    if (!id)
        return MMS_ENOMEM;
    int rc = slurp(b, in->max_record, &text, &too_big);
    if (rc == MMS_OK && b->error.code) {
        b->reported = 1;
        rc = emit_error(in, id, source, 1, NULL, MMS_EIO, "read error: %s", b->error.message);
    } else if (rc == MMS_OK && too_big)
        rc = emit_error(in, id, source, 1, NULL, MMS_ELIMIT,
                        "file is larger than the record limit (--max-record-bytes)%s", NULL);
    else if (rc == MMS_OK) {
        rc = read_structures(in, format, text.s ? text.s : "", text.len, source, id, 1, NULL);
        free(id);
    } else
        free(id);
    strbuf_free(&text);
    return rc;
}

/* ------------------------------------------------------------------- CIF */

/* A CIF file is split into data blocks while streaming so that a file of a
 * million blocks never sits in memory: a block starts at a line beginning
 * with data_ (case-insensitive) outside a ;-delimited text field.  Each block
 * is read on its own with its line offset, so errors name file lines. */
typedef struct cif_split {
    input_ctx *in;
    const char *source;
    char *file_stem;
    strbuf block;
    long block_line;       /* first line of the current block; 0 = preamble */
    char *block_name;
    mms_error overflow;    /* code set: the current block broke a limit, an error instead
                              (line: the line at fault; the record starts at block_line) */
    size_t n_blocks;
} cif_split;

static int flush_block(cif_split *c)
{
    if (c->block_line == 0)
        return MMS_OK;
    c->n_blocks++;
    const char *nm = c->block_name && *c->block_name ? c->block_name : c->file_stem;
    int rc;
    if (c->overflow.code) {
        rc = emit(c->in, strdup(nm), c->source, c->block_line, NULL, NULL, &c->overflow);
    } else {
        rc = read_structures(c->in, "cif", c->block.s ? c->block.s : "", c->block.len, c->source,
                             nm, c->block_line, NULL);
    }
    c->block.len = 0;
    mms_error_clear(&c->overflow);
    free(c->block_name);
    c->block_name = NULL;
    return rc;
}

static int starts_data(const char *s, size_t n)
{
    return n >= 5 && !strncasecmp(s, "data_", 5);
}

static int read_cif_stream(input_ctx *in, byte_in *b, const char *source)
{
    cif_split c = {.in = in, .source = source};
    c.file_stem = stem(source);
    if (!c.file_stem)
        return MMS_ENOMEM;
    strbuf line = {0}, preamble = {0};
    long lineno = 0;
    int in_text = 0, rc = MMS_OK, ch = 0;
    while (rc == MMS_OK && ch >= 0) {
        line.len = 0;
        int long_line = 0;
        lineno++;
        while ((ch = byte_in_get(b)) >= 0 && ch != '\n') {
            if (line.len < in->ropt.max_line_len) {
                if (strbuf_putc(&line, (char)ch)) {
                    rc = MMS_ENOMEM;
                    break;
                }
            } else
                long_line = 1;
        }
        if (rc != MMS_OK || (ch < 0 && line.len == 0 && !long_line))
            break;
        const char *s = line.s ? line.s : "";
        if (!in_text && starts_data(s, line.len)) {
            rc = flush_block(&c);
            if (rc != MMS_OK)
                break;
            c.block_line = lineno;
            size_t k = 5;
            while (k < line.len && !isspace((unsigned char)s[k]))
                k++;
            c.block_name = malloc(k - 5 + 1);
            if (!c.block_name) {
                rc = MMS_ENOMEM;
                break;
            }
            memcpy(c.block_name, s + 5, k - 5);
            c.block_name[k - 5] = '\0';
        }
        if (line.len && s[0] == ';')
            in_text = !in_text;
        if (c.block_line == 0) {
            /* Before the first block: comments, or a file that is no CIF. */
            if (preamble.len < 4096 && strbuf_put(&preamble, s, line.len) == MMS_OK)
                strbuf_putc(&preamble, '\n');
            continue;
        }
        if (c.overflow.code)
            continue;
        if (long_line) {
            mms_error_set(&c.overflow, MMS_ELIMIT, lineno, "line longer than %zu bytes (line limit)",
                          in->ropt.max_line_len);
        } else if (c.block.len + line.len + 1 > in->max_record) {
            mms_error_set(&c.overflow, MMS_ELIMIT, c.block_line,
                          "data block larger than %zu bytes (--max-record-bytes)", in->max_record);
        } else if (strbuf_put(&c.block, s, line.len) || strbuf_putc(&c.block, '\n')) {
            rc = MMS_ENOMEM;
        }
    }
    if (rc == MMS_OK && b->error.code && c.block_line) {
        /* Half a block must not be read as a (smaller) structure. */
        b->reported = 1;
        mms_error_set(&c.overflow, MMS_EIO, lineno, "read error inside the block: %s",
                      b->error.message);
    }
    if (rc == MMS_OK)
        rc = flush_block(&c);
    if (rc == MMS_OK && c.n_blocks == 0 && !b->error.code) {
        /* No data_ block at all: still one record, with the reader's word
         * on what is wrong (or "empty file"). */
        char *id = c.file_stem;
        c.file_stem = NULL;
        int blank = 1;
        for (size_t i = 0; i < preamble.len; i++) {
            if (preamble.s[i] == '#') {
                while (i < preamble.len && preamble.s[i] != '\n')
                    i++;
            } else if (!isspace((unsigned char)preamble.s[i]))
                blank = 0;
        }
        if (blank)
            rc = emit_error(in, id, source, 1, NULL, MMS_EPARSE,
                            "empty CIF: expected a data_ block%s", NULL);
        else
            rc = read_structures(in, "cif", preamble.s, preamble.len, source, id, 1, NULL),
            free(id);
    }
    free(c.file_stem);
    free(c.block_name);
    strbuf_free(&c.block);
    strbuf_free(&line);
    strbuf_free(&preamble);
    return rc;
}

/* ------------------------------------------------------------------- CSV */

static long find_col(char **cells, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cells[i], name))
            return (long)i;
    return -1;
}

/* "a, b, c" of the names found, cut to fit a message. */
static void name_list(char *buf, size_t cap, const char *const *names, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && k + 8 < cap; i++) {
        int w = snprintf(buf + k, cap - k, "%s\"%s\"", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - k) {
            snprintf(buf + k, cap - k, ", ...");
            break;
        }
        k += (size_t)w;
    }
    if (!n)
        snprintf(buf, cap, "none");
}

/* Why rows of a table cannot be scored: no structure column (or field). */
static void no_structure_msg(char *msg, size_t cap, const input_ctx *in, const char *what,
                             const char *const *names, size_t n)
{
    char found[400];
    name_list(found, sizeof found, names, n);
    if (in->column)
        snprintf(msg, cap, "no %s \"%.64s\" (--column); %ss found: %s", what, in->column, what,
                 found);
    else
        snprintf(msg, cap,
                 "no structure %s: expected a %s named \"cif\" or \"text\" (--column NAME "
                 "picks another); %ss found: %s",
                 what, what, what, found);
}

/* CIF or crystal-text-llm text: the first text that is not blank or a
 * '#' comment begins with data_ in a CIF. */
static int starts_like_cif(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        i = 3;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == '#') {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        return n - i >= 5 && !strncasecmp(s + i, "data_", 5);
    }
}

/* How to read a structure cell: --format (unless it names the table
 * format), else the column's name, else by its text. */
static const char *cell_format(const input_ctx *in, const char *column, const char *cell,
                               size_t len)
{
    if (in->force_format && strcasecmp(in->force_format, "csv") &&
        strcasecmp(in->force_format, "jsonl") && strcasecmp(in->force_format, "ndjson"))
        return in->force_format;
    if (!strcmp(column, "cif") || !strcmp(column, "text"))
        return column;
    return starts_like_cif(cell, len) ? "cif" : "text";
}

/* A file that cannot give any record: one error record inside a folder (the
 * walk goes on), a refused input otherwise (the caller reports it). */
static int refuse_file(input_ctx *in, const char *source, long line, const char *msg,
                       mms_error *err)
{
    if (in->in_dir)
        return emit_error(in, stem(source), source, line, NULL, MMS_EPARSE, "%s", msg);
    return mms_error_set(err, MMS_EUNSUPPORTED, line, "%s: %s", source, msg);
}

static int read_csv(input_ctx *in, byte_in *b, const char *source, mms_error *ferr)
{
    csv_reader r;
    csv_init(&r, b, in->max_record);
    mms_error e;
    long row_line;
    int rc = csv_next(&r, &row_line, &e);
    if (rc == CSV_END) {
        csv_free(&r);
        if (b->error.code) {
            b->reported = 1;
            return emit_error(in, stem(source), source, 1, NULL, MMS_EIO, "read error: %s",
                              b->error.message);
        }
        char *id = stem(source);
        return emit_error(in, id, source, 1, NULL, MMS_EPARSE,
                          "empty CSV: expected a header row%s", NULL);
    }
    for (size_t i = 0; rc == CSV_ROW && i < r.n_cells; i++)
        if (memchr(r.cells[i], '\0', r.cell_lens[i]))
            rc = mms_error_set(&e, MMS_EPARSE, row_line,
                               "binary byte 0x00 in column %zu of the header: expected a name",
                               i + 1);
    if (rc != CSV_ROW) {
        /* Without a header no row can be read: one error record stands for
         * the file. */
        csv_free(&r);
        char *id = stem(source);
        return emit_error(in, id, source, e.line, NULL, rc, "header: %s", e.message);
    }
    size_t ncol = r.n_cells;
    char **header = r.cells;
    /* Keep the header; the reader gets fresh cell storage. */
    r.cells = NULL;
    r.n_cells = r.cap_cells = 0;
    free(r.cell_lines);
    r.cell_lines = NULL;
    free(r.cell_lens);
    r.cell_lens = NULL;
    long struct_col = find_col(header, ncol, in->column ? in->column : "cif");
    if (struct_col < 0 && !in->column)
        struct_col = find_col(header, ncol, "text");
    if (struct_col < 0 && (in->column || in->need_structures)) {
        /* Rows without a structure would score nothing: say what is there. */
        char msg[512];
        no_structure_msg(msg, sizeof msg, in, "column", (const char *const *)header, ncol);
        rc = refuse_file(in, source, row_line, msg, ferr);
        for (size_t i = 0; i < ncol; i++)
            free(header[i]);
        free(header);
        csv_free(&r);
        return rc;
    }
    long id_col = find_col(header, ncol, "material_id");
    if (id_col < 0)
        id_col = find_col(header, ncol, "id");
    if (id_col < 0)
        id_col = 0;
    size_t row = 0;
    rc = MMS_OK;
    for (;;) {
        int st = csv_next(&r, &row_line, &e);
        if (st == CSV_END)
            break;
        char *row_id = id_printf("%s:row%zu", source, row);
        row++;
        if (st != CSV_ROW) {
            if (st == MMS_EIO)
                b->reported = 1;
            rc = emit_error(in, row_id, source, e.line, NULL, st, "%s", e.message);
            if (rc != MMS_OK || st == MMS_ENOMEM)
                break;
            continue;
        }
        if (r.n_cells == 1 && r.cell_lens[0] == 0) {
            free(row_id);
            row--;
            continue; /* blank line, as pandas skips it */
        }
        if (r.n_cells != ncol) {
            char msg[300];
            int k = snprintf(msg, sizeof msg, "expected %zu columns as in the header, found %zu",
                             ncol, r.n_cells);
            /* A stray quote pulls the next rows into one cell: name where it opened. */
            for (size_t i = 0; i < r.n_cells; i++) {
                const char *nl = memchr(r.cells[i], '\n', r.cell_lens[i]);
                if (nl && k > 0 && (size_t)k < sizeof msg) {
                    long n_lines = 1;
                    const char *end = r.cells[i] + r.cell_lens[i];
                    for (; nl; nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1)))
                        n_lines++;
                    snprintf(msg + k, sizeof msg - (size_t)k,
                             " (column %zu is a quoted cell opened on line %ld that spans %ld "
                             "lines: an unclosed quote?)",
                             i + 1, r.cell_lines[i], n_lines);
                    break;
                }
            }
            rc = emit_error(in, row_id, source, row_line, NULL, MMS_EPARSE, "%s", msg);
            if (rc != MMS_OK)
                break;
            continue;
        }
        size_t nul_col = ncol;
        for (size_t i = 0; i < ncol && nul_col == ncol; i++)
            if (memchr(r.cells[i], '\0', r.cell_lens[i]))
                nul_col = i;
        if (nul_col < ncol) {
            /* A NUL would cut the cell short unseen: the row is an error. */
            char msg[200];
            snprintf(msg, sizeof msg, "binary byte 0x00 in column \"%.64s\": expected text",
                     header[nul_col]);
            rc = emit_error(in, row_id, source, r.cell_lines[nul_col], NULL, MMS_EPARSE, "%s",
                            msg);
            if (rc != MMS_OK)
                break;
            continue;
        }
        if ((size_t)id_col < r.n_cells && r.cells[id_col][0]) {
            free(row_id);
            row_id = strdup(r.cells[id_col]);
        }
        cJSON *fields = cJSON_CreateObject();
        for (size_t i = 0; fields && i < ncol; i++)
            if ((long)i != struct_col)
                cJSON_AddStringToObject(fields, header[i], r.cells[i]);
        if (!row_id || !fields) {
            free(row_id);
            cJSON_Delete(fields);
            rc = MMS_ENOMEM;
            break;
        }
        if (struct_col >= 0) {
            const char *cell = r.cells[struct_col];
            size_t len = r.cell_lens[struct_col];
            rc = read_structures(in, cell_format(in, header[struct_col], cell, len), cell, len,
                                 source, row_id, r.cell_lines[struct_col], fields);
            free(row_id);
        } else {
            rc = emit(in, row_id, source, row_line, NULL, fields, NULL);
        }
        if (rc != MMS_OK)
            break;
    }
    for (size_t i = 0; i < ncol; i++)
        free(header[i]);
    free(header);
    csv_free(&r);
    return rc;
}

/* ----------------------------------------------------------------- JSONL */

/* An upper bound of the values cJSON would make of s (each costs ~80 bytes
 * as a cJSON node against 2 bytes of "0,"): every value but the first of a
 * container follows a comma, and every container opens with a bracket. */
static size_t json_value_bound(const char *s, size_t n)
{
    size_t count = 1;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"')
            in_str = 1;
        else if (c == ',' || c == '[' || c == '{')
            count++;
    }
    return count;
}

static int read_jsonl(input_ctx *in, byte_in *b, const char *source, mms_error *ferr)
{
    strbuf line = {0};
    long lineno = 0;
    size_t n_with = 0, n_without = 0; /* objects with / without a structure field */
    char first_missing[512] = "";
    int rc = MMS_OK, ch = 0;
    while (rc == MMS_OK && ch >= 0) {
        line.len = 0;
        int too_long = 0, nomem = 0;
        lineno++;
        while ((ch = byte_in_get(b)) >= 0 && ch != '\n') {
            if (line.len < in->max_record && !nomem) {
                if (strbuf_putc(&line, (char)ch))
                    nomem = 1; /* this line only: skip the rest of it */
            } else if (!nomem)
                too_long = 1;
        }
        const char *s = line.s ? line.s : "";
        size_t k = 0;
        while (k < line.len && isspace((unsigned char)s[k]))
            k++;
        if (ch < 0 && b->error.code && (line.len || too_long || nomem)) {
            /* The line was cut by a read error: not a record to parse. */
            b->reported = 1;
            rc = emit_error(in, id_printf("%s:line%zu", source, (size_t)lineno), source, lineno,
                            NULL, MMS_EIO, "read error inside the line: %s", b->error.message);
            break;
        }
        if (k == line.len && !too_long && !nomem)
            continue; /* blank lines are not records */
        char *id = id_printf("%s:line%zu", source, (size_t)lineno);
        if (nomem || too_long) {
            char msg[120];
            if (nomem)
                snprintf(msg, sizeof msg, "out of memory holding the line");
            else
                snprintf(msg, sizeof msg, "line longer than %zu bytes (--max-record-bytes)",
                         in->max_record);
            rc = emit_error(in, id, source, lineno, NULL, nomem ? MMS_ENOMEM : MMS_ELIMIT, "%s",
                            msg);
            strbuf_free(&line); /* give a huge line's memory back */
            continue;
        }
        size_t n_values = json_value_bound(s, line.len);
        if (in->max_json_values && n_values > in->max_json_values) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "line holds more than %zu JSON values (--max-json-values); not parsed",
                     in->max_json_values);
            rc = emit_error(in, id, source, lineno, NULL, MMS_ELIMIT, "%s", msg);
            continue;
        }
        const char *end = NULL;
        int oom = 0;
        cJSON *obj = mms_json_parse(s, line.len, &end, &oom);
        if (!obj || !cJSON_IsObject(obj)) {
            char msg[160];
            if (oom)
                snprintf(msg, sizeof msg, "out of memory parsing %zu bytes of JSON", line.len);
            else if (!obj)
                snprintf(msg, sizeof msg, "expected a JSON object, invalid JSON near column %ld",
                         end ? (long)(end - s) + 1 : 1L);
            else
                snprintf(msg, sizeof msg, "expected a JSON object, found another JSON value");
            cJSON_Delete(obj);
            rc = emit_error(in, id, source, lineno, NULL, oom ? MMS_ENOMEM : MMS_EPARSE, "%s",
                            msg);
            continue;
        }
        const cJSON *jid = cJSON_GetObjectItemCaseSensitive(obj, "id");
        if (cJSON_IsString(jid) && jid->valuestring[0]) {
            free(id);
            id = strdup(jid->valuestring);
        } else if (cJSON_IsNumber(jid)) {
            free(id);
            char num[64];
            snprintf(num, sizeof num, "%.17g", jid->valuedouble);
            id = strdup(num);
        }
        if (!id) {
            cJSON_Delete(obj);
            rc = MMS_ENOMEM;
            break;
        }
        const char *key;
        if (in->column)
            key = cJSON_GetObjectItemCaseSensitive(obj, in->column) ? in->column : NULL;
        else
            key = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "cif"))    ? "cif"
                  : cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "text")) ? "text"
                                                                                  : NULL;
        /* {"cif": 42} is a broken structure record, not a fields record
         * ("text" is too common a name in QA data to be judged so). */
        const cJSON *bad_cell = cJSON_GetObjectItemCaseSensitive(obj, key ? key : "cif");
        if (bad_cell && !cJSON_IsString(bad_cell)) {
            char msg[160];
            snprintf(msg, sizeof msg, "field \"%.64s\": expected the structure as a string",
                     bad_cell->string);
            rc = emit_error(in, id, source, lineno, obj, MMS_EPARSE, "%s", msg);
        } else if (!key && (in->column || in->need_structures)) {
            const char *keys[32];
            size_t nk = 0;
            for (const cJSON *it = obj->child; it && nk < 32; it = it->next)
                keys[nk++] = it->string;
            char msg[512];
            no_structure_msg(msg, sizeof msg, in, "field", keys, nk);
            if (!n_without++)
                snprintf(first_missing, sizeof first_missing, "line %ld: %.400s", lineno, msg);
            rc = emit_error(in, id, source, lineno, obj, MMS_EPARSE, "%s", msg);
        } else if (key) {
            n_with++;
            cJSON *cell = cJSON_DetachItemFromObjectCaseSensitive(obj, key);
            size_t len = strlen(cell->valuestring);
            const char *fmt = cell_format(in, key, cell->valuestring, len);
            in->cur_values = n_values;
            /* The structure text is inside a JSON string: its lines are not
             * file lines, so errors name the record's line. */
            rc = read_structures(in, fmt, cell->valuestring, len, source, id, lineno, obj);
            cJSON_Delete(cell);
            free(id);
        } else {
            in->cur_values = n_values;
            rc = emit(in, id, source, lineno, NULL, obj, NULL);
        }
    }
    strbuf_free(&line);
    /* Not one structure in the whole file: every line is on record as an
     * error, and the input as a whole is refused so the run cannot pass. */
    if (rc == MMS_OK && n_without && !n_with && !in->in_dir)
        rc = mms_error_set(ferr, MMS_EUNSUPPORTED, 0, "%s: no structure in any line (%s)",
                           source, first_missing);
    return rc;
}

/* ----------------------------------------------------------- dispatching */

typedef enum { K_CIF, K_TEXT, K_CSV, K_JSONL, K_PLUGIN, K_NONE } kind;

static kind kind_of(const input_ctx *in, const char *name, const char **format)
{
    const char *ext = name;
    *format = name;
    if (!strcasecmp(ext, "cif") || !strcasecmp(ext, "mcif"))
        return *format = "cif", K_CIF;
    if (!strcasecmp(ext, "txt") || !strcasecmp(ext, "text"))
        return *format = "text", K_TEXT;
    if (!strcasecmp(ext, "csv"))
        return K_CSV;
    if (!strcasecmp(ext, "jsonl") || !strcasecmp(ext, "ndjson"))
        return K_JSONL;
    if (reader_plugin_for(in, ext) >= 0)
        return K_PLUGIN;
    return K_NONE;
}

static int read_stream(input_ctx *in, byte_in *b, const char *source, kind k, const char *format,
                       mms_error *err)
{
    switch (k) {
    case K_CIF: return read_cif_stream(in, b, source);
    case K_TEXT: return read_whole(in, b, source, "text");
    case K_CSV: return read_csv(in, b, source, err);
    case K_JSONL: return read_jsonl(in, b, source, err);
    case K_PLUGIN: return read_whole(in, b, source, format);
    default: return MMS_EUNSUPPORTED;
    }
}

/* Does the line [s, e) hold exactly three numbers (crystal-text-llm's
 * lengths line)? */
static int three_numbers(const char *s, const char *e)
{
    int n = 0;
    while (s < e) {
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s == e)
            break;
        char num[64];
        size_t k = 0;
        while (s < e && !isspace((unsigned char)*s) && k < sizeof num - 1)
            num[k++] = *s++;
        num[k] = '\0';
        char *end;
        strtod(num, &end);
        if (end == num || *end)
            return 0;
        n++;
    }
    return n == 3;
}

/* What kind of text a stream of unknown name holds (stdin, a FIFO):
 * { → JSONL, data_ → CIF, a line of three numbers → crystal-text-llm text,
 * else CSV with a header.  Looks at the first buffer only. */
static kind sniff(byte_in *b)
{
    if (byte_in_peek(b) < 0)
        return K_CSV;
    size_t i = b->pos;
    if (b->len - i >= 3 && !memcmp(b->buf + i, "\xEF\xBB\xBF", 3))
        i += 3; /* a UTF-8 byte order mark, which the readers skip too */
    while (i < b->len && isspace(b->buf[i]))
        i++;
    /* Leading CIF comments ("# generated using pymatgen"). */
    while (i < b->len && b->buf[i] == '#') {
        while (i < b->len && b->buf[i] != '\n')
            i++;
        while (i < b->len && isspace(b->buf[i]))
            i++;
    }
    if (i < b->len && b->buf[i] == '{')
        return K_JSONL;
    if (b->len - i >= 5 && !strncasecmp((const char *)b->buf + i, "data_", 5))
        return K_CIF;
    const char *s = (const char *)b->buf + i, *e = (const char *)b->buf + b->len;
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    if (three_numbers(s, nl ? nl : e))
        return K_TEXT;
    return K_CSV;
}

static int read_file(input_ctx *in, const char *path, int from_dir, mms_error *err);

static int skipped(input_ctx *in, const char *path, const char *why)
{
    return in->skip ? in->skip(in->sink_ctx, path, why) : MMS_OK;
}

static const char *file_type_name(mode_t m)
{
    return S_ISFIFO(m)   ? "a FIFO (named pipe)"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "not a regular file";
}

/* The folders being walked, innermost first: a folder met again below
 * itself (through a link) is a loop, and walking it again would never end. */
typedef struct dir_chain {
    dev_t dev;
    ino_t ino;
    const struct dir_chain *up;
} dir_chain;

static int in_chain(const dir_chain *c, const struct stat *st)
{
    for (; c; c = c->up)
        if (c->dev == st->st_dev && c->ino == st->st_ino)
            return 1;
    return 0;
}

/* Recursive, in sorted name order so runs are reproducible.  Everything it
 * does not read is reported to in->skip, so the summary names it. */
static int read_dir(input_ctx *in, const char *dir, const dir_chain *up, mms_error *err)
{
    struct stat self;
    if (stat(dir, &self) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot open folder: %s", dir, strerror(errno));
    if (in_chain(up, &self))
        return skipped(in, dir, "a link back to a folder being walked");
    dir_chain here = {self.st_dev, self.st_ino, up};
    char **names;
    size_t n;
    int rc = mms_dir_names(dir, 1, &names, &n);
    if (rc == MMS_EIO)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot open folder: %s", dir, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == MMS_OK) {
            if (base_name(names[i])[0] == '.')
                rc = skipped(in, names[i], "hidden");
            else if (stat(names[i], &st) != 0)
                rc = read_file(in, names[i], 1, err); /* a dangling link: an error record */
            else if (S_ISDIR(st.st_mode))
                rc = read_dir(in, names[i], &here, err);
            else if (S_ISREG(st.st_mode))
                rc = read_file(in, names[i], 1, err);
            else /* never opened: a FIFO without a writer would block the walk */
                rc = skipped(in, names[i], file_type_name(st.st_mode));
            if (rc == MMS_EIO) /* an unreadable file in a folder is an error record */
                rc = MMS_OK;
        }
        free(names[i]);
    }
    free(names);
    return rc == MMS_ENOMEM ? mms_error_set(err, rc, 0, "out of memory") : rc;
}

/* Open for reading through zlib.  Inside a folder the open never blocks and
 * anything but a regular file is left alone (a file swapped for a FIFO
 * after the walk's stat); *not_regular says so. */
static gzFile open_input(const char *path, int from_dir, mode_t *mode)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (from_dir ? O_NONBLOCK : 0));
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    *mode = st.st_mode;
    if (from_dir && !S_ISREG(st.st_mode)) {
        close(fd);
        errno = 0;
        return NULL;
    }
    if (from_dir)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    gzFile g = gzdopen(fd, "rb");
    if (!g) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    gzbuffer(g, 1u << 16);
    return g;
}

/* Read an opened stream; a read error the readers did not report becomes an
 * io record, so what was lost is on record. */
static int read_opened(input_ctx *in, byte_in *b, const char *path, kind k, const char *format,
                       mms_error *err)
{
    int rc = read_stream(in, b, path, k, format, err);
    if (rc == MMS_OK && b->error.code && !b->reported) {
        char *id = stem(path);
        rc = emit_error(in, id, path, 0, NULL, MMS_EIO, "read error: %s", b->error.message);
    }
    return rc;
}

static int read_file(input_ctx *in, const char *path, int from_dir, mms_error *err)
{
    const char *format;
    char ext[64];
    extension_buf(path, ext, sizeof ext);
    /* A forced format says how to read structures; a CSV or JSONL file stays
     * a table of records whose cells are read that way. */
    kind k = kind_of(in, ext, &format);
    if (in->force_format && k != K_CSV && k != K_JSONL)
        k = kind_of(in, in->force_format, &format);
    int sniff_it = 0;
    if (k == K_NONE) {
        struct stat st;
        if (from_dir)
            return skipped(in, path, "not a structure file (by its extension)");
        if (in->force_format && is_core_format(in->force_format))
            k = K_TEXT;
        else if (!ext[0] && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
            sniff_it = 1; /* a FIFO or /dev/fd/N: read as stdin is */
        else
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "%s: no reader for \"%s\" files (cif, txt, csv, jsonl, or a "
                                 "reader plugin's format, optionally .gz; --format NAME forces "
                                 "one)",
                                 path, ext);
    }
    mode_t mode = 0;
    errno = 0;
    gzFile g = open_input(path, from_dir, &mode);
    if (!g && from_dir && errno == 0)
        return skipped(in, path, file_type_name(mode));
    if (!g) {
        const char *why = strerror(errno);
        if (from_dir) /* inside a folder the file still counts as one (failed) record */
            emit_error(in, stem(path), path, 0, NULL, MMS_EIO, "cannot open: %s", why);
        int code = mms_error_set(err, MMS_EIO, 0, "%s: cannot open: %s", path, why);
        return code;
    }
    /* zlib reads plain and gzip files alike, whatever the name says */
    byte_in *b = malloc(sizeof *b);
    if (!b) {
        gzclose(g);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    byte_in_gz(b, g);
    if (sniff_it)
        k = sniff(b);
    in->in_dir = from_dir;
    int rc = read_opened(in, b, path, k, format, err);
    in->in_dir = 0;
    free(b);
    gzclose(g);
    if (rc == MMS_ENOMEM)
        return mms_error_set(err, rc, 0, "out of memory");
    return rc;
}

int mms_input_path(input_ctx *in, const char *path, mms_error *err)
{
    if (!strcmp(path, "-")) {
        /* zlib reads stdin too, so a gzip stream on it is read as well. */
        int fd = dup(STDIN_FILENO);
        gzFile g = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        byte_in *b = g ? malloc(sizeof *b) : NULL;
        if (!b) {
            if (g)
                gzclose(g);
            else if (fd >= 0)
                close(fd);
            return mms_error_set(err, fd < 0 ? MMS_EIO : MMS_ENOMEM, 0, "-: cannot read stdin: %s",
                                 fd < 0 ? strerror(errno) : "out of memory");
        }
        gzbuffer(g, 1u << 16);
        byte_in_gz(b, g);
        const char *format = "cif";
        kind k = in->force_format ? kind_of(in, in->force_format, &format) : sniff(b);
        if (k == K_NONE)
            k = K_TEXT;
        int rc = read_opened(in, b, "-", k, format, err);
        free(b);
        gzclose(g);
        if (rc == MMS_ENOMEM)
            return mms_error_set(err, rc, 0, "out of memory");
        return rc;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read input: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return read_dir(in, path, NULL, err);
    return read_file(in, path, 0, err);
}

int mms_input_buffer(input_ctx *in, const char *source, const char *kind_name, const char *text,
                     size_t len, mms_error *err)
{
    const char *format;
    kind k = kind_of(in, kind_name, &format);
    if (k == K_NONE)
        return mms_error_set(err, MMS_EUNSUPPORTED, 0, "%s: unknown input kind \"%s\"", source,
                             kind_name);
    byte_in *b = malloc(sizeof *b);
    if (!b)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    byte_in_mem(b, text, len);
    int rc = read_stream(in, b, source, k, format, err);
    free(b);
    if (rc == MMS_ENOMEM)
        return mms_error_set(err, rc, 0, "out of memory");
    return rc;
}
