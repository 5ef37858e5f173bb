/* mmscore csp --gt GT PRED...: crystal-structure-prediction match rate
 * (CDVAE's RecEval) by the `csp` plugin, which this command selects after
 * handing it the ground truths. */
#include <stdio.h>

#include "cli.h"

static const cli_flag csp_flags[] = {
    {"gt", "GT", "ground-truth structures; predictions pair with them by id, else by row"},
    {"pair", "auto|id|row", "how predictions pair with ground truths (default auto)"},
    {NULL, NULL, NULL}};

static int select_csp(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    (void)c;
    return mms_pipeline_select_plugin(p, "csp", err);
}

static int feed_csp(cli_ctx *c, mms_pipeline *p)
{
    return cli_add_inputs(c, p, c->args, c->n_args, "generated");
}

static int run_csp(cli_ctx *c)
{
    const char *gt = cli_flag_value(c, "gt");
    const char *pair = cli_flag_value(c, "pair");
    if (!gt || !*gt) return cli_usage_error(c, "expected --gt GT (the ground-truth structures)");
    if (!c->n_args) return cli_usage_error(c, "expected at least one PRED input");
    mms_error err;
    if (mms_host_set_option(c->host, "csp_gt", gt, &err) != MMS_OK ||
        (pair && mms_host_set_option(c->host, "csp_pair", pair, &err) != MMS_OK)) {
        fprintf(stderr, "mmscore csp: %s (is the csp plugin loaded? see mmscore plugins)\n", err.message);
        return CLI_USAGE;
    }
    return cli_run(c, select_csp, feed_csp);
}

const cli_command cli_cmd_csp = {
    "csp", "--gt GT PRED...",
    "CDVAE RecEval: valid predictions matched to their ground truth (StructureMatcher stol 0.5, "
    "angle_tol 10, ltol 0.3); match_rate and rms_dist, best of k per ground truth.",
    csp_flags, run_csp};
