/* Plugin fault isolation (isolate.c): run jobs in forked worker processes so
 * that a plugin which crashes or hangs on one record costs that record only,
 * and a fatal-signal note for plugins running in the process itself. */
#ifndef MMSCORE_ISOLATE_INTERNAL_H
#define MMSCORE_ISOLATE_INTERNAL_H

#include <stddef.h>

#include "mmscore/error.h"

typedef enum iso_fault_kind {
    ISO_CRASH = 1, /* the worker died: detail = signal number, or exit status + 1000 */
    ISO_TIMEOUT    /* the job ran longer than the timeout; the worker was killed */
} iso_fault_kind;

typedef struct iso_ops {
    /* In a worker process: run job j.  On MMS_OK, *text is the job's result
     * (malloc'ed, sent to the parent and freed); else err says why. */
    int (*run)(void *ctx, size_t j, char **text, mms_error *err);
    /* In the parent, in job order per worker: job j's result text
     * (borrowed), or its error when text is NULL. */
    void (*done)(void *ctx, size_t j, const char *text, size_t len, const mms_error *err);
    /* In the parent: job j's worker crashed or timed out on it. */
    void (*fault)(void *ctx, size_t j, iso_fault_kind kind, int detail);
    void *ctx;
} iso_ops;

/* Run jobs 0..n-1 in up to `workers` forked processes, each a contiguous
 * slice of the jobs in order that never splits a group (group[j], not
 * decreasing, e.g. the record of job j; NULL = every job its own).  Workers are forked from the calling process
 * as it is now, so they see its memory (records, plugin states) without
 * copying; a worker that dies or passes `timeout` seconds (0 = none) on a job
 * is replaced by a fresh fork starting after that job.  Must be called with
 * no other threads running.  MMS_EIO only if no worker can be forked at all
 * (the remaining jobs then get `fault` with detail -errno). */
int mms_isolate_run(size_t n, const size_t *group, int workers, double timeout, const iso_ops *ops,
                    mms_error *err);

/* Probe a plugin file by loading it (dlopen, entry symbol, descriptor) in a
 * forked child, so that a constructor that crashes, exits or hangs is
 * reported instead of taking the process down.  MMS_OK when the child came
 * back normally (the file may still fail to load: dlopen tells why);
 * MMS_EPLUGIN with a message naming path otherwise. */
int mms_isolate_probe_load(const char *path, const char *entry_symbol, mms_error *err);

/* Fatal-signal note for scorers running in this process: while installed,
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT write one line to stderr
 * naming the plugin and record running on the faulting thread (set with
 * mms_isolate_note_running), then go on to the previous handler (the
 * default: the process dies of the signal).  Install/restore bracket a
 * batch; install twice without restore is a no-op. */
void mms_isolate_fatal_install(void);
void mms_isolate_fatal_restore(void);
/* What this thread runs now (all borrowed, NULL plugin = nothing).  `what`
 * is "scoring" or "accumulating". */
void mms_isolate_note_running(const char *plugin, const char *what, const char *record_id,
                              const char *source, long line);
/* An alternate signal stack for this thread, so that a stack overflow in a
 * plugin still gets its note (no-op if one is already set); release it
 * before the thread ends. */
void *mms_isolate_altstack_push(void);
void mms_isolate_altstack_pop(void *handle);

#endif
