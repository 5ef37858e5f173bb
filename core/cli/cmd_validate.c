/* mmscore validate INPUT...: per-structure checks by every plugin that
 * declares the "validate" command: the fast path (structure, composition
 * and validity checks).  --symmetry adds the symmetry plugin (spglib space
 * groups, CrystaLLM consistency checks, CrystalNN bond score), which costs
 * about 40 times as much per structure. */
#include "cli.h"

static const cli_flag validate_flags[] = {
    {"symmetry", NULL, "also run the symmetry plugin (space groups, CIF consistency, bond score)"},
    CLI_REPORT_FLAG,
    {NULL, NULL, NULL}};

static int select_validate(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    int rc = mms_pipeline_select_command(p, "validate", err);
    if (rc == MMS_OK && cli_flag_value(c, "symmetry"))
        rc = mms_pipeline_select_plugin(p, "symmetry", err);
    return rc;
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
    "text, - for stdin; .gz too) and run the validity checks (--symmetry: space groups too).",
    validate_flags, run_validate};
