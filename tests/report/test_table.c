/* Headline values and `mmscore table`: the rounding rule on chosen numbers
 * (headline.c is compiled in), then real --json summaries of fixture runs
 * (tests/data/readers: perov_5 val against test, perturbed against test)
 * turned into markdown, LaTeX and CSV tables, checked against the summaries. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

#define DATA MMSCORE_TEST_DATA "/readers/"

static char tmpdir[] = "/tmp/mms_table_XXXXXX";

static const char *fmt_dec(double x, int digits, double scale)
{
    static char buf[64];
    mms_headline_def hd = {"v", "V", "%", scale, MMS_ROUND_DECIMALS, digits, NULL};
    cli_headline_format(&hd, x, 0, buf, sizeof buf);
    return buf;
}

static const char *fmt_sig(double x, int digits)
{
    static char buf[64];
    mms_headline_def hd = {"v", "V", "", 1, MMS_ROUND_SIGNIFICANT, digits, NULL};
    cli_headline_format(&hd, x, 0, buf, sizeof buf);
    return buf;
}

/* Half away from zero on the decimal people see, not on the binary double. */
static void rounding_rule(void **st)
{
    (void)st;
    assert_string_equal(fmt_dec(0.21875, 2, 100), "21.88");  /* 7/32: an exact half */
    assert_string_equal(fmt_dec(0.12345, 2, 100), "12.35");  /* printf: 12.34 */
    assert_string_equal(fmt_dec(1.0, 2, 100), "100.00");
    assert_string_equal(fmt_dec(0.999995, 2, 100), "100.00"); /* carry through every digit */
    assert_string_equal(fmt_dec(0.0, 2, 100), "0.00");
    assert_string_equal(fmt_dec(0.00004, 2, 100), "0.00");
    assert_string_equal(fmt_dec(0.00005, 2, 100), "0.01");
    assert_string_equal(fmt_dec(-0.00004, 2, 100), "0.00"); /* no "-0.00" */
    assert_string_equal(fmt_dec(-0.5, 2, 100), "-50.00");
    assert_string_equal(fmt_dec(2.0 / 3.0, 2, 100), "66.67");
    assert_string_equal(fmt_dec(1234.5, 0, 1), "1235");
    assert_string_equal(fmt_sig(0.029944912, 4), "0.02994");
    assert_string_equal(fmt_sig(1.8285714, 4), "1.829");
    assert_string_equal(fmt_sig(0.1, 4), "0.1000");
    assert_string_equal(fmt_sig(0.0, 4), "0.000");
    assert_string_equal(fmt_sig(9.99996, 4), "10.00");
    assert_string_equal(fmt_sig(123456.7, 4), "123457");
    assert_string_equal(fmt_sig(-0.0123456, 4), "-0.01235");
    assert_string_equal(fmt_sig(1.5e-20, 4), "1.500e-20");
    char buf[64];
    mms_headline_def hd = {"v", "V", "%", 100, MMS_ROUND_DECIMALS, 2, NULL};
    cli_headline_format(&hd, 0.1 + 0.2, 1, buf, sizeof buf); /* raw: every digit, unscaled */
    assert_string_equal(buf, "0.30000000000000004");
    cli_headline_label(&hd, NULL, 0, buf, sizeof buf);
    assert_string_equal(buf, "V (%)");
    cli_headline_label(&hd, NULL, 1, buf, sizeof buf);
    assert_string_equal(buf, "V (fraction)");
    cli_headline_label(&hd, "gpt4", 0, buf, sizeof buf);
    assert_string_equal(buf, "V gpt4 (%)");
}

typedef struct out {
    char *text;
    int status;
} out;

static out sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    out o = {calloc(1, 1), -1};
    size_t len = 0;
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        o.text = realloc(o.text, len + n + 1);
        memcpy(o.text + len, buf, n);
        len += n;
        o.text[len] = '\0';
    }
    int s = pclose(p);
    o.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    return o;
}

static cJSON *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

static int setup(void **st)
{
    (void)st;
    if (!mkdtemp(tmpdir))
        return -1;
    out a = sh(MMSCORE_CLI " eval -q --json --ref " DATA "perov_5_test.csv " DATA
                           "perov_5_val.csv > %s/val.json",
               tmpdir);
    out b = sh(MMSCORE_CLI " eval -q --json --ref " DATA "perov_5_test.csv " DATA
                           "perturbed.csv > %s/perturbed.json",
               tmpdir);
    out c = sh(MMSCORE_CLI " validate -q --json " DATA "carbon_24_test.csv > %s/carbon.json",
               tmpdir);
    int ok = !a.status && !b.status && !c.status;
    free(a.text), free(b.text), free(c.text);
    return ok ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    out o = sh("rm -rf %s", tmpdir);
    free(o.text);
    return 0;
}

