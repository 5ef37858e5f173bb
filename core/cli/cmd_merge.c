/* mmscore merge STATE...: combine the saved accumulators of sharded runs
 * (eval --save-state) and print the summary one unsharded run would give. */
#include <stdio.h>

#include "cli.h"

static int select_from_state(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    cJSON *names;
    int rc = mms_state_plugins(c->args[0], &names, err);
    if (rc != MMS_OK)
        return rc;
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if ((rc = mms_pipeline_select_plugin(p, n->valuestring, err)) != MMS_OK)
            break;
    }
    cJSON_Delete(names);
    return rc;
}

static int feed_states(cli_ctx *c, mms_pipeline *p)
{
    for (size_t i = 0; i < c->n_args; i++) {
        mms_error err;
        if (mms_pipeline_merge_state(p, c->args[i], &err) != MMS_OK) {
            fprintf(stderr, "mmscore merge: %s\n", err.message);
            return CLI_INPUT;
        }
    }
    return CLI_OK;
}

static int run_merge(cli_ctx *c)
{
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one STATE file");
    return cli_run(c, select_from_state, feed_states);
}

const cli_command cli_cmd_merge = {
    "merge", "STATE...",
    "Merge saved states of sharded runs (same plugins and options) and print the summary.",
    NULL, run_merge};
