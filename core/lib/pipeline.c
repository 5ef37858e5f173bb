/* The pipeline: records in input order, per-record scoring on worker
 * threads one batch at a time (so memory follows the batch, not the input),
 * then, on the calling thread and in input order, set accumulators and the
 * records file.  The output therefore does not depend on the thread count.
 * Isolated scorers (isolate.c) score the batch in forked worker processes
 * instead of threads; the rest is the same, so neither does the output
 * depend on where a plugin ran. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmscore/mmscore.h"
#include "isolate_internal.h"
#include "grow_internal.h"
#include "pipeline_internal.h"

#define FAILED_EXAMPLES 5
#define FAILED_TEXT 300 /* bytes of each text of a failed record kept for the report */
#define SKIPPED_NAMED 100

typedef struct sel_plugin {
    size_t hi;              /* index in the host */
    const mms_plugin *d;
    void *state;
    int created;
    void *acc;              /* set accumulator, NULL if none */
    long errors;            /* records this plugin failed on */
    int isolated;           /* score runs in worker processes */
    long crashed, timed_out; /* records its isolated workers died or hung on */
} sel_plugin;

/* What the pipeline knows of one input set: where its records came from,
 * which of them this run keeps (--shard, --resume). */
typedef struct set_info {
    char *name;
    int shared;            /* named in opt.shared_sets */
    size_t raw;            /* records the inputs gave so far, before selection */
    int planned;           /* shard block known */
    size_t lo, hi, total;  /* the block [lo, hi) of total kept by --shard */
    size_t skip;           /* --resume: raw records below this were done before */
    cJSON *inputs;         /* [{"path", "digest"}] in order */
} set_info;

struct mms_pipeline {
    mms_host *host;
    mms_pipeline_options opt;
    unsigned char *selected;    /* per host plugin */
    sel_plugin *sel;            /* in run order after start */
    size_t n_sel;
    void **reader_states;       /* per host plugin */
    unsigned char *reader_ok;
    int started, finished;
    pipe_record *batch;
    size_t n_batch;
    cJSON *sets;                /* {set: {records, read, failed: {code: n}}} */
    cJSON *failed_examples;     /* the first few error messages, input order */
    cJSON *failed_records;      /* {code: [{source, id, line, message}]}, the first few
                                   of each code in input order (the HTML report) */
    size_t total;
    char **warnings;
    size_t n_warnings, cap_warnings;
    const char *cur_set;
    input_ctx in;
    mms_error sink_err;
    size_t batch_values;        /* JSON values held by the batch's fields */
    size_t n_skipped;           /* files folder walks left out */
    cJSON *skipped;             /* the first SKIPPED_NAMED of them: [{path, why}] */
    int any_isolated;
    set_info *si;
    size_t n_si, cap_si;
    set_info *cur;
    cJSON *shared;          /* the shared sets' section, kept apart once unshared
                               records came (see split_shared); NULL before */
    char *shared_key;       /* digests of the shared inputs in the accumulators */
    int restored_shared;    /* shared section came from a checkpoint */
    cJSON *resume_inputs;   /* {set: [{path, digest}]} of the checkpoint resumed */
    strbuf lines;           /* records lines of the current batch */
    long long rec_bytes;    /* bytes in the records file */
    size_t since_ckpt, since_start;
    double t_start, t_shown;
};

/* ---------------------------------------------------------------- set-up */

static int add_warning(mms_pipeline *p, const char *msg)
{
    if (!mms_grow((void **)&p->warnings, &p->cap_warnings, p->n_warnings + 1,
                  sizeof *p->warnings, 4))
        return MMS_ENOMEM;
    if (!(p->warnings[p->n_warnings] = strdup(msg)))
        return MMS_ENOMEM;
    p->n_warnings++;
    return MMS_OK;
}

const char *mms_pipeline_warning(const mms_pipeline *p, size_t i)
{
    return i < p->n_warnings ? p->warnings[i] : NULL;
}

static int host_index(const mms_host *h, const char *name)
{
    for (size_t i = 0; i < mms_host_plugin_count(h); i++)
        if (!strcmp(mms_host_plugin(h, i, NULL)->name, name))
            return (int)i;
    return -1;
}

int mms_pipeline_options_init(mms_pipeline_options *opt, unsigned int version)
{
    if (!opt || version == 0 || version > MMS_PIPELINE_OPTIONS_VERSION)
        return MMS_EINVAL;
    *opt = (mms_pipeline_options)MMS_PIPELINE_OPTIONS_INIT;
    return MMS_OK;
}

int mms_pipeline_new(mms_pipeline **out, mms_host *h, const mms_pipeline_options *opt,
                     mms_error *err)
{
    /* libgit2's rule: a caller's struct of a newer version has fields this
     * library would silently ignore; version 0 is a struct never initialised. */
    if (opt && (opt->version == 0 || opt->version > MMS_PIPELINE_OPTIONS_VERSION))
        return mms_error_set(err, MMS_EINVAL, 0,
                             "mms_pipeline_options version %u: this mmscore knows 1 to %u "
                             "(start from MMS_PIPELINE_OPTIONS_INIT)",
                             opt->version, (unsigned)MMS_PIPELINE_OPTIONS_VERSION);
    mms_pipeline *p = calloc(1, sizeof *p);
    size_t n = mms_host_plugin_count(h);
    if (p) {
        p->selected = calloc(n + 1, 1);
        p->reader_ok = calloc(n + 1, 1);
        p->reader_states = calloc(n + 1, sizeof *p->reader_states);
        p->sets = cJSON_CreateObject();
        p->failed_examples = cJSON_CreateArray();
        p->failed_records = cJSON_CreateObject();
    }
    if (!p || !p->selected || !p->reader_ok || !p->reader_states || !p->sets ||
        !p->failed_examples || !p->failed_records) {
        mms_pipeline_free(p);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    p->host = h;
    if (opt)
        p->opt = *opt;
    if (p->opt.threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        p->opt.threads = c > 0 ? (int)c : 1;
    }
    if (p->opt.threads > 256)
        p->opt.threads = 256;
    if (!p->opt.batch)
        p->opt.batch = 256;
    if (!p->opt.max_atoms)
        p->opt.max_atoms = MMS_DEFAULT_MAX_SITES;
    if (!p->opt.max_record_bytes)
        p->opt.max_record_bytes = MMS_DEFAULT_MAX_RECORD;
    if (!p->opt.max_line_bytes)
        p->opt.max_line_bytes = MMS_DEFAULT_MAX_LINE;
    if (!p->opt.max_json_values)
        p->opt.max_json_values = MMS_DEFAULT_MAX_JSON_VALUES;
    p->batch = calloc(p->opt.batch, sizeof *p->batch);
    if (!p->batch) {
        mms_pipeline_free(p);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = p;
    return MMS_OK;
}

/* A plugin of this name failed to load (not as a second of one name). */
static const host_failure *load_failure(const mms_host *h, const char *name)
{
    for (size_t i = 0; i < h->n_failures; i++)
        if (!h->failures[i].duplicate && !strcmp(h->failures[i].name, name))
            return &h->failures[i];
    return NULL;
}

/* Running a command without one of its default plugins gives numbers that
 * look complete and are not: a plugin that declares the command, or a
 * built-in one whose descriptor could not even be read (it may declare
 * it), that failed to load stops the run. */
static int check_defaults_loaded(const mms_pipeline *p, const char *command, mms_error *err)
{
    const mms_host *h = p->host;
    for (size_t i = 0; i < h->n_failures; i++) {
        const host_failure *f = &h->failures[i];
        if (f->duplicate || mms_host_find(h, f->name))
            continue;
        if (f->commands ? mms_word_in_list(f->commands, command) : f->builtin)
            return mms_error_set(err, MMS_EPLUGIN, 0,
                                 "plugin %s, which %s %s, could not be loaded: %s", f->name,
                                 command,
                                 f->commands ? "runs by default"
                                             : "may run by default (a built-in plugin)",
                                 f->message);
    }
    return MMS_OK;
}

/* Mark name and, transitively, what it requires.  Returns the name of a
 * missing requirement through *missing. */
static int mark_with_requires(mms_pipeline *p, unsigned char *mark, int i, char missing[128],
                              int depth)
{
    if (mark[i])
        return MMS_OK;
    if (depth > 64)
        return MMS_EINVAL;
    mark[i] = 1;
    const char *req = mms_host_plugin(p->host, (size_t)i, NULL)->requires;
    char name[128];
    while (req && *req) {
        while (*req == ' ' || *req == ',')
            req++;
        size_t n = strcspn(req, " ,");
        if (!n)
            break;
        snprintf(name, sizeof name, "%.*s", (int)n, req);
        req += n;
        int j = host_index(p->host, name);
        if (j < 0 || mms_host_plugin(p->host, (size_t)j, NULL)->kind != MMS_PLUGIN_SCORER) {
            snprintf(missing, 128, "%s", name);
            return MMS_ENOTFOUND;
        }
        int rc = mark_with_requires(p, mark, j, missing, depth + 1);
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}

static int select_one(mms_pipeline *p, int i, mms_error *err)
{
    size_t n = mms_host_plugin_count(p->host);
    unsigned char *mark = calloc(n + 1, 1);
    if (!mark)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    memcpy(mark, p->selected, n);
    char missing[128] = "";
    int rc = mark_with_requires(p, mark, i, missing, 0);
    const char *name = mms_host_plugin(p->host, (size_t)i, NULL)->name;
    const host_failure *lf = rc == MMS_ENOTFOUND ? load_failure(p->host, missing) : NULL;
    if (lf)
        rc = mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s requires plugin %s, which could not "
                           "be loaded: %s", name, missing, lf->message);
    else if (rc == MMS_ENOTFOUND)
        mms_error_set(err, rc, 0, "plugin %s requires plugin %s, which is not loaded", name,
                      missing);
    else if (rc != MMS_OK)
        mms_error_set(err, rc, 0, "plugin %s: requirements nest too deep (a cycle?)", name);
    else
        memcpy(p->selected, mark, n);
    free(mark);
    return rc;
}

/* Does scorer d run by default for command?  A word of its `commands` is a
 * command name, or COMMAND:OPTION for "only when the plugin's option OPTION
 * is set" (not null, false or ""), so that a scorer needing an input the
 * user may not give (a reference file) stays out of runs without it. */
static int runs_by_default(const mms_host *h, const mms_plugin *d, const char *command)
{
    size_t cl = strlen(command);
    for (const char *w = d->commands; w && *w;) {
        w += strspn(w, " \t,");
        size_t n = strcspn(w, " \t,");
        if (n >= cl && cl && !memcmp(w, command, cl) && (n == cl || w[cl] == ':')) {
            if (n == cl)
                return 1;
            char opt[128];
            snprintf(opt, sizeof opt, "%.*s", (int)(n - cl - 1), w + cl + 1);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(mms_host_config(h, d->name), opt);
            if (v && !cJSON_IsNull(v) && !cJSON_IsFalse(v) &&
                !(cJSON_IsString(v) && !*v->valuestring))
                return 1;
        }
        w += n;
    }
    return 0;
}

int mms_pipeline_select_command(mms_pipeline *p, const char *command, mms_error *err)
{
    int drc = check_defaults_loaded(p, command, err);
    if (drc != MMS_OK)
        return drc;
    for (size_t i = 0; i < mms_host_plugin_count(p->host); i++) {
        const mms_plugin *d = mms_host_plugin(p->host, i, NULL);
        if (d->kind != MMS_PLUGIN_SCORER || !runs_by_default(p->host, d, command))
            continue;
        mms_error e;
        if (select_one(p, (int)i, &e) != MMS_OK) {
            if (e.code == MMS_EPLUGIN) {
                *err = e; /* a requirement that failed to load */
                return e.code;
            }
            /* One broken plugin should not stop the others: leave it out, say so. */
            if (add_warning(p, e.message) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
    }
    return MMS_OK;
}

int mms_pipeline_select_plugin(mms_pipeline *p, const char *name, mms_error *err)
{
    int i = host_index(p->host, name);
    const host_failure *lf = i < 0 ? load_failure(p->host, name) : NULL;
    if (lf)
        return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s could not be loaded: %s", name,
                             lf->message);
    if (i < 0)
        return mms_error_set(err, MMS_ENOTFOUND, 0, "no plugin named \"%s\" is loaded", name);
    if (mms_host_plugin(p->host, (size_t)i, NULL)->kind != MMS_PLUGIN_SCORER)
        return mms_error_set(err, MMS_EINVAL, 0, "plugin %s is a reader, not a scorer", name);
    return select_one(p, i, err);
}

/* Kahn's algorithm, picking the earliest plugin in discovery order among the
 * ready ones, so the run order is deterministic. */
static int order_selection(mms_pipeline *p, mms_error *err)
{
    size_t n = mms_host_plugin_count(p->host), n_sel = 0;
    for (size_t i = 0; i < n; i++)
        n_sel += p->selected[i];
    p->sel = calloc(n_sel + 1, sizeof *p->sel);
    unsigned char *done = calloc(n + 1, 1);
    if (!p->sel || !done) {
        free(done);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    while (p->n_sel < n_sel) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            if (!p->selected[i] || done[i])
                continue;
            const char *req = mms_host_plugin(p->host, i, NULL)->requires;
            int ready = 1;
            for (size_t j = 0; j < n && ready; j++)
                if (p->selected[j] && !done[j] &&
                    mms_word_in_list(req, mms_host_plugin(p->host, j, NULL)->name))
                    ready = 0;
            if (ready)
                pick = i;
        }
        if (pick == n) {
            free(done);
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "plugins' requirements form a cycle; cannot order them");
        }
        done[pick] = 1;
        p->sel[p->n_sel++] = (sel_plugin){.hi = pick, .d = mms_host_plugin(p->host, pick, NULL)};
    }
    free(done);
    return MMS_OK;
}

static int restore_checkpoint(mms_pipeline *p, mms_error *err);

int mms_pipeline_start(mms_pipeline *p, mms_error *err)
{
    if (p->started)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline already started");
    p->started = 1;
    int rc = order_selection(p, err);
    if (rc != MMS_OK)
        return rc;
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *s = &p->sel[i];
        /* Plugins from elsewhere than the binary's own folder are untested
         * code to us: their crash or hang must cost one record, not the run. */
        s->isolated = s->d->score && (p->opt.isolate == MMS_ISOLATE_ALL ||
                                      (p->opt.isolate == MMS_ISOLATE_AUTO &&
                                       !p->host->plugins[s->hi].builtin));
        p->any_isolated |= s->isolated;
    }
    if (p->opt.record_timeout > 0 && !p->any_isolated &&
        add_warning(p, "--record-timeout applies to isolated scorers and none runs isolated "
                       "here (--isolate isolates them all)") != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *s = &p->sel[i];
        mms_error e;
        mms_error_clear(&e);
        const cJSON *cfg = mms_host_config(p->host, s->d->name);
        if (s->d->create && s->d->create(&s->state, cfg, &e) != MMS_OK)
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: cannot start: %s", s->d->name,
                                 e.message);
        s->created = 1;
        if (s->d->acc_new && s->d->acc_new(s->state, &s->acc, &e) != MMS_OK)
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: cannot make its accumulator: %s",
                                 s->d->name, e.message);
    }
    for (size_t i = 0; i < mms_host_plugin_count(p->host); i++) {
        const mms_plugin *d = mms_host_plugin(p->host, i, NULL);
        if (d->kind != MMS_PLUGIN_READER)
            continue;
        mms_error e;
        mms_error_clear(&e);
        if (d->create && d->create(&p->reader_states[i], mms_host_config(p->host, d->name), &e) !=
                             MMS_OK) {
            char msg[MMS_ERROR_MESSAGE_MAX + 64];
            snprintf(msg, sizeof msg, "reader %s left out: %s", d->name, e.message);
            if (add_warning(p, msg) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            continue;
        }
        p->reader_ok[i] = 1;
    }
    if (p->opt.resume && p->opt.checkpoint)
        return restore_checkpoint(p, err);
    return MMS_OK;
}

