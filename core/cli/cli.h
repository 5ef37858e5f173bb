/* The mmscore CLI: one file per command (cmd_<name>.c), each defining
 * `const cli_command cli_cmd_<name>`.  core/CMakeLists.txt generates the
 * command table from the file names, so adding a command is adding a file. */
#ifndef MMSCORE_CLI_H
#define MMSCORE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "mmscore/host.h"

enum { CLI_OK = 0, CLI_INPUT = 1, CLI_USAGE = 2 };

typedef struct cli_flag {
    const char *name;   /* without the leading "--"; NULL terminates */
    const char *arg;    /* "FILE", "N"...; NULL for a bare flag */
    const char *help;
} cli_flag;

/* The flag of every command that can write the HTML report. */
#define CLI_REPORT_FLAG                                                                        \
    {"report", "FILE.html", "also write the HTML report (headline, figures, records that did " \
                            "not read) to FILE.html"}

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
    int argc;                  /* the command line, for the report's provenance */
    char **argv;
    const char *report_path;   /* --report FILE.html ("-" = stdout); NULL = none */
    cJSON *report_inputs;      /* [{set, path}] as added, for the report (owned) */
    int no_summary;            /* `mmscore report`: the HTML is the output */
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
/* Note an input of set `set` for the report's provenance (nothing without --report). */
void cli_note_input(cli_ctx *c, const char *set, const char *path);

int cli_add_inputs(cli_ctx *c, mms_pipeline *p, const char *const *inputs, size_t n,
                   const char *set);

/* Write the HTML report (html.c) of a finished pipeline to c->report_path;
 * CLI_OK, or CLI_INPUT with the path and strerror on stderr. */
int cli_report_write(cli_ctx *c, mms_pipeline *p, const cJSON *summary);

/* `mmscore merge STATE...` (cmd_merge.c), also behind `mmscore report`. */
int cli_merge_states(cli_ctx *c);

/* Headline values (headline.c): what plugins declare papers report. */
/* x as the shortest of %.15g..%.17g that reads back to x. */
void cli_number_exact(double x, char *buf, size_t size);
/* x scaled and rounded as hd says (raw: unscaled, unrounded); "" if not finite. */
void cli_headline_format(const mms_headline_def *hd, double x, int raw, char *buf, size_t size);
/* "label member (unit)" (member NULL: none); raw: the value is unscaled, so a
 * % label says "(fraction)". */
void cli_headline_label(const mms_headline_def *hd, const char *member, int raw, char *buf,
                        size_t size);
/* For a "X.*.Y" headline, the object X of the plugin's summary (one value per
 * member); NULL otherwise or if absent. */
const cJSON *cli_headline_members(const cJSON *summary, const char *plugin,
                                  const mms_headline_def *hd);
/* summary.plugins.<plugin>.<value> (or .X.<member>.Y), NULL if absent. */
const cJSON *cli_headline_value(const cJSON *summary, const char *plugin,
                                const mms_headline_def *hd, const char *member);
/* "plugin.value" (or "plugin.X.member.Y"): where a headline value comes from. */
void cli_headline_where(const mms_plugin *d, const mms_headline_def *hd, const char *member,
                        char *buf, size_t size);
/* One headline value as shown: label, rounded value ("-" for null), where. */
typedef struct cli_headline_text {
    char label[256], value[64], where[320];
} cli_headline_text;
void cli_headline_cells(const mms_plugin *d, const mms_headline_def *hd, const char *member,
                        const cJSON *v, cli_headline_text *out);
/* Calls fn for every headline value of the summary present in it, in the
 * plugins' run order and declared order (v may be JSON null). */
typedef void (*cli_headline_fn)(void *ctx, const mms_plugin *d, const mms_headline_def *hd,
                                const char *member, const cJSON *v);
void cli_headline_each(const mms_host *h, const cJSON *summary, cli_headline_fn fn, void *ctx);
/* The headline block at the top of the text summary (nothing if none). */
void cli_headline_print(FILE *f, const mms_host *h, const cJSON *summary);

/* The known flag (common, the command's, a plugin option) nearest to the
 * unknown `name` (without "--"), written into buf; NULL if none is near. */
const char *cli_nearest_flag(const cli_ctx *c, const cli_flag *common, const char *name,
                             char *buf, size_t size);

/* After the flags in `mmscore CMD --help`: the options of the plugins CMD
 * runs and examples (help.c). */
void cli_help_more(FILE *f, const cli_ctx *c);

/* The common flags (main.c) and a command's examples (help.c; NULL-terminated,
 * NULL if none): --help and the man page are written from the same text. */
extern const cli_flag *const cli_common_flags;
/* What each exit status means: --help and `mmscore man` print this one text. */
extern const char *const cli_exit_status;
const char *const *cli_help_examples(const char *cmd);

#endif
