/* What every scoring command shares: records file, pipeline, summary. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_note_input(cli_ctx *c, const char *set, const char *path)
{
    if (!c->report_path)
        return;
    if (!c->report_inputs)
        c->report_inputs = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(c->report_inputs, o)) {
        cJSON_Delete(o);
        return; /* out of memory: the report names fewer inputs */
    }
    cJSON_AddStringToObject(o, "set", set);
    cJSON_AddStringToObject(o, "path", path);
}

int cli_add_inputs(cli_ctx *c, mms_pipeline *p, const char *const *inputs, size_t n,
                   const char *set)
{
    int rc = CLI_OK;
    mms_error err;
    mms_error_clear(&err);
    /* --shard cuts the set as a whole, so its records are counted first. */
    int prc = c->popt.shard_count ? mms_pipeline_plan_set(p, set, inputs, n, &err) : MMS_OK;
    if (prc != MMS_OK) {
        fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
        return prc == MMS_EUNSUPPORTED ? CLI_USAGE : CLI_INPUT;
    }
    for (size_t i = 0; i < n; i++) {
        mms_error_clear(&err);
        cli_note_input(c, set, inputs[i]);
        int r = mms_pipeline_add_input(p, inputs[i], set, &err);
        if (r == MMS_EIO && c->popt.stop && *c->popt.stop) {
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            return CLI_INPUT;
        } else if (r == MMS_EIO || r == MMS_EUNSUPPORTED) {
            /* The input could not be read at all; the others still run. */
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            rc = CLI_INPUT;
        } else if (r == MMS_EINVAL) {
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            return CLI_USAGE;
        } else if (r != MMS_OK) {
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            return CLI_INPUT;
        }
    }
    return rc;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* An output that is also an input would be truncated before it is read:
 * refused before anything is opened for writing. */
static int check_outputs(cli_ctx *c)
{
    const char *outs[4] = {c->records, c->summary_path, c->save_state, c->report_path};
    static const char *const out_flag[4] = {"--records", "--summary", "--save-state",
                                            "--report"};
    const char *ins[64];
    size_t n_in = 0;
    for (size_t i = 0; i < c->n_args && n_in < 60; i++)
        ins[n_in++] = c->args[i];
    static const char *const in_flags[] = {"ref", "novelty-ref", "config", NULL};
    for (const char *const *f = in_flags; *f; f++) {
        const char *v = cli_flag_value(c, *f);
        if (v && *v)
            ins[n_in++] = v;
    }
    for (int o = 0; o < 4; o++) {
        if (!outs[o] || !strcmp(outs[o], "-"))
            continue;
        for (size_t i = 0; i < n_in; i++)
            if (cli_same_file(outs[o], ins[i]))
                return cli_usage_error(c, "%s %s is the input %s: refusing to overwrite an input",
                                       out_flag[o], outs[o], ins[i]);
        for (int q = 0; q < o; q++)
            if (outs[q] && (!strcmp(outs[q], outs[o]) || cli_same_file(outs[q], outs[o])))
                return cli_usage_error(c, "%s and %s are the same file %s", out_flag[q],
                                       out_flag[o], outs[o]);
    }
    return CLI_OK;
}

static volatile int stop_flag;
static volatile int stop_signal;

static void on_stop(int sig)
{
    stop_flag = 1;
    stop_signal = sig;
}

/* Open --records into *out: fresh, or for --resume cut back to the
 * checkpoint's end (a kill -9 may have left records after it, or half a
 * line).  CLI_OK, or CLI_INPUT with the reason printed. */
static int open_records(cli_ctx *c, const char *ckpt, FILE **out, int *resume)
{
    *resume = 0;
    *out = NULL;
    if (c->resume && access(ckpt, F_OK) == 0) {
        cJSON *st = NULL;
        mms_error err;
        if (mms_state_read(ckpt, &st, &err) != MMS_OK) {
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            return CLI_INPUT;
        }
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(st, "resume"), "records_bytes");
        double bytes = cJSON_IsNumber(b) ? b->valuedouble : -1;
        cJSON_Delete(st);
        struct stat sr;
        if (bytes < 0 || stat(c->records, &sr) != 0 || (double)sr.st_size < bytes) {
            fprintf(stderr, "mmscore %s: %s does not hold the %.0f bytes checkpoint %s counts; "
                            "cannot resume\n", c->cmd->name, c->records, bytes, ckpt);
            return CLI_INPUT;
        }
        if (truncate(c->records, (off_t)bytes) != 0) {
            fprintf(stderr, "mmscore %s: %s: cannot cut back to the checkpoint: %s\n",
                    c->cmd->name, c->records, strerror(errno));
            return CLI_INPUT;
        }
        *resume = 1;
        if (!(*out = fopen(c->records, "a"))) {
            fprintf(stderr, "mmscore %s: cannot write %s: %s\n", c->cmd->name, c->records,
                    strerror(errno));
            return CLI_INPUT;
        }
        return CLI_OK;
    }
    if (c->resume && !c->quiet)
        fprintf(stderr, "mmscore %s: no checkpoint %s: starting from the beginning\n",
                c->cmd->name, ckpt);
    unlink(ckpt); /* a stale checkpoint must not apply to this run's records */
    if (!(*out = fopen(c->records, "w"))) {
        fprintf(stderr, "mmscore %s: cannot write %s: %s\n", c->cmd->name, c->records,
                strerror(errno));
        return CLI_INPUT;
    }
    return CLI_OK;
}