static void release_record(pipe_record *r)
{
    free(r->id);
    free(r->source);
    free(r->set);
    mms_structure_free(r->structure);
    cJSON_Delete(r->fields);
    mms_values_free(r->values);
    cJSON_Delete(r->plugin_errors);
    memset(r, 0, sizeof *r);
}

void mms_pipeline_free(mms_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->batch && i < p->n_batch; i++)
        release_record(&p->batch[i]);
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *s = &p->sel[i];
        if (s->acc)
            s->d->acc_free(s->state, s->acc);
        if (s->created && s->d->destroy)
            s->d->destroy(s->state);
    }
    for (size_t i = 0; p->reader_ok && i < mms_host_plugin_count(p->host); i++) {
        const mms_plugin *d = mms_host_plugin(p->host, i, NULL);
        if (p->reader_ok[i] && d->destroy)
            d->destroy(p->reader_states[i]);
    }
    for (size_t i = 0; i < p->n_warnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(p->sel);
    free(p->selected);
    free(p->reader_ok);
    free(p->reader_states);
    free(p->batch);
    cJSON_Delete(p->sets);
    cJSON_Delete(p->failed_examples);
    cJSON_Delete(p->failed_records);
    cJSON_Delete(p->skipped);
    for (size_t i = 0; i < p->n_si; i++) {
        free(p->si[i].name);
        cJSON_Delete(p->si[i].inputs);
    }
    free(p->si);
    cJSON_Delete(p->shared);
    cJSON_Delete(p->resume_inputs);
    free(p->shared_key);
    strbuf_free(&p->lines);
    free(p);
}

/* --------------------------------------------------------------- scoring */

static int accepts(const mms_plugin *d, const pipe_record *r)
{
    if (r->error.code != MMS_OK)
        return (d->accepts & MMS_ACCEPT_FAILED) != 0;
    if (r->structure)
        return (d->accepts & MMS_ACCEPT_STRUCTURE) != 0;
    return r->fields && (d->accepts & MMS_ACCEPT_FIELDS);
}

static cJSON *error_json(const mms_error *e)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "code", mms_error_code_name(e->code));
        cJSON_AddStringToObject(o, "message", e->message);
        cJSON_AddNumberToObject(o, "line", (double)e->line);
    }
    return o;
}

static void note_plugin_error(pipe_record *r, const char *name, const mms_error *e)
{
    if (!r->plugin_errors)
        r->plugin_errors = cJSON_CreateObject();
    if (r->plugin_errors)
        cJSON_AddItemToObject(r->plugin_errors, name, error_json(e));
}

/* A plugin that returned MMS_OK although one of its values could not be
 * stored: an error, never a silently missing value. */
static int unstored(const char *name, int code, long line, mms_error *e)
{
    return mms_error_set(e, code, line, "%s: a value could not be stored (%s)", name,
                         mms_error_code_name(code));
}

/* Plugins k0..k1-1 in run order on one record, in this process. */
static void score_range(mms_pipeline *p, pipe_record *r, size_t k0, size_t k1)
{
    for (size_t k = k0; k < k1; k++) {
        sel_plugin *s = &p->sel[k];
        if (!s->d->score || !accepts(s->d, r))
            continue;
        mms_values *out = mms_values_new();
        mms_error e;
        mms_error_clear(&e);
        mms_isolate_note_running(s->d->name, "scoring", r->id, r->source, r->pub.line);
        int rc = out ? s->d->score(s->state, &r->pub, r->values, out, &e)
                     : mms_error_set(&e, MMS_ENOMEM, 0, "out of memory");
        mms_isolate_note_running(NULL, NULL, NULL, NULL, 0);
        if (rc == MMS_OK && mms_values_error(out) != MMS_OK)
            rc = unstored(s->d->name, mms_values_error(out), r->pub.line, &e);
        if (rc != MMS_OK) {
            if (e.code == MMS_OK)
                mms_error_set(&e, rc, 0, "%s failed without a message", s->d->name);
            note_plugin_error(r, s->d->name, &e);
        } else {
            /* A plugin's values join the record's so later plugins see them. */
            if (mms_values_move(r->values, out) != MMS_OK) {
                mms_error_set(&e, MMS_ENOMEM, 0, "out of memory keeping %s's values", s->d->name);
                note_plugin_error(r, s->d->name, &e);
            }
        }
        mms_values_free(out);
    }
}

typedef struct worker {
    mms_pipeline *p;
    atomic_size_t *next;
    size_t k0, k1;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    void *alt = mms_isolate_altstack_push(); /* a stack overflow still gets its note */
    size_t i;
    while ((i = atomic_fetch_add(w->next, 1)) < w->p->n_batch)
        score_range(w->p, &w->p->batch[i], w->k0, w->k1);
    mms_isolate_altstack_pop(alt);
    return NULL;
}

/* Plugins k0..k1-1 on the whole batch on worker threads, in this process. */
static void score_threads(mms_pipeline *p, size_t k0, size_t k1)
{
    size_t nt = (size_t)p->opt.threads < p->n_batch ? (size_t)p->opt.threads : p->n_batch;
    atomic_size_t next = 0;
    worker w = {p, &next, k0, k1};
    pthread_t tids[256];
    size_t started = 0;
    for (; nt > 1 && started < nt - 1; started++)
        if (pthread_create(&tids[started], NULL, work, &w) != 0)
            break; /* fewer threads is still correct */
    work(&w);
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
}

