/* The rest of `mmscore CMD --help`: the options of the plugins the command
 * runs (read from the loaded plugins, so a new plugin's options appear by
 * themselves) and a few examples.  The examples live here, one table for
 * every command, so that a man page can be generated from the same text. */
#include <string.h>

#include "cli.h"

typedef struct cmd_help {
    const char *name;
    const char *named;       /* plugins the command selects by name (besides `commands`) */
    const char *examples[4]; /* NULL-terminated */
} cmd_help;

static const cmd_help helps[] = {
    {"validate", "symmetry",
     {"mmscore validate structures/",
      "mmscore validate --symmetry --records out.jsonl gen.csv",
      "mmscore validate --hull-ref hull.csv --json relaxed.csv > run.json", NULL}},
    {"eval", NULL,
     {"mmscore eval --ref test.csv gen.csv",
      "mmscore eval --ref test.csv --novelty-ref train.csv --json gen.csv > run.json",
      "mmscore eval --ref test.csv --save-state shard1.state gen1.csv", NULL}},
    {"qa", "choice caption",
     {"mmscore qa choice answers.jsonl", "mmscore qa caption --rouge-stemmer captions.jsonl",
      NULL}},
    {"match", "match",
     {"mmscore match a.cif b.cif", "mmscore match --preset cdvae --group -j 2 gen.csv", NULL}},
    {"csp", "csp", {"mmscore csp --gt gt.csv pred.csv", NULL}},
    {"table", NULL,
     {"mmscore table a.json b.json",
      "mmscore table --format latex --label Ours --label CDVAE a.json b.json",
      "mmscore table --format csv --raw a.json b.json", NULL}},
    {"plugins", NULL, {"mmscore plugins", "mmscore plugins coverage", NULL}},
    {"merge", NULL, {"mmscore merge --json shard1.state shard2.state > run.json", NULL}},
    {"report", NULL,
     {"mmscore validate --report report.html gen.csv",
      "mmscore report --output report.html shard0.state shard1.state", NULL}},
    {"run", NULL, {"mmscore run --plugins symmetry structures/", NULL}},
    {"convert", NULL, {"mmscore convert gen.csv --to cif --out cifs/", NULL}},
    {"man", NULL, {"mmscore man > mmscore.1 && man -l mmscore.1", NULL}},
};

/* Is `word` one of the space-separated words of list (a word may carry
 * ":OPTION", as "eval:hull_ref")? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len >= n && !strncmp(p, word, n) && (len == n || p[n] == ':'))
            return 1;
        p += len;
    }
    return 0;
}

static int runs_plugin(const mms_host *h, const char *cmd, const char *named,
                       const mms_plugin *d)
{
    if (has_word(d->commands, cmd) || has_word(named, d->name))
        return 1;
    /* One level of requirements: csp's options include fingerprint's. */
    for (size_t i = 0; i < mms_host_plugin_count(h); i++) {
        const mms_plugin *o = mms_host_plugin(h, i, NULL);
        if (o != d && (has_word(o->commands, cmd) || has_word(named, o->name)) &&
            has_word(o->requires, d->name))
            return 1;
    }
    return 0;
}

static const cmd_help *find_help(const char *cmd)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (!strcmp(helps[i].name, cmd))
            return &helps[i];
    return NULL;
}

const char *const *cli_help_examples(const char *cmd)
{
    const cmd_help *hp = find_help(cmd);
    return hp && hp->examples[0] ? hp->examples : NULL;
}

void cli_help_more(FILE *f, const cli_ctx *c)
{
    if (!c->cmd)
        return;
    const cmd_help *hp = find_help(c->cmd->name);
    const char *named = hp ? hp->named : NULL;
    int shown = 0;
    for (size_t i = 0; i < mms_host_plugin_count(c->host); i++) {
        const mms_plugin *d = mms_host_plugin(c->host, i, NULL);
        if (d->kind != MMS_PLUGIN_SCORER || !runs_plugin(c->host, c->cmd->name, named, d))
            continue;
        for (const mms_option_def *o = d->options; o && o->name; o++) {
            if (!shown++)
                fprintf(f, "\noptions of the plugins %s runs (as flags; also --config):\n",
                        c->cmd->name);
            char flag[96];
            size_t k = 0;
            for (; o->name[k] && k + 1 < sizeof flag; k++)
                flag[k] = o->name[k] == '_' ? '-' : o->name[k];
            flag[k] = '\0';
            char left[128];
            snprintf(left, sizeof left, "--%s%s", flag, o->type == MMS_OPT_BOOL ? "" : " X");
            const char *dv = o->default_value && *o->default_value ? o->default_value : "none";
            fprintf(f, "  %-26s %s [%s; default %s]\n", left, o->help ? o->help : "", d->name, dv);
        }
    }
    if (hp && hp->examples[0]) {
        fprintf(f, "\nexamples:\n");
        for (const char *const *e = hp->examples; *e; e++)
            fprintf(f, "  %s\n", *e);
    }
}
