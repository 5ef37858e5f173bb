/* mmscore: parse the common flags, load plugins, hand over to a command. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmscore/mmscore.h"
#include "cli.h"
#include "cli_commands.h" /* generated: cli_commands[], n_cli_commands */

static const cli_flag common_flags[] = {
    {"records", "FILE", "write one JSON object per record to FILE (- = stdout)"},
    {"json", NULL, "print the summary as JSON on stdout"},
    {"jobs", "N", "worker threads (also -j N; default: number of cores)"},
    {"config", "FILE", "plugin options as JSON {\"plugin\": {\"option\": value}}"},
    {"plugin-dir", "DIR", "load plugins from DIR first (repeatable)"},
    {"max-atoms", "N", "sites per structure after symmetry expansion (default 10000)"},
    {"max-record-bytes", "N", "bytes per record (default 64 MiB)"},
    {"format", "NAME", "read every input as NAME (cif, text, csv, jsonl, a reader plugin's)"},
    {"column", "NAME", "CSV column / JSONL field holding the structure (default: cif, text)"},
    {"max-json-values", "N", "JSON values per JSONL line (default 1000000)"},
    {"save-state", "FILE", "save every set accumulator to FILE at the end (for mmscore merge)"},
    {"isolate", NULL, "run every scorer in worker processes (default: those not built in)"},
    {"no-isolate", NULL, "run every scorer in this process (fastest; a crash ends the run)"},
    {"record-timeout", "SECONDS", "an isolated scorer's time per record before it is killed"},
    {"shard", "I/N", "keep only the I-th of N contiguous blocks of the records (0 <= I < N)"},
    {"resume", NULL, "continue a stopped run from the checkpoint beside --records FILE"},
    {"checkpoint-every", "N", "with --records FILE: checkpoint every N records (default 4096)"},
    {"summary", "FILE", "write the summary to FILE instead of stdout"},
    {"no-fields", NULL, "leave the other CSV/JSONL columns out of the records"},
    {"progress", NULL, "progress lines on stderr every 10 s even when it is not a terminal"},
    {"quiet", NULL, "no progress line, warnings or table (also -q)"},
    {"help", NULL, "show this help (also -h)"},
    {NULL, NULL, NULL}};
const cli_flag *const cli_common_flags = common_flags; /* for `mmscore man` */
const char *const cli_exit_status =
    "0 run completed (structures that fail to read or fail checks are\n"
    "results), 1 an input could not be read, a plugin the command needs could not be\n"
    "loaded, there were no records or an output could not be written, 2 usage error,\n"
    "128+signal when stopped by SIGTERM/SIGINT (checkpointed when --records FILE was\n"
    "given: rerun with --resume).\n";

const char *cli_flag_value(const cli_ctx *c, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->n_flags; i++)
        if (!strcmp(c->flag_names[i], name))
            v = c->flag_values[i];
    return v;
}

int cli_usage_error(const cli_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mmscore%s%s: ", c && c->cmd ? " " : "", c && c->cmd ? c->cmd->name : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see mmscore %s%s--help)\n", c && c->cmd ? c->cmd->name : "",
            c && c->cmd ? " " : "");
    return CLI_USAGE;
}

static void print_flags(FILE *f, const cli_flag *fl)
{
    for (; fl && fl->name; fl++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", fl->name, fl->arg ? " " : "",
                 fl->arg ? fl->arg : "");
        fprintf(f, "  %-26s %s\n", left, fl->help);
    }
}

static void usage(FILE *f, const cli_command *cmd)
{
    if (cmd) {
        fprintf(f, "usage: mmscore %s [flags] %s\n\n%s\n\n", cmd->name, cmd->args, cmd->help);
        if (cmd->flags && cmd->flags->name) {
            fprintf(f, "flags of %s:\n", cmd->name);
            print_flags(f, cmd->flags);
            fputc('\n', f);
        }
    } else {
        fprintf(f, "usage: mmscore COMMAND [flags] ARGS...\n\ncommands:\n");
        for (size_t i = 0; i < n_cli_commands; i++)
            fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->help);
        fputc('\n', f);
    }
    fprintf(f, "common flags:\n");
    print_flags(f, common_flags);
    fprintf(f, "\nAny other --name VALUE sets option `name` of every loaded plugin declaring it\n"
               "(see `mmscore plugins`); a boolean option may be given bare (--rouge-stemmer).\n"
               "Exit status: %s", cli_exit_status);
}

static const cli_flag *find_flag(const cli_flag *fl, const char *name)
{
    for (; fl && fl->name; fl++)
        if (!strcmp(fl->name, name))
            return fl;
    return NULL;
}

static int parse_size(const cli_ctx *c, const char *flag, const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-' || v[0] == '+' || x == 0)
        return cli_usage_error(c, "--%s expects a positive integer, got \"%s\"", flag, v);
    if (errno == ERANGE || x > SIZE_MAX)
        return cli_usage_error(c, "--%s: \"%s\" is too large (at most %zu)", flag, v,
                               (size_t)SIZE_MAX);
    *out = (size_t)x;
    return CLI_OK;
}