/* ------------------------------------------------------ isolated scoring */

typedef struct iso_job {
    pipe_record *r;
    size_t k; /* plugin in run order */
} iso_job;

typedef struct iso_batch {
    mms_pipeline *p;
    iso_job *jobs;
} iso_batch;

/* In a worker process: one plugin on one record; the values go back as
 * JSON (numbers written exactly) and stay with the record in this process
 * for the next isolated plugin. */
static int iso_run(void *ctx, size_t j, char **text, mms_error *err)
{
    iso_batch *b = ctx;
    pipe_record *r = b->jobs[j].r;
    const mms_plugin *d = b->p->sel[b->jobs[j].k].d;
    mms_values *out = mms_values_new();
    if (!out)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = d->score(b->p->sel[b->jobs[j].k].state, &r->pub, r->values, out, err);
    if (rc == MMS_OK && mms_values_error(out) != MMS_OK)
        rc = unstored(d->name, mms_values_error(out), r->pub.line, err);
    if (rc != MMS_OK && err->code == MMS_OK)
        mms_error_set(err, rc, 0, "%s failed without a message", d->name);
    cJSON *copy = NULL;
    if (rc == MMS_OK) {
        copy = mms_values_materialize(out) == MMS_OK ? cJSON_Duplicate(out->obj, 1) : NULL;
        mms_json_exact_numbers(copy);
        /* cJSON allocates with malloc (no hooks are set), as iso_ops wants. */
        *text = copy ? cJSON_PrintUnformatted(copy) : NULL;
        if (!*text)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory sending %s's values", d->name);
        else
            mms_values_move(r->values, out);
    }
    cJSON_Delete(copy);
    mms_values_free(out);
    return rc;
}

static void iso_done(void *ctx, size_t j, const char *text, size_t len, const mms_error *e)
{
    iso_batch *b = ctx;
    pipe_record *r = b->jobs[j].r;
    const char *name = b->p->sel[b->jobs[j].k].d->name;
    if (e) {
        note_plugin_error(r, name, e);
        return;
    }
    mms_error me;
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(o)) {
        mms_error_set(&me, o ? MMS_EPLUGIN : MMS_ENOMEM, r->pub.line,
                      "plugin %s: its worker's values do not read back as a JSON object", name);
        note_plugin_error(r, name, &me);
    }
    cJSON *v;
    while (cJSON_IsObject(o) && (v = o->child)) {
        cJSON_DetachItemViaPointer(o, v);
        char *key = v->string;
        v->string = NULL;
        if (mms_values_set_json(r->values, key, v) != MMS_OK) {
            mms_error_set(&me, MMS_ENOMEM, r->pub.line, "out of memory keeping %s's values", name);
            note_plugin_error(r, name, &me);
        }
        cJSON_free(key);
    }
    cJSON_Delete(o);
}

static void iso_fault(void *ctx, size_t j, iso_fault_kind kind, int detail)
{
    iso_batch *b = ctx;
    pipe_record *r = b->jobs[j].r;
    sel_plugin *s = &b->p->sel[b->jobs[j].k];
    mms_error e;
    if (kind == ISO_TIMEOUT) {
        s->timed_out++;
        mms_error_set(&e, MMS_EPLUGIN, r->pub.line,
                      "plugin %s timed out: still running on this record after %g s "
                      "(--record-timeout); its worker process was killed and replaced",
                      s->d->name, b->p->opt.record_timeout);
    } else {
        s->crashed++;
        if (detail < 0)
            mms_error_set(&e, MMS_EPLUGIN, r->pub.line,
                          "plugin %s not run: no worker process could be started (%s)",
                          s->d->name, strerror(-detail));
        else if (detail >= 1000)
            mms_error_set(&e, MMS_EPLUGIN, r->pub.line,
                          "plugin %s crashed: its worker process exited with status %d while "
                          "scoring this record; it was replaced",
                          s->d->name, detail - 1000);
        else
            mms_error_set(&e, MMS_EPLUGIN, r->pub.line,
                          "plugin %s crashed on this record (signal %d, %s); its worker process "
                          "was replaced",
                          s->d->name, detail, strsignal(detail));
    }
    note_plugin_error(r, s->d->name, &e);
}

/* Plugins k0..k1-1 (isolated) on the batch in forked workers. */
static int score_isolated(mms_pipeline *p, size_t k0, size_t k1, mms_error *err)
{
    size_t cap = p->n_batch * (k1 - k0) + 1;
    iso_job *jobs = malloc(cap * sizeof *jobs);
    size_t *rec = malloc(cap * sizeof *rec);
    if (!jobs || !rec) {
        free(jobs);
        free(rec);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    size_t n = 0;
    /* Record by record, and a record's jobs in one worker, so a plugin sees
     * the values of the isolated plugins before it. */
    for (size_t i = 0; i < p->n_batch; i++)
        for (size_t k = k0; k < k1; k++)
            if (accepts(p->sel[k].d, &p->batch[i])) {
                rec[n] = i;
                jobs[n++] = (iso_job){&p->batch[i], k};
            }
    iso_batch b = {p, jobs};
    iso_ops ops = {iso_run, iso_done, iso_fault, &b};
    int rc = mms_isolate_run(n, rec, p->opt.threads, p->opt.record_timeout, &ops, err);
    free(jobs);
    free(rec);
    return rc;
}

/* One example of a record that did not read, kept while its code has fewer
 * than FAILED_EXAMPLES (out of memory: the example is left out). */
static void add_failed_record(cJSON *by_code, const char *code, const char *source,
                              const char *id, long line, const char *message)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(by_code, code);
    if (!list && !(list = cJSON_AddArrayToObject(by_code, code)))
        return;
    if (cJSON_GetArraySize(list) >= FAILED_EXAMPLES)
        return;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    /* Bounded: an id can be a whole CSV cell; the records file has it whole. */
    const char *text[3] = {source, id, message};
    static const char *const keys[3] = {"source", "id", "message"};
    for (int k = 0; k < 3; k++) {
        char cut[FAILED_TEXT + 1];
        size_t n = text[k] ? strlen(text[k]) : 0;
        if (n > FAILED_TEXT) {
            n = FAILED_TEXT;
            while (n > 0 && ((unsigned char)text[k][n] & 0xC0) == 0x80)
                n--; /* not inside a UTF-8 sequence */
        }
        memcpy(cut, text[k] ? text[k] : "", n);
        cut[n] = '\0';
        cJSON_AddStringToObject(o, keys[k], cut);
        if (k == 1)
            cJSON_AddNumberToObject(o, "line", (double)line);
    }
    cJSON_AddItemToArray(list, o);
}

static void count_record(mms_pipeline *p, const pipe_record *r)
{
    cJSON *set = cJSON_GetObjectItemCaseSensitive(p->sets, r->set);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(set, "records");
    cJSON_SetNumberValue(c, c->valuedouble + 1);
    if (r->error.code == MMS_OK) {
        c = cJSON_GetObjectItemCaseSensitive(set, "read");
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    } else {
        /* A few messages in the summary show what went wrong without
         * opening the records file. */
        if (cJSON_GetArraySize(p->failed_examples) < FAILED_EXAMPLES)
            cJSON_AddItemToArray(p->failed_examples, cJSON_CreateString(r->error.message));
        add_failed_record(p->failed_records, mms_error_code_name(r->error.code), r->source,
                          r->id, r->error.line, r->error.message);
        cJSON *failed = cJSON_GetObjectItemCaseSensitive(set, "failed");
        const char *code = mms_error_code_name(r->error.code);
        c = cJSON_GetObjectItemCaseSensitive(failed, code);
        if (c)
            cJSON_SetNumberValue(c, c->valuedouble + 1);
        else
            cJSON_AddNumberToObject(failed, code, 1);
    }
}

static const char *records_name(const mms_pipeline *p)
{
    return p->opt.records_path ? p->opt.records_path : "the records file";
}

static int add_record_line(mms_pipeline *p, const pipe_record *r, mms_error *err)
{
    cJSON *j = mms_report_record(r, !p->opt.no_fields, p->opt.column);
    char *line = j ? cJSON_PrintUnformatted(j) : NULL;
    int bad = !line || strbuf_put(&p->lines, line, strlen(line)) || strbuf_putc(&p->lines, '\n');
    cJSON_free(line);
    cJSON_Delete(j);
    return bad ? mms_error_set(err, MMS_ENOMEM, 0, "out of memory") : MMS_OK;
}

/* A batch's lines go out in one write after the stream's buffer is empty,
 * so the file grows by whole lines, and a checkpoint's length is always at
 * the end of a line. */
static int write_lines(mms_pipeline *p, mms_error *err)
{
    if (!p->lines.len)
        return MMS_OK;
    FILE *f = p->opt.records;
    int fd = fileno(f);
    if (fflush(f) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", records_name(p),
                             strerror(errno));
    if (fd < 0) { /* a memory stream (embedders, tests) */
        if (fwrite(p->lines.s, 1, p->lines.len, f) != p->lines.len || fflush(f) != 0)
            return mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", records_name(p),
                                 strerror(errno));
        p->rec_bytes += (long long)p->lines.len;
        p->lines.len = 0;
        return MMS_OK;
    }
    const char *q = p->lines.s;
    size_t left = p->lines.len;
    while (left) {
        ssize_t w = write(fd, q, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", records_name(p),
                                 strerror(w < 0 ? errno : ENOSPC));
        q += w;
        left -= (size_t)w;
    }
    p->rec_bytes += (long long)p->lines.len;
    p->lines.len = 0;
    return MMS_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Records the shard blocks promise in all (0 when some set was not counted). */
static size_t planned_total(const mms_pipeline *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_si; i++) {
        if (!p->si[i].shared && !p->si[i].planned)
            return 0;
        n += p->si[i].planned ? p->si[i].hi - p->si[i].lo : 0;
    }
    return n;
}

/* Progress 1: a line rewritten in place (a terminal); 2: one line every
 * 10 s (cluster logs).  Done/total, rate and ETA when the total is known. */
