/* Plugin fault isolation end to end, through the built mmscore: a scorer
 * that segfaults (aborts, exits, overflows its stack) on one record of 200
 * and one that loops forever on another, both loaded with --plugin-dir; the
 * same output isolated and in-process; the in-process crash note; a plugin
 * whose constructor crashes at load. */
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

#define N_RECORDS 200
#define STRUCTURES MMSCORE_TEST_DATA "/../../structures/"

static char dir[64];
static char input[128];

/* Run a shell command line; returns the shell's exit status (128 + signal
 * when the last command died of one), -1 if it could not run. */
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    if (st == -1)
        return -1;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + got + 1 > cap) {
            cap = 2 * (n + got + 1);
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + n, chunk, got);
        n += got;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Every line of a records file, each a complete JSON object. */
static size_t read_records(const char *path, cJSON **recs, size_t cap)
{
    char *text = slurp(path, NULL);
    size_t n = 0;
    char *s = text;
    while (*s) {
        char *nl = strchr(s, '\n');
        assert_non_null(nl); /* never a half-written last line */
        *nl = '\0';
        assert_true(n < cap);
        recs[n] = cJSON_Parse(s);
        assert_non_null(recs[n]);
        n++;
        s = nl + 1;
    }
    free(text);
    return n;
}

static void free_records(cJSON **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(recs[i]);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/mms_isolation_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(input, sizeof input, "%s/in.jsonl", dir);
    FILE *f = fopen(input, "w");
    assert_non_null(f);
    for (int i = 0; i < N_RECORDS; i++)
        fprintf(f, "{\"id\": \"r%03d\", \"x\": %d}\n", i, i);
    fclose(f);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    sh("rm -rf '%s'", dir);
    return 0;
}

static const cJSON *get(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItem(o, path1);
    return path2 ? cJSON_GetObjectItem(v, path2) : v;
}

/* The values faulty.c gives a record that it did not misbehave on. */
static void check_values(const cJSON *r, const char *plugin, size_t index)
{
    char k[64];
    snprintf(k, sizeof k, "%s_len", plugin);
    assert_int_equal(num(r, k), 4);
    snprintf(k, sizeof k, "%s_x", plugin);
    /* Bit for bit: the worker sends shortest round-trip digits. */
    assert_true(num(r, k) == 0.1 * (double)index + 1.0 / 3.0);
}

