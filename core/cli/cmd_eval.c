/* mmscore eval [--ref REF] [--novelty-ref TRAIN] [--hull-ref FILE] [--ref-cache FILE] GENERATED...
 * Set-level evaluation of generated structures against reference ones. */
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_flag eval_flags[] = {
    {"ref", "REF", "reference structures (test set): set \"reference\""},
    {"novelty-ref", "TRAIN", "training structures for novelty: set \"train\" (default: REF)"},
    {"ref-cache", "FILE", "load the reference accumulators from FILE when it was made from the "
                          "same REF/TRAIN and options, else (re)build it there"},
    CLI_REPORT_FLAG,
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

/* MMS_OK when set `set` of the cache's shared part was made from `path`,
 * else MMS_EINVAL (MMS_EIO: path cannot be digested) with the reason in err. */
static int same_input(const cJSON *shared, const char *set, const char *path, mms_error *err)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(shared, "inputs"), set);
    if (!path || !*path)
        return in ? mms_error_set(err, MMS_EINVAL, 0, "it has a %s set, this run none", set)
                  : MMS_OK;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(in, "digest");
    char mine[MMS_DIGEST_MAX];
    mms_error e;
    int rc = mms_input_digest(path, mine, &e);
    if (rc != MMS_OK)
        return mms_error_set(err, rc, 0, "%s cannot be digested (%s)", path, e.message);
    /* The set digest is over the list of input digests (one input here). */
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(in, "inputs");
    const cJSON *d0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ins, 0), "digest");
    if (!cJSON_IsString(d) || cJSON_GetArraySize(ins) != 1 || !cJSON_IsString(d0) ||
        strcmp(d0->valuestring, mine) != 0)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "its %s set was made from other inputs (%s; %s is %s)", set,
                             cJSON_IsString(d0) ? d0->valuestring : "unknown", path, mine);
    return MMS_OK;
}

/* The cache is used (MMS_OK) only when it holds exactly what reading REF
 * and TRAIN with these plugins and options would give; else err says why. */
static int cache_usable(mms_pipeline *p, const char *cache, const char *ref, const char *train,
                        mms_error *err)
{
    cJSON *st = NULL;
    int rc = mms_state_read(cache, &st, err);
    if (rc == MMS_OK)
        rc = mms_pipeline_check_state(p, st, err);
    if (rc == MMS_OK) {
        const cJSON *shared = cJSON_GetObjectItemCaseSensitive(st, "shared");
        const cJSON *own = cJSON_GetObjectItemCaseSensitive(st, "sets");
        if (!cJSON_IsObject(shared) || cJSON_GetArraySize(own) != 0)
            rc = mms_error_set(err, MMS_EINVAL, 0, "it is not a reference cache");
        else if ((rc = same_input(shared, "reference", ref, err)) == MMS_OK)
            rc = same_input(shared, "train", train, err);
    }
    cJSON_Delete(st);
    return rc;
}

static int feed_eval(cli_ctx *c, mms_pipeline *p)
{
    const char *ref = cli_flag_value(c, "ref");
    const char *train = cli_flag_value(c, "novelty-ref");
    const char *cache = cli_flag_value(c, "ref-cache");
    mms_error err;
    int rc = CLI_OK;
    mms_error why;
    mms_error_clear(&why);
    if (mms_pipeline_shared_restored(p)) {
        /* --resume past the reference: the checkpoint holds it. */
    } else if (cache && access(cache, F_OK) == 0 &&
               cache_usable(p, cache, ref, train, &why) == MMS_OK) {
        if (mms_pipeline_merge_state(p, cache, &err) != MMS_OK)
            return fail(c, &err);
    } else {
        if (cache && why.code != MMS_OK)
            fprintf(stderr, "mmscore eval: rebuilding --ref-cache %s: %s\n", cache,
                    why.message);
        rc = ref ? cli_add_inputs(c, p, &ref, 1, "reference") : CLI_OK;
        if (rc == CLI_OK && train)
            rc = cli_add_inputs(c, p, &train, 1, "train");
        if (rc != CLI_OK)
            return rc; /* no cache from a half-read reference */
        if (cache && mms_pipeline_save_shared(p, cache, &err) != MMS_OK)
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
    const char *cache = cli_flag_value(c, "ref-cache");
    if (cache && c->records && cli_same_file(cache, c->records))
        return cli_usage_error(c, "--ref-cache and --records are the same file %s", cache);
    /* Every shard reads the whole reference and training sets: a state
     * keeps them apart so that merge counts them once. */
    c->popt.shared_sets = "reference train";
    return cli_run(c, select_eval, feed_eval);
}

const cli_command cli_cmd_eval = {
    "eval", "[--ref REF] [--novelty-ref TRAIN] [--hull-ref FILE] [--ref-cache FILE] GENERATED...",
    "Evaluate generated structures as a set against reference (and training) structures.",
    eval_flags, run_eval};
