/* mmscore merge STATE...: combine the saved accumulators of sharded runs
 * (--save-state) and print the summary one unsharded run would give.
 * Everything is taken from the states (plugins, options); states that do
 * not belong together are refused before anything is merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_flag merge_flags[] = {
    {"allow-partial", NULL, "merge the shards present even when some of 0..N-1 are missing "
                            "(the summary says which)"},
    {NULL, NULL, NULL}};

typedef struct loaded {
    const char *path;
    cJSON *st;
    long shard; /* -1 when not sharded */
} loaded;

static void text_of(const cJSON *v, char *out, size_t n)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(out, n, "%s", t ? t : "(none)");
    if (strlen(out) > 200)
        strcpy(out + 197, "...");
    cJSON_free(t);
}

/* First place where a and b differ, as a dotted path; 0 if equal. */
static int first_diff(const cJSON *a, const cJSON *b, char *path, size_t n, const cJSON **da,
                      const cJSON **db)
{
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        const cJSON *it;
        size_t len = strlen(path);
        cJSON_ArrayForEach(it, a) {
            snprintf(path + len, n - len, ".%s", it->string);
            if (first_diff(it, cJSON_GetObjectItemCaseSensitive(b, it->string), path, n, da, db))
                return 1;
        }
        cJSON_ArrayForEach(it, b) {
            snprintf(path + len, n - len, ".%s", it->string);
            if (!cJSON_GetObjectItemCaseSensitive(a, it->string)) {
                *da = NULL;
                *db = it;
                return 1;
            }
        }
        path[len] = '\0';
        return 0;
    }
    if (a && b && cJSON_Compare(a, b, 1))
        return 0;
    *da = a;
    *db = b;
    return 1;
}

static int differ(const loaded *x, const loaded *y, const char *field,
                  const cJSON *a, const cJSON *b)
{
    char path[512], ta[256], tb[256];
    snprintf(path, sizeof path, "%s", field);
    const cJSON *da = NULL, *db = NULL;
    if (!first_diff(a, b, path, sizeof path, &da, &db))
        return CLI_OK;
    text_of(da, ta, sizeof ta);
    text_of(db, tb, sizeof tb);
    fprintf(stderr, "mmscore merge: %s and %s differ in %s: %s vs %s\n", x->path, y->path, path,
            ta, tb);
    return CLI_USAGE;
}

/* Digests of a section's input sets: {set: digest}. */
static cJSON *digests(const cJSON *sec)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "inputs")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "digest");
        cJSON_AddItemToObject(o, it->string, d ? cJSON_Duplicate(d, 1) : cJSON_CreateNull());
    }
    return o;
}