/* The Done-when case: 200 records, one crash, one hang. */
static void crash_and_hang(void **st)
{
    (void)st;
    char recs[192], sum[192];
    snprintf(recs, sizeof recs, "%s/crash_hang.jsonl", dir);
    snprintf(sum, sizeof sum, "%s/crash_hang.json", dir);
    int rc = sh("%s run -q -j 2 --plugin-dir %s --plugins crashy,loopy --record-timeout 5 "
                "--records %s --json %s > %s",
                MMSCORE_CLI, ISO_FAULTY, recs, input, sum);
    assert_int_equal(rc, 0);
    cJSON *r[N_RECORDS + 1];
    size_t n = read_records(recs, r, N_RECORDS + 1);
    assert_int_equal(n, N_RECORDS);
    size_t crashy_ok = 0, loopy_ok = 0;
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "r%03zu", i);
        assert_string_equal(str(r[i], "id"), id);
        assert_true(cJSON_IsTrue(get(r[i], "ok", NULL)));
        const cJSON *pe = get(r[i], "plugin_errors", NULL);
        if (i == 123) {
            const cJSON *e = get(pe, "crashy", NULL);
            assert_non_null(e);
            assert_string_equal(str(e, "code"), "plugin");
            assert_non_null(strstr(str(e, "message"), "plugin crashy crashed"));
            assert_non_null(strstr(str(e, "message"), "signal 11"));
            assert_null(get(r[i], "crashy_x", NULL));
        } else {
            check_values(r[i], "crashy", i);
            crashy_ok++;
        }
        if (i == 77) {
            const cJSON *e = get(pe, "loopy", NULL);
            assert_non_null(e);
            assert_non_null(strstr(str(e, "message"), "plugin loopy timed out"));
            assert_null(get(r[i], "loopy_x", NULL));
        } else {
            check_values(r[i], "loopy", i);
            loopy_ok++;
        }
        if (i != 123 && i != 77)
            assert_null(pe);
    }
    assert_int_equal(crashy_ok, N_RECORDS - 1);
    assert_int_equal(loopy_ok, N_RECORDS - 1);
    free_records(r, n);

    char *text = slurp(sum, NULL);
    cJSON *s = cJSON_Parse(text);
    free(text);
    assert_non_null(s);
    assert_int_equal(num(s, "records"), N_RECORDS);
    assert_int_equal(num(get(s, "plugin_errors", NULL), "crashy"), 1);
    assert_int_equal(num(get(s, "plugin_errors", NULL), "loopy"), 1);
    assert_int_equal(num(get(s, "plugin_faults", "crashy"), "crashed"), 1);
    assert_int_equal(num(get(s, "plugin_faults", "crashy"), "timed_out"), 0);
    assert_int_equal(num(get(s, "plugin_faults", "loopy"), "timed_out"), 1);
    assert_int_equal(num(get(s, "plugin_faults", "loopy"), "crashed"), 0);
    assert_int_equal(cJSON_GetArraySize(get(s, "plugins_isolated", NULL)), 2);
    /* The accumulators stay in mmscore itself and see every record. */
    assert_int_equal(num(get(s, "plugins", "crashy"), "crashy_n"), N_RECORDS);
    cJSON_Delete(s);

    /* The table says it too. */
    rc = sh("%s run -j 2 --plugin-dir %s --plugins crashy --records /dev/null %s > %s",
            MMSCORE_CLI, ISO_FAULTY, input, sum);
    assert_int_equal(rc, 0);
    text = slurp(sum, NULL);
    assert_non_null(strstr(text, "plugin crashy"));
    assert_non_null(strstr(text, "crashed on 1, timed out on 0 records"));
    free(text);
}

