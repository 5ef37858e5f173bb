/* The pipeline: records in input order, per-record scoring on worker
 * threads one batch at a time (so memory follows the batch, not the input),
 * then, on the calling thread and in input order, set accumulators and the
 * records file.  The output therefore does not depend on the thread count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmscore/mmscore.h"
#include "isolate_internal.h"
#include "pipeline_internal.h"

#define FAILED_EXAMPLES 5
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
    size_t total;
    char **warnings;
    size_t n_warnings;
    const char *cur_set;
    input_ctx in;
    mms_error sink_err;
    size_t batch_values;        /* JSON values held by the batch's fields */
    size_t n_skipped;           /* files folder walks left out */
    cJSON *skipped;             /* the first SKIPPED_NAMED of them: [{path, why}] */
    int any_isolated;
};

/* ---------------------------------------------------------------- set-up */

static int add_warning(mms_pipeline *p, const char *msg)
{
    char **w = realloc(p->warnings, (p->n_warnings + 1) * sizeof *w);
    if (!w)
        return MMS_ENOMEM;
    p->warnings = w;
    if (!(w[p->n_warnings] = strdup(msg)))
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
    }
    if (!p || !p->selected || !p->reader_ok || !p->reader_states || !p->sets ||
        !p->failed_examples) {
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
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s, which %s %s, could not be loaded: %s",
                                 f->name, command,
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
    cJSON_Delete(p->skipped);
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
        cJSON *failed = cJSON_GetObjectItemCaseSensitive(set, "failed");
        const char *code = mms_error_code_name(r->error.code);
        c = cJSON_GetObjectItemCaseSensitive(failed, code);
        if (c)
            cJSON_SetNumberValue(c, c->valuedouble + 1);
        else
            cJSON_AddNumberToObject(failed, code, 1);
    }
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
        if (p->opt.records && rc == MMS_OK) {
            cJSON *j = mms_report_record(r);
            char *line = j ? cJSON_PrintUnformatted(j) : NULL;
            if (!line)
                rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            else if (fputs(line, p->opt.records) < 0 || fputc('\n', p->opt.records) < 0)
                rc = mms_error_set(err, MMS_EIO, 0, "cannot write the records file");
            cJSON_free(line);
            cJSON_Delete(j);
        }
        release_record(r);
    }
    mms_isolate_altstack_pop(alt);
    mms_isolate_fatal_restore();
    /* Complete lines reach the file batch by batch, so a crash loses at most
     * the batch it happens in. */
    if (p->opt.records && rc == MMS_OK && fflush(p->opt.records) != 0)
        rc = mms_error_set(err, MMS_EIO, 0, "cannot write the records file");
    p->total += p->n_batch;
    p->n_batch = 0;
    p->batch_values = 0;
    if (p->opt.progress) {
        fprintf(stderr, "\rmmscore: %zu records", p->total);
        fflush(stderr);
    }
    return rc;
}

/* ------------------------------------------------------------------ input */

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s ? s : dflt);
}

static int sink(void *ctx, input_item *it)
{
    mms_pipeline *p = ctx;
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
        /* Every error names file, line and record, whatever the reader wrote. */
        char msg[MMS_ERROR_MESSAGE_MAX];
        const char *m = r->error.message;
        size_t sl = strlen(r->source);
        if (strncmp(m, r->source, sl) == 0 && m[sl] == ':') {
            /* "SOURCE: why" or "SOURCE:LINE: why": keep only the why. */
            m += sl + 1;
            while (*m >= '0' && *m <= '9')
                m++;
            if (*m == ':')
                m++;
            while (*m == ' ')
                m++;
        }
        snprintf(msg, sizeof msg, "%s", m);
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
    r->pub.index = (size_t)cJSON_GetObjectItemCaseSensitive(set, "records")->valuedouble + r->in_batch;
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
    if (!o || !cJSON_AddStringToObject(o, "path", path) || !cJSON_AddStringToObject(o, "why", why)) {
        cJSON_Delete(o);
        return MMS_ENOMEM;
    }
    cJSON_AddItemToArray(p->skipped, o);
    return MMS_OK;
}

/* Fields-only records (rows without a structure) mean something only to a
 * scorer that takes them; to the others they are inputs that score nothing. */
