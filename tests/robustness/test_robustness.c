/* Hostile input through the whole pipeline: every file of the corpus in
 * tests/data/robustness/ (listed with its record count in MANIFEST.tsv) and
 * the big generated cases (generate.c) go through the built `mmscore` with
 * validate, run --plugins fingerprint, qa caption and qa choice.  For each
 * run: the process exits with the documented status (never a signal, never
 * killed by the CPU or memory limit), there is one record line per input
 * record (counts come from the manifest, not from mmscore), every failed
 * record carries a complete error, and the summary accounts for every record.
 *
 * Environment: MMSCORE_ROBUSTNESS_DIR=DIR runs the files of DIR instead of
 * the manifest (record counts unchecked; e.g. the COD CIF-parsers suite with
 * MMSCORE_ROBUSTNESS_FORMAT=cif), MMSCORE_ROBUSTNESS_KEEP=1 keeps the scratch
 * folder, MMSCORE_ROBUSTNESS_ONLY=SUBSTR runs only matching cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "generate.h"

#if defined(__SANITIZE_ADDRESS__)
#define RB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RB_ASAN 1
#endif
#endif

#define CORPUS MMSCORE_TEST_DATA "/robustness"
#define MEMORY_LIMIT (2UL << 30) /* address space of one mmscore run */
#define CPU_LIMIT_S 600          /* generous: ASan builds are ~5x slower */

static rlim_t cpu_limit = CPU_LIMIT_S;

typedef struct {
    char path[4096];
    int records; /* -1: unknown (extra folder) */
    int exit_code;
    char commands[8];
    char must_codes[128];
    char extra_args[256];
    int from_stdin; /* give the file as `-` on stdin */
} rb_case;

typedef struct {
    char letter;
    const char *name;
    const char *argv[4];
} rb_command;

static const rb_command commands[] = {
    {'v', "validate", {"validate", NULL}},
    {'f', "run --plugins fingerprint", {"run", "--plugins", "fingerprint", NULL}},
    {'c', "qa caption", {"qa", "caption", NULL}},
    {'q', "qa choice", {"qa", "choice", NULL}},
    {'m', "merge", {"merge", NULL}},
};

static char scratch[4096];
static int n_runs, n_message_warnings;
static int warn_wording; /* report wording only on a case's first command */

/* ---- running mmscore --------------------------------------------------- */

/* Run one command on one case; stdout/stderr go to files in scratch.
 * Returns the wait status. */
