/* Plugin fault isolation.  Workers are plain fork()s of the pipeline taken
 * when a batch is ready: they inherit the records, the earlier plugins'
 * values and the plugin states, so only results travel (one framed message
 * per job over a pipe) and a crash or a hang costs one job.  No exec, no
 * serialised input, no extra dependency: POSIX fork/pipe/poll/waitpid. */
#define _XOPEN_SOURCE 700 /* sigaltstack, SA_ONSTACK */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolate_internal.h"
#include "grow_internal.h"

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_FATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])

/* A forked worker or probe must die of its plugin's signal, not run a
 * handler of the parent's (ours or a sanitizer's), so the parent can name
 * the signal. */
static void default_fatal_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_sigs[i], &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* --------------------------------------------------------------- workers */

typedef struct msg_head {
    uint32_t job;
    int32_t code; /* MMS_OK: payload is the result text; else the error message */
    int64_t line;
    uint64_t len;
} msg_head;

typedef struct iso_worker {
    pid_t pid;
    int fd; /* read end; -1 when the worker is gone for good */
    size_t next, end; /* jobs not yet reported */
    double since;     /* start of the job now running */
    int killed;
    char *buf;
    size_t len, cap;
} iso_worker;

static _Noreturn void worker_main(const iso_ops *ops, size_t from, size_t to, int fd)
{
    default_fatal_signals();
    for (size_t j = from; j < to; j++) {
        char *text = NULL;
        mms_error e;
        mms_error_clear(&e);
        int rc = ops->run(ops->ctx, j, &text, &e);
        if (rc == MMS_OK && !text)
            rc = mms_error_set(&e, MMS_ENOMEM, 0, "out of memory");
        if (rc != MMS_OK && e.code == MMS_OK)
            e.code = rc;
        const char *payload = rc == MMS_OK ? text : e.message;
        msg_head h = {(uint32_t)j, rc, rc == MMS_OK ? 0 : e.line, strlen(payload)};
        int w = write_all(fd, &h, sizeof h) || write_all(fd, payload, h.len);
        free(text);
        if (w)
            _exit(3); /* the parent is gone */
    }
    _exit(0);
}

/* Fork a worker for jobs [w->next, w->end).  0 or -errno. */
static int spawn(iso_worker *w, iso_worker *all, size_t n_all, const iso_ops *ops)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -errno;
    /* Nothing buffered in stdio may be written twice (by a worker's exit). */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < n_all; i++)
            if (all[i].fd >= 0 && &all[i] != w)
                close(all[i].fd);
        worker_main(ops, w->next, w->end, fds[1]);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->since = now_s();
    w->killed = 0;
    w->len = 0;
    return 0;
}

static void take_messages(iso_worker *w, const iso_ops *ops)
{
    size_t off = 0;
    msg_head h;
    while (w->len - off >= sizeof h) {
        memcpy(&h, w->buf + off, sizeof h);
        if (w->len - off - sizeof h < h.len)
            break;
        const char *payload = w->buf + off + sizeof h;
        if (h.code == MMS_OK) {
            ops->done(ops->ctx, h.job, payload, (size_t)h.len, NULL);
        } else {
            mms_error e;
            mms_error_set(&e, h.code, (long)h.line, "%.*s",
                          (int)(h.len < MMS_ERROR_MESSAGE_MAX ? h.len : MMS_ERROR_MESSAGE_MAX - 1),
                          payload);
            ops->done(ops->ctx, h.job, NULL, 0, &e);
        }
        w->next = (size_t)h.job + 1;
        w->since = now_s();
        off += sizeof h + (size_t)h.len;
    }
    memmove(w->buf, w->buf + off, w->len - off);
    w->len -= off;
}

/* The worker's pipe ended: reap it, blame the job it was on, start a fresh
 * one for the rest. */
static void worker_ended(iso_worker *w, iso_worker *all, size_t n_all, const iso_ops *ops)
{
    close(w->fd);
    w->fd = -1;
    int st = 0;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
        ;
    while (w->next < w->end) {
        /* Also when it exited cleanly before reporting everything (a plugin
         * calling exit()): that job is the one it was on. */
        int detail = WIFSIGNALED(st) ? WTERMSIG(st) : 1000 + WEXITSTATUS(st);
        ops->fault(ops->ctx, w->next, w->killed ? ISO_TIMEOUT : ISO_CRASH, detail);
        w->next++;
        if (w->next == w->end)
            break;
        int rc = spawn(w, all, n_all, ops);
        if (rc == 0)
            return;
        /* No process to be had: the rest of this slice cannot be scored. */
        while (w->next < w->end)
            ops->fault(ops->ctx, w->next++, ISO_CRASH, rc);
    }
}