static int compare_states(loaded *s, size_t n)
{
    static const char *const same[] = {"command", "mmscore_version", "plugins_info",
                                       "read_options", NULL};
    for (size_t i = 1; i < n; i++) {
        for (const char *const *f = same; *f; f++) {
            int rc = differ(&s[0], &s[i], *f, cJSON_GetObjectItemCaseSensitive(s[0].st, *f),
                            cJSON_GetObjectItemCaseSensitive(s[i].st, *f));
            if (rc != CLI_OK)
                return rc;
        }
        const cJSON *sh0 = cJSON_GetObjectItemCaseSensitive(s[0].st, "shared");
        const cJSON *shi = cJSON_GetObjectItemCaseSensitive(s[i].st, "shared");
        cJSON *d0 = digests(sh0), *di = digests(shi);
        int rc = differ(&s[0], &s[i], "shared.inputs(digest)", d0, di);
        cJSON_Delete(d0);
        cJSON_Delete(di);
        if (rc != CLI_OK)
            return rc;
        if ((s[0].shard < 0) != (s[i].shard < 0)) {
            fprintf(stderr, "mmscore merge: %s is %ssharded, %s is %ssharded\n", s[0].path,
                    s[0].shard < 0 ? "not " : "", s[i].path, s[i].shard < 0 ? "not " : "");
            return CLI_USAGE;
        }
        if (s[0].shard >= 0) {
            /* Shards of one run read the same inputs and cut them alike. */
            const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(s[0].st, "shard"), "count");
            const cJSON *ci = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(s[i].st, "shard"), "count");
            if ((rc = differ(&s[0], &s[i], "shard.count", c0, ci)) != CLI_OK)
                return rc;
            d0 = digests(s[0].st);
            di = digests(s[i].st);
            rc = differ(&s[0], &s[i], "inputs(digest)", d0, di);
            cJSON_Delete(d0);
            cJSON_Delete(di);
            if (rc != CLI_OK)
                return rc;
        }
        for (size_t j = 0; j < i; j++) {
            int dup = cli_same_file(s[i].path, s[j].path) ||
                      (s[i].shard >= 0 && s[i].shard == s[j].shard);
            if (!dup && s[i].shard < 0) {
                /* Unsharded parts: the same own inputs twice is the same part twice. */
                d0 = digests(s[j].st);
                di = digests(s[i].st);
                const cJSON *it;
                int known = cJSON_GetArraySize(d0) > 0;
                cJSON_ArrayForEach(it, d0)
                    known &= cJSON_IsString(it);
                dup = known && cJSON_Compare(d0, di, 1);
                cJSON_Delete(d0);
                cJSON_Delete(di);
            }
            if (dup) {
                fprintf(stderr, "mmscore merge: %s and %s are the same part%s: it would be "
                                "counted twice\n",
                        s[j].path, s[i].path, s[i].shard >= 0 ? " (same shard)" : "");
                return CLI_USAGE;
            }
        }
    }
    return CLI_OK;
}

static loaded *g_states;
static size_t g_n;

static int by_shard(const void *a, const void *b)
{
    const loaded *x = a, *y = b;
    return (x->shard > y->shard) - (x->shard < y->shard);
}

static int select_from_state(cli_ctx *c, mms_pipeline *p, mms_error *err)
{
    (void)c;
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(g_states[0].st, "plugins_info")) {
        int rc = mms_pipeline_select_plugin(p, n->string, err);
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}

/* The inputs a state names, for the report's provenance. */
static void note_state_inputs(cli_ctx *c, const cJSON *sec)
{
    const cJSON *set, *in;
    cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(sec, "inputs"))
        cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(set, "inputs")) {
            const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "path"));
            if (path)
                cli_note_input(c, set->string, path);
        }
}

static int feed_states(cli_ctx *c, mms_pipeline *p)
{
    if (c->report_path) {
        /* Shared sets once (merge takes them from the first state), then each part. */
        note_state_inputs(c, cJSON_GetObjectItemCaseSensitive(g_states[0].st, "shared"));
        for (size_t i = 0; i < g_n; i++)
            if (g_states[i].shard <= 0)
                note_state_inputs(c, g_states[i].st);
    }
    for (size_t i = 0; i < g_n; i++) {
        mms_error err;
        if (mms_pipeline_merge_state(p, g_states[i].path, &err) != MMS_OK) {
            fprintf(stderr, "mmscore merge: %s\n", err.message);
            return CLI_INPUT;
        }
    }
    return CLI_OK;
}

/* Options, read limits and the command as the states have them. */
static int take_options(cli_ctx *c, const cJSON *st)
{
    cJSON *cfg = cJSON_CreateObject();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "plugins_info")) {
        /* null is an option left unset: its default, nothing to set */
        cJSON *o = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "options"), 1);
        cJSON *x = o ? o->child : NULL;
        while (x) {
            cJSON *next = x->next;
            if (cJSON_IsNull(x))
                cJSON_Delete(cJSON_DetachItemViaPointer(o, x));
            x = next;
        }
        if (cJSON_GetArraySize(o))
            cJSON_AddItemToObject(cfg, it->string, o);
        else
            cJSON_Delete(o);
    }
    mms_error err;
    int rc = mms_host_apply_config(c->host, cfg, &err);
    cJSON_Delete(cfg);
    if (rc != MMS_OK) {
        fprintf(stderr, "mmscore merge: %s: options of the state: %s\n", g_states[0].path,
                err.message);
        return CLI_USAGE;
    }
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(st, "read_options");
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(ro, "max_atoms");
    const cJSON *mr = cJSON_GetObjectItemCaseSensitive(ro, "max_record_bytes");
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(ro, "format");
    if (cJSON_IsNumber(ma) && ma->valuedouble >= 1)
        c->popt.max_atoms = (size_t)ma->valuedouble;
    if (cJSON_IsNumber(mr) && mr->valuedouble >= 1)
        c->popt.max_record_bytes = (size_t)mr->valuedouble;
    c->popt.format = cJSON_IsString(fm) ? fm->valuestring : NULL;
    return CLI_OK;
}