static int run_cli(const rb_command *cmd, const rb_case *c, const char *records, const char *summary,
                   const char *errlog)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = MMSCORE_CLI;
    for (int i = 0; cmd->argv[i]; i++)
        argv[n++] = cmd->argv[i];
    argv[n++] = "-q";
    argv[n++] = "--json";
    argv[n++] = "-j";
    argv[n++] = "2";
    argv[n++] = "--records";
    argv[n++] = records;
    char extra[256];
    snprintf(extra, sizeof extra, "%s", c->extra_args);
    for (char *save = NULL, *t = strtok_r(extra, " ", &save); t && n < 56;
         t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    const char *fmt = getenv("MMSCORE_ROBUSTNESS_FORMAT");
    if (c->records < 0 && fmt && *fmt) {
        argv[n++] = "--format";
        argv[n++] = fmt;
    }
    argv[n++] = c->from_stdin ? "-" : c->path;
    argv[n] = NULL;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit cpu = {cpu_limit, cpu_limit};
        setrlimit(RLIMIT_CPU, &cpu);
#ifndef RB_ASAN
        /* ASan reserves terabytes of shadow address space: no AS limit there. */
        struct rlimit as = {MEMORY_LIMIT, MEMORY_LIMIT};
        setrlimit(RLIMIT_AS, &as);
#endif
        /* ASan's default exit status, 1, would pass for a documented 1. */
        setenv("ASAN_OPTIONS", "exitcode=86", 0);
        int out = open(summary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        int in = c->from_stdin ? open(c->path, O_RDONLY) : -1;
        if (c->from_stdin && (in < 0 || dup2(in, 0) < 0))
            _exit(127);
        execv(MMSCORE_CLI, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    return status;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (size_t r; b && (r = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += r;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

/* ---- checking one run --------------------------------------------------- */

typedef struct {
    int n, ok;
    cJSON *failed;        /* code -> count, tallied from the records */
    cJSON *plugin_errors; /* plugin -> count */
} tally;

static void bump(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v)
        cJSON_SetNumberValue(v, v->valuedouble + 1);
    else
        cJSON_AddNumberToObject(obj, key, 1);
}

static int fail_at(const char *what, const rb_case *c, const rb_command *cmd, const char *detail)
{
    print_error("%s: %s on %s: %s\n", what, cmd->name, c->path, detail ? detail : "");
    return 1;
}

/* An error object {code, message, line} of a failed record or plugin. */
static int check_error(const cJSON *e, const cJSON *rec, int is_record, const rb_case *c,
                       const rb_command *cmd)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(e, "line");
    char *txt = cJSON_PrintUnformatted(rec);
    int bad = 0;
    if (!cJSON_IsString(code) || !*code->valuestring || !cJSON_IsString(msg) || !*msg->valuestring ||
        !cJSON_IsNumber(line))
        bad = fail_at("error without code/message/line", c, cmd, txt);
    else if (is_record) {
        /* The message names the file, the line and the record, then says
         * what was expected: "FILE:LINE: record ID: ..." */
        const char *src = cJSON_GetObjectItemCaseSensitive(rec, "source")->valuestring;
        const char *id = cJSON_GetObjectItemCaseSensitive(rec, "id")->valuestring;
        const cJSON *rline = cJSON_GetObjectItemCaseSensitive(rec, "line");
        char head[4200];
        snprintf(head, sizeof head, "%s:%d: record %s", src, (int)line->valuedouble, id);
        if (strncmp(msg->valuestring, head, strlen(head)) != 0)
            bad = fail_at("message does not start with FILE:LINE: record ID", c, cmd, txt);
        else if (line->valuedouble < 1 || line->valuedouble < rline->valuedouble)
            bad = fail_at("error line before the record's first line", c, cmd, txt);
        else if (warn_wording && !strstr(msg->valuestring, "expected") &&
                 !strstr(msg->valuestring, "limit")) {
            /* Reported, not failed: wording is the reader's, see docs/robustness.md. */
            print_message("WARN message names nothing expected: %s\n", msg->valuestring);
            n_message_warnings++;
        }
    }
    free(txt);
    return bad;
}

static int check_record(const cJSON *rec, int index, const rb_case *c, const rb_command *cmd,
                        tally *t)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(rec, "index");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(rec, "source");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(rec, "line");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(rec, "ok");
    if (!cJSON_IsString(id) || !cJSON_IsNumber(idx) || !cJSON_IsString(src) ||
        !cJSON_IsNumber(line) || !cJSON_IsBool(ok))
        return fail_at("record without id/index/source/line/ok", c, cmd, NULL);
    if ((int)idx->valuedouble != index)
        return fail_at("records out of input order", c, cmd, id->valuestring);
    const char *want = c->from_stdin ? "-" : c->path;
    size_t pl = strlen(want); /* a folder's records come from files below it */
    if (c->records >= 0 && strcmp(src->valuestring, want) != 0 &&
        !(strncmp(src->valuestring, want, pl) == 0 && src->valuestring[pl] == '/'))
        return fail_at("record source is not the input file", c, cmd, src->valuestring);
    int bad = 0;
    t->n++;
    if (cJSON_IsTrue(ok)) {
        t->ok++;
        if (cJSON_GetObjectItemCaseSensitive(rec, "error"))
            bad |= fail_at("ok record with an error", c, cmd, id->valuestring);
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "error");
        if (!cJSON_IsObject(e))
            return fail_at("failed record without error object", c, cmd, id->valuestring);
        bad |= check_error(e, rec, 1, c, cmd);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        if (cJSON_IsString(code))
            bump(t->failed, code->valuestring);
    }
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(rec, "plugin_errors");
    const cJSON *p;
    cJSON_ArrayForEach(p, pe)
    {
        bad |= check_error(p, rec, 0, c, cmd);
        bump(t->plugin_errors, p->string);
    }
    return bad;
}

/* Two {name: count} objects hold the same counts (absent = 0). */
static int same_counts(const cJSON *a, const cJSON *b)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (x->valuedouble != (y ? y->valuedouble : 0))
            return 0;
    }
    cJSON_ArrayForEach(x, b)
    {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(a, x->string);
        if (x->valuedouble != (y ? y->valuedouble : 0))
            return 0;
    }
    return 1;
}