static void show_progress(mms_pipeline *p, int last)
{
    if (!p->opt.progress)
        return;
    double t = now_s();
    if (!p->t_start)
        p->t_start = p->t_shown = t;
    if (!last && p->opt.progress == 2 && t - p->t_shown < 10.0)
        return;
    p->t_shown = t;
    double el = t - p->t_start, rate = el > 0 ? (double)p->since_start / el : 0;
    size_t total = planned_total(p);
    char eta[64] = "";
    if (total && rate > 0 && p->total <= total) {
        double left = (double)(total - p->total) / rate;
        snprintf(eta, sizeof eta, ", ETA %d:%02d:%02d", (int)(left / 3600),
                 (int)(left / 60) % 60, (int)left % 60);
    }
    char done[64];
    if (total)
        snprintf(done, sizeof done, "%zu/%zu", p->total, total);
    else
        snprintf(done, sizeof done, "%zu", p->total);
    fprintf(stderr, "%smmscore: %s records, %.0f/s%s%s", p->opt.progress == 2 ? "" : "\r\033[K",
            done, rate, eta, p->opt.progress == 2 ? "\n" : "");
    fflush(stderr);
}

static int write_checkpoint(mms_pipeline *p, mms_error *err);

static int maybe_checkpoint(mms_pipeline *p, mms_error *err)
{
    int stop = p->opt.stop && *p->opt.stop;
    size_t every = p->opt.checkpoint_every ? p->opt.checkpoint_every : 4096;
    if (p->opt.checkpoint && (stop || p->since_ckpt >= every)) {
        int rc = write_checkpoint(p, err);
        if (rc != MMS_OK)
            return rc;
        p->since_ckpt = 0;
    }
    if (stop)
        return mms_error_set(err, MMS_EIO, 0, "stopped by a signal%s%s%s",
                             p->opt.checkpoint ? "; checkpoint saved in " : "",
                             p->opt.checkpoint ? p->opt.checkpoint : "",
                             p->opt.checkpoint ? " (run the same command with --resume)" : "");
    return MMS_OK;
}

static int flush_batch(mms_pipeline *p, mms_error *err)
{
    if (!p->n_batch)
        return MMS_OK;
    /* A plugin dying in this process names itself and its record first. */
    mms_isolate_fatal_install();
    void *alt = mms_isolate_altstack_push();
    int rc = MMS_OK;
    /* Runs of in-process plugins on threads, of isolated ones in workers,
     * in run order so each sees the values of those before it. */
    for (size_t k0 = 0, k1; k0 < p->n_sel && rc == MMS_OK; k0 = k1) {
        for (k1 = k0 + 1; k1 < p->n_sel && p->sel[k1].isolated == p->sel[k0].isolated; k1++)
            ;
        if (p->sel[k0].isolated)
            rc = score_isolated(p, k0, k1, err);
        else
            score_threads(p, k0, k1);
    }
    for (size_t i = 0; i < p->n_batch; i++) {
        pipe_record *r = &p->batch[i];
        for (size_t k = 0; k < p->n_sel; k++) {
            sel_plugin *s = &p->sel[k];
            if (!s->acc || !accepts(s->d, r))
                continue;
            mms_error e;
            mms_error_clear(&e);
            mms_isolate_note_running(s->d->name, "accumulating", r->id, r->source, r->pub.line);
            int arc = s->d->acc_add_record
                          ? s->d->acc_add_record(s->state, s->acc, &r->pub, r->values, r->values, &e)
                          : s->d->acc_add(s->state, s->acc, &r->pub, r->values, &e);
            if (arc != MMS_OK)
                note_plugin_error(r, s->d->name, &e);
            mms_isolate_note_running(NULL, NULL, NULL, NULL, 0);
        }
        for (size_t k = 0; r->plugin_errors && k < p->n_sel; k++)
            if (cJSON_GetObjectItemCaseSensitive(r->plugin_errors, p->sel[k].d->name))
                p->sel[k].errors++;
        count_record(p, r);
        if (p->opt.on_record && rc == MMS_OK)
            rc = p->opt.on_record(p->opt.on_record_ctx, &r->pub, r->values, err);
        /* Sets every shard reads in full are written by shard 0 only, so the
         * shards' records files put together are the unsharded one. */
        if (p->opt.records && rc == MMS_OK &&
            !(p->opt.shard_index && mms_word_in_list(p->opt.shared_sets, r->set)))
            rc = add_record_line(p, r, err);
        release_record(r);
    }
    mms_isolate_altstack_pop(alt);
    mms_isolate_fatal_restore();
    p->total += p->n_batch;
    p->since_ckpt += p->n_batch;
    p->since_start += p->n_batch;
    p->n_batch = 0;
    p->batch_values = 0;
    /* Complete lines reach the file batch by batch, so a crash loses at most
     * the batch it happens in. */
    if (rc == MMS_OK)
        rc = write_lines(p, err);
    if (rc == MMS_OK)
        rc = maybe_checkpoint(p, err);
    show_progress(p, 0);
    return rc;
}

/* ------------------------------------------------------------------ input */

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s ? s : dflt);
}

static void drop_item(input_item *it)
{
    free(it->id);
    mms_structure_free(it->structure);
    cJSON_Delete(it->fields);
}

static int sink(void *ctx, input_item *it)
{
    mms_pipeline *p = ctx;
    /* Selection by the record's place among all records of its set's
     * inputs: done before a checkpoint, or outside this shard's block. */
    set_info *si = p->cur;
    size_t k = si->raw++;
    if (k < si->skip || (si->planned && (k < si->lo || k >= si->hi))) {
        drop_item(it);
        return MMS_OK;
    }
    pipe_record *r = &p->batch[p->n_batch];
    memset(r, 0, sizeof *r);
    r->id = it->id ? it->id : strdup("?");
    r->source = dup_or(it->source, "?");
    r->set = dup_or(p->cur_set, "input");
    r->structure = it->structure;
    r->fields = it->fields;
    r->values = mms_values_new();
    p->n_batch++;
    if (!r->id || !r->source || !r->set || !r->values)
        return mms_error_set(&p->sink_err, MMS_ENOMEM, 0, "out of memory");
    if (it->error) {
        r->error = *it->error;
        if (r->error.code == MMS_OK)
            r->error.code = MMS_EPARSE;
        /* Readers say what was expected and set the line; the file, line
         * and record are named here, once. */
        char msg[MMS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", r->error.message);
        /* A file that could not be opened at all points at its first line. */
        long line = r->error.line ? r->error.line : (it->line ? it->line : 1);
        mms_error_set(&r->error, r->error.code, line, "%s:%ld: record %s: %s", r->source, line,
                      r->id, msg);
        mms_structure_free(r->structure);
        r->structure = NULL;
    }
    cJSON *set = cJSON_GetObjectItemCaseSensitive(p->sets, r->set);
    if (!set) {
        set = cJSON_AddObjectToObject(p->sets, r->set);
        if (!set || !cJSON_AddNumberToObject(set, "records", 0) ||
            !cJSON_AddNumberToObject(set, "read", 0) || !cJSON_AddObjectToObject(set, "failed"))
            return mms_error_set(&p->sink_err, MMS_ENOMEM, 0, "out of memory");
    }
    /* Index within the set: records counted so far plus those in this batch
     * (found from the set's latest record in the batch, usually the last). */
    r->in_batch = 0;
    for (size_t i = p->n_batch - 1; i-- > 0;)
        if (!strcmp(p->batch[i].set, r->set)) {
            r->in_batch = p->batch[i].in_batch + 1;
            break;
        }
    r->pub.struct_size = sizeof r->pub;
    /* A shard's records keep their index in the whole set, so the shards'
     * records files put together are the unsharded one. */
    r->pub.index = (si->planned ? si->lo : 0) +
                   (size_t)cJSON_GetObjectItemCaseSensitive(set, "records")->valuedouble + r->in_batch;
    r->pub.id = r->id;
    r->pub.source = r->source;
    r->pub.line = it->line;
    r->pub.set = r->set;
    r->pub.structure = r->structure;
    r->pub.fields = r->fields;
    r->pub.error = r->error.code == MMS_OK ? NULL : &r->error;
    /* Big JSON records end a batch early: memory follows the values held. */
    p->batch_values += it->json_values;
    if (p->n_batch == p->opt.batch || p->batch_values > p->opt.max_json_values)
        return flush_batch(p, &p->sink_err);
    return MMS_OK;
}

static int skip_file(void *ctx, const char *path, const char *why)
{
    mms_pipeline *p = ctx;
    p->n_skipped++;
    if (p->n_skipped > SKIPPED_NAMED)
        return MMS_OK;
    if (!p->skipped && !(p->skipped = cJSON_CreateArray()))
        return MMS_ENOMEM;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "path", path) ||
        !cJSON_AddStringToObject(o, "why", why)) {
        cJSON_Delete(o);
        return MMS_ENOMEM;
    }
    cJSON_AddItemToArray(p->skipped, o);
    return MMS_OK;
}

/* Fields-only records (rows without a structure) mean something only to a
 * scorer made for them (QA data: it takes fields and no structures); to
 * structure scorers, even those that count every record (coverage), they
 * are inputs that score nothing. */
static int needs_structures(const mms_pipeline *p)
{
    if (p->opt.require_structures != 2)
        return p->opt.require_structures == 1;
    for (size_t i = 0; i < p->n_sel; i++) {
        unsigned a = p->sel[i].d->accepts;
        if ((a & MMS_ACCEPT_FIELDS) && !(a & MMS_ACCEPT_STRUCTURE))
            return 0;
    }
    return 1;
}

static void prepare_input(mms_pipeline *p, const char *set)
{
    p->cur_set = set;
    p->in = (input_ctx){
        .sink = sink,
        .sink_ctx = p,
        .host = p->host,
        .reader_states = p->reader_states,
        .ropt = {.max_sites = p->opt.max_atoms, .max_line_len = p->opt.max_line_bytes},
        .max_record = p->opt.max_record_bytes,
        .force_format = p->opt.format,
        .reader_ok = p->reader_ok,
        .skip = skip_file,
        .column = p->opt.column,
        .need_structures = needs_structures(p),
        .max_json_values = p->opt.max_json_values,
    };
    mms_error_clear(&p->sink_err);
}

static int finish_input(mms_pipeline *p, int rc, mms_error *err)
{
    /* A failure inside the sink (memory, writing) wins over the reader's. */
    if (p->sink_err.code != MMS_OK) {
        if (err)
            *err = p->sink_err;
        return p->sink_err.code;
    }
    int frc = flush_batch(p, err);
    return rc != MMS_OK ? rc : frc;
}

static set_info *get_set(mms_pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->n_si; i++)
        if (!strcmp(p->si[i].name, name))
            return &p->si[i];
    if (!mms_grow((void **)&p->si, &p->cap_si, p->n_si + 1, sizeof *p->si, 4))
        return NULL;
    set_info *si = &p->si[p->n_si];
    memset(si, 0, sizeof *si);
    si->name = strdup(name);
    si->inputs = cJSON_CreateArray();
    if (!si->name || !si->inputs) {
        free(si->name);
        cJSON_Delete(si->inputs);
        return NULL;
    }
    si->shared = mms_word_in_list(p->opt.shared_sets, name);
    p->n_si++;
    return si;
}