int cli_merge_states(cli_ctx *c)
{
    if (!c->n_args)
        return cli_usage_error(c, "expected at least one STATE file");
    if (c->popt.shard_count)
        return cli_usage_error(c, "--shard is for the runs, not for merge");
    loaded *s = calloc(c->n_args, sizeof *s);
    if (!s)
        return CLI_INPUT;
    int rc = CLI_OK;
    for (size_t i = 0; i < c->n_args && rc == CLI_OK; i++) {
        mms_error err;
        s[i].path = c->args[i];
        s[i].shard = -1;
        if (mms_state_read(c->args[i], &s[i].st, &err) != MMS_OK) {
            fprintf(stderr, "mmscore merge: %s\n", err.message);
            rc = CLI_INPUT;
            break;
        }
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s[i].st, "shard"), "index");
        if (cJSON_IsNumber(idx) && idx->valuedouble >= 0)
            s[i].shard = (long)idx->valuedouble;
        if (cJSON_GetObjectItemCaseSensitive(s[i].st, "resume")) {
            fprintf(stderr, "mmscore merge: %s is a checkpoint of an unfinished run, not a "
                            "state (finish it with --resume)\n", c->args[i]);
            rc = CLI_USAGE;
        }
    }
    if (rc == CLI_OK)
        rc = compare_states(s, c->n_args);
    long count = 0;
    if (rc == CLI_OK && s[0].shard >= 0) {
        qsort(s, c->n_args, sizeof *s, by_shard);
        count = (long)cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(s[0].st, "shard"), "count")
                    ->valuedouble;
        cJSON *missing = cJSON_CreateArray();
        size_t j = 0;
        for (long k = 0; k < count; k++) {
            if (j < c->n_args && s[j].shard == k)
                j++;
            else
                cJSON_AddItemToArray(missing, cJSON_CreateNumber((double)k));
        }
        int n_missing = cJSON_GetArraySize(missing);
        int partial = cli_flag_value(c, "allow-partial") != NULL;
        if (n_missing && !partial) {
            char list[256];
            text_of(missing, list, sizeof list);
            fprintf(stderr, "mmscore merge: %d of %ld shards missing: %s (each of 0..%ld once; "
                            "--allow-partial merges what is there)\n",
                    n_missing, count, list, count - 1);
            rc = CLI_USAGE;
        }
        c->summary_extra = cJSON_CreateObject();
        cJSON *m = cJSON_AddObjectToObject(c->summary_extra, "merge");
        cJSON_AddNumberToObject(m, "shards", (double)count);
        cJSON_AddNumberToObject(m, "merged", (double)c->n_args);
        cJSON_AddBoolToObject(m, "partial", n_missing > 0);
        cJSON_AddItemToObject(m, "missing_shards", missing);
    }
    g_states = s;
    g_n = c->n_args;
    if (rc == CLI_OK)
        rc = take_options(c, s[0].st);
    if (rc == CLI_OK) {
        rc = cli_run(c, select_from_state, feed_states);
    }
    for (size_t i = 0; i < c->n_args; i++)
        cJSON_Delete(s[i].st);
    free(s);
    return rc;
}

const cli_command cli_cmd_merge = {
    "merge", "STATE...",
    "Merge the saved states of sharded runs (plugins and options come from the states) and "
    "print the summary one run would give.",
    merge_flags, cli_merge_states};
