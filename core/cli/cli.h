/* The mmscore CLI: one file per command (cmd_<name>.c), each defining
 * `const cli_command cli_cmd_<name>`.  core/CMakeLists.txt generates the
 * command table from the file names, so adding a command is adding a file. */
#ifndef MMSCORE_CLI_H
#define MMSCORE_CLI_H

#include <stddef.h>

#include "mmscore/host.h"

enum { CLI_OK = 0, CLI_INPUT = 1, CLI_USAGE = 2 };

typedef struct cli_flag {
    const char *name;   /* without the leading "--"; NULL terminates */
    const char *arg;    /* "FILE", "N"...; NULL for a bare flag */
    const char *help;
} cli_flag;

typedef struct cli_ctx cli_ctx;

typedef struct cli_command {
    const char *name;
    const char *args;          /* usage after the name: "INPUT..." */
    const char *help;          /* one line */
    const cli_flag *flags;     /* the command's own flags; may be NULL */
    int (*run)(cli_ctx *c);    /* returns an exit code */
} cli_command;

struct cli_ctx {
    const cli_command *cmd;
    mms_host *host;
    const char *records;       /* --records */
    const char *save_state;    /* --save-state */
    int json, quiet;
    mms_pipeline_options popt; /* -j, --max-atoms, --max-record-bytes, --format */
    const char **args;         /* positional arguments */
    size_t n_args;
    const char **flag_names;   /* the command's own flags as given, in order */
    const char **flag_values;
    size_t n_flags;
    const char *summary_path;  /* --summary */
    int resume, progress;      /* --resume, --progress */
    cJSON *summary_extra;      /* added to the summary (owned; merge's "merge" note) */
};

/* Whether paths a and b are one file (device and inode); 0 if either is missing. */
int cli_same_file(const char *a, const char *b);

/* Last value given for a command flag, NULL if absent ("" for a bare flag). */
const char *cli_flag_value(const cli_ctx *c, const char *name);

/* Print to stderr "mmscore CMD: message" and return CLI_USAGE. */
int cli_usage_error(const cli_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The common run: open --records, make the pipeline with `select` applied,
 * call `feed` to add inputs (returns the exit code so far), finish and print
 * the summary.  Returns the exit code. */
typedef int (*cli_select_fn)(cli_ctx *c, mms_pipeline *p, mms_error *err);
typedef int (*cli_feed_fn)(cli_ctx *c, mms_pipeline *p);
int cli_run(cli_ctx *c, cli_select_fn select, cli_feed_fn feed);

/* Add inputs as set `set`; prints an error and returns CLI_INPUT for each
 * input that cannot be read at all, CLI_OK otherwise. */
int cli_add_inputs(cli_ctx *c, mms_pipeline *p, const char *const *inputs, size_t n,
                   const char *set);

#endif
