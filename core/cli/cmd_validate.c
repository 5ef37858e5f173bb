/* mmscore validate INPUT...: per-structure checks by every plugin that
 * declares the "validate" command. */
#include "cli.h"

static int select_validate(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    (void)c;
    return mms_pipeline_select_command(p, "validate", err);
}

static int feed_validate(cli_ctx *c, mms_pipeline *p)
{
    return cli_add_inputs(c, p, c->args, c->n_args, "input");
}

static int run_validate(cli_ctx *c)
{
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one INPUT (file, folder, or - for stdin)");
    return cli_run(c, select_validate, feed_validate);
}

const cli_command cli_cmd_validate = {
    "validate", "INPUT...",
    "Read structures (CIF files, folders, CSV/JSONL with a cif or text column, crystal-text-llm "
    "text, - for stdin) and run the validity checks.",
    NULL, run_validate};
