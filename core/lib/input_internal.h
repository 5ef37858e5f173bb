/* The input layer (input.c) and the byte, string and CSV readers under it
 * (csv.c): what the pipeline sees of them (not installed). */
#ifndef MMSCORE_INPUT_INTERNAL_H
#define MMSCORE_INPUT_INTERNAL_H

#include <stdio.h>

#include "mmscore/host.h"

/* The input layer hands records to the pipeline through this.  It fills id
 * (a fresh string it gives away), source/line, structure (given away),
 * fields (given away), error. */
typedef struct input_item {
    char *id;
    const char *source;
    long line;
    mms_structure *structure;
    cJSON *fields;
    const mms_error *error; /* NULL when read */
    size_t json_values;     /* JSON values held in fields (memory the batch holds) */
} input_item;

typedef int (*input_sink)(void *ctx, input_item *it);
/* A file a folder walk left out (not a structure file, a FIFO, ...). */
typedef int (*input_skip_fn)(void *ctx, const char *path, const char *why);

typedef struct input_ctx {
    input_sink sink;
    void *sink_ctx;
    const mms_host *host;
    void **reader_states;    /* per host plugin index: created reader state or NULL */
    mms_read_options ropt;   /* max_sites, max_line_len filled */
    size_t max_record;
    const char *force_format;
    const unsigned char *reader_ok; /* per host plugin index: reader created */
    input_skip_fn skip;      /* may be NULL */
    const char *column;      /* --column: the CSV column / JSONL field of the structure */
    int need_structures;     /* no selected scorer takes fields-only records */
    size_t max_json_values;  /* JSON values per JSONL line; 0 = no limit */
    int in_dir;              /* the file being read was found by a folder walk */
    size_t cur_values;       /* JSON values of the fields the next record takes */
    size_t n_emitted;        /* records handed to the sink so far */
} input_ctx;

/* Read a path (file, folder, "-") and feed every record to the sink.
 * MMS_EIO when it cannot be opened at all. */
int mms_input_path(input_ctx *in, const char *path, mms_error *err);
/* Read text of a known kind ("cif", "text", "csv", "jsonl", plugin format). */
int mms_input_buffer(input_ctx *in, const char *source, const char *kind, const char *text,
                     size_t len, mms_error *err);

/* Buffered byte reader used by CSV and JSONL so a hostile file never makes a
 * line or record bigger than its limit in memory. */
typedef struct byte_in {
    FILE *f;             /* NULL when reading from mem or gz */
    void *gz;            /* a zlib gzFile (plain files read through it too) */
    mms_error error;     /* MMS_EIO: a read error ended the stream early */
    int reported;        /* a reader put that error on record */
    const char *mem;
    size_t mem_len, mem_pos;
    unsigned char buf[65536];
    size_t pos, len;
    int eof;
} byte_in;

void byte_in_file(byte_in *b, FILE *f);
/* Read through zlib (gzip or, transparently, plain bytes); gz is a gzFile. */
void byte_in_gz(byte_in *b, void *gz);
void byte_in_mem(byte_in *b, const char *text, size_t len);
/* Next byte, or -1 at end of input. */
int byte_in_get(byte_in *b);
int byte_in_peek(byte_in *b);

/* A growable string with a hard cap. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

int strbuf_putc(strbuf *b, char c);
int strbuf_put(strbuf *b, const char *s, size_t n);
void strbuf_free(strbuf *b);

/* CSV (RFC 4180) reader: one row at a time. */
typedef struct csv_reader {
    byte_in *in;
    long line;            /* current line (1-based) */
    size_t max_row;       /* bytes per row */
    strbuf cell;
    char **cells;         /* owned; n_cells valid after a row */
    long *cell_lines;     /* first line of each cell */
    size_t *cell_lens;    /* bytes of each cell (a NUL byte may hide in one) */
    size_t n_cells, cap_cells;
} csv_reader;

enum { CSV_ROW = 1, CSV_END = 0 };

void csv_init(csv_reader *r, byte_in *in, size_t max_row);
void csv_free(csv_reader *r);
/* CSV_ROW with cells filled, CSV_END at end of input, or an error code
 * (MMS_EPARSE unterminated quote, MMS_ELIMIT row too big: the rest of the
 * row is skipped) with err->line the row's first line.  *row_line gets the
 * row's first line. */
int csv_next(csv_reader *r, long *row_line, mms_error *err);

#endif