static int counts_add_up(const cJSON *s, const tally *t)
{
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(s, "records");
    const cJSON *read = cJSON_GetObjectItemCaseSensitive(s, "read");
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(s, "failed");
    if (!cJSON_IsNumber(records) || !cJSON_IsNumber(read) || !cJSON_IsObject(failed))
        return 0;
    double sum = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, failed) sum += f->valuedouble;
    return records->valuedouble == t->n && read->valuedouble == t->ok &&
           records->valuedouble == read->valuedouble + sum && same_counts(failed, t->failed);
}

static int check_summary(const char *path, const rb_case *c, const rb_command *cmd, const tally *t)
{
    char *text = slurp(path, NULL);
    cJSON *s = text ? cJSON_Parse(text) : NULL;
    free(text);
    int bad = 0;
    if (!cJSON_IsObject(s))
        bad = fail_at("summary is not a JSON object", c, cmd, NULL);
    else {
        const cJSON *in =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "sets"), "input");
        if (!counts_add_up(s, t) || (t->n > 0 && !counts_add_up(in, t)))
            bad = fail_at("summary counts differ from the records", c, cmd, NULL);
        if (!same_counts(cJSON_GetObjectItemCaseSensitive(s, "plugin_errors"), t->plugin_errors))
            bad = fail_at("summary plugin_errors differ from the records", c, cmd, NULL);
    }
    cJSON_Delete(s);
    return bad;
}

static int run_case(const rb_case *c, const rb_command *cmd)
{
    char records[4200], summary[4200], errlog[4200];
    snprintf(records, sizeof records, "%s/records.jsonl", scratch);
    snprintf(summary, sizeof summary, "%s/summary.json", scratch);
    snprintf(errlog, sizeof errlog, "%s/stderr.txt", scratch);
    unlink(records);
    int status = run_cli(cmd, c, records, summary, errlog);
    n_runs++;
    if (WIFSIGNALED(status)) {
        char d[64];
        snprintf(d, sizeof d, "signal %d%s", WTERMSIG(status),
                 WTERMSIG(status) == SIGXCPU ? " (CPU limit)" : "");
        return fail_at("killed", c, cmd, d);
    }
    int code = WEXITSTATUS(status);
    if (code != c->exit_code) {
        char *err = slurp(errlog, NULL);
        char d[600];
        snprintf(d, sizeof d, "exit %d, expected %d: %.500s", code, c->exit_code, err ? err : "");
        free(err);
        return fail_at("exit status", c, cmd, d);
    }

    /* Recoverable sanitizer reports and leaks only show on stderr. */
    char *err = slurp(errlog, NULL);
    if (err && (strstr(err, "Sanitizer") || strstr(err, "runtime error:"))) {
        fail_at("sanitizer report", c, cmd, err);
        free(err);
        return 1;
    }
    free(err);

    tally t = {0, 0, cJSON_CreateObject(), cJSON_CreateObject()};
    int bad = 0;
    FILE *f = fopen(records, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        cJSON *rec = cJSON_ParseWithLength(line, (size_t)len);
        if (!cJSON_IsObject(rec))
            bad |= fail_at("record line is not a JSON object", c, cmd, line);
        else
            bad |= check_record(rec, t.n, c, cmd, &t);
        cJSON_Delete(rec);
        if (bad)
            break;
    }
    free(line);
    if (f)
        fclose(f);
    if (!bad && c->records >= 0 && t.n != c->records) {
        char d[64];
        snprintf(d, sizeof d, "%d record lines for %d input records", t.n, c->records);
        bad = fail_at("record count", c, cmd, d);
    }
    /* A run that could not read its input may have no summary (merge). */
    struct stat st;
    if (!bad && (c->exit_code == 0 || (stat(summary, &st) == 0 && st.st_size > 0)))
        bad = check_summary(summary, c, cmd, &t);
    char codes[128];
    snprintf(codes, sizeof codes, "%s", c->must_codes);
    for (char *save = NULL, *k = strtok_r(codes, ",", &save); !bad && k;
         k = strtok_r(NULL, ",", &save))
        if (!cJSON_GetObjectItemCaseSensitive(t.failed, k))
            bad = fail_at("no record failed with the expected code", c, cmd, k);
    cJSON_Delete(t.failed);
    cJSON_Delete(t.plugin_errors);
    return bad;
}

