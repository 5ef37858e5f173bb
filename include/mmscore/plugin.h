/* mmscore — plugin ABI v2 (major 1, revision 4): everything a plugin author needs.
 *
 * A plugin is a shared object exporting one symbol, MMS_PLUGIN_ENTRY_SYMBOL,
 * a function returning a pointer to a const mms_plugin descriptor.  The host
 * reads the first two fields (abi_version, struct_size) before anything else.
 * It refuses, naming the file, another major version or a descriptor larger
 * than its own (a plugin built against a newer mmscore), and accepts any size
 * from MMS_PLUGIN_SIZE_V1 up: it copies those bytes into a zeroed descriptor
 * of its own, so fields a plugin's header did not have yet read as NULL/0.
 *
 *     static const mms_plugin desc = { MMS_PLUGIN_ABI_VERSION, sizeof(mms_plugin), ... };
 *     MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &desc; }
 *
 * How the ABI grows (docs/plugins.md, "ABI v2"): fields are only ever
 * appended, to mms_plugin, mms_record, mms_structure and mms_read_options;
 * every revision that appends to a struct the host hands over appends to
 * mms_plugin too, so a plugin's struct_size tells the host which revision
 * it was built for and a host never runs a plugin newer than itself.  Structs
 * whose size is compiled into plugins (mms_site, mms_species, mms_option_def,
 * mms_metric_def, mms_headline_def) and mms_error are frozen.
 *
 * Kinds: a READER turns text into structures; a SCORER gets records and may
 * have a per-record part (`score`, run on worker threads) and/or a set part
 * (an accumulator fed in input order on one thread, summarised at the end,
 * saveable as JSON and mergeable so that sharded runs combine).
 *
 * Ownership: everything the host passes in is borrowed for the duration of
 * the call; everything a plugin returns through a descriptor stays owned by
 * the plugin and must live until its `destroy`/the library is unloaded. */
#ifndef MMSCORE_PLUGIN_H
#define MMSCORE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "elements.h"
#include "structure.h"
#include "reader.h"
#include "mmscore/version.h" /* generated: the build tree's include/ or the installed one */

