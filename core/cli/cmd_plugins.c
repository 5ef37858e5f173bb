/* mmscore plugins: every plugin found, what it offers, and the ones that
 * failed to load with why. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *type_name(mms_option_type t)
{
    switch (t) {
    case MMS_OPT_BOOL: return "bool";
    case MMS_OPT_INT: return "int";
    case MMS_OPT_NUMBER: return "number";
    case MMS_OPT_STRING: return "string";
    }
    return "?";
}

static cJSON *metrics_json(const mms_metric_def *m)
{
    cJSON *a = cJSON_CreateArray();
    for (; a && m && m->name; m++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->name);
        cJSON_AddStringToObject(o, "type", m->type ? m->type : "");
        cJSON_AddStringToObject(o, "help", m->help ? m->help : "");
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *headline_json(const mms_headline_def *hd)
{
    cJSON *a = cJSON_CreateArray();
    for (; a && hd && hd->value; hd++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "value", hd->value);
        cJSON_AddStringToObject(o, "label", hd->label);
        cJSON_AddStringToObject(o, "unit", hd->unit ? hd->unit : "");
        cJSON_AddNumberToObject(o, "scale", hd->scale > 0 ? hd->scale : 1);
        cJSON_AddStringToObject(o, "round",
                                hd->round == MMS_ROUND_SIGNIFICANT ? "significant" : "decimals");
        cJSON_AddNumberToObject(o, "digits", hd->digits);
        cJSON_AddStringToObject(o, "convention", hd->convention ? hd->convention : "");
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* only: one plugin's name, or NULL for all. */
static cJSON *plugins_json(const mms_host *h, const char *only)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < mms_host_plugin_count(h); i++) {
        const char *path;
        const mms_plugin *d = mms_host_plugin(h, i, &path);
        if (only && strcmp(d->name, only) != 0)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "file", path);
        cJSON_AddStringToObject(o, "version", d->version ? d->version : "");
        cJSON_AddStringToObject(o, "kind", d->kind == MMS_PLUGIN_READER ? "reader" : "scorer");
        cJSON_AddNumberToObject(o, "abi", d->abi_version);
        cJSON_AddStringToObject(o, "description", d->description ? d->description : "");
        cJSON_AddStringToObject(o, "commands", d->commands ? d->commands : "");
        cJSON_AddStringToObject(o, "requires", d->requires ? d->requires : "");
        if (d->kind == MMS_PLUGIN_READER)
            cJSON_AddStringToObject(o, "formats", d->formats);
        cJSON *opts = cJSON_AddArrayToObject(o, "options");
        for (const mms_option_def *op = d->options; op && op->name; op++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", op->name);
            cJSON_AddStringToObject(x, "type", type_name(op->type));
            if (op->default_value)
                cJSON_AddStringToObject(x, "default", op->default_value);
            else
                cJSON_AddNullToObject(x, "default");
            cJSON_AddStringToObject(x, "help", op->help ? op->help : "");
            cJSON_AddItemToArray(opts, x);
        }
        cJSON_AddItemToObject(o, "metrics", metrics_json(d->metrics));
        cJSON_AddItemToObject(o, "summary", metrics_json(d->summary));
        cJSON_AddItemToObject(o, "headline", headline_json(d->headline));
        cJSON_AddItemToArray(list, o);
    }
    cJSON *failed = cJSON_AddArrayToObject(root, "failed");
    for (size_t i = 0; i < mms_host_failure_count(h); i++) {
        const char *path;
        const char *why = mms_host_failure(h, i, &path);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", path);
        cJSON_AddStringToObject(o, "error", why);
        cJSON_AddItemToArray(failed, o);
    }
    return root;
}

static void print_metrics(const char *title, const cJSON *a)
{
    if (!cJSON_GetArraySize(a))
        return;
    printf("  %s:\n", title);
    const cJSON *m;
    cJSON_ArrayForEach(m, a)
        printf("    %-24s %-9s %s\n", cJSON_GetObjectItem(m, "name")->valuestring,
               cJSON_GetObjectItem(m, "type")->valuestring,
               cJSON_GetObjectItem(m, "help")->valuestring);
}