/* Split one CSV line (no quoted commas in these tables) in place. */
static size_t split(char *line, char **cells, size_t cap)
{
    size_t n = 0;
    for (char *s = line; n < cap;) {
        cells[n++] = s;
        char *c = strchr(s, ',');
        if (!c)
            break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

/* Every rounded cell lies within half a unit of its last digit of the
 * summary's value (scaled), and has that many digits; rows in input order. */
static void csv_matches_summaries(void **st)
{
    (void)st;
    out r = sh(MMSCORE_CLI " table --format csv %s/val.json %s/perturbed.json %s/carbon.json",
               tmpdir, tmpdir, tmpdir);
    out w = sh(MMSCORE_CLI " table --format csv --raw %s/val.json %s/perturbed.json "
                           "%s/carbon.json",
               tmpdir, tmpdir, tmpdir);
    assert_int_equal(r.status, 0);
    assert_int_equal(w.status, 0);
    char *rl[8], *wl[8];
    size_t nr = 0, nw = 0;
    for (char *s = strtok(r.text, "\n"); s && nr < 8; s = strtok(NULL, "\n"))
        rl[nr++] = s;
    for (char *s = strtok(w.text, "\n"); s && nw < 8; s = strtok(NULL, "\n"))
        wl[nw++] = s;
    assert_int_equal(nr, 4);
    assert_int_equal(nw, 4);
    char *head[32], *rc[32], *wc[32];
    size_t nh = split(rl[0], head, 32);
    assert_true(nh >= 9); /* 3 validity + 3 coverage + 2 distribution + the label */
    assert_string_equal(head[0], "run");
    const char *want[] = {"COV-R (%)", "COV-P (%)", "wdist density", "Struct. valid (%)"};
    for (size_t k = 0; k < 4; k++) {
        size_t i = 1;
        while (i < nh && strcmp(head[i], want[k]))
            i++;
        assert_true(i < nh);
    }
    const char *files[] = {"val", "perturbed", "carbon"};
    size_t compared = 0;
    for (size_t row = 1; row < 4; row++) {
        assert_int_equal(split(rl[row], rc, 32), nh);
        assert_int_equal(split(wl[row], wc, 32), nh);
        assert_string_equal(rc[0], files[row - 1]);
        char path[512];
        snprintf(path, sizeof path, "%s/%s.json", tmpdir, files[row - 1]);
        cJSON *sum = load(path);
        for (size_t k = 1; k < nh; k++) {
            if (!*wc[k]) {
                assert_string_equal(rc[k], ""); /* absent in one, absent in both */
                continue;
            }
            double raw = strtod(wc[k], NULL);
            double scale = strstr(head[k], "(%)") ? 100 : 1;
            const char *dot = strchr(rc[k], '.');
            int places = dot ? (int)strlen(dot + 1) : 0;
            if (scale == 100)
                assert_int_equal(places, 2);
            double rounded = strtod(rc[k], NULL);
            assert_true(fabs(rounded - raw * scale) <= 0.5 * pow(10, -places) + 1e-9);
            compared++;
        }
        /* And the raw cells are the summary's own numbers. */
        const cJSON *v = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "plugins"), "validity"),
            "struct_valid_rate");
        char exact[64];
        cli_number_exact(v->valuedouble, exact, sizeof exact);
        size_t i = 1;
        while (strcmp(head[i], "Struct. valid (%)"))
            i++;
        assert_string_equal(wc[i], exact);
        cJSON_Delete(sum);
    }
    assert_true(compared >= 19); /* 2 eval rows x 8 + validate's 3 */
    free(r.text);
    free(w.text);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void markdown_and_latex(void **st)
{
    (void)st;
    out m = sh(MMSCORE_CLI " table --label 'CDVAE val' --label 'perturbed' %s/val.json "
                           "%s/perturbed.json",
               tmpdir, tmpdir);
    assert_int_equal(m.status, 0);
    assert_non_null(strstr(m.text, "| Run | "));
    assert_non_null(strstr(m.text, "\n| CDVAE val | "));
    assert_non_null(strstr(m.text, "\n| perturbed | "));
    assert_int_equal(count(m.text, "\n"), 4);
    out l = sh(MMSCORE_CLI " table --format latex --label 'a_b & c' --label '50%%' %s/val.json "
                           "%s/carbon.json > %s/table.tex && cat %s/table.tex",
               tmpdir, tmpdir, tmpdir, tmpdir);
    assert_int_equal(l.status, 0);
    assert_non_null(strstr(l.text, "\\begin{tabular}{l"));
    assert_int_equal(count(l.text, "\\toprule"), 1);
    assert_int_equal(count(l.text, "\\midrule"), 1);
    assert_int_equal(count(l.text, "\\bottomrule"), 1);
    assert_non_null(strstr(l.text, "\na\\_b \\& c & "));
    assert_non_null(strstr(l.text, "\n50\\% & "));
    assert_non_null(strstr(l.text, "COV-R (\\%)"));
    assert_non_null(strstr(l.text, "& -- ")); /* validate has no coverage: a dash */
    assert_int_equal(count(l.text, " \\\\\n"), 3);
    free(m.text);
    free(l.text);
}