static int needs_structures(const mms_pipeline *p)
{
    for (size_t i = 0; i < p->n_sel; i++)
        if (p->sel[i].d->accepts & MMS_ACCEPT_FIELDS)
            return 0;
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

int mms_pipeline_add_input(mms_pipeline *p, const char *path, const char *set, mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    prepare_input(p, set);
    int rc = mms_input_path(&p->in, path, err);
    return finish_input(p, rc, err);
}

int mms_pipeline_add_buffer(mms_pipeline *p, const char *source, const char *kind,
                            const char *text, size_t len, const char *set, mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    prepare_input(p, set);
    int rc = mms_input_buffer(&p->in, source, kind, text, len, err);
    return finish_input(p, rc, err);
}

/* ------------------------------------------------------------------ state */

#define STATE_FORMAT "mmscore-state"
#define STATE_VERSION 1

int mms_pipeline_save_state(mms_pipeline *p, const char *path, mms_error *err)
{
    int rc = flush_batch(p, err);
    if (rc != MMS_OK)
        return rc;
    cJSON *st = cJSON_CreateObject();
    cJSON *plugins = cJSON_CreateObject();
    cJSON *errors = cJSON_CreateObject();
    if (!st || !plugins || !errors) {
        cJSON_Delete(st);
        cJSON_Delete(plugins);
        cJSON_Delete(errors);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    cJSON_AddStringToObject(st, "format", STATE_FORMAT);
    cJSON_AddNumberToObject(st, "version", STATE_VERSION);
    cJSON_AddItemToObject(st, "sets", cJSON_Duplicate(p->sets, 1));
    cJSON_AddItemToObject(st, "plugin_errors", errors);
    cJSON_AddItemToObject(st, "plugins", plugins);
    for (size_t i = 0; i < p->n_sel && rc == MMS_OK; i++) {
        sel_plugin *s = &p->sel[i];
        cJSON_AddNumberToObject(errors, s->d->name, (double)s->errors);
        if (!s->acc)
            continue;
        if (!s->d->acc_save) {
            rc = mms_error_set(err, MMS_EUNSUPPORTED, 0,
                               "plugin %s cannot save its accumulator (no acc_save)", s->d->name);
            break;
        }
        cJSON *saved = NULL;
        mms_error e;
        mms_error_clear(&e);
        if (s->d->acc_save(s->state, s->acc, &saved, &e) != MMS_OK || !saved) {
            cJSON_Delete(saved);
            rc = mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: cannot save its state: %s",
                               s->d->name, e.message);
            break;
        }
        cJSON_AddItemToObject(plugins, s->d->name, saved);
    }
    if (rc == MMS_OK) {
        mms_json_exact_numbers(st); /* sums must merge to the unsharded numbers */
        char *text = cJSON_PrintUnformatted(st);
        FILE *f = text ? fopen(path, "wb") : NULL;
        if (!text)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        else if (!f)
            rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write state", path);
        else {
            if (fputs(text, f) < 0 || fputc('\n', f) < 0)
                rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write state", path);
            if (fclose(f) != 0 && rc == MMS_OK)
                rc = mms_error_set(err, MMS_EIO, 0, "%s: cannot write state", path);
        }
        cJSON_free(text);
    }
    cJSON_Delete(st);
    return rc;
}

static int read_state(const char *path, cJSON **out, mms_error *err)
{
    int rc = mms_json_read_file(path, (size_t)1 << 31, out, err);
    if (rc != MMS_OK)
        return rc;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(*out, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(*out, "version");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, STATE_FORMAT) != 0 ||
        !cJSON_IsNumber(ver) || ver->valueint != STATE_VERSION ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "plugins")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "sets"))) {
        cJSON_Delete(*out);
        *out = NULL;
        return mms_error_set(err, MMS_EPARSE, 0,
                             "%s: not an mmscore state file (expected {\"format\": \"%s\", "
                             "\"version\": %d, ...})",
                             path, STATE_FORMAT, STATE_VERSION);
    }
    return MMS_OK;
}

int mms_state_plugins(const char *path, cJSON **names, mms_error *err)
{
    cJSON *st;
    int rc = read_state(path, &st, err);
    if (rc != MMS_OK)
        return rc;
    *names = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "plugin_errors"))
        cJSON_AddItemToArray(*names, cJSON_CreateString(it->string));
    cJSON_Delete(st);
    return *names ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
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

int mms_pipeline_merge_state(mms_pipeline *p, const char *path, mms_error *err)
{
    if (!p->started || p->finished)
        return mms_error_set(err, MMS_EINVAL, 0, "pipeline not started or already finished");
    cJSON *st;
    int rc = read_state(path, &st, err);
    if (rc != MMS_OK)
        return rc;
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(st, "plugins");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(st, "plugin_errors");
    /* Check everything before changing anything: a refused file leaves the
     * accumulators as they were. */
    const cJSON *it;
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(st, "sets");
    if (!cJSON_IsObject(sets)) {
        cJSON_Delete(st);
        return mms_error_set(err, MMS_EPARSE, 0, "%s: not a state: expected \"sets\": {...}",
                             path);
    }
    cJSON_ArrayForEach(it, sets)
        if (!valid_set_counts(it)) {
            rc = mms_error_set(err, MMS_EPARSE, 0,
                               "%s: not a state: sets.%s: expected {records, read, failed}",
                               path, it->string);
            cJSON_Delete(st); /* after the message: it->string lives in st */
            return rc;
        }
    cJSON_ArrayForEach(it, plugins) {
        size_t k = 0;
        while (k < p->n_sel && strcmp(p->sel[k].d->name, it->string))
            k++;
        if (k == p->n_sel || !p->sel[k].acc) {
            rc = mms_error_set(err, MMS_EINVAL, 0,
                               "%s: state of plugin %s, which is not part of this run", path,
                               it->string);
            cJSON_Delete(st);
            return rc;
        }
    }
    for (size_t k = 0; k < p->n_sel; k++) {
        sel_plugin *s = &p->sel[k];
        if (!s->acc)
            continue;
        if (!cJSON_GetObjectItemCaseSensitive(plugins, s->d->name)) {
            cJSON_Delete(st);
            return mms_error_set(err, MMS_EINVAL, 0, "%s: no saved state for plugin %s", path,
                                 s->d->name);
        }
        if (!s->d->acc_merge) {
            cJSON_Delete(st);
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "plugin %s cannot merge saved states (no acc_merge)", s->d->name);
        }
    }
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
    if (rc == MMS_OK)
        add_counts(p->sets, sets);
    cJSON_Delete(st);
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
    if (rc != MMS_OK)
        return rc;
    p->finished = 1;
    if (p->opt.progress)
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
        if (sp->d->acc_finish(sp->state, sp->acc, v, &e) != MMS_OK) {
            /* The run completed; one plugin's summary failing is reported in it. */
            cJSON *o = cJSON_AddObjectToObject(sums, sp->d->name);
            cJSON_AddItemToObject(o, "error", error_json(&e));
        } else {
            mms_values_materialize(v);
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
