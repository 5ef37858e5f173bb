/* mmscore eval [--ref REF] [--novelty-ref TRAIN] [--hull-ref FILE] [--ref-cache FILE] GENERATED...
 * Set-level evaluation of generated structures against reference ones. */
#include <unistd.h>

#include "cli.h"

static const cli_flag eval_flags[] = {
    {"ref", "REF", "reference structures (test set): set \"reference\""},
    {"novelty-ref", "TRAIN", "training structures for novelty: set \"train\" (default: REF)"},
    {"ref-cache", "FILE", "load the reference accumulators from FILE if it exists, else save them "
                          "there after reading REF/TRAIN"},
    {NULL, NULL, NULL}};

static int select_eval(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    (void)c;
    return mms_pipeline_select_command(p, "eval", err);
}

static int fail(cli_ctx *c, const mms_error *err)
{
    fprintf(stderr, "mmscore %s: %s\n", c->cmd->name, err->message);
    return CLI_INPUT;
}

static int feed_eval(cli_ctx *c, mms_pipeline *p)
{
    const char *ref = cli_flag_value(c, "ref");
    const char *train = cli_flag_value(c, "novelty-ref");
    const char *cache = cli_flag_value(c, "ref-cache");
    mms_error err;
    int rc = CLI_OK;
    if (cache && access(cache, F_OK) == 0) {
        if (mms_pipeline_merge_state(p, cache, &err) != MMS_OK)
            return fail(c, &err);
    } else {
        rc = ref ? cli_add_inputs(c, p, &ref, 1, "reference") : CLI_OK;
        if (rc == CLI_OK && train)
            rc = cli_add_inputs(c, p, &train, 1, "train");
        if (rc != CLI_OK)
            return rc; /* no cache from a half-read reference */
        if (cache && mms_pipeline_save_state(p, cache, &err) != MMS_OK)
            return fail(c, &err);
    }
    return cli_add_inputs(c, p, c->args, c->n_args, "generated");
}

static int run_eval(cli_ctx *c)
{
    const char *train = cli_flag_value(c, "novelty-ref");
    const char *ref = cli_flag_value(c, "ref");
    if (ref && !*ref) return cli_usage_error(c, "--ref expects a file");
    /* Any subset of the references: the reference-set plugins report nulls
     * and zero counts without --ref, hull and matching need their own. */
    mms_error err;
    const cJSON *hull = cJSON_GetObjectItemCaseSensitive(mms_host_config(c->host, "stability"), "hull_ref");
    if (!ref && !train && !cJSON_GetStringValue(hull))
        return cli_usage_error(c, "expected --ref REF, --novelty-ref TRAIN or --hull-ref FILE");
    /* the sun scorer reads TRAIN itself (once, reduced, by formula) */
    if (train && *train && mms_host_option_type(c->host, "novelty_ref") &&
        mms_host_set_option(c->host, "novelty_ref", train, &err) != MMS_OK)
        return cli_usage_error(c, "--novelty-ref: %s", err.message);
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one GENERATED input");
    return cli_run(c, select_eval, feed_eval);
}

const cli_command cli_cmd_eval = {
    "eval", "[--ref REF] [--novelty-ref TRAIN] [--hull-ref FILE] [--ref-cache FILE] GENERATED...",
    "Evaluate generated structures as a set against reference (and training) structures.",
    eval_flags, run_eval};