/* ---- the cases ---------------------------------------------------------- */

static int plugin_built(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s.so", MMSCORE_PLUGIN_BUILD_DIR, name);
    return access(p, R_OK) == 0;
}

static int command_available(const rb_command *cmd)
{
    /* validate runs whatever validate plugins there are; the others need theirs. */
    static const char *const needs[] = {NULL, "fingerprint", "caption", "choice", NULL};
    const char *need = needs[cmd - commands];
    return !need || plugin_built(need);
}

static int selected(const rb_case *c)
{
    const char *only = getenv("MMSCORE_ROBUSTNESS_ONLY");
    return !only || !*only || strstr(c->path, only);
}

static int run_all_commands(const rb_case *c)
{
    int bad = 0;
    if (!selected(c))
        return 0;
    warn_wording = 1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strchr(c->commands, commands[i].letter) && command_available(&commands[i])) {
            bad |= run_case(c, &commands[i]);
            warn_wording = 0;
        }
    return bad;
}

static int load_manifest(rb_case **out, size_t *n)
{
    FILE *f = fopen(CORPUS "/MANIFEST.tsv", "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0, m = 0;
    rb_case *v = NULL;
    while (getline(&line, &cap, f) > 0) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char path[1024], cmds[8], codes[128], extra[256];
        int records, exit_code;
        if (sscanf(line, "%1023[^\t]\t%d\t%d\t%7[^\t]\t%127[^\t]\t%255[^\t\n]", path, &records,
                   &exit_code, cmds, codes, extra) != 6) {
            print_error("MANIFEST.tsv: bad line: %s", line);
            free(v);
            free(line);
            fclose(f);
            return -1;
        }
        rb_case *nv = realloc(v, (m + 1) * sizeof *v);
        assert_non_null(nv);
        v = nv;
        rb_case *c = &v[m++];
        memset(c, 0, sizeof *c);
        snprintf(c->path, sizeof c->path, "%s/%s", CORPUS, path);
        c->records = records;
        c->exit_code = exit_code;
        snprintf(c->commands, sizeof c->commands, "%s", cmds);
        snprintf(c->must_codes, sizeof c->must_codes, "%s", strcmp(codes, "-") ? codes : "");
        snprintf(c->extra_args, sizeof c->extra_args, "%s", strcmp(extra, "-") ? extra : "");
    }
    free(line);
    fclose(f);
    *out = v;
    *n = m;
    return 0;
}

/* Every corpus file is in the manifest: nothing is left untested silently. */
static int count_corpus_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += count_corpus_files(p);
        else if (strcmp(e->d_name, "MANIFEST.tsv") && strcmp(e->d_name, "SOURCE.md") &&
                 strcmp(e->d_name, "README.md"))
            n++;
    }
    closedir(d);
    return n;
}