static int count_sink(void *ctx, input_item *it)
{
    ++*(size_t *)ctx;
    drop_item(it);
    return MMS_OK;
}

/* Block I of N of a set of `total` records: [floor(I*T/N), floor((I+1)*T/N)). */
static void set_block(mms_pipeline *p, set_info *si, size_t total)
{
    unsigned long long t = total, k = p->opt.shard_index, m = p->opt.shard_count;
    si->total = total;
    si->lo = (size_t)(t * k / m);
    si->hi = (size_t)(t * (k + 1) / m);
    si->planned = 1;
}

int mms_pipeline_plan_set(mms_pipeline *p, const char *set, const char *const *paths, size_t n,
                          mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    set_info *si = get_set(p, set);
    if (!si)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (!p->opt.shard_count || si->shared || si->planned)
        return MMS_OK;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(paths[i], "-"))
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "--shard needs inputs it can read twice (once to count the "
                                 "records): stdin cannot be; give a file");
        prepare_input(p, set);
        p->in.sink = count_sink;
        p->in.sink_ctx = &total;
        mms_error e;
        /* An unreadable input counts 0 here; reading it proper reports it. */
        if (mms_input_path(&p->in, paths[i], &e) == MMS_ENOMEM)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory counting %s", paths[i]);
    }
    set_block(p, si, total);
    return MMS_OK;
}

static int has_shared_data(const mms_pipeline *p)
{
    if (p->shared_key)
        return 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, p->sets)
        if (mms_word_in_list(p->opt.shared_sets, it->string))
            return 1;
    return 0;
}

static int split_shared(mms_pipeline *p, mms_error *err);

/* Before reading an input of `set`: selection, provenance. */
static int begin_input(mms_pipeline *p, const char *set, const char *path, const char *kind,
                       const char *text, size_t len, mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    set_info *si = get_set(p, set);
    if (!si)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = MMS_OK;
    if (si->shared && p->shared)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "set %s is read by every shard and must come before the others",
                             set);
    if (!si->shared && p->opt.shared_sets && !p->shared && has_shared_data(p) &&
        (rc = split_shared(p, err)) != MMS_OK)
        return rc;
    if (p->opt.shard_count && !si->shared && !si->planned && !text &&
        (rc = mms_pipeline_plan_set(p, set, &path, 1, err)) != MMS_OK)
        return rc;
    if (p->opt.shard_count && !si->shared && !si->planned && text) {
        size_t total = 0; /* a buffer is its set's only input: count it here */
        prepare_input(p, set);
        p->in.sink = count_sink;
        p->in.sink_ctx = &total;
        mms_error e;
        if (mms_input_buffer(&p->in, path, kind, text, len, &e) == MMS_ENOMEM)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory counting %s", path);
        set_block(p, si, total);
    }
    si = get_set(p, set);
    char d[MMS_DIGEST_MAX];
    mms_error e;
    if (text)
        mms_digest_text(text, len, d);
    int known = text || mms_input_digest(path, d, &e) == MMS_OK;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "path", path) ||
        !(known ? cJSON_AddStringToObject(o, "digest", d) : cJSON_AddNullToObject(o, "digest"))) {
        cJSON_Delete(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    /* --resume: the records skipped are those of the checkpoint's inputs;
     * an input changed since then would make the result a mix. */
    const cJSON *was = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(p->resume_inputs, set), cJSON_GetArraySize(si->inputs));
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(was, "digest");
    if (was && (!known || !cJSON_IsString(wd) || strcmp(wd->valuestring, d) != 0)) {
        rc = mms_error_set(err, MMS_EINVAL, 0,
                           "%s: not the input the checkpoint was made from (%s then, %s now): "
                           "run without --resume",
                           path, cJSON_IsString(wd) ? wd->valuestring : "unknown",
                           known ? d : "unknown");
        cJSON_Delete(o);
        return rc;
    }
    cJSON_AddItemToArray(si->inputs, o);
    prepare_input(p, set);
    p->cur = si;
    return MMS_OK;
}

int mms_pipeline_add_input(mms_pipeline *p, const char *path, const char *set, mms_error *err)
{
    int rc = begin_input(p, set, path, NULL, NULL, 0, err);
    if (rc != MMS_OK)
        return rc;
    rc = mms_input_path(&p->in, path, err);
    return finish_input(p, rc, err);
}

int mms_pipeline_add_buffer(mms_pipeline *p, const char *source, const char *kind,
                            const char *text, size_t len, const char *set, mms_error *err)
{
    int rc = begin_input(p, set, source, kind, text ? text : "", len, err);
    if (rc != MMS_OK)
        return rc;
    rc = mms_input_buffer(&p->in, source, kind, text, len, err);
    return finish_input(p, rc, err);
}

/* ------------------------------------------------------------------ state */

#define STATE_FORMAT "mmscore-state"
#define STATE_VERSION 2

/* Write via a temporary file and rename, so that a reader (another shard
 * using the same --ref-cache, a --resume after a crash) sees the old file
 * or the new one, never half of one. */
static int write_file_atomic(const char *path, const char *text, mms_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    /* Not a regular file (a device, a FIFO): written in place, never replaced. */
    struct stat st;
    int in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    int fd = open(in_place ? path : tmp,
                  in_place ? O_WRONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = MMS_OK;
    if (fd < 0) {
        rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    size_t left = strlen(text);
    while (left && rc == MMS_OK) {
        ssize_t w = write(fd, text, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", path,
                               strerror(w < 0 ? errno : ENOSPC));
        else {
            text += w;
            left -= (size_t)w;
        }
    }
    if (rc == MMS_OK && !in_place && fsync(fd) != 0)
        rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", path, strerror(errno));
    if (close(fd) != 0 && rc == MMS_OK)
        rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", path, strerror(errno));
    if (rc == MMS_OK && !in_place && rename(tmp, path) != 0)
        rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", path, strerror(errno));
    if (rc != MMS_OK && !in_place)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* One digest for a set: of its inputs' digests in order.  MMS_ENOTFOUND
 * when one is unknown (stdin), MMS_ENOMEM kept apart: out of memory must not
 * pass for an unknown input. */
static int set_digest(const cJSON *inputs, char out[MMS_DIGEST_MAX])
{
    strbuf b = {0};
    const cJSON *it;
    int rc = cJSON_GetArraySize(inputs) > 0 ? MMS_OK : MMS_ENOTFOUND;
    cJSON_ArrayForEach(it, inputs) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "digest");
        if (rc == MMS_OK && !cJSON_IsString(d))
            rc = MMS_ENOTFOUND;
        else if (rc == MMS_OK)
            rc = strbuf_put(&b, d->valuestring, strlen(d->valuestring));
        if (rc == MMS_OK)
            rc = strbuf_putc(&b, '\n');
    }
    if (rc == MMS_OK)
        mms_digest_text(b.s, b.len, out);
    strbuf_free(&b);
    return rc;
}

enum { SEC_ALL, SEC_SHARED, SEC_OWN };

static int in_section(const mms_pipeline *p, const char *set, int which)
{
    if (which == SEC_ALL)
        return 1;
    return mms_word_in_list(p->opt.shared_sets, set) == (which == SEC_SHARED);
}

static int save_accs(mms_pipeline *p, int empty, cJSON *plugins, mms_error *err)
{
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *s = &p->sel[i];
        if (!s->acc)
            continue;
        if (!s->d->acc_save)
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "plugin %s cannot save its accumulator (no acc_save)",
                                 s->d->name);
        void *acc = s->acc;
        mms_error e;
        mms_error_clear(&e);
        if (empty && s->d->acc_new(s->state, &acc, &e) != MMS_OK)
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: %s", s->d->name, e.message);
        cJSON *saved = NULL;
        int rc = s->d->acc_save(s->state, acc, &saved, &e);
        if (empty)
            s->d->acc_free(s->state, acc);
        if (rc != MMS_OK || !saved) {
            cJSON_Delete(saved);
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: cannot save its state: %s",
                                 s->d->name, e.message);
        }
        cJSON_AddItemToObject(plugins, s->d->name, saved);
    }
    return MMS_OK;
}

/* A section of a state: the inputs, counts, first errors, plugin error
 * counts and accumulators of some sets (empty: none, with fresh
 * accumulators). */
static int build_section(mms_pipeline *p, int which, int empty, cJSON **out, mms_error *err)
{
    cJSON *sec = cJSON_CreateObject();
    cJSON *inputs = cJSON_AddObjectToObject(sec, "inputs");
    cJSON *sets = cJSON_AddObjectToObject(sec, "sets");
    cJSON *ex = empty ? cJSON_CreateArray() : cJSON_Duplicate(p->failed_examples, 1);
    if (!cJSON_AddItemToObject(sec, "failed_examples", ex))
        ex = NULL;
    cJSON *fr = empty ? cJSON_CreateObject() : cJSON_Duplicate(p->failed_records, 1);
    if (!cJSON_AddItemToObject(sec, "failed_records", fr))
        fr = NULL;
    cJSON *errors = cJSON_AddObjectToObject(sec, "plugin_errors");
    cJSON *plugins = cJSON_AddObjectToObject(sec, "plugins");
    if (!sec || !inputs || !sets || !ex || !fr || !errors || !plugins) {
        cJSON_Delete(sec);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    const cJSON *it;
    if (!empty) {
        cJSON_ArrayForEach(it, p->sets)
            if (in_section(p, it->string, which))
                cJSON_AddItemToObject(sets, it->string, cJSON_Duplicate(it, 1));
        for (size_t i = 0; i < p->n_si; i++) {
            set_info *si = &p->si[i];
            if (!in_section(p, si->name, which) || !cJSON_GetArraySize(si->inputs))
                continue;
            cJSON *o = cJSON_AddObjectToObject(inputs, si->name);
            char d[MMS_DIGEST_MAX];
            int rc = set_digest(si->inputs, d);
            if (rc == MMS_ENOMEM) {
                cJSON_Delete(sec);
                return mms_error_set(err, rc, 0, "out of memory");
            }
            if (rc == MMS_OK)
                cJSON_AddStringToObject(o, "digest", d);
            else
                cJSON_AddNullToObject(o, "digest");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(p->sets, si->name), "records");
            cJSON_AddNumberToObject(o, "records", cJSON_IsNumber(c) ? c->valuedouble : 0);
            if (si->planned) {
                cJSON *sh = cJSON_AddObjectToObject(o, "shard_block");
                cJSON_AddNumberToObject(sh, "first", (double)si->lo);
                cJSON_AddNumberToObject(sh, "end", (double)si->hi);
                cJSON_AddNumberToObject(sh, "of", (double)si->total);
            }
            cJSON_AddItemToObject(o, "inputs", cJSON_Duplicate(si->inputs, 1));
        }
        for (size_t i = 0; i < p->n_sel; i++)
            cJSON_AddNumberToObject(errors, p->sel[i].d->name, (double)p->sel[i].errors);
    }
    int rc = save_accs(p, empty, plugins, err);
    if (rc != MMS_OK) {
        cJSON_Delete(sec);
        return rc;
    }
    *out = sec;
    return MMS_OK;
}

