/* The built mmscore binary end to end: structures/, malformed inputs, stdin,
 * exit codes, -j independence, plugin option flags, eval caches and merge.
 * Assertions are on the core's record fields and the test plugins only, so
 * they hold whatever other plugins the build contains. */
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

#include "../core_pipeline/json_view.h"
#include <cjson/cJSON.h>

#define DATA MMSCORE_TEST_DATA "/pipeline/"
#define STRUCTURES MMSCORE_TEST_DATA "/../../structures/"

typedef struct out {
    char *text;
    size_t len;
    int status;
} out;

/* Run a shell command line, capture stdout, return its exit status. */
static out sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    out o = {malloc(1), 0, -1};
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        o.text = realloc(o.text, o.len + n + 1);
        memcpy(o.text + o.len, buf, n);
        o.len += n;
    }
    o.text[o.len] = '\0';
    int st = pclose(p);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

/* Records output: one parsed object per line. */
static size_t lines(const out *o, cJSON **recs, size_t cap)
{
    size_t n = 0;
    char *s = o->text;
    while (*s && n < cap) {
        char *nl = strchr(s, '\n');
        assert_non_null(nl);
        *nl = '\0';
        recs[n] = cJSON_Parse(s);
        assert_non_null(recs[n]);
        *nl = '\n';
        n++;
        s = nl + 1;
    }
    return n;
}

static void free_lines(cJSON **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(recs[i]);
}


static const cJSON *find(cJSON **recs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(str(recs[i], "id"), id))
            return recs[i];
    fail_msg("no record %s", id);
    return NULL;
}

static void validate_structures(void **st)
{
    (void)st;
    out o = sh("%s validate -q -j 2 --records - %s", MMSCORE_CLI, STRUCTURES);
    assert_int_equal(o.status, 0);
    cJSON *r[64];
    size_t n = lines(&o, r, 64);
    assert_int_equal(n, 22); /* every file of structures/ but README.md */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(num(r[i], "index"), (double)i);
        assert_string_equal(str(r[i], "set"), "input");
    }
    const cJSON *bad = find(r, n, "broken_TiO2");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(bad, "ok")));
    const cJSON *e = cJSON_GetObjectItem(bad, "error");
    assert_string_equal(str(e, "code"), "parse");
    assert_true(num(e, "line") > 0);
    assert_non_null(strstr(str(e, "message"), "malformed.cif"));
    const cJSON *li2o = find(r, n, "22402-ICSD"); /* symmetry expansion */
    assert_int_equal(num(li2o, "n_sites"), 12);
    assert_string_equal(str(li2o, "formula"), "Li2O");
    const cJSON *dis = find(r, n, "Ge2Sb2Te5_(Fm3m)");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(dis, "disordered")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(dis, "counts")));
    const cJSON *txt = find(r, n, "llama2_7b_0010"); /* crystal-text-llm text */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(txt, "ok")));
    assert_int_equal(num(txt, "n_sites"), 4);
    const cJSON *lat = cJSON_GetObjectItem(find(r, n, "Ti2MnNi"), "lattice");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(lat, "matrix")), 3);
    free_lines(r, n);
    free(o.text);

    /* stderr is a pipe here: no progress line. */
    o = sh("%s validate -j 1 %s 2>&1 >/dev/null", MMSCORE_CLI, STRUCTURES);
    assert_int_equal(o.status, 0);
    assert_null(strstr(o.text, "records\r"));
    assert_null(strchr(o.text, '\r'));
    free(o.text);

    /* On a terminal (util-linux `script` gives one) the progress line shows. */
    o = sh("command -v script >/dev/null && script -qec '%s validate -j 1 %s' /dev/null",
           MMSCORE_CLI, STRUCTURES);
    if (o.status == 0)
        assert_non_null(strstr(o.text, "\r\033[Kmmscore: 22 records"));
    free(o.text);

    o = sh("%s validate --json %s", MMSCORE_CLI, STRUCTURES);
    assert_int_equal(o.status, 0);
    cJSON *s = cJSON_Parse(o.text);
    assert_non_null(s);
    assert_int_equal(num(s, "records"), 22);
    assert_int_equal(num(s, "read"), 21);
    assert_int_equal(num(cJSON_GetObjectItem(s, "failed"), "parse"), 1);
    const cJSON *ex = cJSON_GetObjectItem(s, "failed_examples");
    assert_int_equal(cJSON_GetArraySize(ex), 1);
    assert_non_null(strstr(ex->child->valuestring, "malformed.cif"));
    cJSON_Delete(s);
    free(o.text);
}