static void test_corpus(void **state)
{
    (void)state;
    if (getenv("MMSCORE_ROBUSTNESS_DIR"))
        skip(); /* a run over another folder only */
    rb_case *cases = NULL;
    size_t n = 0;
    assert_int_equal(load_manifest(&cases, &n), 0);
    int files = count_corpus_files(CORPUS);
    int listed = 0;
    for (size_t i = 0; i < n; i++) {
        int again = 0; /* a file listed once per set of commands counts once */
        for (size_t j = 0; j < i && !again; j++)
            again = !strcmp(cases[i].path, cases[j].path);
        listed += !again && !strstr(cases[i].path, "/known_bugs/") &&
                  access(cases[i].path, F_OK) == 0;
    }
    assert_int_equal(listed, files - count_corpus_files(CORPUS "/known_bugs"));
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!strstr(cases[i].path, "/known_bugs/"))
            bad |= run_all_commands(&cases[i]);
    free(cases);
    assert_int_equal(bad, 0);
}

static void test_generated(void **state)
{
    (void)state;
    if (getenv("MMSCORE_ROBUSTNESS_DIR"))
        skip(); /* a run over another folder only */
    size_t n;
    const rb_case_gen *g = rb_generated_cases(&n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        rb_case c = {.records = g[i].records, .exit_code = g[i].exit_code};
        assert_int_equal(rb_generate(&g[i], scratch, c.path, sizeof c.path), 0);
        snprintf(c.commands, sizeof c.commands, "%s", g[i].commands);
        snprintf(c.must_codes, sizeof c.must_codes, "%s", g[i].must_codes);
        snprintf(c.extra_args, sizeof c.extra_args, "%s", g[i].extra_args);
        bad |= run_all_commands(&c);
        unlink(c.path);
    }
    assert_int_equal(bad, 0);
}

/* Whether stdin's sniffing (docs/cli.md: first non-blank, non-# text `{` is
 * JSONL, `data_` is CIF, else CSV) gives the file's own format. */
static int sniffs_as_itself(const char *path)
{
    const char *ext = strrchr(path, '.');
    FILE *f = ext ? fopen(path, "rb") : NULL;
    if (!f)
        return 0;
    char line[4096];
    const char *first = "";
    while (fgets(line, sizeof line, f)) {
        const char *t = line + strspn(line, " \t\r\n");
        if (*t && *t != '#') {
            first = t;
            break;
        }
    }
    int is_cif = !strncmp(first, "data_", 5), is_json = first[0] == '{';
    int ok = !strcmp(ext, ".cif")     ? is_cif
             : !strcmp(ext, ".jsonl") ? is_json
             : !strcmp(ext, ".csv")   ? *first && !is_cif && !is_json
                                      : 0;
    fclose(f);
    return ok;
}

/* The corpus through stdin, where the format is sniffed: the same records. */
static void test_stdin(void **state)
{
    (void)state;
    if (getenv("MMSCORE_ROBUSTNESS_DIR"))
        skip();
    rb_case *cases = NULL;
    size_t n = 0;
    assert_int_equal(load_manifest(&cases, &n), 0);
    int bad = 0, runs = 0;
    for (size_t i = 0; i < n; i++)
        if (!strstr(cases[i].path, "/known_bugs/") && !cases[i].extra_args[0] &&
            strchr(cases[i].commands, 'v') && sniffs_as_itself(cases[i].path)) {
            cases[i].from_stdin = 1;
            snprintf(cases[i].commands, sizeof cases[i].commands, "v");
            bad |= run_all_commands(&cases[i]);
            runs++;
        }
    free(cases);
    assert_true(runs > 30);
    assert_int_equal(bad, 0);
}

/* Folders that cannot be committed safely (symlink loops would trap any
 * tool that walks the tree), built in the scratch folder.  `a.cif` is the
 * only real file of each; remove_folder undoes it. */