/* The shared sets' inputs as one comparable string. */
static char *section_key(const cJSON *sec)
{
    strbuf b = {0};
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "inputs")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "digest");
        const char *v = cJSON_IsString(d) ? d->valuestring : "unknown";
        strbuf_put(&b, it->string, strlen(it->string));
        strbuf_putc(&b, '=');
        strbuf_put(&b, v, strlen(v));
        strbuf_putc(&b, ';');
    }
    strbuf_putc(&b, '\0');
    return b.s; /* NULL when out of memory */
}

static int reset_accs(mms_pipeline *p, mms_error *err)
{
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *s = &p->sel[i];
        s->errors = 0;
        if (!s->acc)
            continue;
        s->d->acc_free(s->state, s->acc);
        s->acc = NULL;
        mms_error e;
        mms_error_clear(&e);
        if (s->d->acc_new(s->state, &s->acc, &e) != MMS_OK)
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: cannot make its accumulator: %s",
                                 s->d->name, e.message);
    }
    cJSON_Delete(p->failed_examples);
    p->failed_examples = cJSON_CreateArray();
    cJSON_Delete(p->failed_records);
    p->failed_records = cJSON_CreateObject();
    return p->failed_examples && p->failed_records
               ? MMS_OK
               : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

/* At the first unshared record: the shared sets' part is saved aside and the
 * accumulators start again, so that a state can hold the shared part once
 * and this run's own part apart (merge takes the shared part once). */
static int split_shared(mms_pipeline *p, mms_error *err)
{
    int rc = flush_batch(p, err);
    cJSON *sec = NULL;
    if (rc == MMS_OK)
        rc = build_section(p, SEC_SHARED, 0, &sec, err);
    if (rc == MMS_OK)
        rc = reset_accs(p, err);
    if (rc != MMS_OK) {
        cJSON_Delete(sec);
        return rc;
    }
    cJSON *set = p->sets->child;
    while (set) {
        cJSON *next = set->next;
        if (mms_word_in_list(p->opt.shared_sets, set->string))
            cJSON_Delete(cJSON_DetachItemViaPointer(p->sets, set));
        set = next;
    }
    p->shared = sec;
    if (!p->shared_key && !(p->shared_key = section_key(sec)))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    return MMS_OK;
}

/* Header and sections of a state; `resume` adds what a checkpoint needs. */
static int build_state(mms_pipeline *p, int shared_only, cJSON **out, mms_error *err)
{
    cJSON *st = cJSON_CreateObject();
    if (!st)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    cJSON_AddStringToObject(st, "format", STATE_FORMAT);
    cJSON_AddNumberToObject(st, "version", STATE_VERSION);
    cJSON_AddStringToObject(st, "mmscore_version", MMSCORE_VERSION);
    cJSON_AddStringToObject(st, "command", p->opt.command ? p->opt.command : "");
    cJSON *ro = cJSON_AddObjectToObject(st, "read_options");
    cJSON_AddNumberToObject(ro, "max_atoms", (double)p->opt.max_atoms);
    cJSON_AddNumberToObject(ro, "max_record_bytes", (double)p->opt.max_record_bytes);
    if (p->opt.format)
        cJSON_AddStringToObject(ro, "format", p->opt.format);
    else
        cJSON_AddNullToObject(ro, "format");
    cJSON *info = cJSON_AddObjectToObject(st, "plugins_info");
    for (size_t i = 0; i < p->n_sel; i++) {
        cJSON *o = cJSON_AddObjectToObject(info, p->sel[i].d->name);
        cJSON_AddStringToObject(o, "version", p->sel[i].d->version ? p->sel[i].d->version : "");
        const cJSON *cfg = mms_host_config(p->host, p->sel[i].d->name);
        cJSON_AddItemToObject(o, "options", cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject());
    }
    if (p->opt.shard_count && !shared_only) {
        cJSON *sh = cJSON_AddObjectToObject(st, "shard");
        cJSON_AddNumberToObject(sh, "index", (double)p->opt.shard_index);
        cJSON_AddNumberToObject(sh, "count", (double)p->opt.shard_count);
    } else {
        cJSON_AddNullToObject(st, "shard");
    }
    int only_shared = p->opt.shared_sets && p->sets->child != NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, p->sets)
        only_shared &= mms_word_in_list(p->opt.shared_sets, it->string);
    if (shared_only && !p->shared && !only_shared && p->sets->child) {
        cJSON_Delete(st);
        return mms_error_set(err, MMS_EINVAL, 0, "the shared sets were mixed with others");
    }
    cJSON *own = NULL, *shared = NULL;
    int rc = MMS_OK;
    if (p->shared) {
        shared = cJSON_Duplicate(p->shared, 1);
        rc = shared ? build_section(p, SEC_OWN, shared_only, &own, err)
                    : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    } else if (only_shared || shared_only) {
        rc = build_section(p, SEC_SHARED, 0, &shared, err);
        if (rc == MMS_OK)
            rc = build_section(p, SEC_OWN, 1, &own, err);
    } else {
        rc = build_section(p, SEC_ALL, 0, &own, err);
    }
    if (rc != MMS_OK) {
        cJSON_Delete(own);
        cJSON_Delete(shared);
        cJSON_Delete(st);
        return rc;
    }
    cJSON *x;
    while ((x = own->child)) {
        cJSON_DetachItemViaPointer(own, x);
        cJSON_AddItemToObject(st, x->string, x); /* keeps the key */
        /* cJSON_AddItemToObject copied the key: drop the detached one */
    }
    cJSON_Delete(own);
    cJSON_AddItemToObject(st, "shared", shared ? shared : cJSON_CreateNull());
    *out = st;
    return MMS_OK;
}

static int write_state(cJSON *st, const char *path, mms_error *err)
{
    mms_json_exact_numbers(st); /* sums must merge to the unsharded numbers */
    char *text = cJSON_PrintUnformatted(st);
    int rc = MMS_OK;
    if (!text)
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    else {
        size_t n = strlen(text);
        char *t2 = realloc(text, n + 2);
        if (!t2) {
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        } else {
            text = t2;
            memcpy(text + n, "\n", 2);
            rc = write_file_atomic(path, text, err);
        }
    }
    free(text);
    cJSON_Delete(st);
    return rc;
}

static int save(mms_pipeline *p, int shared_only, const char *path, mms_error *err)
{
    int rc = flush_batch(p, err);
    cJSON *st = NULL;
    if (rc == MMS_OK)
        rc = build_state(p, shared_only, &st, err);
    return rc == MMS_OK ? write_state(st, path, err) : rc;
}

int mms_pipeline_save_state(mms_pipeline *p, const char *path, mms_error *err)
{
    return save(p, 0, path, err);
}

int mms_pipeline_save_shared(mms_pipeline *p, const char *path, mms_error *err)
{
    return save(p, 1, path, err);
}

int mms_pipeline_shared_restored(const mms_pipeline *p)
{
    return p->restored_shared;
}

static int write_checkpoint(mms_pipeline *p, mms_error *err)
{
    /* The records the checkpoint counts must be on disk before it is. */
    if (p->opt.records && (fflush(p->opt.records) != 0 ||
                           (fileno(p->opt.records) >= 0 &&
                            fdatasync(fileno(p->opt.records)) != 0 && errno != EINVAL &&
                            errno != EROFS)))
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot write: %s", records_name(p),
                             strerror(errno));
    cJSON *st = NULL;
    int rc = build_state(p, 0, &st, err);
    if (rc != MMS_OK)
        return rc;
    cJSON *r = cJSON_AddObjectToObject(st, "resume");
    cJSON_AddNumberToObject(r, "records_bytes", (double)p->rec_bytes);
    cJSON_AddNumberToObject(r, "records", (double)p->total);
    cJSON_AddBoolToObject(r, "split", p->shared != NULL);
    cJSON *raw = cJSON_AddObjectToObject(r, "raw");
    for (size_t i = 0; raw && i < p->n_si; i++)
        cJSON_AddNumberToObject(raw, p->si[i].name, (double)p->si[i].raw);
    if (!raw) {
        cJSON_Delete(st);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    return write_state(st, p->opt.checkpoint, err);
}

static int read_state(const char *path, cJSON **out, mms_error *err)
{
    int rc = mms_json_read_file(path, (size_t)1 << 31, out, err);
    if (rc != MMS_OK)
        return rc;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(*out, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(*out, "version");
    if (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, STATE_FORMAT) && cJSON_IsNumber(ver) &&
        ver->valueint != STATE_VERSION) {
        rc = mms_error_set(err, MMS_EPARSE, 0,
                           "%s: state format version %d; this mmscore reads version %d (states "
                           "of version 1 have no provenance: make it again)",
                           path, ver->valueint, STATE_VERSION);
        cJSON_Delete(*out);
        *out = NULL;
        return rc;
    }
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(*out, "shared");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, STATE_FORMAT) != 0 ||
        !cJSON_IsNumber(ver) || ver->valueint != STATE_VERSION ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "plugins")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "plugins_info")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "sets")) ||
        !(cJSON_IsNull(shared) || cJSON_IsObject(shared))) {
        cJSON_Delete(*out);
        *out = NULL;
        return mms_error_set(err, MMS_EPARSE, 0,
                             "%s: not an mmscore state file (expected {\"format\": \"%s\", "
                             "\"version\": %d, ...})",
                             path, STATE_FORMAT, STATE_VERSION);
    }
    return MMS_OK;
}

int mms_state_read(const char *path, cJSON **state, mms_error *err)
{
    return read_state(path, state, err);
}

int mms_state_plugins(const char *path, cJSON **names, mms_error *err)
{
    cJSON *st;
    int rc = read_state(path, &st, err);
    if (rc != MMS_OK)
        return rc;
    *names = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "plugins_info"))
        cJSON_AddItemToArray(*names, cJSON_CreateString(it->string));
    cJSON_Delete(st);
    return *names ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

