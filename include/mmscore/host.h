/* mmscore — embedding API: load plugins, configure them, run the pipeline.
 *
 * The `mmscore` CLI is a thin layer over these calls; a program embedding
 * mmscore does the same:
 *
 *     mms_host *h;  mms_host_new(&h, &err);
 *     mms_host_load_default(h, &err);                // env, next to binary, install dir
 *     mms_host_set_option(h, "symprec", "0.01", &err);
 *     mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
 *     mms_pipeline *p;  mms_pipeline_new(&p, h, &opt, &err);
 *     mms_pipeline_select_command(p, "validate", &err);
 *     mms_pipeline_start(p, &err);
 *     mms_pipeline_add_input(p, "structures/", "input", &err);
 *     cJSON *summary;  mms_pipeline_finish(p, &summary, &err);
 *     mms_report_print(stdout, summary);  cJSON_Delete(summary);
 *     mms_pipeline_free(p);  mms_host_free(h);
 *
 * Every fallible call returns MMS_OK or a negative MMS_E* code and fills the
 * mms_error given (may be NULL).  Ownership: objects made by *_new are the
 * caller's and released by the matching *_free; strings and descriptors
 * returned by getters are borrowed and live as long as the host.  A host and
 * its pipelines are used from one thread; the pipeline runs its own workers. */
#ifndef MMSCORE_HOST_H
#define MMSCORE_HOST_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ host */

typedef struct mms_host mms_host;

MMS_EXPORT int mms_host_new(mms_host **out, mms_error *err);
/* Unloads every plugin; NULL is fine.  Free pipelines first. */
MMS_EXPORT void mms_host_free(mms_host *h);

/* Load one plugin file.  A plugin that cannot be used (dlopen error, no entry
 * symbol, another major ABI or a descriptor newer than the host's, bad
 * descriptor, a name or a metric name already taken) is recorded as a load
 * failure and the call returns its code; the host stays usable. */
MMS_EXPORT int mms_host_load_file(mms_host *h, const char *path, mms_error *err);

/* Load every *.so of dir in name order.  Per-file failures are recorded (see
 * mms_host_failure) and do not fail the call; MMS_EIO if dir cannot be read. */
MMS_EXPORT int mms_host_load_dir(mms_host *h, const char *dir, mms_error *err);

/* The default discovery after any --plugin-dir: every directory of the
 * MMSCORE_PLUGIN_PATH environment variable (colon list), then the binary's
 * own plugins: the first existing of `plugins/` next to the running
 * executable (the build tree), <exe>/../lib/mmscore/plugins (a relocated
 * install) and the configured install directory.  First plugin of a name
 * wins; later ones are recorded as failures. */
MMS_EXPORT int mms_host_load_default(mms_host *h, mms_error *err);

MMS_EXPORT size_t mms_host_plugin_count(const mms_host *h);
/* i-th loaded plugin in discovery order; *path (may be NULL) gets its file. */
MMS_EXPORT const mms_plugin *mms_host_plugin(const mms_host *h, size_t i, const char **path);
MMS_EXPORT const mms_plugin *mms_host_find(const mms_host *h, const char *name);

/* Plugins that were refused: file and why. */
MMS_EXPORT size_t mms_host_failure_count(const mms_host *h);
MMS_EXPORT const char *mms_host_failure(const mms_host *h, size_t i, const char **path);
/* The refused plugin's name (its descriptor's, else the file name without
 * .so) and whether it was refused only because a plugin of that name was
 * loaded first.  MMS_ENOTFOUND past the end. */
MMS_EXPORT int mms_host_failure_info(const mms_host *h, size_t i, const char **name,
                                     int *duplicate);

/* ---------------------------------------------------------------- options */

/* Merge a JSON config file {"plugin": {"option": value}} into the plugins'
 * configs.  MMS_EIO if unreadable, MMS_EPARSE if not such an object,
 * MMS_ENOTFOUND for a plugin or option nobody declares, MMS_EINVAL for a
 * value of the wrong type. */