/* Print the summary where it belongs; every write checked. */
static int put_summary(cli_ctx *c, cJSON *summary, int records_on_stdout)
{
    if (c->summary_extra) {
        cJSON *x;
        while ((x = c->summary_extra->child)) {
            cJSON_DetachItemViaPointer(c->summary_extra, x);
            cJSON_AddItemToObject(summary, x->string, x);
        }
    }
    FILE *f = NULL;
    const char *name = "stdout";
    if (c->summary_path) {
        name = c->summary_path;
        if (!(f = fopen(c->summary_path, "w"))) {
            fprintf(stderr, "mmscore %s: cannot write %s: %s\n", c->cmd->name, name,
                    strerror(errno));
            return CLI_INPUT;
        }
    } else if (c->json) {
        f = stdout;
    } else if (!c->quiet && !c->no_summary) {
        /* The records own stdout when written there. */
        f = records_on_stdout ? stderr : stdout;
        name = records_on_stdout ? "stderr" : "stdout";
    }
    if (!f)
        return CLI_OK;
    errno = 0;
    int rc = MMS_OK;
    if (c->json) {
        rc = mms_report_print_json(f, summary);
    } else {
        cli_headline_print(f, c->host, summary); /* the numbers papers report, first */
        rc = mms_report_print(f, summary);
    }
    int bad = rc != MMS_OK || fflush(f) != 0 || ferror(f);
    int e = errno ? errno : EIO;
    if (c->summary_path && fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        fprintf(stderr, "mmscore %s: cannot write the summary to %s: %s\n", c->cmd->name, name,
                strerror(e));
        return CLI_INPUT;
    }
    return CLI_OK;
}

