/* mmscore run --plugins a,b INPUT...: any named scorers. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_flag run_flags[] = {
    {"plugins", "A,B", "the scorers to run (comma-separated; what they require is added)"},
    {"set", "NAME", "input set name given to the plugins (default: input)"},
    CLI_REPORT_FLAG,
    {NULL, NULL, NULL}};

static int select_named(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    char *list = strdup(cli_flag_value(c, "plugins"));
    if (!list)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    int rc = MMS_OK;
    char *save = NULL;
    for (char *n = strtok_r(list, ", ", &save); n && rc == MMS_OK; n = strtok_r(NULL, ", ", &save))
        rc = mms_pipeline_select_plugin(p, n, err);
    free(list);
    return rc;
}

static int feed_run(cli_ctx *c, mms_pipeline *p)
{
    const char *set = cli_flag_value(c, "set");
    return cli_add_inputs(c, p, c->args, c->n_args, set && *set ? set : "input");
}

static int run_run(cli_ctx *c)
{
    const char *pl = cli_flag_value(c, "plugins");
    if (!pl || !*pl)
        return cli_usage_error(c, "expected --plugins A,B");
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one INPUT");
    return cli_run(c, select_named, feed_run);
}

const cli_command cli_cmd_run = {"run", "--plugins A,B INPUT...",
                                 "Run the named scorer plugins (and what they require) on inputs.",
                                 run_flags, run_run};