static void threads_identical(void **st)
{
    (void)st;
    const char *inputs = STRUCTURES " " DATA "perov_5_test_head.csv " DATA "bad.csv " DATA
                                    "bad.jsonl";
    out a = sh("%s validate -q -j 1 --records - %s", MMSCORE_CLI, inputs);
    out b = sh("%s validate -q -j 2 --records - %s", MMSCORE_CLI, inputs);
    assert_int_equal(a.status, 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    free(a.text);
    free(b.text);
}

static void malformed_inputs(void **st)
{
    (void)st;
    out o = sh("%s validate -q --max-record-bytes 1000 --records - %sbad.csv %sbad.jsonl",
               MMSCORE_CLI, DATA, DATA);
    assert_int_equal(o.status, 0);
    cJSON *r[32];
    size_t n = lines(&o, r, 32);
    /* bad.csv: 4 rows; bad.jsonl: 7 non-blank lines.  Every one a record. */
    assert_int_equal(n, 11);
    assert_string_equal(str(r[0], "id"), "3961");
    assert_string_equal(str(cJSON_GetObjectItem(r[1], "error"), "code"), "parse"); /* short row */
    assert_non_null(strstr(str(cJSON_GetObjectItem(r[1], "error"), "message"), "expected 4 columns"));
    assert_int_equal(num(r[2], "index"), 2);
    assert_string_equal(str(cJSON_GetObjectItem(r[3], "error"), "code"), "parse");
    assert_non_null(strstr(str(cJSON_GetObjectItem(r[3], "error"), "message"), "unterminated"));
    assert_string_equal(str(r[4], "id"), "fields-only"); /* validate needs a structure */
    assert_string_equal(str(cJSON_GetObjectItem(r[4], "error"), "code"), "parse");
    assert_non_null(
        strstr(str(cJSON_GetObjectItem(r[4], "error"), "message"), "no structure field"));
    assert_string_equal(str(cJSON_GetObjectItem(r[5], "error"), "code"), "parse"); /* [1,2,3] */
    assert_int_equal(num(r[5], "line"), 3);
    assert_string_equal(str(r[7], "id"), "txt");
    assert_int_equal(num(r[7], "n_sites"), 2);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r[8], "ok"))); /* bad-cif */
    assert_string_equal(str(cJSON_GetObjectItem(r[10], "error"), "code"), "limit");
    free_lines(r, n);
    free(o.text);

    /* Atoms limit after symmetry expansion. */
    o = sh("%s validate -q --max-atoms 4 --records - %spymatgen_Li2O.cif", MMSCORE_CLI,
           STRUCTURES);
    assert_int_equal(o.status, 0);
    n = lines(&o, r, 32);
    assert_int_equal(n, 1);
    assert_string_equal(str(cJSON_GetObjectItem(r[0], "error"), "code"), "limit");
    free_lines(r, n);
    free(o.text);
}

static void stdin_sniffing(void **st)
{
    (void)st;
    const char *files[] = {"perov_5_test_head.csv", "bad.jsonl"};
    const size_t expect[] = {5, 7};
    for (int i = 0; i < 2; i++) {
        out o = sh("%s validate -q --records - - < %s%s", MMSCORE_CLI, DATA, files[i]);
        assert_int_equal(o.status, 0);
        cJSON *r[32] = {0};
        size_t n = lines(&o, r, 32);
        assert_int_equal(n, expect[i]);
        assert_string_equal(str(r[0], "source"), "-");
        free_lines(r, n);
        free(o.text);
    }
    out o = sh("%s validate -q --records - - < %spymatgen_si.cif", MMSCORE_CLI, STRUCTURES);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.text, "\"id\":\"Si\""));
    free(o.text);
}