int mms_isolate_run(size_t n, const size_t *group, int workers, double timeout, const iso_ops *ops,
                    mms_error *err)
{
    if (!n)
        return MMS_OK;
    size_t nw = workers < 1 ? 1 : (size_t)workers;
    if (nw > n)
        nw = n;
    iso_worker *ws = calloc(nw, sizeof *ws);
    struct pollfd *pf = calloc(nw, sizeof *pf);
    size_t *which = calloc(nw, sizeof *which);
    if (!ws || !pf || !which) {
        free(ws);
        free(pf);
        free(which);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    size_t per = (n + nw - 1) / nw, at = 0;
    for (size_t i = 0; i < nw; i++) {
        ws[i].fd = -1;
        ws[i].next = at;
        at = (i + 1) * per < n ? (i + 1) * per : n;
        /* A job may need the values of the jobs before it in its group. */
        while (group && at > ws[i].next && at < n && group[at] == group[at - 1])
            at++;
        ws[i].end = at;
    }
    int rc = MMS_OK, started = 0;
    for (size_t i = 0; i < nw; i++) {
        if (ws[i].next == ws[i].end)
            continue;
        int e = spawn(&ws[i], ws, nw, ops);
        if (e == 0) {
            started++;
            continue;
        }
        while (ws[i].next < ws[i].end)
            ops->fault(ops->ctx, ws[i].next++, ISO_CRASH, e);
        if (!started && i == nw - 1)
            rc = mms_error_set(err, MMS_EIO, 0, "cannot fork a worker process: %s", strerror(-e));
    }
    for (;;) {
        size_t np = 0;
        double t = now_s(), wait = -1;
        for (size_t i = 0; i < nw; i++) {
            if (ws[i].fd < 0)
                continue;
            pf[np] = (struct pollfd){.fd = ws[i].fd, .events = POLLIN};
            which[np++] = i;
            if (timeout > 0 && !ws[i].killed) {
                double left = ws[i].since + timeout - t;
                if (wait < 0 || left < wait)
                    wait = left < 0 ? 0 : left;
            }
        }
        if (!np)
            break;
        int ms = wait < 0 ? -1 : wait > 1e6 ? 1000000000 : (int)(wait * 1000) + 1;
        int r = poll(pf, np, ms);
        if (r < 0 && errno != EINTR) {
            rc = mms_error_set(err, MMS_EIO, 0, "waiting for worker processes: %s",
                               strerror(errno));
            break;
        }
        for (size_t k = 0; r > 0 && k < np; k++) {
            iso_worker *w = &ws[which[k]];
            if (!pf[k].revents)
                continue;
            /* room for one more 64 KiB read */
            if (!mms_grow((void **)&w->buf, &w->cap, w->len + 65536, 1, 131072)) {
                /* Cannot take its results: treat it as dead. */
                kill(w->pid, SIGKILL);
                worker_ended(w, ws, nw, ops);
                continue;
            }
            ssize_t got = read(w->fd, w->buf + w->len, w->cap - w->len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got > 0) {
                w->len += (size_t)got;
                take_messages(w, ops);
            } else {
                worker_ended(w, ws, nw, ops);
            }
        }
        if (timeout > 0) {
            t = now_s();
            for (size_t i = 0; i < nw; i++)
                if (ws[i].fd >= 0 && !ws[i].killed && t - ws[i].since >= timeout) {
                    /* Its pipe ends when it is gone; worker_ended blames the job. */
                    kill(ws[i].pid, SIGKILL);
                    ws[i].killed = 1;
                }
        }
    }
    for (size_t i = 0; i < nw; i++) {
        if (ws[i].fd >= 0) { /* only after a poll failure */
            kill(ws[i].pid, SIGKILL);
            close(ws[i].fd);
            while (waitpid(ws[i].pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        free(ws[i].buf);
    }
    free(ws);
    free(pf);
    free(which);
    return rc;
}

/* ------------------------------------------------------------- load probe */

#define PROBE_TIMEOUT_S 30

int mms_isolate_probe_load(const char *path, const char *entry_symbol, mms_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return MMS_OK; /* cannot probe: load it the ordinary way */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return MMS_OK;
    }
    if (pid == 0) {
        close(fds[0]);
        default_fatal_signals();
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (dl) {
            const void *(*entry)(void);
            *(void **)(&entry) = dlsym(dl, entry_symbol);
            if (entry)
                entry();
        }
        _exit(0);
    }
    close(fds[1]);
    /* The pipe ends when the child does (or leaves it to a grandchild: then
     * the timeout is the only word we get). */
    struct pollfd pf = {.fd = fds[0], .events = POLLIN};
    double until = now_s() + PROBE_TIMEOUT_S;
    int timed_out = 0;
    for (;;) {
        double left = until - now_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int r = poll(&pf, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        char c;
        if (r < 0 || (r > 0 && read(fds[0], &c, 1) <= 0))
            break;
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return mms_error_set(err, MMS_EPLUGIN, 0,
                             "%s: loading it did not finish within %d s (its constructor or "
                             "entry function hangs); not loaded",
                             path, PROBE_TIMEOUT_S);
    if (WIFSIGNALED(st))
        return mms_error_set(err, MMS_EPLUGIN, 0,
                             "%s: crashed while being loaded (signal %d, %s, in its constructor "
                             "or entry function); not loaded",
                             path, WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        return mms_error_set(err, MMS_EPLUGIN, 0,
                             "%s: exited with status %d while being loaded (in its constructor "
                             "or entry function); not loaded",
                             path, WEXITSTATUS(st));
    return MMS_OK;
}

/* --------------------------------------------------- in-process fatal note */

/* initial-exec: the handler must not make the dynamic linker allocate. */
#define ISO_TLS static _Thread_local __attribute__((tls_model("initial-exec")))
ISO_TLS const char *run_plugin;
ISO_TLS const char *run_what;
ISO_TLS const char *run_id;
ISO_TLS const char *run_source;
ISO_TLS long run_line;

static struct sigaction old_actions[N_FATAL];
static volatile sig_atomic_t installed;

void mms_isolate_note_running(const char *plugin, const char *what, const char *record_id,
                              const char *source, long line)
{
    run_plugin = plugin;
    run_what = what;
    run_id = record_id;
    run_source = source;
    run_line = line;
}

typedef struct sbuf {
    char b[1024];
    size_t n;
} sbuf;

/* Only async-signal-safe work below: byte copies and write(2). */
static void put(sbuf *s, const char *t)
{
    while (t && *t && s->n < sizeof s->b - 1)
        s->b[s->n++] = *t++;
}

static void put_long(sbuf *s, long x)
{
    char d[24];
    int n = 0;
    unsigned long u = x < 0 ? 0UL - (unsigned long)x : (unsigned long)x;
    do
        d[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < 22);
    if (x < 0)
        d[n++] = '-';
    while (n && s->n < sizeof s->b - 1)
        s->b[s->n++] = d[--n];
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "?";
    }
}

static void fatal_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    sbuf s;
    s.n = 0;
    put(&s, "mmscore: fatal signal ");
    put_long(&s, sig);
    put(&s, " (");
    put(&s, sig_name(sig));
    put(&s, ")");
    if (run_plugin) {
        put(&s, " in plugin ");
        put(&s, run_plugin);
        put(&s, " while ");
        put(&s, run_what);
        put(&s, " record ");
        put(&s, run_id);
        put(&s, " (");
        put(&s, run_source);
        put(&s, ":");
        put_long(&s, run_line);
        put(&s, ")");
    } else {
        put(&s, " in mmscore, outside any plugin");
    }
    put(&s, "; the records file holds complete lines up to the batch before this one; "
            "--isolate would make this one record's error instead\n");
    ssize_t w = write(STDERR_FILENO, s.b, s.n);
    (void)w;
    for (size_t i = 0; i < N_FATAL; i++)
        if (fatal_sigs[i] == sig)
            sigaction(sig, &old_actions[i], NULL);
    /* A fault re-faults on return and reaches the previous handler; a signal
     * that was sent (raise, abort, kill) must be sent again. */
    if (si && si->si_code <= 0)
        raise(sig);
    errno = saved;
}

void mms_isolate_fatal_install(void)
{
    if (installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fatal_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_sigs[i], &sa, &old_actions[i]);
    installed = 1;
}

void mms_isolate_fatal_restore(void)
{
    if (!installed)
        return;
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_sigs[i], &old_actions[i], NULL);
    installed = 0;
}

#define ALT_STACK_BYTES 65536

void *mms_isolate_altstack_push(void)
{
    stack_t old;
    if (sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE))
        return NULL; /* one is set already (a sanitizer's, say) */
    void *mem = malloc(ALT_STACK_BYTES);
    if (!mem)
        return NULL;
    stack_t ss = {.ss_sp = mem, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        free(mem);
        return NULL;
    }
    return mem;
}

void mms_isolate_altstack_pop(void *handle)
{
    if (!handle)
        return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(handle);
}