static void json_text(const cJSON *v, char *out, size_t n)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(out, n, "%s", t ? t : "(none)");
    cJSON_free(t);
}

int mms_pipeline_check_state(const mms_pipeline *p, const cJSON *st, mms_error *err)
{
    char a[160], b[160];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, "mmscore_version");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, MMSCORE_VERSION) != 0) {
        json_text(v, b, sizeof b);
        return mms_error_set(err, MMS_EINVAL, 0, "mmscore_version: \"%s\" here, %s in the state",
                             MMSCORE_VERSION, b);
    }
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(st, "plugins_info");
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, info) {
        if (k >= p->n_sel || strcmp(p->sel[k].d->name, it->string) != 0)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "plugins: the state has %s where this run has %s", it->string,
                                 k < p->n_sel ? p->sel[k].d->name : "no more plugins");
        const mms_plugin *d = p->sel[k].d;
        v = cJSON_GetObjectItemCaseSensitive(it, "version");
        if (!cJSON_IsString(v) || strcmp(v->valuestring, d->version ? d->version : "") != 0) {
            json_text(v, b, sizeof b);
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "plugin %s version: \"%s\" here, %s in the state", d->name,
                                 d->version ? d->version : "", b);
        }
        const cJSON *mine = mms_host_config(p->host, d->name);
        const cJSON *theirs = cJSON_GetObjectItemCaseSensitive(it, "options");
        const cJSON *o;
        cJSON_ArrayForEach(o, mine) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(theirs, o->string);
            if (!t || !cJSON_Compare(o, t, 1)) {
                json_text(o, a, sizeof a);
                json_text(t, b, sizeof b);
                return mms_error_set(err, MMS_EINVAL, 0, "option %s.%s: %s here, %s in the state",
                                     d->name, o->string, a, b);
            }
        }
        cJSON_ArrayForEach(o, theirs)
            if (!cJSON_GetObjectItemCaseSensitive(mine, o->string)) {
                json_text(o, b, sizeof b);
                return mms_error_set(err, MMS_EINVAL, 0,
                                     "option %s.%s: not known here, %s in the state", d->name,
                                     o->string, b);
            }
        k++;
    }
    if (k < p->n_sel)
        return mms_error_set(err, MMS_EINVAL, 0, "plugins: this run also has %s, the state not",
                             p->sel[k].d->name);
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(st, "read_options");
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(ro, "max_atoms");
    const cJSON *mr = cJSON_GetObjectItemCaseSensitive(ro, "max_record_bytes");
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(ro, "format");
    if (!cJSON_IsNumber(ma) || ma->valuedouble != (double)p->opt.max_atoms)
        return mms_error_set(err, MMS_EINVAL, 0, "--max-atoms: %zu here, %g in the state",
                             p->opt.max_atoms, cJSON_IsNumber(ma) ? ma->valuedouble : -1);
    if (!cJSON_IsNumber(mr) || mr->valuedouble != (double)p->opt.max_record_bytes)
        return mms_error_set(err, MMS_EINVAL, 0, "--max-record-bytes: %zu here, %g in the state",
                             p->opt.max_record_bytes, cJSON_IsNumber(mr) ? mr->valuedouble : -1);
    if (cJSON_IsString(fm) != (p->opt.format != NULL) ||
        (p->opt.format && strcmp(fm->valuestring, p->opt.format) != 0))
        return mms_error_set(err, MMS_EINVAL, 0, "--format: %s here, %s in the state",
                             p->opt.format ? p->opt.format : "(by file name)",
                             cJSON_IsString(fm) ? fm->valuestring : "(by file name)");
    return MMS_OK;
}

/* Add saved counters into ours (same shape: numbers and nested objects). */
static void add_counts(cJSON *into, const cJSON *from)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, from) {
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(into, it->string);
        if (cJSON_IsNumber(it)) {
            if (cJSON_IsNumber(mine))
                cJSON_SetNumberValue(mine, mine->valuedouble + it->valuedouble);
            else if (!mine)
                cJSON_AddNumberToObject(into, it->string, it->valuedouble);
        } else if (cJSON_IsObject(it)) {
            if (!mine)
                mine = cJSON_AddObjectToObject(into, it->string);
            if (cJSON_IsObject(mine))
                add_counts(mine, it);
        }
    }
}

/* A saved set's counts: {records, read, failed {code: n}}, all counts >= 0. */
static int valid_set_counts(const cJSON *set)
{
    if (!cJSON_IsObject(set))
        return 0;
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(set, "records");
    const cJSON *read = cJSON_GetObjectItemCaseSensitive(set, "read");
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(set, "failed");
    if (!cJSON_IsNumber(records) || !cJSON_IsNumber(read) || !cJSON_IsObject(failed) ||
        !(records->valuedouble >= 0) || !(read->valuedouble >= 0))
        return 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, failed)
        if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0))
            return 0;
    return 1;
}

/* Check a section against the run before changing anything: a refused
 * file leaves the accumulators as they were. */
static int check_section(mms_pipeline *p, const cJSON *sec, const char *path, mms_error *err)
{
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(sec, "plugins");
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(sec, "sets");
    if (!cJSON_IsObject(sets) || !cJSON_IsObject(plugins))
        return mms_error_set(err, MMS_EPARSE, 0,
                             "%s: not a state: expected \"sets\": {...} and \"plugins\": {...}",
                             path);
    const cJSON *it;
    cJSON_ArrayForEach(it, sets)
        if (!valid_set_counts(it))
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "%s: not a state: sets.%s: expected {records, read, failed}",
                                 path, it->string);
    cJSON_ArrayForEach(it, plugins) {
        size_t k = 0;
        while (k < p->n_sel && strcmp(p->sel[k].d->name, it->string))
            k++;
        if (k == p->n_sel || !p->sel[k].acc)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "%s: state of plugin %s, which is not part of this run", path,
                                 it->string);
    }
    for (size_t k = 0; k < p->n_sel; k++) {
        sel_plugin *s = &p->sel[k];
        if (!s->acc)
            continue;
        if (!cJSON_GetObjectItemCaseSensitive(plugins, s->d->name))
            return mms_error_set(err, MMS_EINVAL, 0, "%s: no saved state for plugin %s", path,
                                 s->d->name);
        if (!s->d->acc_merge)
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "plugin %s cannot merge saved states (no acc_merge)", s->d->name);
    }
    return MMS_OK;
}

static int apply_section(mms_pipeline *p, const cJSON *sec, const char *path, int with_inputs,
                         mms_error *err)
{
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(sec, "plugins");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(sec, "plugin_errors");
    int rc = MMS_OK;
    for (size_t k = 0; k < p->n_sel && rc == MMS_OK; k++) {
        sel_plugin *s = &p->sel[k];
        const cJSON *ne = cJSON_GetObjectItemCaseSensitive(errors, s->d->name);
        if (cJSON_IsNumber(ne))
            s->errors += (long)ne->valuedouble;
        if (!s->acc)
            continue;
        mms_error e;
        mms_error_clear(&e);
        if (s->d->acc_merge(s->state, s->acc, cJSON_GetObjectItemCaseSensitive(plugins, s->d->name),
                            &e) != MMS_OK)
            rc = mms_error_set(err, MMS_EPLUGIN, 0, "%s: plugin %s cannot merge it: %s", path,
                               s->d->name, e.message);
    }
    if (rc != MMS_OK)
        return rc;
    add_counts(p->sets, cJSON_GetObjectItemCaseSensitive(sec, "sets"));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "failed_examples"))
        if (cJSON_IsString(it) && cJSON_GetArraySize(p->failed_examples) < FAILED_EXAMPLES)
            cJSON_AddItemToArray(p->failed_examples, cJSON_CreateString(it->valuestring));
    /* States written before the report existed have none: nothing to add. */
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "failed_records")) {
        const cJSON *ex;
        cJSON_ArrayForEach(ex, it) {
            const cJSON *ln = cJSON_GetObjectItemCaseSensitive(ex, "line");
            add_failed_record(p->failed_records, it->string,
                              cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "source")),
                              cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "id")),
                              cJSON_IsNumber(ln) ? (long)ln->valuedouble : 0,
                              cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "message")));
        }
    }
    const cJSON *ins = with_inputs ? cJSON_GetObjectItemCaseSensitive(sec, "inputs") : NULL;
    cJSON_ArrayForEach(it, ins) {
        set_info *si = get_set(p, it->string);
        if (!si)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        const cJSON *in;
        cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(it, "inputs"))
            cJSON_AddItemToArray(si->inputs, cJSON_Duplicate(in, 1));
    }
    return MMS_OK;
}

int mms_pipeline_merge_state(mms_pipeline *p, const char *path, mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    cJSON *st;
    int rc = read_state(path, &st, err);
    if (rc != MMS_OK)
        return rc;
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(st, "shared");
    char *key = cJSON_IsObject(shared) ? section_key(shared) : NULL;
    /* The sets every shard read in full go in once: the first state's. */
    int take_shared = key && !p->shared_key;
    if (key && p->shared_key && strcmp(key, p->shared_key) != 0)
        rc = mms_error_set(err, MMS_EINVAL, 0,
                           "%s: made from other reference/training inputs (%s) than this run's "
                           "(%s)",
                           path, key, p->shared_key);
    else if (take_shared && p->shared)
        rc = mms_error_set(err, MMS_EINVAL, 0,
                           "%s: its shared sets cannot come after this run's other records", path);
    if (rc == MMS_OK && take_shared)
        rc = check_section(p, shared, path, err);
    if (rc == MMS_OK)
        rc = check_section(p, st, path, err);
    if (rc == MMS_OK && take_shared && (rc = apply_section(p, shared, path, 1, err)) == MMS_OK) {
        p->shared_key = key;
        key = NULL;
    }
    if (rc == MMS_OK)
        rc = apply_section(p, st, path, 1, err);
    free(key);
    cJSON_Delete(st);
    return rc;
}

