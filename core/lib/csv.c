/* RFC 4180 CSV, one row at a time, from a bounded buffered byte reader.
 * Hand-written because no Debian C library reads CSV with line tracking and
 * a per-row size cap; the grammar is small: quoted cells may hold commas,
 * newlines and "" escapes; rows end at LF or CRLF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "grow_internal.h"
#include "input_internal.h"

#define CSV_MAX_COLUMNS 65536

void byte_in_file(byte_in *b, FILE *f)
{
    b->f = f;
    b->gz = NULL;
    mms_error_clear(&b->error);
    b->reported = 0;
    b->mem = NULL;
    b->mem_len = b->mem_pos = 0;
    b->pos = b->len = 0;
    b->eof = 0;
}

void byte_in_gz(byte_in *b, void *gz)
{
    byte_in_file(b, NULL);
    b->gz = gz;
}

void byte_in_mem(byte_in *b, const char *text, size_t len)
{
    b->f = NULL;
    b->gz = NULL;
    mms_error_clear(&b->error);
    b->reported = 0;
    b->mem = text;
    b->mem_len = len;
    b->mem_pos = 0;
    b->pos = b->len = 0;
    b->eof = 0;
}

static int refill(byte_in *b)
{
    if (b->eof)
        return 0;
    if (b->gz) {
        int n = gzread((gzFile)b->gz, b->buf, (unsigned)sizeof b->buf);
        if (n < 0) {
            /* A corrupt or truncated .gz: the readers turn the record being
             * read into an io error instead of reading half of it. */
            int code;
            const char *zmsg = gzerror((gzFile)b->gz, &code);
            mms_error_set(&b->error, MMS_EIO, 0, "%s", code == Z_ERRNO ? "read error" : zmsg);
            n = 0;
        } else if (n == 0) {
            /* zlib reports a cut stream (Z_BUF_ERROR) only through gzerror */
            int code;
            const char *zmsg = gzerror((gzFile)b->gz, &code);
            if (code != Z_OK)
                mms_error_set(&b->error, MMS_EIO, 0, "%s", code == Z_ERRNO ? "read error" : zmsg);
        }
        b->len = (size_t)n;
    } else if (b->f) {
        b->len = fread(b->buf, 1, sizeof b->buf, b->f);
        if (b->len == 0 && ferror(b->f))
            mms_error_set(&b->error, MMS_EIO, 0, "read error");
    } else {
        size_t n = b->mem_len - b->mem_pos;
        if (n > sizeof b->buf)
            n = sizeof b->buf;
        memcpy(b->buf, b->mem + b->mem_pos, n);
        b->mem_pos += n;
        b->len = n;
    }
    b->pos = 0;
    if (b->len == 0)
        b->eof = 1;
    return b->len > 0;
}

int byte_in_get(byte_in *b)
{
    if (b->pos == b->len && !refill(b))
        return -1;
    return b->buf[b->pos++];
}

int byte_in_peek(byte_in *b)
{
    if (b->pos == b->len && !refill(b))
        return -1;
    return b->buf[b->pos];
}

int strbuf_put(strbuf *b, const char *s, size_t n)
{
    if (!mms_grow((void **)&b->s, &b->cap, b->len + n + 1, 1, 256))
        return MMS_ENOMEM;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return MMS_OK;
}

int strbuf_putc(strbuf *b, char c)
{
    if (b->len + 2 <= b->cap) {
        b->s[b->len++] = c;
        b->s[b->len] = '\0';
        return MMS_OK;
    }
    return strbuf_put(b, &c, 1);
}

void strbuf_free(strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void csv_init(csv_reader *r, byte_in *in, size_t max_row)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->line = 1;
    r->max_row = max_row;
}

static void clear_cells(csv_reader *r)
{
    for (size_t i = 0; i < r->n_cells; i++)
        free(r->cells[i]);
    r->n_cells = 0;
}

void csv_free(csv_reader *r)
{
    clear_cells(r);
    free(r->cells);
    free(r->cell_lines);
    free(r->cell_lens);
    strbuf_free(&r->cell);
}

static int push_cell(csv_reader *r, long line)
{
    if (r->n_cells == r->cap_cells) {
        /* Three parallel arrays, one recorded capacity: it is raised only
         * when all three grew (a failure leaves some larger, never smaller). */
        size_t c1 = r->cap_cells, c2 = r->cap_cells, c3 = r->cap_cells, need = r->n_cells + 1;
        if (!mms_grow((void **)&r->cells, &c1, need, sizeof *r->cells, 16) ||
            !mms_grow((void **)&r->cell_lines, &c2, need, sizeof *r->cell_lines, 16) ||
            !mms_grow((void **)&r->cell_lens, &c3, need, sizeof *r->cell_lens, 16))
            return MMS_ENOMEM;
        r->cap_cells = c1;
    }
    char *s = malloc(r->cell.len + 1);
    if (!s)
        return MMS_ENOMEM;
    memcpy(s, r->cell.s ? r->cell.s : "", r->cell.len);
    s[r->cell.len] = '\0';
    r->cells[r->n_cells] = s;
    r->cell_lines[r->n_cells] = line;
    r->cell_lens[r->n_cells] = r->cell.len;
    r->n_cells++;
    r->cell.len = 0;
    return MMS_OK;
}