/* Other ways to die: each costs its record only. */
static void crash_kinds(void **st)
{
    (void)st;
    static const struct {
        const char *how, *says;
    } kinds[] = {{"abort", "signal 6"}, {"exit", "exited with status 3"}, {"stack", "signal 11"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char recs[192];
        snprintf(recs, sizeof recs, "%s/kind_%s.jsonl", dir, kinds[k].how);
        int rc = sh("%s run -q -j 1 --plugin-dir %s --plugins crashy --crash-how %s "
                    "--fault-on r005 --records %s %s",
                    MMSCORE_CLI, ISO_FAULTY, kinds[k].how, recs, input);
        assert_int_equal(rc, 0);
        cJSON *r[N_RECORDS + 1];
        size_t n = read_records(recs, r, N_RECORDS + 1);
        assert_int_equal(n, N_RECORDS);
        for (size_t i = 0; i < n; i++) {
            if (i == 5) {
                const char *m = str(get(r[i], "plugin_errors", "crashy"), "message");
                if (!strstr(m, kinds[k].says))
                    fail_msg("%s: expected \"%s\" in \"%s\"", kinds[k].how, kinds[k].says, m);
            } else {
                check_values(r[i], "crashy", i);
            }
        }
        free_records(r, n);
    }
}

/* Isolation changes where a plugin runs, never what it says: the built-in
 * plugins give the same records file both ways, byte for byte. */
static void same_output(void **st)
{
    (void)st;
    char a[192], b[192], c[192];
    snprintf(a, sizeof a, "%s/inproc.jsonl", dir);
    snprintf(b, sizeof b, "%s/isolated.jsonl", dir);
    snprintf(c, sizeof c, "%s/isolated_j1.jsonl", dir);
    assert_int_equal(sh("%s validate -q -j 2 --no-isolate --records %s %s", MMSCORE_CLI, a,
                        STRUCTURES), 0);
    assert_int_equal(sh("%s validate -q -j 2 --isolate --records %s %s", MMSCORE_CLI, b,
                        STRUCTURES), 0);
    assert_int_equal(sh("%s validate -q -j 1 --isolate --records %s %s", MMSCORE_CLI, c,
                        STRUCTURES), 0);
    size_t la, lb, lc;
    char *ta = slurp(a, &la), *tb = slurp(b, &lb), *tc = slurp(c, &lc);
    assert_true(la > 1000);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    assert_int_equal(la, lc);
    assert_memory_equal(ta, tc, la);
    free(ta);
    free(tb);
    free(tc);
    /* Out-of-tree plugins in-process, no fault: the same as isolated. */
    assert_int_equal(sh("%s run -q --no-isolate --plugin-dir %s --plugins crashy,loopy "
                        "--fault-on none --records %s %s",
                        MMSCORE_CLI, ISO_FAULTY, a, input), 0);
    assert_int_equal(sh("%s run -q --plugin-dir %s --plugins crashy,loopy --fault-on none "
                        "--records %s %s",
                        MMSCORE_CLI, ISO_FAULTY, b, input), 0);
    ta = slurp(a, &la);
    tb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    free(ta);
    free(tb);
    /* A timeout with nothing isolated would do nothing: the summary says so. */
    assert_int_equal(sh("%s validate -q --record-timeout 3 --json %s > %s", MMSCORE_CLI,
                        STRUCTURES, a), 0);
    ta = slurp(a, NULL);
    assert_non_null(strstr(ta, "--record-timeout applies to isolated scorers"));
    free(ta);
}

/* In-process, a crash ends the run, but it says which plugin and record,
 * and the records file holds only complete lines. */
static void in_process_note(void **st)
{
    (void)st;
    char recs[192], err[192];
    snprintf(recs, sizeof recs, "%s/inproc_crash.jsonl", dir);
    snprintf(err, sizeof err, "%s/inproc_crash.err", dir);
    /* One record per batch is not a flag: 600 records make three batches. */
    char big[192];
    snprintf(big, sizeof big, "%s/big.jsonl", dir);
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    for (int i = 0; i < 600; i++)
        fprintf(f, "{\"id\": \"r%03d\"}\n", i);
    fclose(f);
    int rc = sh("%s run -q -j 2 --no-isolate --plugin-dir %s --plugins crashy --fault-on r400 "
                "--records %s %s 2> %s",
                MMSCORE_CLI, ISO_FAULTY, recs, big, err);
    assert_true(rc != 0);
    char *text = slurp(err, NULL);
    if (!strstr(text, "in plugin crashy while scoring record r400 ("))
        fail_msg("no note naming the plugin and record in: %s", text);
    free(text);
    cJSON *r[601];
    size_t n = read_records(recs, r, 601);
    assert_int_equal(n, 256); /* the first batch, flushed before the crash */
    free_records(r, n);
}

/* A constructor that crashes at dlopen: named, and mmscore goes on. */
static void crash_at_load(void **st)
{
    (void)st;
    char out[192];
    snprintf(out, sizeof out, "%s/plugins.txt", dir);
    assert_int_equal(sh("%s plugins --plugin-dir %s > %s 2>&1", MMSCORE_CLI, ISO_BADLOAD, out),
                     0);
    char *text = slurp(out, NULL);
    if (!strstr(text, "ctor_crash.so: crashed while being loaded (signal 11"))
        fail_msg("the plugin file is not named in: %s", text);
    free(text);
    assert_int_equal(sh("%s validate -j 2 --plugin-dir %s %s > %s 2>&1", MMSCORE_CLI,
                        ISO_BADLOAD, STRUCTURES, out),
                     0);
    text = slurp(out, NULL);
    assert_non_null(strstr(text, "warning: plugin not loaded: "));
    assert_non_null(strstr(text, "ctor_crash.so: crashed while being loaded"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_and_hang), cmocka_unit_test(crash_kinds),
        cmocka_unit_test(same_output),    cmocka_unit_test(in_process_note),
        cmocka_unit_test(crash_at_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