int cli_run(cli_ctx *c, cli_select_fn select, cli_feed_fn feed)
{
    if (!c->report_path)
        c->report_path = cli_flag_value(c, "report");
    if (c->report_path && !*c->report_path)
        return cli_usage_error(c, "--report expects a file name");
    int to_stdout = c->records && !strcmp(c->records, "-");
    int report_stdout = c->report_path && !strcmp(c->report_path, "-");
    if (report_stdout && (to_stdout || (c->json && !c->summary_path) ||
                          (!c->quiet && !c->no_summary && !c->summary_path)))
        return cli_usage_error(c, "the report and another output would both write to stdout: "
                                  "give the report a file name");
    if (to_stdout && c->json && !c->summary_path)
        return cli_usage_error(c, "--records - and --json would both write to stdout: give the "
                                  "summary its own file with --summary FILE");
    if (c->resume && (!c->records || to_stdout))
        return cli_usage_error(c, "--resume needs --records FILE: the checkpoint is kept beside "
                                  "it");
    int rc0 = check_outputs(c);
    if (rc0 != CLI_OK)
        return rc0;
    FILE *records = NULL;
    char *ckpt = NULL;
    int resume = 0;
    if (c->records && !to_stdout) {
        size_t n = strlen(c->records) + 8;
        if (!(ckpt = malloc(n)))
            return CLI_INPUT;
        snprintf(ckpt, n, "%s.ckpt", c->records);
        int orc = open_records(c, ckpt, &records, &resume);
        if (orc != CLI_OK) {
            free(ckpt);
            return orc;
        }
    } else if (to_stdout) {
        records = stdout;
    }
    c->popt.records = records;
    c->popt.require_structures = 2; /* tables without structures: only for QA plugins */
    c->popt.records_path = c->records;
    c->popt.command = c->cmd->name;
    c->popt.checkpoint = ckpt;
    c->popt.resume = resume;
    c->popt.progress = c->quiet ? 0 : isatty(STDERR_FILENO) ? 1 : c->progress ? 2 : 0;
    struct sigaction old_term, old_int;
    if (ckpt) {
        /* Stop after the current batch with a checkpoint, not in the middle of it. */
        stop_flag = 0;
        c->popt.stop = &stop_flag;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGINT, &sa, &old_int);
    }
    mms_pipeline *p = NULL;
    mms_error err;
    mms_error_clear(&err);
    int rc = mms_pipeline_new(&p, c->host, &c->popt, &err);
    if (rc == MMS_OK)
        rc = select(c, p, &err);
    if (rc == MMS_OK)
        rc = mms_pipeline_start(p, &err);
    int exit_code = CLI_OK, finished = 0;
    if (rc != MMS_OK) {
        fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
        exit_code = rc == MMS_ENOTFOUND || rc == MMS_EINVAL ? CLI_USAGE : CLI_INPUT;
    } else {
        exit_code = feed(c, p);
        if (exit_code != CLI_OK && stop_flag) {
            /* Stopped by a signal: the checkpoint is the result; no summary. */
            exit_code = 128 + stop_signal;
        } else {
            /* Any command's accumulators can be saved, so every kind of run shards. */
            if (c->save_state && exit_code != CLI_USAGE &&
                mms_pipeline_save_state(p, c->save_state, &err) != MMS_OK) {
                fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
                exit_code = CLI_INPUT;
            }
            cJSON *summary = NULL;
            if (exit_code != CLI_USAGE && mms_pipeline_finish(p, &summary, &err) != MMS_OK) {
                fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
                exit_code = CLI_INPUT;
            }
            finished = summary != NULL;
            const cJSON *n_rec = cJSON_GetObjectItemCaseSensitive(summary, "records");
            if (summary && exit_code == CLI_OK && cJSON_IsNumber(n_rec) &&
                n_rec->valuedouble == 0) {
                /* A run that scored nothing must not look like one that passed. */
                fprintf(stderr, "mmscore %s: no records in the inputs: nothing was scored\n",
                        c->cmd->name);
                exit_code = CLI_INPUT;
            }
            if (summary) {
                int src = put_summary(c, summary, to_stdout);
                if (src != CLI_OK)
                    exit_code = src;
                /* From the accumulators the summary was finished from. */
                if (c->report_path && (src = cli_report_write(c, p, summary)) != CLI_OK)
                    exit_code = src;
                cJSON_Delete(summary);
            }
        }
    }
    mms_pipeline_free(p);
    if (records && !to_stdout && fclose(records) != 0) {
        fprintf(stderr, "mmscore %s: cannot write %s: %s\n", c->cmd->name, c->records,
                strerror(errno));
        exit_code = CLI_INPUT;
    }
    if (to_stdout && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "mmscore %s: cannot write the records to stdout: %s\n", c->cmd->name,
                strerror(errno ? errno : EIO));
        exit_code = CLI_INPUT;
    }
    if (ckpt) {
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGINT, &old_int, NULL);
        /* A finished run needs no checkpoint; a failed or stopped one keeps it. */
        if (finished)
            unlink(ckpt);
    }
    free(ckpt);
    return exit_code;
}