static int parse_shard(cli_ctx *c, const char *v)
{
    char *end;
    unsigned long long i = strtoull(v, &end, 10), n = 0;
    int ok = *v >= '0' && *v <= '9' && *end == '/' && end[1] >= '0' && end[1] <= '9';
    if (ok) {
        const char *q = end + 1;
        errno = 0;
        n = strtoull(q, &end, 10);
        ok = !*end && errno == 0 && n >= 1 && n <= 1000000 && i < n;
    }
    if (!ok)
        return cli_usage_error(c, "--shard expects I/N with 0 <= I < N <= 1000000, got \"%s\"", v);
    c->popt.shard_index = (size_t)i;
    c->popt.shard_count = (size_t)n;
    return CLI_OK;
}

static int is_bool_text(const char *s)
{
    static const char *const words[] = {"true", "false", "1", "0", "yes", "no", "on", "off", NULL};
    for (const char *const *w = words; *w; w++)
        if (!strcmp(s, *w))
            return 1;
    return 0;
}

/* Load plugins: every --plugin-dir first, then the default discovery. */
static int load_plugins(cli_ctx *c, int argc, char **argv)
{
    mms_error err;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        const char *dir = NULL;
        if (!strcmp(argv[i], "--plugin-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strncmp(argv[i], "--plugin-dir=", 13))
            dir = argv[i] + 13;
        if (dir && mms_host_load_dir(c->host, dir, &err) != MMS_OK)
            return cli_usage_error(c, "%s", err.message);
    }
    mms_host_load_default(c->host, &err);
    return CLI_OK;
}

/* Second pass over the arguments, with the plugins known. */
static int parse_args(cli_ctx *c, int argc, char **argv, const char **config,
                      const char ***popts, size_t *n_popts)
{
    int only_args = 0;
    for (int i = 2; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || !strcmp(a, "-")) {
            c->args[c->n_args++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = 1;
            continue;
        }
        if (!strcmp(a, "-h"))
            a = "--help";
        if (!strcmp(a, "-q"))
            a = "--quiet";
        char name[128];
        const char *val = NULL;
        if (!strncmp(a, "-j", 2)) {
            snprintf(name, sizeof name, "jobs");
            val = a[2] ? a + 2 : NULL;
        } else if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            if (eq) {
                snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
                val = eq + 1;
            } else
                snprintf(name, sizeof name, "%s", a + 2);
        } else {
            return cli_usage_error(c, "unknown flag %s", a);
        }
        /* Dashes and underscores are the same in every flag, as in plugin
         * options: --novelty_ref must not slip past eval's --novelty-ref to
         * a plugin option of the same name. */
        for (char *u = name; *u; u++)
            if (*u == '_')
                *u = '-';
        const cli_flag *fl = find_flag(common_flags, name);
        const cli_flag *cf = fl ? NULL : find_flag(c->cmd->flags, name);
        if (fl || cf) {
            const cli_flag *f = fl ? fl : cf;
            if (f->arg && !val) {
                if (i + 1 >= argc)
                    return cli_usage_error(c, "--%s expects %s", name, f->arg);
                val = argv[++i];
            } else if (!f->arg && val) {
                return cli_usage_error(c, "--%s takes no value", name);
            }
            if (cf) {
                c->flag_names[c->n_flags] = cf->name;
                c->flag_values[c->n_flags++] = val ? val : "";
                continue;
            }
            int rc = CLI_OK;
            if (!strcmp(name, "help")) {
                usage(stdout, c->cmd);
                cli_help_more(stdout, c);
                return -1;
            } else if (!strcmp(name, "records"))
                c->records = val;
            else if (!strcmp(name, "json"))
                c->json = 1;
            else if (!strcmp(name, "quiet"))
                c->quiet = 1;
            else if (!strcmp(name, "config"))
                *config = val;
            else if (!strcmp(name, "format"))
                c->popt.format = val;
            else if (!strcmp(name, "column"))
                c->popt.column = val;
            else if (!strcmp(name, "max-json-values"))
                rc = parse_size(c, name, val, &c->popt.max_json_values);
            else if (!strcmp(name, "save-state"))
                c->save_state = val;
            else if (!strcmp(name, "isolate"))
                c->popt.isolate = MMS_ISOLATE_ALL;
            else if (!strcmp(name, "no-isolate"))
                c->popt.isolate = MMS_ISOLATE_NONE;
            else if (!strcmp(name, "record-timeout")) {
                char *end;
                errno = 0;
                double t = strtod(val, &end);
                if (!*val || *end || errno || !(t > 0) || t > 1e9)
                    return cli_usage_error(c, "--record-timeout expects a positive number of "
                                              "seconds, got \"%s\"", val);
                c->popt.record_timeout = t;
            }
            else if (!strcmp(name, "summary"))
                c->summary_path = val;
            else if (!strcmp(name, "resume"))
                c->resume = 1;
            else if (!strcmp(name, "no-fields"))
                c->popt.no_fields = 1;
            else if (!strcmp(name, "progress"))
                c->progress = 1;
            else if (!strcmp(name, "shard"))
                rc = parse_shard(c, val);
            else if (!strcmp(name, "jobs")) {
                size_t n;
                rc = parse_size(c, "jobs", val, &n);
                c->popt.threads = n > 256 ? 256 : (int)n;
            } else if (!strcmp(name, "checkpoint-every"))
                rc = parse_size(c, name, val, &c->popt.checkpoint_every);
            else if (!strcmp(name, "max-atoms"))
                rc = parse_size(c, name, val, &c->popt.max_atoms);
            else if (!strcmp(name, "max-record-bytes"))
                rc = parse_size(c, name, val, &c->popt.max_record_bytes);
            /* plugin-dir was handled before loading */
            if (rc != CLI_OK)
                return rc;
            continue;
        }
        /* Not ours: a plugin option. */
        int type = mms_host_option_type(c->host, name);
        char near[64];
        const char *hint = type ? NULL : cli_nearest_flag(c, common_flags, name, near, sizeof near);
        if (hint)
            return cli_usage_error(c, "unknown flag --%s: did you mean --%s?", name, hint);
        if (!type)
            return cli_usage_error(c, "unknown flag --%s (not a flag of mmscore %s, and no loaded "
                                      "plugin has an option of that name)",
                                   name, c->cmd->name);
        if (!val) {
            if (type == MMS_OPT_BOOL && !(i + 1 < argc && is_bool_text(argv[i + 1])))
                val = "true";
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return cli_usage_error(c, "--%s expects a value", name);
        }
        char *copy = strdup(name);
        if (!copy)
            return cli_usage_error(c, "out of memory");
        popts[1][*n_popts / 2] = copy; /* freed by main */
        popts[0][*n_popts] = copy;
        popts[0][*n_popts + 1] = val;
        *n_popts += 2;
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout, NULL);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mmscore %s\n", MMSCORE_VERSION);
        return CLI_OK;
    }
    cli_ctx c = {0};
    c.argc = argc;
    c.argv = argv;
    c.popt.version = MMS_PIPELINE_OPTIONS_VERSION;
    for (size_t i = 0; i < n_cli_commands; i++)
        if (!strcmp(cli_commands[i]->name, argv[1]))
            c.cmd = cli_commands[i];
    if (!c.cmd)
        return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
    mms_error err;
    if (mms_host_new(&c.host, &err) != MMS_OK) {
        fprintf(stderr, "mmscore: %s\n", err.message);
        return CLI_INPUT;
    }
    size_t n = (size_t)argc;
    c.args = calloc(n, sizeof *c.args);
    c.flag_names = calloc(n, sizeof *c.flag_names);
    c.flag_values = calloc(n, sizeof *c.flag_values);
    const char **popts = calloc(2 * n, sizeof *popts);
    const char **owned = calloc(n, sizeof *owned);
    const char **pp[2] = {popts, owned};
    const char *config = NULL;
    size_t n_popts = 0;
    int rc = CLI_OK;
    if (!c.args || !c.flag_names || !c.flag_values || !popts || !owned)
        rc = cli_usage_error(&c, "out of memory");
    if (rc == CLI_OK)
        rc = load_plugins(&c, argc, argv);
    if (rc == CLI_OK)
        rc = parse_args(&c, argc, argv, &config, pp, &n_popts);
    /* Defaults, then the config file, then flags: the last word wins. */
    if (rc == CLI_OK && config && mms_host_load_config(c.host, config, &err) != MMS_OK)
        rc = cli_usage_error(&c, "%s", err.message);
    for (size_t i = 0; rc == CLI_OK && i < n_popts; i += 2)
        if (mms_host_set_option(c.host, popts[i], popts[i + 1], &err) != MMS_OK)
            rc = cli_usage_error(&c, "--%s: %s", popts[i], err.message);
    if (rc == CLI_OK) {
        for (size_t i = 0; i < mms_host_failure_count(c.host); i++) {
            /* A plugin shadowed by another of its name changes results
             * unseen: that is said even with -q and under `plugins`. */
            int dup = 0;
            mms_host_failure_info(c.host, i, NULL, &dup);
            if (dup || (!c.quiet && strcmp(c.cmd->name, "plugins") != 0))
                fprintf(stderr, "mmscore: warning: plugin not loaded: %s\n",
                        mms_host_failure(c.host, i, NULL));
        }
        rc = c.cmd->run(&c);
    } else if (rc < 0) {
        rc = CLI_OK; /* --help */
    }
    for (size_t i = 0; owned && i < n; i++)
        free((void *)owned[i]);
    free(owned);
    free(popts);
    free(c.args);
    free(c.flag_names);
    free(c.flag_values);
    cJSON_Delete(c.summary_extra);
    cJSON_Delete(c.report_inputs);
    mms_host_free(c.host);
    return rc;
}