MMS_EXPORT int mms_host_load_config(mms_host *h, const char *path, mms_error *err);
MMS_EXPORT int mms_host_apply_config(mms_host *h, const cJSON *config, mms_error *err);

/* Set option `name` (dashes and underscores equivalent) from text on every
 * loaded plugin declaring it.  MMS_ENOTFOUND if no plugin declares it,
 * MMS_EINVAL if text does not parse as the declared type. */
MMS_EXPORT int mms_host_set_option(mms_host *h, const char *name, const char *text,
                                   mms_error *err);

/* Declared type of option `name` on the first plugin declaring it; 0 if none. */
MMS_EXPORT int mms_host_option_type(const mms_host *h, const char *name);

/* A plugin's current config object (borrowed); NULL if no such plugin. */
MMS_EXPORT const cJSON *mms_host_config(const mms_host *h, const char *plugin);

/* --------------------------------------------------------------- pipeline */

typedef struct mms_pipeline mms_pipeline;

/* Versioned as libgit2's options structs are: start from
 * MMS_PIPELINE_OPTIONS_INIT (or mms_pipeline_options_init), then set fields.
 * New fields are only appended, with MMS_PIPELINE_OPTIONS_VERSION raised;
 * mms_pipeline_new refuses version 0 and versions newer than its own. */
#define MMS_PIPELINE_OPTIONS_VERSION 1u
#define MMS_PIPELINE_OPTIONS_INIT {.version = MMS_PIPELINE_OPTIONS_VERSION}
/* Default bound on the JSON values of one JSONL line: a cJSON node costs
 * about 80 bytes, so this keeps a parsed line near 80 MB. */
#define MMS_DEFAULT_MAX_JSON_VALUES 1000000u

typedef struct mms_pipeline_options {
    unsigned int version;    /* MMS_PIPELINE_OPTIONS_VERSION the caller was built with */
    int threads;             /* worker threads; <= 0 = number of cores */
    size_t batch;            /* records per batch; 0 = 256 */
    size_t max_atoms;        /* sites per structure after expansion; 0 = MMS_DEFAULT_MAX_SITES */
    size_t max_record_bytes; /* one record's text; 0 = MMS_DEFAULT_MAX_RECORD */
    size_t max_line_bytes;   /* one line inside a record; 0 = MMS_DEFAULT_MAX_LINE */
    const char *format;      /* force a reader ("cif", "text", a plugin format); NULL = by name */
    FILE *records;           /* one JSON line per record goes here; NULL = none (borrowed) */
    int progress;            /* 1: a progress line on stderr after each batch */
    /* Called on the caller's thread for every record, in input order, after
     * the scorers ran and before the record is released (rec and values are
     * borrowed for the call).  Values the callback adds are written with the
     * record.  Per-record problems are the callback's to report; a non-OK
     * return is fatal and ends the run with that error.  NULL = none.
     * `mmscore convert` writes its files from here. */
    int (*on_record)(void *ctx, const mms_record *rec, mms_values *values, mms_error *err);
    void *on_record_ctx;     /* passed to on_record (borrowed) */
    const char *column;      /* CSV column / JSONL field holding the structure; NULL = cif, text */
    size_t max_json_values;  /* JSON values per JSONL line; 0 = MMS_DEFAULT_MAX_JSON_VALUES */
    /* Which scorers run in forked worker processes, where a crash or a hang
     * costs one record (a plugin error) instead of the run: MMS_ISOLATE_AUTO
     * (0) the plugins loaded from outside the binary's own plugin folder,
     * MMS_ISOLATE_ALL, MMS_ISOLATE_NONE. */
    int isolate;
    /* Seconds an isolated scorer may spend on one record before its worker
     * is killed and the record gets a plugin error; 0 = no limit. */
    double record_timeout;
    /* Rows without a structure (no cif/text column or field): 0 = fields-only
     * records (library default); 1 = refused (a table: MMS_EUNSUPPORTED naming
     * the columns found; a JSONL line: a parse record, and the file refused
     * when no line has one); 2 = refused unless a selected scorer is made for
     * fields-only records (takes fields and no structures: QA data).  The
     * mmscore CLI uses 2. */
    int require_structures;
    /* Added in 0.2 (zero = the 0.1 behaviour). */
    const char *command;     /* recorded in saved states ("eval"); NULL = "" */
    size_t shard_index;      /* --shard I/N: read every input in full but keep only */
    size_t shard_count;      /* the I-th of N contiguous blocks of each unshared set;
                                count 0 = no sharding */
    const char *shared_sets; /* space-separated sets every shard reads in full
                                ("reference train"): merged once, kept apart in states */
    int no_fields;           /* 1: leave the record's other CSV/JSONL fields out */
    const char *checkpoint;  /* file for checkpoints (set accumulators and the records
                                file's length) every checkpoint_every records and when
                                *stop becomes non-zero; NULL = none */
    size_t checkpoint_every; /* 0 = 4096 */
    int resume;              /* 1: continue from `checkpoint` (records already in it are
                                read again but neither scored nor written) */
    volatile int *stop;      /* set non-zero (from a signal handler) to checkpoint and stop
                                after the current batch; NULL = never */
    const char *records_path;/* name of `records` for messages ("-" = stdout) */
} mms_pipeline_options;