#ifdef __cplusplus
extern "C" {
#endif

#define MMS_PLUGIN_ABI_VERSION MMSCORE_ABI_VERSION /* major: only this one is loaded */
#define MMS_PLUGIN_ABI_REVISION 4u /* fields appended since major 1 began */
#define MMS_PLUGIN_ENTRY_SYMBOL "mmscore_plugin_entry"
#define MMS_PLUGIN_EXPORT MMS_EXPORT

/* ------------------------------------------------------------------ values */

/* A named set of JSON values: one record's results, or a summary.  The host
 * creates and owns it; plugins add to it.  Setting a name again replaces it. */
typedef struct mms_values mms_values;

MMS_EXPORT int mms_values_set_number(mms_values *v, const char *name, double x);
MMS_EXPORT int mms_values_set_int(mms_values *v, const char *name, long long x);
MMS_EXPORT int mms_values_set_bool(mms_values *v, const char *name, int b);
MMS_EXPORT int mms_values_set_string(mms_values *v, const char *name, const char *s);
MMS_EXPORT int mms_values_set_null(mms_values *v, const char *name);
MMS_EXPORT int mms_values_set_numbers(mms_values *v, const char *name, const double *x, size_t n);
/* Takes ownership of item (also on failure). */
MMS_EXPORT int mms_values_set_json(mms_values *v, const char *name, cJSON *item);

/* The first failure code of any set_* call on v since it was created, or
 * MMS_OK: a failure sticks (as libgit2's git_str_oom and SQLite's
 * sqlite3_str_errcode), so a writer of many values may set them all and
 * check once at the end.  The host checks it too: a plugin that returns
 * MMS_OK with a value it could not store gets an error for that record, never
 * a silently missing value.  MMS_EINVAL for a NULL v.  An appended function
 * (no struct changes): a plugin that calls it does not load into an older
 * libmmscore (unresolved symbol, refused with the loader's message). */
MMS_EXPORT int mms_values_error(const mms_values *v);

/* Borrowed view of a value; NULL if absent.  Valid while v lives unchanged. */
MMS_EXPORT const cJSON *mms_values_get(const mms_values *v, const char *name);
/* MMS_ENOTFOUND if absent, MMS_EINVAL if of another type (bools read as 0/1
 * by get_number too). */
MMS_EXPORT int mms_values_get_number(const mms_values *v, const char *name, double *out);
MMS_EXPORT int mms_values_get_bool(const mms_values *v, const char *name, int *out);
/* Copies up to cap numbers of an array value into x; *n gets the length. */
MMS_EXPORT int mms_values_get_numbers(const mms_values *v, const char *name, double *x,
                                      size_t cap, size_t *n);
/* The whole object (borrowed). */
MMS_EXPORT const cJSON *mms_values_json(const mms_values *v);

/* ----------------------------------------------------------------- records */

typedef struct mms_record {
    size_t index;                     /* 0-based position in its input set */
    const char *id;                   /* record id (CSV material_id / first column,
                                         JSONL "id", file name...) */
    const char *source;               /* file the record came from ("-" for stdin) */
    long line;                        /* first line of the record in source */
    const char *set;                  /* input set: "input" for validate/qa,
                                         "generated", "reference", "train" for eval */
    const mms_structure *structure;   /* NULL when the record is not a structure
                                         or failed to read */
    const cJSON *fields;              /* JSONL object or CSV row (column -> string);
                                         may be NULL */
    const mms_error *error;           /* NULL if the record read; else why not */

    /* ---- revision 2 ---- */
    size_t struct_size;               /* sizeof(mms_record) of the host: see MMS_HAS_FIELD */
} mms_record;

/* ----------------------------------------------------------------- options */

typedef enum mms_option_type {
    MMS_OPT_BOOL = 1,
    MMS_OPT_INT,
    MMS_OPT_NUMBER,
    MMS_OPT_STRING
} mms_option_type;

/* An option a plugin accepts.  The host builds each plugin's config object
 * from defaults, then the --config file ({"plugin": {"option": value}}), then
 * command-line flags (`--symprec 0.01` sets option "symprec" of every loaded
 * plugin that declares it; dashes and underscores are equivalent).  The
 * plugin's create() receives the merged object with every declared option
 * present and of the declared type. */
typedef struct mms_option_def {
    const char *name;          /* NULL terminates the list */
    mms_option_type type;
    const char *default_value; /* as text: "0.1", "true", "mp20"; NULL = none */
    const char *help;
} mms_option_def;

/* A value a plugin produces (per record or in the summary). */
typedef struct mms_metric_def {
    const char *name;          /* NULL terminates the list */
    const char *type;          /* "number", "bool", "int", "string", "number[]", "object" */
    const char *help;          /* definition in one line; docs/ has the full story */
} mms_metric_def;

/* How a headline value is rounded for people (tables, the summary's top). */
typedef enum mms_headline_round {
    MMS_ROUND_DECIMALS = 0,   /* `digits` places after the point: 93.27 */
    MMS_ROUND_SIGNIFICANT = 1 /* `digits` significant digits, fixed notation: 0.02994 */
} mms_headline_round;

/* A summary value papers report, and how they report it: `mmscore table`
 * and the top of the text summary show these, in the plugin's order, as
 * `label (unit)` with the value multiplied by `scale` and then rounded.
 * The core knows no metric: everything it shows comes from here. */
typedef struct mms_headline_def {
    const char *value;        /* summary value name (a number); NULL terminates */
    const char *label;        /* column label as papers write it: "COV-R" */
    const char *unit;         /* after the scaling: "%", "eV/atom"; "" = none */
    double scale;             /* 100 for a fraction shown as %; 1 (or 0) = as is */
    mms_headline_round round;
    int digits;               /* see mms_headline_round */
    const char *convention;   /* whose tables round this way ("CDVAE Table 2"); may be NULL */
} mms_headline_def;

/* ---------------------------------------------------------------- plugins */

typedef enum mms_plugin_kind {
    MMS_PLUGIN_READER = 1,
    MMS_PLUGIN_SCORER = 2
} mms_plugin_kind;

enum {
    MMS_ACCEPT_STRUCTURE = 1u << 0, /* wants records whose structure was read */
    MMS_ACCEPT_FIELDS = 1u << 1,    /* wants records with fields (JSONL/CSV QA data) */
    MMS_ACCEPT_FAILED = 1u << 2     /* also wants records that failed to read
                                       (set scorers counting every input) */
};

typedef struct mms_plugin {
    /* ABI guard: MMS_PLUGIN_ABI_VERSION and sizeof(mms_plugin). */
    uint32_t abi_version;
    uint32_t struct_size;

    const char *name;        /* unique, [a-z0-9_]+; prefixes its values in reports */
    const char *version;     /* the plugin's own version */
    const char *description; /* one line */
    mms_plugin_kind kind;
    unsigned accepts;        /* MMS_ACCEPT_* bits (scorers) */
    const char *commands;    /* space-separated commands that run it by default
                                ("validate eval"); NULL/"" = only when named;
                                "eval:OPT" = by eval when option OPT is set */
    const char *requires;    /* space-separated plugin names whose per-record
                                values this one reads; run before it */
    const mms_option_def *options;   /* may be NULL */
    const mms_metric_def *metrics;   /* per-record values; may be NULL */
    const mms_metric_def *summary;   /* summary values; may be NULL */

    /* Called once, on the host's main thread.  *state is the plugin's (may be
     * NULL); config is borrowed. */
    int (*create)(void **state, const cJSON *config, mms_error *err);
    void (*destroy)(void *state);

    /* READER: formats it reads, space-separated names that are also file
     * extensions ("poscar vasp xyz").  read() has mms_read_cif's contract. */
    const char *formats;
    int (*read)(void *state, const char *format, const char *text, size_t len,
                const mms_read_options *opt, mms_structure_cb cb, void *ctx, mms_error *err);

    /* SCORER, per record.  Called from several threads at once with the same
     * state: treat state as read-only.  `earlier` holds the values of the
     * plugins named in `requires` (and all others that ran before), keyed by
     * value name; `out` receives this plugin's values.  An error fails this
     * plugin for this record only; the batch goes on. */
    int (*score)(void *state, const mms_record *rec, const mms_values *earlier,
                 mms_values *out, mms_error *err);

    /* SCORER, set part (all optional together).  One thread, input order.
     * acc_add gets every record the plugin accepts, with all per-record
     * values of all plugins for it.  acc_save/acc_merge serialise and combine
     * accumulators: merging the saves of shards, then finishing, must give
     * the numbers of one unsharded run. */
    int (*acc_new)(void *state, void **acc, mms_error *err);
    int (*acc_add)(void *state, void *acc, const mms_record *rec, const mms_values *values,
                   mms_error *err);
    int (*acc_save)(void *state, const void *acc, cJSON **out, mms_error *err);
    int (*acc_merge)(void *state, void *acc, const cJSON *saved, mms_error *err);
    int (*acc_finish)(void *state, void *acc, mms_values *summary, mms_error *err);
    void (*acc_free)(void *state, void *acc);

    /* ---- revision 2 (absent, i.e. NULL, in a revision-1 descriptor) ---- */
    const char *license;     /* SPDX expression of the plugin's licence ("MIT"); may be NULL */
    const char *url;         /* where its documentation/source lives; may be NULL */

    /* ---- revision 3 (NULL in older descriptors) ---- */
    const mms_headline_def *headline; /* summary values papers report; may be NULL */
    /* SCORER, set part, optional: called instead of acc_add when set (a
     * plugin still provides acc_add).  The same call plus `out`: per-record
     * values known only in input order (uniqueness against the records
     * before this one), written into this record's values, so the records
     * file has them.  Declare them in `metrics`.  `values` and `out` are the
     * same object: read what you need before you set. */
    int (*acc_add_record)(void *state, void *acc, const mms_record *rec, const mms_values *values,
                          mms_values *out, mms_error *err);

    /* ---- revision 4 (NULL in older descriptors) ---- */
    /* SCORER, set part, optional: the figures of the HTML report (--report,
     * `mmscore report`), drawn from the same accumulator as the summary.
     * Called after acc_finish, before acc_free; also on an accumulator
     * rebuilt from saved states by acc_merge.  *out: a new cJSON array,
     * owned by the host from then on, of figure objects as docs/plugins.md
     * ("Report figures") describes: "histogram" (bin edges and counts per
     * series: generated, reference), "bars" (categories and a value per
     * series) or "table" (columns and rows of text).  The core only draws
     * them; it knows nothing of what they mean. */
    int (*acc_report)(void *state, const void *acc, cJSON **out, mms_error *err);
} mms_plugin;

/* Descriptor size of each revision: a plugin may state a smaller struct_size
 * than sizeof(mms_plugin) (down to MMS_PLUGIN_SIZE_V1) to keep loading in
 * older hosts; it then must not rely on the newer record fields (test them
 * with MMS_HAS_FIELD). */
#define MMS_PLUGIN_SIZE_V1 offsetof(mms_plugin, license) /* mmscore 0.1 */
#define MMS_PLUGIN_SIZE_V2 offsetof(mms_plugin, headline)
#define MMS_PLUGIN_SIZE_V3 offsetof(mms_plugin, acc_report)
#define MMS_PLUGIN_SIZE_V4 sizeof(mms_plugin)

/* Does *ptr (an mms_record or mms_structure made by the host) have `field`?
 * Always true for the fields of the revision a plugin states with its
 * struct_size; needed only for fields newer than that. */
#define MMS_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

typedef const mms_plugin *(*mms_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
