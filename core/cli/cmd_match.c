/* mmscore match A B | --pairs FILE.jsonl | --group INPUT...
 * Structure matching by the `match` plugin; this command only turns its
 * flags into the plugin's options and selects it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_flag match_flags[] = {
    {"preset", "P", "matcher preset: default, cdvae or supercell (--ltol, --stol, --angle-tol, "
                    "--match-comparator, --match-attempt-supercell 1... override it)"},
    {"pairs", "FILE", "JSONL, one pair a line (fields cif_a, cif_b): one record a pair"},
    {"group", NULL, "group_structures over all INPUTs in order"},
    {NULL, NULL, NULL}};

static int select_match(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    (void)c;
    return mms_pipeline_select_plugin(p, "match", err);
}

static int feed_match(cli_ctx *c, mms_pipeline *p)
{
    const char *pairs = cli_flag_value(c, "pairs");
    if (pairs) return cli_add_inputs(c, p, &pairs, 1, "input");
    if (cli_flag_value(c, "group")) return cli_add_inputs(c, p, c->args, c->n_args, "input");
    return cli_add_inputs(c, p, c->args + 1, c->n_args - 1, "input");
}

/* A B: one line per B structure on stdout (the values are also in --records) */
static int print_pair(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    (void)err;
    cli_ctx *c = ctx;
    if (c->json || c->quiet || (c->records && !strcmp(c->records, "-"))) return MMS_OK;
    const cJSON *fit = mms_values_get(values, "fit");
    const cJSON *rms = mms_values_get(values, "rms");
    const cJSON *mx = mms_values_get(values, "max_dist");
    if (!fit) {
        printf("%s: not compared%s%s\n", rec->id ? rec->id : "?", rec->error ? ": " : "",
               rec->error ? rec->error->message : "");
        return MMS_OK;
    }
    printf("%s: fit %s", rec->id ? rec->id : "?", cJSON_IsTrue(fit) ? "true" : "false");
    if (cJSON_IsNumber(rms))
        printf(" rms %.10g max_dist %.10g\n", rms->valuedouble, cJSON_IsNumber(mx) ? mx->valuedouble : 0);
    else
        printf(" rms null max_dist null\n");
    return MMS_OK;
}

static int set(cli_ctx *c, const char *name, const char *value)
{
    mms_error err;
    if (mms_host_set_option(c->host, name, value, &err) != MMS_OK) {
        fprintf(stderr, "mmscore match: %s (is the match plugin loaded? see mmscore plugins)\n",
                err.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --group with --records: a record's group is known only when all are
 * read, so a first quiet run groups and a second one writes every record
 * with its group (the plugin's match_group_of option). */
static int group_first_pass(cli_ctx *c, char *path, size_t n)
{
    mms_pipeline_options po = c->popt;
    po.records = NULL, po.progress = 0, po.on_record = NULL;
    mms_pipeline *p = NULL;
    mms_error err;
    mms_error_clear(&err);
    cJSON *summary = NULL;
    int rc = mms_pipeline_new(&p, c->host, &po, &err);
    if (rc == MMS_OK) rc = select_match(c, p, &err);
    if (rc == MMS_OK) rc = mms_pipeline_start(p, &err);
    int code = rc == MMS_OK ? feed_match(c, p) : CLI_INPUT;
    if (rc == MMS_OK && mms_pipeline_finish(p, &summary, &err) != MMS_OK) rc = err.code ? err.code : MMS_EIO;
    mms_pipeline_free(p);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(summary, "plugins"), "match"),
        "group_of");
    char *text = cJSON_IsArray(g) ? cJSON_PrintUnformatted(g) : NULL;
    cJSON_Delete(summary);
    if (rc != MMS_OK || code != CLI_OK || !text) {
        if (rc != MMS_OK) fprintf(stderr, "mmscore match: %s\n", err.message);
        free(text);
        return code != CLI_OK ? code : CLI_INPUT;
    }
    snprintf(path, n, "%s", "/tmp/mmscore_groups_XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f)) ok = 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "mmscore match: cannot write a temporary file\n");
        return CLI_INPUT;
    }
    return set(c, "match_group_of", path);
}

static int run_match(cli_ctx *c)
{
    const char *preset = cli_flag_value(c, "preset");
    const char *pairs = cli_flag_value(c, "pairs");
    int group = cli_flag_value(c, "group") != NULL;
    if (pairs && group) return cli_usage_error(c, "--pairs and --group exclude each other");
    if (pairs && c->n_args) return cli_usage_error(c, "--pairs FILE takes no other input");
    if (group && !c->n_args) return cli_usage_error(c, "--group expects at least one INPUT");
    if (!pairs && !group && c->n_args != 2)
        return cli_usage_error(c, "expected two structures A B, --pairs FILE or --group INPUT...");
    int rc = CLI_OK;
    if (preset) rc = set(c, "match_preset", preset);
    if (rc == CLI_OK && group) {
        /* -j's default, as every other command: the cores online */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int n = c->popt.threads > 0 ? c->popt.threads : cores > 0 ? (int)(cores < 256 ? cores : 256) : 1;
        char th[16];
        snprintf(th, sizeof th, "%d", n);
        rc = set(c, "match_group", "true");
        if (rc == CLI_OK) rc = set(c, "match_threads", th);
    }
    if (rc == CLI_OK && !pairs && !group) {
        rc = set(c, "match_ref", c->args[0]);
        c->popt.on_record = print_pair;
        c->popt.on_record_ctx = c;
    }
    char tmp[64] = "";
    if (rc == CLI_OK && group && c->records) rc = group_first_pass(c, tmp, sizeof tmp);
    if (rc == CLI_OK) rc = cli_run(c, select_match, feed_match);
    if (tmp[0]) unlink(tmp);
    return rc;
}

const cli_command cli_cmd_match = {
    "match", "[--preset P] A B | --pairs FILE.jsonl | --group INPUT...",
    "pymatgen's StructureMatcher: fit, rms and max_dist of B against A (each B structure), of "
    "every pair of a JSONL file, or the groups of group_structures.",
    match_flags, run_match};