static void refusals(void **st)
{
    (void)st;
    out o = sh(MMSCORE_CLI " table --label x %s/val.json %s/carbon.json 2>&1", tmpdir, tmpdir);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "--label given 1 times for 2 summaries"));
    free(o.text);
    o = sh(MMSCORE_CLI " table --format html %s/val.json 2>&1", tmpdir);
    assert_int_equal(o.status, 2);
    free(o.text);
    o = sh(MMSCORE_CLI " table " DATA "perov_5_val.csv 2>&1");
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.text, "perov_5_val.csv: line 1: not JSON"));
    free(o.text);
    o = sh("echo '{\"plugins_run\":[\"no_such\"],\"plugins\":{}}' > %s/alien.json && "
           MMSCORE_CLI " table %s/alien.json 2>&1", tmpdir, tmpdir);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.text, "plugin no_such ran in that run but is not loaded here"));
    free(o.text);
}

/* The top of the text summary: headline values first, then the details. */
static void summary_starts_with_headline(void **st)
{
    (void)st;
    out o = sh(MMSCORE_CLI " eval --ref " DATA "perov_5_test.csv " DATA "perturbed.csv 2>/dev/null");
    assert_int_equal(o.status, 0);
    assert_true(!strncmp(o.text, "headline", 8));
    char *cov = strstr(o.text, "COV-R (%)");
    char *details = strstr(o.text, "\nrecords ");
    assert_non_null(cov);
    assert_non_null(details);
    assert_true(cov < details);
    assert_non_null(strstr(o.text, "coverage.cov_recall"));
    free(o.text);
}

/* qa choice: accuracy per model in the headline and in full in the details
 * (they were cut at 100 characters), and as table columns. */
static void qa_choice_per_model_whole(void **st)
{
    (void)st;
    out j = sh(MMSCORE_CLI " qa choice -q --json " MMSCORE_TEST_DATA "/choice/subset.jsonl > "
                           "%s/qa.json && cat %s/qa.json",
               tmpdir, tmpdir);
    assert_int_equal(j.status, 0);
    cJSON *sum = cJSON_Parse(j.text);
    assert_non_null(sum);
    const cJSON *by_model = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "plugins"), "choice"), "by_model");
    assert_true(cJSON_GetArraySize(by_model) >= 5);
    out t = sh(MMSCORE_CLI " qa choice " MMSCORE_TEST_DATA "/choice/subset.jsonl 2>/dev/null");
    out csv = sh(MMSCORE_CLI " table --format csv %s/qa.json", tmpdir);
    assert_int_equal(t.status, 0);
    assert_int_equal(csv.status, 0);
    assert_null(strstr(t.text, "..."));
    const cJSON *m;
    size_t checked = 0;
    cJSON_ArrayForEach(m, by_model) {
        double acc = cJSON_GetObjectItem(m, "accuracy")->valuedouble;
        mms_headline_def hd = {"v", "V", "%", 100, MMS_ROUND_DECIMALS, 2, NULL};
        char want[512], num[64];
        cli_headline_format(&hd, acc, 0, num, sizeof num);
        /* headline line: label, value, and where it comes from */
        snprintf(want, sizeof want, "Accuracy %s (%%)", m->string);
        char *line = strstr(t.text, want);
        assert_non_null(line);
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        assert_non_null(strstr(line, num));
        snprintf(want, sizeof want, "choice.by_model.%s.accuracy", m->string);
        assert_non_null(strstr(line, want));
        *nl = '\n';
        /* details line: every member, whole */
        snprintf(want, sizeof want, "  by_model.%s ", m->string);
        line = strstr(t.text, want);
        assert_non_null(line);
        snprintf(want, sizeof want, "n %d  parsed %d  correct %d  accuracy",
                 cJSON_GetObjectItem(m, "n")->valueint, cJSON_GetObjectItem(m, "parsed")->valueint,
                 cJSON_GetObjectItem(m, "correct")->valueint);
        assert_true(strstr(line, want) && strstr(line, want) < strchr(line, '\n'));
        snprintf(want, sizeof want, ",%s", num);
        assert_non_null(strstr(csv.text, want));
        checked++;
    }
    assert_true(checked >= 5);
    assert_true(strstr(t.text, "headline") < strstr(t.text, "\nrecords "));
    cJSON_Delete(sum);
    free(j.text);
    free(t.text);
    free(csv.text);
}