static void exit_codes(void **st)
{
    (void)st;
    struct {
        const char *args;
        int status;
    } cases[] = {
        {"validate /nonexistent.cif", 1},
        {"validate", 2},
        {"validate --no-such-flag 1 " STRUCTURES, 2},
        {"bogus", 2},
        {"", 2},
        {"--help", 0},
        {"validate --help", 0},
        {"eval " STRUCTURES, 2},
        {"validate -j 0 " STRUCTURES, 2},
        {"validate --max-atoms x " STRUCTURES, 2},
        {"run " STRUCTURES, 2},
        {"run --plugins no_such_plugin " STRUCTURES, 2},
        {"qa fish x.jsonl", 2},
        {"validate --config /nonexistent.json " STRUCTURES, 2},
        {"plugins", 0},
        {"merge /nonexistent.state", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        out o = sh("%s %s >/dev/null 2>&1", MMSCORE_CLI, cases[i].args);
        if (o.status != cases[i].status)
            fail_msg("mmscore %s: exit %d, expected %d", cases[i].args, o.status, cases[i].status);
        free(o.text);
    }
}

static void plugin_options(void **st)
{
    (void)st;
    out o = sh("%s run --plugin-dir %s --plugins tp_after --scale 2.5 -q --records - %spymatgen_si.cif",
               MMSCORE_CLI, TP_GOOD, STRUCTURES);
    assert_int_equal(o.status, 0);
    cJSON *r = cJSON_Parse(o.text);
    assert_true(num(r, "tp_nsites") == 5.0); /* 2 sites x 2.5 */
    assert_true(num(r, "tp_double") == 10.0);
    cJSON_Delete(r);
    free(o.text);
    /* Type errors are usage errors naming the flag; bare bool flags work. */
    o = sh("%s validate --plugin-dir %s --scale abc %s 2>&1", MMSCORE_CLI, TP_GOOD, STRUCTURES);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "--scale"));
    free(o.text);
    o = sh("%s validate --plugin-dir %s --refuse -q %s 2>&1", MMSCORE_CLI, TP_GOOD, STRUCTURES);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.text, "refused by option"));
    free(o.text);
    char cfg[64];
    snprintf(cfg, sizeof cfg, "/tmp/mms_cli_cfg_%d.json", (int)getpid());
    FILE *f = fopen(cfg, "w");
    fputs("{\"tp_count\": {\"scale\": \"big\"}}", f);
    fclose(f);
    o = sh("%s validate --plugin-dir %s --config %s %s 2>&1", MMSCORE_CLI, TP_GOOD, cfg,
           STRUCTURES);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "expected a number"));
    free(o.text);
    f = fopen(cfg, "w");
    fputs("{\"tp_count\": {\"scale\": 3}}", f);
    fclose(f);
    /* Config then flags: the flag wins. */
    o = sh("%s run --plugin-dir %s --plugins tp_count --config %s --scale 4 -q --records - %spymatgen_si.cif",
           MMSCORE_CLI, TP_GOOD, cfg, STRUCTURES);
    r = cJSON_Parse(o.text);
    assert_true(num(r, "tp_nsites") == 8.0);
    cJSON_Delete(r);
    free(o.text);
    remove(cfg);
}

static void discovery(void **st)
{
    (void)st;
    /* MMSCORE_PLUGIN_PATH is searched; refused plugins are listed with why. */
    out o = sh("MMSCORE_PLUGIN_PATH=/nonexistent:%s %s plugins --plugin-dir %s", TP_GOOD,
               MMSCORE_CLI, TP_BAD);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.text, "tp_count 1.0 (scorer, ABI 1)"));
    assert_non_null(strstr(o.text, "--scale"));
    assert_non_null(strstr(o.text, "bad_abi.so: ABI version 2, this mmscore speaks 1"));
    assert_non_null(strstr(o.text, "bad_size.so: descriptor of"));
    free(o.text);
    o = sh("%s plugins --json --plugin-dir %s", MMSCORE_CLI, TP_GOOD);
    assert_int_equal(o.status, 0);
    cJSON *j = cJSON_Parse(o.text);
    assert_non_null(j);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "plugins"), 0);
    assert_string_equal(str(first, "name"), "tp_after"); /* --plugin-dir comes first */
    assert_string_equal(str(first, "requires"), "tp_count");
    cJSON_Delete(j);
    free(o.text);
    /* Refused plugins warn on stderr; the run still completes. */
    o = sh("%s validate --plugin-dir %s -j 1 %spymatgen_si.cif 2>&1 >/dev/null", MMSCORE_CLI,
           TP_BAD, STRUCTURES);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.text, "warning: plugin not loaded"));
    free(o.text);
}

/* A part made with `flags` and reference `ref`, merged with s1: refused. */
static void merge_refused(const char *dir, const char *flags, const char *ref, const char *why)
{
    out o = sh("%s eval --plugin-dir %s --ref %s %s --save-state %s/sx -q %s && "
               "%s merge --plugin-dir %s -q %s/s1 %s/sx 2>&1",
               MMSCORE_CLI, TP_GOOD, ref, flags, dir, DATA "bad.csv", MMSCORE_CLI, TP_GOOD, dir,
               dir);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "s1 and "));
    assert_non_null(strstr(o.text, why));
    free(o.text);
}