static const char *const folder_links[][2] = {
    {"symlink_loop", "l1:.,l2:."},                 /* two self-links: walked once */
    {"dangling_link", "b.cif:/nonexistent/b.cif"}, /* an io error record */
};

static int make_folder(size_t k, char *dir, size_t n)
{
    static const char cif[] = "data_a\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n"
                              "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                              "loop_\n_atom_site_type_symbol\n_atom_site_label\n"
                              "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                              "Na Na1 0 0 0\nCl Cl1 0.5 0.5 0.5\n";
    char p[4200], links[128];
    if ((size_t)snprintf(dir, n, "%s/%s", scratch, folder_links[k][0]) >= n || mkdir(dir, 0755) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/a.cif", dir);
    FILE *f = fopen(p, "w");
    if (!f || fputs(cif, f) < 0 || fclose(f) != 0)
        return -1;
    snprintf(links, sizeof links, "%s", folder_links[k][1]);
    for (char *save = NULL, *l = strtok_r(links, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
        char *target = strchr(l, ':');
        *target++ = '\0';
        snprintf(p, sizeof p, "%s/%s", dir, l);
        if (symlink(target, p) != 0)
            return -1;
    }
    return 0;
}

static void remove_folder(size_t k, const char *dir)
{
    char p[4200], links[128];
    snprintf(links, sizeof links, "%s", folder_links[k][1]);
    for (char *save = NULL, *l = strtok_r(links, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
        *strchr(l, ':') = '\0';
        snprintf(p, sizeof p, "%s/%s", dir, l);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/a.cif", dir);
    unlink(p);
    rmdir(dir);
}

/* The cases of known_bugs/: run only when asked (they fail until fixed). */
static void test_known_bugs(void **state)
{
    (void)state;
    if (!getenv("MMSCORE_ROBUSTNESS_KNOWN_BUGS"))
        skip();
    rb_case *cases = NULL;
    size_t n = 0;
    assert_int_equal(load_manifest(&cases, &n), 0);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (strstr(cases[i].path, "/known_bugs/"))
            bad |= run_all_commands(&cases[i]);
    free(cases);
    assert_int_equal(bad, 0);
}

/* The folders above: a.cif read once through any number of links back to
 * its folder; the dangling link is one failed record. */
static void test_link_folders(void **state)
{
    (void)state;
    int bad = 0;
    cpu_limit = 60;
    for (size_t k = 0; k < sizeof folder_links / sizeof folder_links[0]; k++) {
        rb_case c = {.records = k == 0 ? 1 : 2, .exit_code = 0, .commands = "v"};
        assert_int_equal(make_folder(k, c.path, sizeof c.path), 0);
        bad |= run_all_commands(&c);
        remove_folder(k, c.path);
    }
    cpu_limit = CPU_LIMIT_S;
    assert_int_equal(bad, 0);
}

/* Any folder of files (e.g. the COD CIF-parsers 1.1/tests): no crash, counts
 * consistent, exit 0 (record counts unknown). */
static void test_extra_dir(void **state)
{
    (void)state;
    const char *dir = getenv("MMSCORE_ROBUSTNESS_DIR");
    if (!dir || !*dir)
        skip();
    DIR *d = opendir(dir);
    assert_non_null(d);
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        rb_case c = {.records = -1, .exit_code = 0, .commands = "vfcq"};
        snprintf(c.path, sizeof c.path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(c.path, &st) == 0 && S_ISREG(st.st_mode))
            bad |= run_all_commands(&c);
    }
    closedir(d);
    assert_int_equal(bad, 0);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/mmscore-robustness-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    print_message("%d runs, %d error messages without 'expected'\n", n_runs, n_message_warnings);
    if (getenv("MMSCORE_ROBUSTNESS_KEEP"))
        return 0;
    static const char *const files[] = {"records.jsonl", "summary.json", "stderr.txt"};
    char p[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", scratch, files[i]);
        unlink(p);
    }
    return rmdir(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_known_bugs),
        cmocka_unit_test(test_link_folders),
        cmocka_unit_test(test_extra_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