static int run_plugins(cli_ctx *c)
{
    const char *only = c->n_args ? c->args[0] : NULL;
    if (c->n_args > 1)
        return cli_usage_error(c, "one plugin name at most");
    if (only && !mms_host_find(c->host, only)) {
        fprintf(stderr, "mmscore plugins: no plugin named \"%s\" is loaded; these are:", only);
        for (size_t i = 0; i < mms_host_plugin_count(c->host); i++)
            fprintf(stderr, " %s", mms_host_plugin(c->host, i, NULL)->name);
        fprintf(stderr, "\n");
        return CLI_USAGE;
    }
    cJSON *j = plugins_json(c->host, only);
    if (!j) {
        fprintf(stderr, "mmscore plugins: out of memory\n");
        return CLI_INPUT;
    }
    if (c->json) {
        char *t = cJSON_Print(j);
        if (t)
            printf("%s\n", t);
        cJSON_free(t);
        cJSON_Delete(j);
        return CLI_OK;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "plugins")) {
        printf("%s %s (%s, ABI %d)\n  %s\n  file: %s\n", cJSON_GetObjectItem(p, "name")->valuestring,
               cJSON_GetObjectItem(p, "version")->valuestring,
               cJSON_GetObjectItem(p, "kind")->valuestring,
               cJSON_GetObjectItem(p, "abi")->valueint,
               cJSON_GetObjectItem(p, "description")->valuestring,
               cJSON_GetObjectItem(p, "file")->valuestring);
        const cJSON *f = cJSON_GetObjectItem(p, "formats");
        if (f)
            printf("  formats: %s\n", f->valuestring);
        const char *cmds = cJSON_GetObjectItem(p, "commands")->valuestring;
        if (*cmds)
            printf("  commands: %s\n", cmds);
        const char *req = cJSON_GetObjectItem(p, "requires")->valuestring;
        if (*req)
            printf("  requires: %s\n", req);
        const cJSON *opts = cJSON_GetObjectItem(p, "options");
        if (cJSON_GetArraySize(opts)) {
            printf("  options:\n");
            const cJSON *o;
            cJSON_ArrayForEach(o, opts) {
                const cJSON *dv = cJSON_GetObjectItem(o, "default");
                /* Shown as the command-line flag that sets it. */
                char flag[128];
                snprintf(flag, sizeof flag, "%s", cJSON_GetObjectItem(o, "name")->valuestring);
                for (char *q = flag; *q; q++)
                    if (*q == '_')
                        *q = '-';
                printf("    --%-22s %-7s default %-8s %s\n", flag,
                       cJSON_GetObjectItem(o, "type")->valuestring,
                       cJSON_IsString(dv) ? dv->valuestring : "(none)",
                       cJSON_GetObjectItem(o, "help")->valuestring);
            }
        }
        print_metrics("metrics", cJSON_GetObjectItem(p, "metrics"));
        print_metrics("summary", cJSON_GetObjectItem(p, "summary"));
        const cJSON *hl = cJSON_GetObjectItem(p, "headline");
        if (cJSON_GetArraySize(hl)) {
            printf("  headline (mmscore table, top of the summary):\n");
            const cJSON *x;
            cJSON_ArrayForEach(x, hl) {
                const char *unit = cJSON_GetObjectItem(x, "unit")->valuestring;
                char label[160];
                snprintf(label, sizeof label, "%s%s%s%s", cJSON_GetObjectItem(x, "label")->valuestring,
                         *unit ? " (" : "", unit, *unit ? ")" : "");
                printf("    %-24s %-26s x%g, %d %s; %s\n",
                       cJSON_GetObjectItem(x, "value")->valuestring, label,
                       cJSON_GetObjectItem(x, "scale")->valuedouble,
                       cJSON_GetObjectItem(x, "digits")->valueint,
                       cJSON_GetObjectItem(x, "round")->valuestring,
                       cJSON_GetObjectItem(x, "convention")->valuestring);
            }
        }
        printf("\n");
    }
    const cJSON *failed = cJSON_GetObjectItem(j, "failed");
    if (!only && cJSON_GetArraySize(failed)) {
        printf("not loaded:\n");
        const cJSON *f;
        cJSON_ArrayForEach(f, failed)
            printf("  %s\n", cJSON_GetObjectItem(f, "error")->valuestring);
    }
    if (!mms_host_plugin_count(c->host))
        printf("no plugins found (looked in --plugin-dir, MMSCORE_PLUGIN_PATH, plugins/ next to "
               "the binary, and the install directory)\n");
    cJSON_Delete(j);
    return CLI_OK;
}

const cli_command cli_cmd_plugins = {
    "plugins", "[NAME]",
    "List every plugin found (or only NAME): file, version, kind, ABI, options, metrics, summary "
    "values, headline values, reader formats; and the plugins that failed to load, with why.",
    NULL, run_plugins};