/* Skip to the end of the current row after a size overflow, honouring
 * quotes so that a newline inside a quoted cell does not end it.  Returns 1
 * when the input ended inside quotes. */
static int skip_row(csv_reader *r, int in_quotes)
{
    int c;
    while ((c = byte_in_get(r->in)) >= 0) {
        if (c == '\n')
            r->line++;
        if (c == '"')
            in_quotes = !in_quotes;
        else if (c == '\n' && !in_quotes)
            return 0;
    }
    return in_quotes;
}

/* Inside a quoted cell everything up to the next quote is content: copy the
 * buffered run at once instead of byte by byte (CIF cells are kilobytes of
 * it).  A run that would pass the row limit is left to the byte loop, which
 * reports it at the same byte as before. */
static int quoted_run(csv_reader *r, size_t *row_bytes)
{
    byte_in *in = r->in;
    if (byte_in_peek(in) < 0)
        return MMS_OK;
    const unsigned char *p = in->buf + in->pos, *end = in->buf + in->len;
    const unsigned char *q = memchr(p, '"', (size_t)(end - p));
    size_t n = (size_t)((q ? q : end) - p);
    if (n == 0 || *row_bytes + n > r->max_row)
        return MMS_OK;
    for (const unsigned char *nl = p; (nl = memchr(nl, '\n', (size_t)(p + n - nl))) != NULL; nl++)
        r->line++;
    if (strbuf_put(&r->cell, (const char *)p, n))
        return MMS_ENOMEM;
    in->pos += n;
    *row_bytes += n;
    return MMS_OK;
}

int csv_next(csv_reader *r, long *row_line, mms_error *err)
{
    clear_cells(r);
    r->cell.len = 0;
    int c = byte_in_peek(r->in);
    if (c < 0)
        return CSV_END;
    long start = r->line, cell_line = r->line;
    *row_line = start;
    size_t row_bytes = 0;
    int quoted = 0, was_quoted = 0;
    for (;;) {
        if (quoted && quoted_run(r, &row_bytes))
            return mms_error_set(err, MMS_ENOMEM, start, "out of memory");
        c = byte_in_get(r->in);
        if (c >= 0 && ++row_bytes > r->max_row) {
            /* A quote that never closes swallows the rest of the file: say
             * where it opened, not only that the row grew too long. */
            if (skip_row(r, quoted))
                return mms_error_set(err, MMS_EPARSE, cell_line,
                                     "unclosed quote: the quoted cell opened on this line runs to "
                                     "the end of the file; expected a closing quote");
            if (quoted)
                return mms_error_set(err, MMS_ELIMIT, cell_line,
                                     "row starting at line %ld is longer than %zu bytes "
                                     "(--max-record-bytes) inside the quoted cell opened on "
                                     "this line (an unclosed quote?)",
                                     start, r->max_row);
            return mms_error_set(err, MMS_ELIMIT, start,
                                 "row longer than %zu bytes (--max-record-bytes)", r->max_row);
        }
        if (quoted) {
            if (c < 0 && r->in->error.code)
                return mms_error_set(err, MMS_EIO, start, "read error inside the row: %s",
                                     r->in->error.message);
            if (c < 0)
                return mms_error_set(err, MMS_EPARSE, cell_line,
                                     "unterminated quoted cell: expected a closing \" "
                                     "before the end of the file");
            if (c == '"') {
                if (byte_in_peek(r->in) == '"') {
                    byte_in_get(r->in);
                    row_bytes++;
                    if (strbuf_putc(&r->cell, '"'))
                        return mms_error_set(err, MMS_ENOMEM, start, "out of memory");
                } else {
                    quoted = 0;
                }
                continue;
            }
            if (c == '\n')
                r->line++;
            if (strbuf_putc(&r->cell, (char)c))
                return mms_error_set(err, MMS_ENOMEM, start, "out of memory");
            continue;
        }
        if (c == '"' && r->cell.len == 0 && !was_quoted) {
            quoted = was_quoted = 1;
            continue;
        }
        if (c < 0 && r->in->error.code)
            return mms_error_set(err, MMS_EIO, start, "read error inside the row: %s",
                                 r->in->error.message);
        if (c == ',' || c == '\n' || c < 0) {
            /* CRLF: the CR belongs to the line end, not the cell. */
            if (c != ',' && r->cell.len && r->cell.s[r->cell.len - 1] == '\r')
                r->cell.len--;
            /* Each cell costs far more than its byte: cap the count so a row
             * of commas cannot multiply the row limit into gigabytes. */
            if (r->n_cells >= CSV_MAX_COLUMNS) {
                if (c == ',')
                    skip_row(r, 0);
                else if (c == '\n')
                    r->line++;
                return mms_error_set(err, MMS_ELIMIT, start,
                                     "row has more than %d columns: expected a table row",
                                     CSV_MAX_COLUMNS);
            }
            if (push_cell(r, cell_line))
                return mms_error_set(err, MMS_ENOMEM, start, "out of memory");
            was_quoted = 0;
            cell_line = r->line;
            if (c == ',')
                continue;
            if (c == '\n')
                r->line++;
            return CSV_ROW;
        }
        /* A stray quote inside an unquoted cell is kept literally, as
         * Python's csv module and pandas do. */
        if (strbuf_putc(&r->cell, (char)c))
            return mms_error_set(err, MMS_ENOMEM, start, "out of memory");
    }
}
