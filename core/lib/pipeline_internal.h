/* Internals shared by the host, inputs, pipeline and report (not installed). */
#ifndef MMSCORE_PIPELINE_INTERNAL_H
#define MMSCORE_PIPELINE_INTERNAL_H

#include <stdio.h>

#include "mmscore/host.h"

/* A number array kept as doubles (values.c): slot is its empty place
 * holder in obj, filled when the JSON is read. */
typedef struct mms_values_packed {
    double *x; /* owned */
    size_t n;
    cJSON *slot; /* in obj */
} mms_values_packed;

struct mms_values {
    cJSON *obj; /* owned */
    mms_values_packed *packed; /* owned */
    size_t n_packed, cap_packed;
    int first_error; /* sticky: the first failed set_* since creation */
};

/* Take the object out (caller owns it) and leave v empty. */
cJSON *mms_values_detach(mms_values *v);
/* Make the elements of every packed number array (MMS_ENOMEM on failure). */
int mms_values_materialize(mms_values *v);
/* A copy (caller owns it; NULL if out of memory) of item, a value of v,
 * built straight from the doubles if it is a packed array. */
cJSON *mms_values_item_copy(const mms_values *v, const cJSON *item);
/* Moves every value of src into dst (replacing names dst has), keeping
 * packed arrays packed; src is left empty. */
int mms_values_move(mms_values *dst, mms_values *src);

/* One loaded plugin. */
typedef struct host_plugin {
    char *path;              /* owned */
    void *dl;                /* dlopen handle */
    const mms_plugin *desc;  /* owned copy, zero past the plugin's struct_size */
    cJSON *config;           /* owned: defaults, then config file, then flags */
    int builtin;             /* from the binary's own plugin folder: trusted to
                                run in-process by default (else isolated) */
} host_plugin;

typedef struct host_failure {
    char *path;
    char *message;
    char *name;      /* the descriptor's name, else the file's stem */
    char *commands;  /* the descriptor's commands; NULL when it could not be trusted */
    int duplicate;   /* refused because a plugin of that name is loaded */
    int builtin;     /* from the binary's own plugin directory */
} host_failure;

struct mms_host {
    host_plugin *plugins;
    size_t n_plugins, cap_plugins;
    host_failure *failures;
    size_t n_failures, cap_failures;
    int loading_builtin;     /* set while the binary's own plugins load */
};

/* cJSON_ParseWithLengthOpts that tells running out of memory (*nomem = 1)
 * from invalid JSON. */
cJSON *mms_json_parse(const char *s, size_t len, const char **end, int *nomem);

/* Replace every invalid UTF-8 sequence in the strings and keys below node
 * by U+FFFD, so that the printed JSON is strict (utf8.c). */
void mms_json_utf8_fix(cJSON *node);

/* Parse a JSON file of at most max bytes; *out owned by the caller. */
int mms_json_read_file(const char *path, size_t max, cJSON **out, mms_error *err);

/* Does the space-separated list contain word? */
int mms_word_in_list(const char *list, const char *word);

/* A record as the pipeline holds it; `pub` points into the owned fields. */
typedef struct pipe_record {
    mms_record pub;
    char *id;               /* owned */
    char *source;           /* owned */
    char *set;              /* owned */
    mms_structure *structure;  /* owned, NULL if none */
    cJSON *fields;          /* owned, NULL if none */
    mms_error error;        /* code MMS_OK when the record read */
    mms_values *values;     /* all plugins' per-record values */
    cJSON *plugin_errors;   /* owned, NULL if none */
    size_t in_batch;        /* earlier records of its set in the same batch */
} pipe_record;

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
    int failed;          /* a read error ended the stream early */
    char why[160];       /* what the error was */
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

/* Report building: the per-record JSON line (numbers already made exact);
 * with_fields adds the record's other CSV/JSONL fields under "fields"
 * (not the structure's own column: cif, text, or `column` when set). */
cJSON *mms_report_record(const pipe_record *r, int with_fields, const char *column);

/* "xxh128:<hex>" of a 128-bit digest, and of a text in memory. */
void mms_digest_hex(unsigned long long hi, unsigned long long lo, char out[MMS_DIGEST_MAX]);
void mms_digest_text(const char *text, size_t len, char out[MMS_DIGEST_MAX]);

/* Replace every number below node by a raw item that prints the shortest
 * text reading back to the same double (cJSON's own printing is not exact). */
void mms_json_exact_numbers(cJSON *node);

#endif