static void eval_cache_and_merge(void **st)
{
    (void)st;
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/mms_cli_eval_%d", (int)getpid());
    out o = sh("mkdir -p %s && rm -f %s/*", dir, dir);
    free(o.text);
    const char *gen = DATA "perov_5_test_head.csv";
    const char *gen2 = DATA "bad.csv";
    const char *ref = STRUCTURES;
    out a = sh("%s eval --plugin-dir %s --ref %s --ref-cache %s/ref.state --json -q %s",
               MMSCORE_CLI, TP_GOOD, ref, dir, gen);
    assert_int_equal(a.status, 0);
    assert_int_equal(access(strcat(strcpy((char[128]){0}, dir), "/ref.state"), F_OK), 0);
    /* The same reference: the cache is used, silently, with the same numbers. */
    out b = sh("%s eval --plugin-dir %s --ref %s --ref-cache %s/ref.state --json -q %s "
               "2>%s/err.txt",
               MMSCORE_CLI, TP_GOOD, ref, dir, gen, dir);
    assert_int_equal(b.status, 0);
    out e = sh("cat %s/err.txt", dir);
    assert_null(strstr(e.text, "rebuilding"));
    free(e.text);
    cJSON *sa = cJSON_Parse(a.text), *sb = cJSON_Parse(b.text);
    const cJSON *pa = cJSON_GetObjectItem(cJSON_GetObjectItem(sa, "plugins"), "tp_count");
    const cJSON *pb = cJSON_GetObjectItem(cJSON_GetObjectItem(sb, "plugins"), "tp_count");
    assert_int_equal(num(pa, "tp_total"), 27); /* 22 reference + 5 generated */
    assert_true(num(pa, "tp_total") == num(pb, "tp_total"));
    assert_true(num(pa, "tp_sum") == num(pb, "tp_sum"));
    assert_int_equal(num(sb, "records"), 27);
    /* Another reference or other options: rebuilt and overwritten, with a notice. */
    o = sh("%s eval --plugin-dir %s --ref %s --ref-cache %s/ref.state --json -q %s 2>%s/err.txt",
           MMSCORE_CLI, TP_GOOD, gen2, dir, gen, dir);
    assert_int_equal(o.status, 0);
    e = sh("cat %s/err.txt", dir);
    assert_non_null(strstr(e.text, "rebuilding --ref-cache"));
    assert_non_null(strstr(e.text, "reference set was made from other inputs"));
    free(e.text);
    cJSON *sc = cJSON_Parse(o.text);
    assert_true(num(sc, "records") != 27);
    cJSON_Delete(sc);
    free(o.text);
    o = sh("%s eval --plugin-dir %s --ref %s --ref-cache %s/ref.state --scale 2 --json -q %s "
           "2>%s/err.txt",
           MMSCORE_CLI, TP_GOOD, gen2, dir, gen, dir);
    assert_int_equal(o.status, 0);
    free(o.text);
    e = sh("cat %s/err.txt", dir);
    assert_non_null(strstr(e.text, "option tp_count.scale: 2 here, 1 in the state"));
    free(e.text);

    /* Parts saved and merged: the reference they share counts once. */
    o = sh("%s eval --plugin-dir %s --ref %s --save-state %s/s1 -q %s && "
           "%s eval --plugin-dir %s --ref %s --save-state %s/s2 -q %s && "
           "%s merge --plugin-dir %s --json -q %s/s1 %s/s2",
           MMSCORE_CLI, TP_GOOD, ref, dir, gen, MMSCORE_CLI, TP_GOOD, ref, dir, gen2, MMSCORE_CLI,
           TP_GOOD, dir, dir);
    assert_int_equal(o.status, 0);
    cJSON *sm = cJSON_Parse(o.text);
    assert_non_null(sm);
    out g2 = sh("%s eval --plugin-dir %s --ref %s --json -q %s %s", MMSCORE_CLI, TP_GOOD, ref,
                gen, gen2);
    cJSON *s12 = cJSON_Parse(g2.text);
    const cJSON *pm = cJSON_GetObjectItem(cJSON_GetObjectItem(sm, "plugins"), "tp_count");
    const cJSON *p12 = cJSON_GetObjectItem(cJSON_GetObjectItem(s12, "plugins"), "tp_count");
    assert_true(num(pm, "tp_total") == num(p12, "tp_total"));
    assert_true(num(pm, "tp_sum") == num(p12, "tp_sum"));
    assert_true(num(sm, "records") == num(s12, "records"));
    assert_int_equal(num(cJSON_GetObjectItem(cJSON_GetObjectItem(sm, "sets"), "reference"),
                         "records"), 22);
    cJSON_Delete(sm);
    cJSON_Delete(s12);
    free(g2.text);
    free(o.text);
    /* One part twice, parts with other options or another reference: exit 2 naming both. */
    o = sh("%s merge --plugin-dir %s -q %s/s1 %s/s1 2>&1", MMSCORE_CLI, TP_GOOD, dir, dir);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "counted twice"));
    free(o.text);
    merge_refused(dir, "--scale 3", ref, "differ in plugins_info.tp_count.options.scale: 1 vs 3");
    merge_refused(dir, "", gen2, "differ in shared.inputs(digest).reference");
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    free(a.text);
    free(b.text);
    o = sh("rm -rf %s", dir);
    free(o.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validate_structures), cmocka_unit_test(threads_identical),
        cmocka_unit_test(malformed_inputs),    cmocka_unit_test(stdin_sniffing),
        cmocka_unit_test(exit_codes),          cmocka_unit_test(plugin_options),
        cmocka_unit_test(discovery),           cmocka_unit_test(eval_cache_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