/* Size of a digest text "xxh128:<32 hex digits>" with its NUL. */
#define MMS_DIGEST_MAX 48

/* XXH3-128 content digest of an input: a file's bytes, or for a folder
 * every regular file below it (sorted, with its relative path).
 * MMS_EUNSUPPORTED for stdin ("-") and special files. */
MMS_EXPORT int mms_input_digest(const char *path, char out[MMS_DIGEST_MAX], mms_error *err);

enum { MMS_ISOLATE_AUTO = 0, MMS_ISOLATE_ALL = 1, MMS_ISOLATE_NONE = -1 };

/* Fill *opt with the defaults of `version` (MMS_PIPELINE_OPTIONS_VERSION);
 * MMS_EINVAL for a version this library does not know. */
MMS_EXPORT int mms_pipeline_options_init(mms_pipeline_options *opt, unsigned int version);

/* opt may be NULL (defaults).  The host must outlive the pipeline.
 * MMS_EINVAL if opt->version is 0 or newer than this library's. */
MMS_EXPORT int mms_pipeline_new(mms_pipeline **out, mms_host *h,
                                const mms_pipeline_options *opt, mms_error *err);
MMS_EXPORT void mms_pipeline_free(mms_pipeline *p);

/* Select the scorers whose `commands` contain `command` (or
 * `command:OPTION` with that plugin option set: select after setting
 * options), plus what they require.  A scorer whose requirement is not loaded is left out and
 * reported by mms_pipeline_warning. */
MMS_EXPORT int mms_pipeline_select_command(mms_pipeline *p, const char *command, mms_error *err);
/* Select one scorer by name plus what it requires; MMS_ENOTFOUND if it (or
 * a requirement) is not loaded. */
MMS_EXPORT int mms_pipeline_select_plugin(mms_pipeline *p, const char *name, mms_error *err);

/* Order the selection by `requires`, create every selected plugin and reader
 * plugin with its config, make the set accumulators.  MMS_EPLUGIN if a
 * create fails, MMS_EINVAL on a requirement cycle. */
MMS_EXPORT int mms_pipeline_start(mms_pipeline *p, mms_error *err);

/* Read one input (file, folder, "-" for stdin) as records of input set
 * `set`, score them and write them.  Bad records become error records and
 * never fail the call; MMS_EIO when the input cannot be read at all. */
MMS_EXPORT int mms_pipeline_add_input(mms_pipeline *p, const char *path, const char *set,
                                      mms_error *err);

/* Same for text already in memory (borrowed), named `source` in messages.
 * `kind` is "cif", "text", "csv", "jsonl" or a reader plugin's format. */
MMS_EXPORT int mms_pipeline_add_buffer(mms_pipeline *p, const char *source, const char *kind,
                                       const char *text, size_t len, const char *set,
                                       mms_error *err);

/* Accumulator state of every selected set scorer plus the core's counts, as
 * JSON ({"format":"mmscore-state",...}).  Flushes pending records first.
 * Save writes it to a file; merge adds a saved state into the accumulators
 * (MMS_EINVAL if it names other plugins). */
