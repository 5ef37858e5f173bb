/* mmscore qa choice|caption FILE.jsonl: score model answers to figure
 * questions with exactly the plugin of that name (plus its requirements). */
#include <string.h>

#include "cli.h"

static const cli_flag qa_flags[] = {CLI_REPORT_FLAG, {NULL, NULL, NULL}};

static int select_qa(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    return mms_pipeline_select_plugin(p, c->args[0], err);
}

static int feed_qa(cli_ctx *c, mms_pipeline *p)
{
    return cli_add_inputs(c, p, c->args + 1, c->n_args - 1, "input");
}

static int run_qa(cli_ctx *c)
{
    if (c->n_args < 2)
        return cli_usage_error(c, "expected: qa choice|caption FILE.jsonl...");
    if (strcmp(c->args[0], "choice") != 0 && strcmp(c->args[0], "caption") != 0)
        return cli_usage_error(c, "unknown qa task \"%s\" (expected choice or caption)",
                               c->args[0]);
    if (!mms_host_find(c->host, c->args[0]))
        return cli_usage_error(c, "the %s plugin is not loaded (see mmscore plugins)", c->args[0]);
    return cli_run(c, select_qa, feed_qa);
}

const cli_command cli_cmd_qa = {
    "qa", "choice|caption FILE.jsonl...",
    "Score answers to figure questions: multiple-choice extraction and accuracy (choice) or "
    "caption metrics (caption).",
    qa_flags, run_qa};
