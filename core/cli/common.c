/* What every scoring command shares: records file, pipeline, summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_add_inputs(cli_ctx *c, mms_pipeline *p, const char *const *inputs, size_t n,
                   const char *set)
{
    int rc = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        mms_error err;
        mms_error_clear(&err);
        int r = mms_pipeline_add_input(p, inputs[i], set, &err);
        if (r == MMS_EIO || r == MMS_EUNSUPPORTED) {
            /* The input could not be read at all; the others still run. */
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            rc = CLI_INPUT;
        } else if (r != MMS_OK) {
            fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
            return CLI_INPUT;
        }
    }
    return rc;
}

int cli_run(cli_ctx *c, cli_select_fn select, cli_feed_fn feed)
{
    FILE *records = NULL;
    int to_stdout = 0;
    if (c->records) {
        to_stdout = !strcmp(c->records, "-");
        records = to_stdout ? stdout : fopen(c->records, "w");
        if (!records) {
            fprintf(stderr, "mmscore %s: cannot write %s: %s\n", c->cmd->name, c->records,
                    strerror(errno));
            return CLI_INPUT;
        }
    }
    c->popt.records = records;
    c->popt.require_structures = 2; /* tables without structures: only for QA plugins */
    c->popt.progress = !c->quiet && isatty(STDERR_FILENO);
    mms_pipeline *p = NULL;
    mms_error err;
    mms_error_clear(&err);
    int rc = mms_pipeline_new(&p, c->host, &c->popt, &err);
    if (rc == MMS_OK)
        rc = select(c, p, &err);
    if (rc == MMS_OK)
        rc = mms_pipeline_start(p, &err);
    int exit_code = CLI_OK;
    if (rc != MMS_OK) {
        fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err.message);
        exit_code = rc == MMS_ENOTFOUND || rc == MMS_EINVAL ? CLI_USAGE : CLI_INPUT;
    } else {
        exit_code = feed(c, p);
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
        const cJSON *n_rec = cJSON_GetObjectItemCaseSensitive(summary, "records");
        if (summary && exit_code == CLI_OK && cJSON_IsNumber(n_rec) && n_rec->valuedouble == 0) {
            /* A run that scored nothing must not look like one that passed. */
            fprintf(stderr, "mmscore %s: no records in the inputs: nothing was scored\n",
                    c->cmd->name);
            exit_code = CLI_INPUT;
        }
        if (summary) {
            if (c->json) {
                mms_report_print_json(stdout, summary);
            } else if (!c->quiet) {
                /* The records own stdout when written there. */
                cli_headline_print(to_stdout ? stderr : stdout, c->host, summary);
                mms_report_print(to_stdout ? stderr : stdout, summary);
            }
            cJSON_Delete(summary);
        }
    }
    mms_pipeline_free(p);
    if (records && !to_stdout && fclose(records) != 0) {
        fprintf(stderr, "mmscore %s: cannot write %s\n", c->cmd->name, c->records);
        exit_code = CLI_INPUT;
    }
    if (to_stdout)
        fflush(stdout);
    return exit_code;
}