MMS_EXPORT int mms_pipeline_save_state(mms_pipeline *p, const char *path, mms_error *err);
MMS_EXPORT int mms_pipeline_merge_state(mms_pipeline *p, const char *path, mms_error *err);

/* Flush, finish every accumulator and build the summary report (owned by
 * the caller).  Call once, last. */
MMS_EXPORT int mms_pipeline_finish(mms_pipeline *p, cJSON **summary, mms_error *err);

/* The figures of the HTML report, after mms_pipeline_finish (the
 * accumulators are those the summary was finished from): *out (the
 * caller's, cJSON_Delete) is {"failed_records": {code: [{source, id, line,
 * message}...]}, "plugins": [{"plugin": NAME, "figures": [...]} or
 * {"plugin": NAME, "error": {code, message, line}}]}, one entry per
 * selected set scorer with acc_report, in run order; failed_records holds
 * the first 5 records of each read-error code, in input order (also
 * across merged states).  A plugin's failure is its entry's "error", not
 * the call's.  MMS_EINVAL before finish, MMS_ENOMEM. */
MMS_EXPORT int mms_pipeline_figures(mms_pipeline *p, cJSON **out, mms_error *err);

/* Notes the pipeline wants shown (plugins left out...); NULL past the end. */
MMS_EXPORT const char *mms_pipeline_warning(const mms_pipeline *p, size_t i);

/* Names of the plugins in a saved state file (caller frees with
 * cJSON_Delete): lets `mmscore merge` select the same scorers. */
MMS_EXPORT int mms_state_plugins(const char *path, cJSON **names, mms_error *err);

/* A saved state or checkpoint, whole (caller frees with cJSON_Delete);
 * MMS_EPARSE if it is not one of this format version.  docs/report.md
 * describes the fields. */
MMS_EXPORT int mms_state_read(const char *path, cJSON **state, mms_error *err);

/* Why `state` cannot be merged into p: other plugins, plugin versions,
 * options or read options.  MMS_OK if it can; else MMS_EINVAL with the
 * first differing field in err ("option coverage.cutoffs: \"mp20\" here,
 * \"perovskite\" in the state"). */
MMS_EXPORT int mms_pipeline_check_state(const mms_pipeline *p, const cJSON *state,
                                        mms_error *err);

/* Save only the shared sets (opt.shared_sets) as a state: what --ref-cache
 * keeps.  Valid before or after the first unshared record. */
MMS_EXPORT int mms_pipeline_save_shared(mms_pipeline *p, const char *path, mms_error *err);

/* Whether the shared sets were restored from a checkpoint (opt.resume):
 * they are then complete and must not be read or cached again. */
MMS_EXPORT int mms_pipeline_shared_restored(const mms_pipeline *p);

/* Count the records of inputs of set `set` without scoring them, so that
 * --shard can cut the set into contiguous blocks; call before adding them.
 * Sets in opt.shared_sets and runs without sharding need no plan.
 * MMS_EUNSUPPORTED for stdin (it cannot be read twice). */
MMS_EXPORT int mms_pipeline_plan_set(mms_pipeline *p, const char *set,
                                     const char *const *paths, size_t n, mms_error *err);

/* ----------------------------------------------------------------- values */

/* A fresh empty values set (for embedders calling a plugin's score or
 * acc_finish themselves, and for tests); NULL when out of memory.  Owned by
 * the caller, released with mms_values_free (NULL is fine). */
MMS_EXPORT mms_values *mms_values_new(void);
MMS_EXPORT void mms_values_free(mms_values *v);

/* ----------------------------------------------------------------- report */

/* The summary as a readable table. */
MMS_EXPORT int mms_report_print(FILE *f, const cJSON *summary);

/* The summary as JSON, every number written so that it reads back to the
 * same double (cJSON_Print alone does not guarantee that). */
MMS_EXPORT int mms_report_print_json(FILE *f, const cJSON *summary);

#ifdef __cplusplus
}
#endif
#endif