/* mmscore plugins NAME, and the nearest known flag for a mistyped one. */
static void help_that_answers(void **st)
{
    (void)st;
    out o = sh(MMSCORE_CLI " plugins coverage");
    assert_int_equal(o.status, 0);
    assert_true(!strncmp(o.text, "coverage ", 9));
    assert_non_null(strstr(o.text, "COV-R (%)"));
    assert_null(strstr(o.text, "\nvalidity "));
    free(o.text);
    o = sh(MMSCORE_CLI " plugins --json choice");
    assert_int_equal(o.status, 0);
    cJSON *j = cJSON_Parse(o.text);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "plugins")), 1);
    cJSON_Delete(j);
    free(o.text);
    o = sh(MMSCORE_CLI " plugins no_such_plugin 2>&1");
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "no plugin named \"no_such_plugin\""));
    free(o.text);
    /* CMD --help: the options of the plugins the command runs, and examples */
    o = sh(MMSCORE_CLI " validate --help");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.text, "\n  --min-volume X "));      /* structure, by `commands` */
    assert_non_null(strstr(o.text, "\n  --symprec X "));         /* symmetry, by --symmetry */
    assert_null(strstr(o.text, "--csp-preset"));                /* csp: not run by validate */
    assert_non_null(strstr(o.text, "\nexamples:\n  mmscore validate "));
    free(o.text);
    o = sh(MMSCORE_CLI " qa --help");
    assert_non_null(strstr(o.text, "\n  --rouge-stemmer "));
    assert_null(strstr(o.text, "--min-volume"));
    free(o.text);
    /* the man page: every command of --help and every common flag, and the
     * installed mmscore.1 is the same text */
    out man = sh(MMSCORE_CLI " man");
    assert_int_equal(man.status, 0);
    assert_true(!strncmp(man.text, ".TH MMSCORE 1 ", 14));
    o = sh(MMSCORE_CLI " --help");
    char *cmds = strstr(o.text, "commands:\n");
    assert_non_null(cmds);
    size_t n_cmds = 0;
    for (char *line = strchr(cmds, '\n') + 1; !strncmp(line, "  ", 2); line = strchr(line, '\n') + 1) {
        char name[64], want[96];
        assert_int_equal(sscanf(line, " %63s", name), 1);
        snprintf(want, sizeof want, ".SS \"mmscore %s", name);
        assert_non_null(strstr(man.text, want));
        n_cmds++;
    }
    assert_true(n_cmds >= 10);
    const char *common[] = {"\\-\\-records", "\\-\\-max\\-atoms", "\\-\\-plugin\\-dir",
                            "\\-\\-save\\-state"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(strstr(strstr(man.text, ".SH COMMON FLAGS"), common[i]));
    free(o.text);
    o = sh("cat " MMSCORE_CLI ".1");
    assert_int_equal(o.status, 0);
    assert_string_equal(o.text, man.text);
    free(o.text);
    free(man.text);
    struct { const char *args, *hint; } cases[] = {
        {"table --lable x", "did you mean --label?"},       /* a command flag, transposed */
        {"validate --recrods x", "did you mean --records?"}, /* a common flag */
        {"validate --symprc 0.1 x", "did you mean --symprec?"}, /* a plugin option */
        {"eval --novelty-reff x", "did you mean --novelty-ref?"},
        {"validate --zzzzzz x", NULL}, /* nothing near: no guess */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        o = sh(MMSCORE_CLI " %s 2>&1", cases[i].args);
        assert_int_equal(o.status, 2);
        if (cases[i].hint)
            assert_non_null(strstr(o.text, cases[i].hint));
        else
            assert_null(strstr(o.text, "did you mean"));
        free(o.text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rounding_rule),
        cmocka_unit_test(csv_matches_summaries),
        cmocka_unit_test(markdown_and_latex),
        cmocka_unit_test(refusals),
        cmocka_unit_test(summary_starts_with_headline),
        cmocka_unit_test(qa_choice_per_model_whole),
        cmocka_unit_test(help_that_answers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