/* --resume: the checkpoint's accumulators, counts and place in the inputs. */
static int restore_checkpoint(mms_pipeline *p, mms_error *err)
{
    const char *path = p->opt.checkpoint;
    cJSON *st;
    int rc = read_state(path, &st, err);
    if (rc != MMS_OK)
        return rc;
    mms_error why;
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(st, "command");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(st, "shard");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(st, "resume");
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(st, "shared");
    const cJSON *shi = cJSON_GetObjectItemCaseSensitive(sh, "index");
    const cJSON *shn = cJSON_GetObjectItemCaseSensitive(sh, "count");
    if (!cJSON_IsObject(res))
        rc = mms_error_set(err, MMS_EPARSE, 0, "%s: a state, not a checkpoint", path);
    else if (mms_pipeline_check_state(p, st, &why) != MMS_OK)
        rc = mms_error_set(err, MMS_EINVAL, 0, "%s: made by another command line: %s", path,
                           why.message);
    else if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, p->opt.command ? p->opt.command : ""))
        rc = mms_error_set(err, MMS_EINVAL, 0, "%s: made by mmscore %s, not %s", path,
                           cJSON_IsString(cmd) ? cmd->valuestring : "?",
                           p->opt.command ? p->opt.command : "");
    else if (cJSON_IsObject(sh) != (p->opt.shard_count > 0) ||
             (p->opt.shard_count && (!cJSON_IsNumber(shi) || !cJSON_IsNumber(shn) ||
                                     shi->valuedouble != (double)p->opt.shard_index ||
                                     shn->valuedouble != (double)p->opt.shard_count)))
        rc = mms_error_set(err, MMS_EINVAL, 0, "%s: made with another --shard", path);
    int split = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "split"));
    if (rc == MMS_OK && cJSON_IsObject(shared))
        rc = check_section(p, shared, path, err);
    if (rc == MMS_OK)
        rc = check_section(p, st, path, err);
    if (rc == MMS_OK && cJSON_IsObject(shared)) {
        if (split) {
            p->shared = cJSON_Duplicate(shared, 1);
            p->shared_key = section_key(shared);
            p->restored_shared = 1;
            if (!p->shared || !p->shared_key)
                rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        } else {
            rc = apply_section(p, shared, path, 0, err);
        }
    }
    if (rc == MMS_OK)
        rc = apply_section(p, st, path, 0, err);
    if (rc == MMS_OK && !(p->resume_inputs = cJSON_CreateObject()))
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    const cJSON *it;
    for (int k = 0; k < 2 && rc == MMS_OK; k++) {
        const cJSON *sec = k == 0 ? st : (split ? NULL : shared);
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "inputs"))
            cJSON_AddItemToObject(p->resume_inputs, it->string,
                                  cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "inputs"),
                                                  1));
    }
    const cJSON *raw = rc == MMS_OK ? cJSON_GetObjectItemCaseSensitive(res, "raw") : NULL;
    cJSON_ArrayForEach(it, raw) {
        set_info *si = get_set(p, it->string);
        if (!si)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        else if (cJSON_IsNumber(it) && it->valuedouble >= 0)
            si->skip = (size_t)it->valuedouble;
    }
    const cJSON *nb = cJSON_GetObjectItemCaseSensitive(res, "records_bytes");
    const cJSON *nr = cJSON_GetObjectItemCaseSensitive(res, "records");
    p->rec_bytes = cJSON_IsNumber(nb) ? (long long)nb->valuedouble : 0;
    p->total = cJSON_IsNumber(nr) ? (size_t)nr->valuedouble : 0;
    cJSON_Delete(st);
    return rc;
}

/* At the end of a run that kept its shared sets apart: put them back in
 * front, as one unsharded run fed them. */
static int join_shared(mms_pipeline *p, mms_error *err)
{
    cJSON *own = NULL;
    int rc = build_section(p, SEC_OWN, 0, &own, err);
    if (rc == MMS_OK)
        rc = reset_accs(p, err);
    if (rc == MMS_OK) {
        cJSON_Delete(p->sets);
        p->sets = cJSON_CreateObject();
        rc = p->sets ? apply_section(p, p->shared, "(shared sets)", 0, err)
                     : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    if (rc == MMS_OK)
        rc = apply_section(p, own, "(this run)", 0, err);
    cJSON_Delete(own);
    cJSON_Delete(p->shared);
    p->shared = NULL;
    return rc;
}

/* ---------------------------------------------------------------- summary */

/* Summary values in the order the plugin declares them, then any others. */
static cJSON *ordered_summary(const mms_plugin *d, cJSON *vals)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    for (const mms_metric_def *m = d->summary; m && m->name; m++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(vals, m->name);
        if (v)
            cJSON_AddItemToObject(o, m->name, v);
    }
    cJSON *v;
    while ((v = vals->child)) {
        cJSON_DetachItemViaPointer(vals, v);
        char *name = v->string;
        v->string = NULL;
        cJSON_AddItemToObject(o, name, v);
        cJSON_free(name);
    }
    return o;
}

/* Which plugins ran isolated and what their workers died of. */
static void add_isolation_summary(const mms_pipeline *p, cJSON *s)
{
    if (!p->any_isolated)
        return;
    cJSON *iso = cJSON_AddArrayToObject(s, "plugins_isolated");
    cJSON *faults = NULL;
    for (size_t i = 0; i < p->n_sel; i++) {
        const sel_plugin *sp = &p->sel[i];
        if (sp->isolated)
            cJSON_AddItemToArray(iso, cJSON_CreateString(sp->d->name));
        if (!sp->crashed && !sp->timed_out)
            continue;
        if (!faults)
            faults = cJSON_AddObjectToObject(s, "plugin_faults");
        cJSON *o = cJSON_AddObjectToObject(faults, sp->d->name);
        cJSON_AddNumberToObject(o, "crashed", (double)sp->crashed);
        cJSON_AddNumberToObject(o, "timed_out", (double)sp->timed_out);
    }
}

int mms_pipeline_finish(mms_pipeline *p, cJSON **summary, mms_error *err)
{
    *summary = NULL;
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    int rc = flush_batch(p, err);
    if (rc == MMS_OK && p->shared)
        rc = join_shared(p, err);
    if (rc != MMS_OK)
        return rc;
    p->finished = 1;
    if (p->opt.progress == 2)
        show_progress(p, 1);
    else if (p->opt.progress)
        fputs("\r\033[K", stderr);
    cJSON *s = cJSON_CreateObject();
    if (!s)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    double records = 0, read = 0;
    cJSON *failed = cJSON_CreateObject();
    const cJSON *set;
    cJSON_ArrayForEach(set, p->sets) {
        records += cJSON_GetObjectItemCaseSensitive(set, "records")->valuedouble;
        read += cJSON_GetObjectItemCaseSensitive(set, "read")->valuedouble;
        add_counts(failed, cJSON_GetObjectItemCaseSensitive(set, "failed"));
    }
    cJSON_AddStringToObject(s, "mmscore_version", MMSCORE_VERSION);
    cJSON_AddNumberToObject(s, "records", records);
    cJSON_AddNumberToObject(s, "read", read);
    cJSON_AddItemToObject(s, "failed", failed);
    if (cJSON_GetArraySize(p->failed_examples))
        cJSON_AddItemToObject(s, "failed_examples", cJSON_Duplicate(p->failed_examples, 1));
    if (p->n_skipped) {
        /* Files a folder walk did not read are named, not silently dropped. */
        cJSON *sk = cJSON_AddObjectToObject(s, "skipped");
        cJSON_AddNumberToObject(sk, "files", (double)p->n_skipped);
        cJSON_AddItemToObject(sk, "named", cJSON_Duplicate(p->skipped, 1));
    }
    cJSON_AddItemToObject(s, "sets", cJSON_Duplicate(p->sets, 1));
    add_isolation_summary(p, s);
    cJSON *pl = cJSON_AddArrayToObject(s, "plugins_run");
    cJSON *errs = cJSON_AddObjectToObject(s, "plugin_errors");
    cJSON *sums = cJSON_AddObjectToObject(s, "plugins");
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *sp = &p->sel[i];
        cJSON_AddItemToArray(pl, cJSON_CreateString(sp->d->name));
        if (sp->errors)
            cJSON_AddNumberToObject(errs, sp->d->name, (double)sp->errors);
        if (!sp->acc)
            continue;
        mms_values *v = mms_values_new();
        mms_error e;
        mms_error_clear(&e);
        if (!v) {
            cJSON_Delete(s);
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        int rc = sp->d->acc_finish(sp->state, sp->acc, v, &e);
        if (rc == MMS_OK && mms_values_error(v) != MMS_OK)
            rc = unstored(sp->d->name, mms_values_error(v), 0, &e);
        if (rc != MMS_OK) {
            /* The run completed; one plugin's summary failing is reported in it. */
            cJSON *o = cJSON_AddObjectToObject(sums, sp->d->name);
            cJSON_AddItemToObject(o, "error", error_json(&e));
        } else {
            mms_values_materialize(v);
            /* A set part kept only for the report's figures has no summary entry. */
            if (sp->d->summary || cJSON_GetArraySize(v->obj))
                cJSON_AddItemToObject(sums, sp->d->name, ordered_summary(sp->d, v->obj));
        }
        mms_values_free(v);
    }
    if (p->n_warnings) {
        cJSON *w = cJSON_AddArrayToObject(s, "warnings");
        for (size_t i = 0; i < p->n_warnings; i++)
            cJSON_AddItemToArray(w, cJSON_CreateString(p->warnings[i]));
    }
    *summary = s;
    return MMS_OK;
}

int mms_pipeline_figures(mms_pipeline *p, cJSON **out, mms_error *err)
{
    *out = NULL;
    if (!p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "mms_pipeline_figures: finish the pipeline first");
    cJSON *o = cJSON_CreateObject();
    cJSON *fr = cJSON_Duplicate(p->failed_records, 1);
    if (!cJSON_AddItemToObject(o, "failed_records", fr))
        cJSON_Delete(fr), fr = NULL;
    cJSON *pl = cJSON_AddArrayToObject(o, "plugins");
    if (!o || !fr || !pl) {
        cJSON_Delete(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < p->n_sel; i++) {
        sel_plugin *sp = &p->sel[i];
        if (!sp->acc || !sp->d->acc_report)
            continue;
        cJSON *entry = cJSON_CreateObject();
        if (!entry || !cJSON_AddItemToArray(pl, entry) ||
            !cJSON_AddStringToObject(entry, "plugin", sp->d->name)) {
            cJSON_Delete(o);
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        cJSON *figs = NULL;
        mms_error e;
        mms_error_clear(&e);
        int rc = sp->d->acc_report(sp->state, sp->acc, &figs, &e);
        if (rc == MMS_OK && !cJSON_IsArray(figs))
            rc = mms_error_set(&e, MMS_EPLUGIN, 0, "acc_report gave %s, not an array of figures",
                               figs ? "another JSON value" : "nothing");
        if (rc != MMS_OK) {
            /* One plugin's figures failing leaves the others and the rest of the report. */
            cJSON_Delete(figs);
            cJSON_AddItemToObject(entry, "error", error_json(&e));
        } else {
            cJSON_AddItemToObject(entry, "figures", figs);
        }
    }
    mms_json_utf8_fix(o); /* ids and messages quote input bytes */
    *out = o;
    return MMS_OK;
}
