/* Core pipeline: values API, plugin loading and refusal, options, inputs
 * (CSV, JSONL, CIF streams) with every record accounted for, thread-count
 * independence, plugin errors, saved states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json_view.h"

#include "mmscore/host.h"

#define CIF(name, a)                                                                              \
    "data_" name "\n_cell_length_a " a "\n_cell_length_b " a "\n_cell_length_c " a                \
    "\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"                         \
    "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"     \
    "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"          \
    "Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n"

/* ---------------------------------------------------------------- values */

static void values_api(void **st)
{
    (void)st;
    mms_values *v = mms_values_new();
    assert_non_null(v);
    assert_int_equal(mms_values_set_number(v, "x", 1.5), MMS_OK);
    assert_int_equal(mms_values_set_int(v, "n", 7), MMS_OK);
    assert_int_equal(mms_values_set_bool(v, "b", 1), MMS_OK);
    assert_int_equal(mms_values_set_string(v, "s", "hi"), MMS_OK);
    assert_int_equal(mms_values_set_null(v, "z"), MMS_OK);
    double arr[3] = {1, 2, 3};
    assert_int_equal(mms_values_set_numbers(v, "a", arr, 3), MMS_OK);
    /* Replacing keeps the position. */
    assert_int_equal(mms_values_set_number(v, "x", 2.5), MMS_OK);
    assert_string_equal(mms_values_json(v)->child->string, "x");
    double d;
    int b;
    assert_int_equal(mms_values_get_number(v, "x", &d), MMS_OK);
    assert_true(d == 2.5);
    assert_int_equal(mms_values_get_number(v, "b", &d), MMS_OK); /* bool as 0/1 */
    assert_true(d == 1.0);
    assert_int_equal(mms_values_get_bool(v, "b", &b), MMS_OK);
    assert_int_equal(b, 1);
    assert_int_equal(mms_values_get_bool(v, "n", &b), MMS_EINVAL);
    assert_int_equal(mms_values_get_number(v, "s", &d), MMS_EINVAL);
    assert_int_equal(mms_values_get_number(v, "missing", &d), MMS_ENOTFOUND);
    double out[2];
    size_t n = 0;
    assert_int_equal(mms_values_get_numbers(v, "a", out, 2, &n), MMS_OK);
    assert_int_equal(n, 3); /* length reported even beyond cap */
    assert_true(out[0] == 1 && out[1] == 2);
    assert_int_equal(mms_values_get_numbers(v, "s", out, 2, &n), MMS_EINVAL);
    /* Non-finite numbers cannot be JSON: they become null. */
    assert_int_equal(mms_values_set_number(v, "nan", 0.0 / 0.0), MMS_OK);
    assert_true(cJSON_IsNull(mms_values_get(v, "nan")));
    assert_int_equal(mms_values_error(v), MMS_OK);
    assert_int_equal(mms_values_set_json(v, "", cJSON_CreateTrue()), MMS_EINVAL);
    assert_string_equal(mms_values_get(v, "s")->valuestring, "hi");
    /* The first failure sticks: later successes do not clear it. */
    assert_int_equal(mms_values_error(v), MMS_EINVAL);
    assert_int_equal(mms_values_set_int(v, "later", 1), MMS_OK);
    assert_int_equal(mms_values_error(v), MMS_EINVAL);
    assert_int_equal(mms_values_error(NULL), MMS_EINVAL);
    mms_values_free(v);
    v = mms_values_new();
    assert_non_null(v);
    assert_int_equal(mms_values_set_numbers(v, "a", NULL, 2), MMS_EINVAL);
    assert_int_equal(mms_values_error(v), MMS_EINVAL);
    mms_values_free(v);
}

/* Number arrays are kept as doubles until the JSON is read (values.c): every
 * way of reading must see what the JSON holds, in the same key order. */
static void values_packed_numbers(void **st)
{
    (void)st;
    mms_values *v = mms_values_new();
    assert_non_null(v);
    const double fp[4] = {1.25, 1.0 / 0.0, 0.0 / 0.0, -2};
    assert_int_equal(mms_values_set_numbers(v, "fp", fp, 4), MMS_OK);
    assert_int_equal(mms_values_set_numbers(v, "empty", NULL, 0), MMS_OK);
    assert_int_equal(mms_values_set_number(v, "after", 3), MMS_OK);
    double out[4];
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) { /* packed, then from the JSON */
        assert_int_equal(mms_values_get_numbers(v, "fp", out, 4, &n), MMS_OK);
        assert_int_equal(n, 4);
        assert_true(out[0] == 1.25 && isnan(out[1]) && isnan(out[2]) && out[3] == -2);
        assert_int_equal(mms_values_get_numbers(v, "empty", out, 4, &n), MMS_OK);
        assert_int_equal(n, 0);
        const cJSON *a = mms_values_get(v, "fp");
        assert_true(cJSON_IsArray(a));
        assert_int_equal(cJSON_GetArraySize(a), 4);
        assert_true(cJSON_GetArrayItem(a, 0)->valuedouble == 1.25);
        assert_true(cJSON_IsNull(cJSON_GetArrayItem(a, 1)) && cJSON_IsNull(cJSON_GetArrayItem(a, 2)));
        assert_true(cJSON_GetArrayItem(a, 3)->valuedouble == -2);
    }
    /* replacing a packed array keeps its place, by numbers or by a number */
    const double two[2] = {5, 6};
    assert_int_equal(mms_values_set_numbers(v, "fp", two, 2), MMS_OK);
    assert_int_equal(mms_values_get_numbers(v, "fp", out, 4, &n), MMS_OK);
    assert_true(n == 2 && out[0] == 5 && out[1] == 6);
    const cJSON *o = mms_values_json(v);
    assert_string_equal(o->child->string, "fp");
    assert_int_equal(cJSON_GetArraySize(o->child), 2);
    assert_string_equal(o->child->next->string, "empty");
    assert_string_equal(o->child->next->next->string, "after");
    assert_int_equal(mms_values_set_numbers(v, "fp", fp, 1), MMS_OK);
    assert_int_equal(mms_values_set_number(v, "fp", 7), MMS_OK);
    double d;
    assert_int_equal(mms_values_get_number(v, "fp", &d), MMS_OK);
    assert_true(d == 7);
    assert_int_equal(mms_values_get_numbers(v, "fp", out, 4, &n), MMS_EINVAL);
    assert_int_equal(mms_values_set_numbers(v, "bad", NULL, 3), MMS_EINVAL);
    mms_values_free(v);
}

/* ----------------------------------------------------------------- host */

static mms_host *good_host(void)
{
    mms_host *h;
    assert_int_equal(mms_host_new(&h, NULL), MMS_OK);
    assert_int_equal(mms_host_load_dir(h, TP_GOOD, NULL), MMS_OK);
    assert_int_equal(mms_host_plugin_count(h), 2);
    return h;
}

static void host_loads_good(void **st)
{
    (void)st;
    mms_host *h = good_host();
    const char *path;
    assert_string_equal(mms_host_plugin(h, 0, &path)->name, "tp_after"); /* name order */
    assert_non_null(strstr(path, "tp_after.so"));
    assert_non_null(mms_host_find(h, "tp_count"));
    assert_null(mms_host_find(h, "nope"));
    assert_int_equal(mms_host_failure_count(h), 0);
    mms_host_free(h);
}

static void host_refuses_bad(void **st)
{
    (void)st;
    mms_host *h;
    assert_int_equal(mms_host_new(&h, NULL), MMS_OK);
    assert_int_equal(mms_host_load_dir(h, TP_BAD, NULL), MMS_OK); /* not fatal */
    assert_int_equal(mms_host_plugin_count(h), 0);
    assert_int_equal(mms_host_failure_count(h), 2);
    const char *path;
    const char *m0 = mms_host_failure(h, 0, &path);
    assert_non_null(strstr(path, "bad_abi.so"));
    assert_non_null(strstr(m0, "bad_abi.so: ABI version 2, this mmscore speaks 1"));
    const char *m1 = mms_host_failure(h, 1, NULL);
    /* A plugin built against a newer plugin.h says so, with both sizes. */
    assert_non_null(strstr(m1, "bad_size.so: descriptor of"));
    assert_non_null(strstr(m1, "is newer than this mmscore's"));
    assert_non_null(strstr(m1, "upgrade mmscore"));
    mms_error e;
    assert_int_equal(mms_host_load_file(h, TP_BAD "/bad_abi.so", &e), MMS_EABI);
    assert_int_equal(mms_host_load_file(h, TP_BAD "/nonexistent.so", &e), MMS_EPLUGIN);
    assert_non_null(strstr(e.message, "nonexistent.so"));
    assert_int_equal(mms_host_load_dir(h, TP_BAD "/nonexistent", &e), MMS_EIO);
    mms_host_free(h);
}

static void host_duplicates(void **st)
{
    (void)st;
    mms_host *h = good_host();
    assert_int_equal(mms_host_load_dir(h, TP_DUP, NULL), MMS_OK);
    assert_int_equal(mms_host_plugin_count(h), 2); /* first of a name wins */
    assert_int_equal(mms_host_failure_count(h), 2);
    assert_non_null(strstr(mms_host_failure(h, 0, NULL), "tp_nsites\" is already produced by"));
    assert_non_null(strstr(mms_host_failure(h, 1, NULL), "tp_count already loaded from"));
    const char *name;
    int dup;
    assert_int_equal(mms_host_failure_info(h, 0, &name, &dup), MMS_OK);
    assert_string_equal(name, "tp_dup_metric");
    assert_false(dup);
    assert_int_equal(mms_host_failure_info(h, 1, &name, &dup), MMS_OK);
    assert_string_equal(name, "tp_count");
    assert_true(dup);
    assert_int_equal(mms_host_failure_info(h, 2, NULL, NULL), MMS_ENOTFOUND);
    /* A duplicate does not stop a command (the first of the name runs); a
     * plugin asked for by name that failed to load does. */
    mms_pipeline *p;
    mms_error e;
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_command(p, "validate", &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "tp_dup_metric", &e), MMS_EPLUGIN);
    assert_non_null(strstr(e.message, "could not be loaded"));
    mms_pipeline_free(p);
    mms_host_free(h);
}

/* require_structures: a table without a structure column is refused (1),
 * read as fields-only records (0, the default), or refused unless a
 * selected scorer takes fields and no structures (2). */
static void require_structures(void **st)
{
    (void)st;
    mms_host *h = good_host();
    const char *csv = "id,note\na,x\n";
    for (int mode = 0; mode <= 2; mode++) {
        mms_pipeline_options o = MMS_PIPELINE_OPTIONS_INIT;
        o.threads = 1, o.require_structures = mode;
        mms_pipeline *p;
        mms_error e;
        assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_OK);
        assert_int_equal(mms_pipeline_select_command(p, "validate", &e), MMS_OK);
        assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
        int rc = mms_pipeline_add_buffer(p, "mem.csv", "csv", csv, strlen(csv), "input", &e);
        if (mode == 0) {
            assert_int_equal(rc, MMS_OK);
        } else { /* the test scorers take structures too */
            assert_int_equal(rc, MMS_EUNSUPPORTED);
            assert_non_null(strstr(e.message, "columns found: \"id\", \"note\""));
        }
        cJSON *sum;
        assert_int_equal(mms_pipeline_finish(p, &sum, &e), MMS_OK);
        assert_int_equal(cJSON_GetObjectItem(sum, "records")->valuedouble, mode == 0 ? 1 : 0);
        cJSON_Delete(sum);
        mms_pipeline_free(p);
    }
    mms_host_free(h);
}

static void options(void **st)
{
    (void)st;
    mms_host *h = good_host();
    const cJSON *c = mms_host_config(h, "tp_count");
    assert_true(cJSON_GetObjectItem(c, "scale")->valuedouble == 1.0);
    assert_string_equal(cJSON_GetObjectItem(c, "label")->valuestring, "x");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(c, "refuse")));
    assert_int_equal(cJSON_GetObjectItem(c, "n_max")->valueint, 3);
    mms_error e;
    assert_int_equal(mms_host_set_option(h, "scale", "2.5", &e), MMS_OK);
    assert_true(cJSON_GetObjectItem(c, "scale")->valuedouble == 2.5);
    assert_int_equal(mms_host_set_option(h, "n-max", "x", &e), MMS_EINVAL); /* dashes ok */
    assert_non_null(strstr(e.message, "expected an integer"));
    assert_int_equal(mms_host_set_option(h, "n_max", "4.5", &e), MMS_EINVAL);
    assert_int_equal(mms_host_set_option(h, "refuse", "maybe", &e), MMS_EINVAL);
    assert_int_equal(mms_host_set_option(h, "scale", "1e", &e), MMS_EINVAL);
    assert_int_equal(mms_host_set_option(h, "nope", "1", &e), MMS_ENOTFOUND);
    assert_int_equal(mms_host_option_type(h, "refuse"), MMS_OPT_BOOL);
    assert_int_equal(mms_host_option_type(h, "nope"), 0);
    cJSON *cfg = cJSON_Parse("{\"tp_count\": {\"n_max\": 9, \"label\": \"y\"}}");
    assert_int_equal(mms_host_apply_config(h, cfg, &e), MMS_OK);
    assert_int_equal(cJSON_GetObjectItem(c, "n_max")->valueint, 9);
    cJSON_Delete(cfg);
    const char *bad[] = {"{\"tp_count\": {\"n_max\": 1.5}}", "{\"tp_count\": {\"label\": 3}}",
                         "{\"tp_count\": {\"refuse\": 1}}", "{\"nobody\": {}}",
                         "{\"tp_count\": {\"nope\": 1}}", "[1]", "{\"tp_count\": 3}"};
    const int codes[] = {MMS_EINVAL, MMS_EINVAL, MMS_EINVAL, MMS_ENOTFOUND, MMS_ENOTFOUND,
                         MMS_EPARSE, MMS_EPARSE};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cfg = cJSON_Parse(bad[i]);
        assert_int_equal(mms_host_apply_config(h, cfg, &e), codes[i]);
        cJSON_Delete(cfg);
    }
    assert_int_equal(mms_host_load_config(h, "/nonexistent/config.json", &e), MMS_EIO);
    mms_host_free(h);
}

/* ------------------------------------------------------------- pipelines */

typedef struct run {
    char *records;
    size_t len;
    cJSON *summary;
    cJSON **lines;
    size_t n;
} run;

static void run_free(run *r)
{
    free(r->records);
    cJSON_Delete(r->summary);
    for (size_t i = 0; i < r->n; i++)
        cJSON_Delete(r->lines[i]);
    free(r->lines);
}

/* Run the validate scorers of the test plugins over one buffer. */
static run run_buffer(mms_host *h, const char *kind, const char *text, int threads, size_t batch,
                      size_t max_record)
{
    run r = {0};
    FILE *f = open_memstream(&r.records, &r.len);
    assert_non_null(f);
    mms_pipeline_options o = {.version = MMS_PIPELINE_OPTIONS_VERSION, .threads = threads,
                              .batch = batch, .records = f,
                              .max_record_bytes = max_record};
    mms_pipeline *p;
    mms_error e;
    assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_command(p, "validate", &e), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
    assert_int_equal(mms_pipeline_add_buffer(p, "mem", kind, text, strlen(text), "input", &e),
                     MMS_OK);
    assert_int_equal(mms_pipeline_finish(p, &r.summary, &e), MMS_OK);
    mms_pipeline_free(p);
    fclose(f);
    for (char *s = r.records; s && *s;) {
        char *nl = strchr(s, '\n');
        assert_non_null(nl);
        *nl = '\0';
        r.lines = realloc(r.lines, (r.n + 1) * sizeof *r.lines);
        r.lines[r.n] = cJSON_Parse(s);
        assert_non_null(r.lines[r.n]);
        r.n++;
        *nl = '\n';
        s = nl + 1;
    }
    return r;
}


static const cJSON *err_of(const cJSON *rec)
{
    return cJSON_GetObjectItem(rec, "error");
}

/* A plugin built against an older plugin.h (revision-1 descriptor) loads,
 * reads as NULL the fields it never had, and runs. */
static void host_loads_older_descriptor(void **st)
{
    (void)st;
    mms_host *h = good_host();
    mms_error e;
    assert_int_equal(mms_host_load_file(h, TP_OLD "/tp_v1.so", &e), MMS_OK);
    const mms_plugin *d = mms_host_find(h, "tp_v1");
    assert_non_null(d);
    assert_int_equal(d->struct_size, MMS_PLUGIN_SIZE_V1);
    assert_true(MMS_PLUGIN_SIZE_V1 < sizeof(mms_plugin));
    assert_null(d->license);
    assert_null(d->url);
    assert_null(d->headline); /* revision 3: absent in older descriptors */
    assert_null(d->acc_report); /* revision 4 */
    assert_null(d->acc_new);
    run r = run_buffer(h, "cif", CIF("A", "5.64"), 2, 0, 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(num(r.lines[0], "tp_v1_sites"), 2);
    assert_int_equal(num(r.lines[0], "tp_nsites"), 2);
    run_free(&r);
    mms_host_free(h);
}

static void pipeline_options_version(void **st)
{
    (void)st;
    mms_host *h = good_host();
    mms_pipeline *p = NULL;
    mms_error e;
    mms_pipeline_options o = MMS_PIPELINE_OPTIONS_INIT;
    assert_int_equal(o.version, MMS_PIPELINE_OPTIONS_VERSION);
    assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_OK);
    mms_pipeline_free(p);
    o.version = 0; /* never initialised */
    assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_EINVAL);
    assert_non_null(strstr(e.message, "MMS_PIPELINE_OPTIONS_INIT"));
    o.version = MMS_PIPELINE_OPTIONS_VERSION + 1; /* a newer caller */
    assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_EINVAL);
    assert_int_equal(mms_pipeline_options_init(&o, MMS_PIPELINE_OPTIONS_VERSION + 1), MMS_EINVAL);
    o.threads = 7;
    assert_int_equal(mms_pipeline_options_init(&o, MMS_PIPELINE_OPTIONS_VERSION), MMS_OK);
    assert_int_equal(o.version, MMS_PIPELINE_OPTIONS_VERSION);
    assert_int_equal(o.threads, 0);
    mms_host_free(h);
}

static void csv_edge_cases(void **st)
{
    (void)st;
    mms_host *h = good_host();
    /* Header with pandas' empty first column, CRLF rows, a quoted multi-line
     * CIF, a "" escape, a short row, and a quote left open at the end. */
    const char *csv = ",material_id,cif,note\r\n"
                      "0,m-1,\"" CIF("A", "5.64") "\",\"say \"\"hi\"\"\"\r\n"
                      "1,m-2\r\n"
                      "\r\n"
                      "2,m-3,\"" CIF("B", "4.0") "\",plain\n"
                      "3,m-4,\"data_C\n_cell_length_a 1\n";
    run r = run_buffer(h, "csv", csv, 1, 0, 0);
    assert_int_equal(r.n, 4); /* the blank line is not a record */
    assert_string_equal(str(r.lines[0], "id"), "m-1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.lines[0], "ok")));
    assert_int_equal(num(r.lines[0], "n_sites"), 2);
    assert_int_equal(num(r.lines[0], "line"), 2);
    assert_string_equal(str(r.lines[1], "id"), "mem:row1");
    assert_string_equal(str(err_of(r.lines[1]), "code"), "parse");
    assert_non_null(strstr(str(err_of(r.lines[1]), "message"), "expected 4 columns"));
    assert_non_null(strstr(str(err_of(r.lines[1]), "message"), "mem:"));
    assert_int_equal(num(err_of(r.lines[1]), "line"), 20);
    assert_string_equal(str(r.lines[2], "id"), "m-3");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.lines[2], "ok")));
    assert_int_equal(num(r.lines[2], "index"), 2);
    assert_string_equal(str(err_of(r.lines[3]), "code"), "parse");
    assert_non_null(strstr(str(err_of(r.lines[3]), "message"), "unterminated"));
    assert_int_equal(num(r.lines[3], "line"), 40);
    assert_int_equal(num(r.summary, "records"), 4);
    assert_int_equal(num(r.summary, "read"), 2);
    assert_int_equal(num(cJSON_GetObjectItem(r.summary, "failed"), "parse"), 2);
    run_free(&r);

    /* A row of commas is capped by column count, not only by bytes. */
    char *commas = malloc(80000);
    memcpy(commas, "id,x\n", 5);
    memset(commas + 5, ',', 70000);
    strcpy(commas + 70005, "\nlast,1\n");
    r = run_buffer(h, "csv", commas, 1, 0, 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(str(err_of(r.lines[0]), "code"), "limit");
    assert_string_equal(str(r.lines[1], "id"), "last");
    run_free(&r);
    free(commas);

    /* The "" escape reaches the fields (seen through a fields-only CSV). */
    r = run_buffer(h, "csv", "id,note\nq1,\"say \"\"hi\"\"\"\n", 1, 0, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(str(r.lines[0], "id"), "q1");
    assert_int_equal(num(r.lines[0], "tp_nfields"), 2);
    run_free(&r);
    mms_host_free(h);
}

static void jsonl_edge_cases(void **st)
{
    (void)st;
    mms_host *h = good_host();
    char huge[600];
    memset(huge, 'x', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    char *text = malloc(2000);
    snprintf(text, 2000,
             "{\"id\": \"a\", \"q\": 1}\n"
             "\n   \n"
             "[1, 2]\n"
             "{\"id\": \"big\", \"s\": \"%s\"}\n"
             "not json\n"
             "{\"id\": 5, \"fail\": true}\n"
             "{\"id\": \"last\"}",
             huge);
    run r = run_buffer(h, "jsonl", text, 2, 0, 200);
    assert_int_equal(r.n, 6);
    assert_string_equal(str(r.lines[0], "id"), "a");
    assert_int_equal(num(r.lines[0], "tp_nfields"), 2);
    assert_string_equal(str(err_of(r.lines[1]), "code"), "parse");
    assert_int_equal(num(r.lines[1], "line"), 4);
    assert_non_null(strstr(str(err_of(r.lines[1]), "message"), "expected a JSON object"));
    assert_string_equal(str(err_of(r.lines[2]), "code"), "limit");
    assert_int_equal(num(r.lines[2], "line"), 5);
    assert_string_equal(str(err_of(r.lines[3]), "code"), "parse");
    assert_string_equal(str(r.lines[4], "id"), "5");
    /* tp_after failed on this record only; the batch went on. */
    const cJSON *pe = cJSON_GetObjectItem(r.lines[4], "plugin_errors");
    assert_string_equal(str(cJSON_GetObjectItem(pe, "tp_after"), "code"), "compute");
    assert_string_equal(str(r.lines[5], "id"), "last");
    assert_int_equal(num(r.summary, "records"), 6);
    assert_int_equal(num(cJSON_GetObjectItem(r.summary, "plugin_errors"), "tp_after"), 1);
    /* Summary values in declared order although set in another. */
    const cJSON *tp = cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "plugins"), "tp_count");
    assert_string_equal(tp->child->string, "tp_total");
    assert_int_equal(num(tp, "tp_total"), 6); /* it accepts failed records too */
    run_free(&r);
    free(text);
    mms_host_free(h);
}

static void cif_stream(void **st)
{
    (void)st;
    mms_host *h = good_host();
    run r = run_buffer(h, "cif", "# comment\n" CIF("one", "5.0") CIF("two", "6.0"), 1, 0, 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(str(r.lines[0], "id"), "one");
    assert_string_equal(str(r.lines[1], "id"), "two");
    assert_int_equal(num(r.lines[1], "line"), 19); /* 1 comment line + 17 of block one */
    /* Plugins run in requires order: tp_after read tp_count's value. */
    assert_true(num(r.lines[0], "tp_double") == 2 * num(r.lines[0], "tp_nsites"));
    run_free(&r);
    /* A block over the record limit is an error record; the next one reads. */
    r = run_buffer(h, "cif", CIF("big", "5.0") CIF("ok", "5.0"), 1, 0, 200);
    assert_int_equal(r.n, 2);
    assert_string_equal(str(err_of(r.lines[0]), "code"), "limit");
    assert_string_equal(str(err_of(r.lines[1]), "code"), "limit");
    run_free(&r);
    r = run_buffer(h, "cif", "# nothing\n\n", 1, 0, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(str(err_of(r.lines[0]), "code"), "parse");
    run_free(&r);
    mms_host_free(h);
}

static void numbers_round_trip(void **st)
{
    (void)st;
    mms_host *h = good_host();
    /* 0.1 + 0.2 differs from 0.3 in the last bit: cJSON alone prints 0.3. */
    double scale = 0.1 + 0.2;
    mms_error e;
    assert_int_equal(mms_host_set_option(h, "scale", "0.30000000000000004", &e), MMS_OK);
    run r = run_buffer(h, "cif", CIF("x", "5.0"), 1, 0, 0);
    assert_int_equal(r.n, 1);
    assert_true(num(r.lines[0], "tp_nsites") == 2 * scale);
    assert_non_null(strstr(r.records, "\"tp_nsites\":0.6000000000000001"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(mms_report_print_json(f, r.summary), MMS_OK);
    fclose(f);
    cJSON *back = cJSON_Parse(text);
    const cJSON *tp = cJSON_GetObjectItem(cJSON_GetObjectItem(back, "plugins"), "tp_count");
    assert_true(num(tp, "tp_sum") == 2 * scale);
    cJSON_Delete(back);
    free(text);
    run_free(&r);
    mms_host_free(h);
}

/* The summary printer writes each number as the shortest of %.15g, %.16g,
 * %.17g that reads back exactly.  It derives them from one %.16e; here the
 * printf-per-precision definition is the oracle, on random bit patterns,
 * short decimals, halves at the 16th/17th digit, and carries (9.99...). */
static void exact_oracle(double d, char *out, size_t n)
{
    if (d == (double)(long long)d && d > -9007199254740992.0 && d < 9007199254740992.0) {
        snprintf(out, n, "%.0f", d);
        if (!strcmp(out, "-0"))
            strcpy(out, "0");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static void numbers_shortest_exact(void **st)
{
    (void)st;
    enum { N = 200000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double v;
        switch (i % 5) {
        case 0: /* any finite double */
            memcpy(&v, &s, sizeof v);
            if (!isfinite(v))
                v = 1.5;
            break;
        case 1: /* values near 1 and small magnitudes (fingerprints, rates) */
            v = (double)(s >> 11) / 9007199254740992.0 * pow(10.0, (int)(s % 12) - 6);
            break;
        case 2: /* short decimals */
            v = (double)(long long)(s % 2000001) / 1000.0 - 1000.0;
            break;
        case 3: /* 17-digit numbers ending in 5 or 50: printf decides ties */
            v = (double)(100000000000000000ull + (s % 1000000000000ull) * 100 + 50) * 1e-17 *
                pow(10.0, (int)(s % 40) - 20);
            break;
        default: /* carries: just below powers of ten */
            v = nextafter(pow(10.0, (int)(s % 30) - 15), 0.0);
            if (s & 1)
                v = -v;
        }
        x[i] = v;
    }
    cJSON *arr = cJSON_CreateDoubleArray(x, N);
    assert_non_null(arr);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(mms_report_print_json(f, arr), MMS_OK);
    fclose(f);
    const char *p = text;
    for (int i = 0; i < N; i++) {
        while (*p == '[' || *p == ',' || *p == ' ' || *p == '\n' || *p == '\t')
            p++;
        size_t k = strcspn(p, ",]\n");
        char got[64], want[64];
        assert_true(k < sizeof got);
        memcpy(got, p, k);
        got[k] = '\0';
        exact_oracle(x[i], want, sizeof want);
        if (strcmp(got, want))
            fail_msg("%a: printed %s, expected %s", x[i], got, want);
        p += k;
    }
    cJSON_Delete(arr);
    free(text);
    free(x);
}

static void threads_identical(void **st)
{
    (void)st;
    mms_host *h = good_host();
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 700; i++) {
        if (i % 7 == 3)
            len += (size_t)snprintf(text + len, cap - len, "not json %d\n", i);
        else
            len += (size_t)snprintf(text + len, cap - len, "{\"id\": \"r%d\", \"k\": %d%s}\n", i,
                                    i, i % 11 == 0 ? ", \"fail\": 1" : "");
    }
    run a = run_buffer(h, "jsonl", text, 1, 64, 0);
    run b = run_buffer(h, "jsonl", text, 2, 64, 0);
    run c = run_buffer(h, "jsonl", text, 3, 7, 0);
    assert_int_equal(a.n, 700);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.records, b.records, a.len);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.records, c.records, a.len);
    for (size_t i = 0; i < a.n; i++)
        assert_int_equal(num(a.lines[i], "index"), (double)i);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    free(text);
    mms_host_free(h);
}

/* --shard on a buffer: the three blocks' records put together are the
 * unsharded records, indices included. */
static void shard_buffer(void **st)
{
    (void)st;
    mms_host *h = good_host();
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(text + len, cap - len, "{\"id\": \"r%d\", \"k\": %d}\n", i, i);
    run whole = run_buffer(h, "jsonl", text, 2, 16, 0);
    assert_int_equal(whole.n, 100);
    char *joined = NULL;
    size_t jlen = 0;
    FILE *all = open_memstream(&joined, &jlen);
    for (size_t k = 0; k < 3; k++) {
        char *buf = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&buf, &blen);
        mms_pipeline_options o = {.version = MMS_PIPELINE_OPTIONS_VERSION, .threads = 2,
                                  .batch = 16, .records = f, .shard_index = k, .shard_count = 3};
        mms_pipeline *p;
        mms_error e;
        cJSON *s;
        assert_int_equal(mms_pipeline_new(&p, h, &o, &e), MMS_OK);
        assert_int_equal(mms_pipeline_select_command(p, "validate", &e), MMS_OK);
        assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
        assert_int_equal(mms_pipeline_add_buffer(p, "mem", "jsonl", text, len, "input", &e),
                         MMS_OK);
        assert_int_equal(mms_pipeline_finish(p, &s, &e), MMS_OK);
        assert_int_equal(num(s, "records"), k == 0 ? 33 : k == 1 ? 33 : 34);
        cJSON_Delete(s);
        mms_pipeline_free(p);
        fclose(f);
        fwrite(buf, 1, blen, all);
        free(buf);
    }
    fclose(all);
    assert_int_equal(jlen, whole.len);
    assert_memory_equal(joined, whole.records, jlen);
    free(joined);
    run_free(&whole);
    free(text);
    mms_host_free(h);
}

static void state_save_merge(void **st)
{
    (void)st;
    mms_host *h = good_host();
    char path[2][64];
    const char *shards[2] = {CIF("a", "5.0") CIF("b", "5.0"), CIF("c", "5.0")};
    mms_error e;
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "/tmp/mms_test_state_%d_%d.json", (int)getpid(), i);
        mms_pipeline *p;
        assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
        assert_int_equal(mms_pipeline_select_plugin(p, "tp_count", &e), MMS_OK);
        assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
        assert_int_equal(mms_pipeline_add_buffer(p, "mem", "cif", shards[i], strlen(shards[i]),
                                                 "generated", &e),
                         MMS_OK);
        assert_int_equal(mms_pipeline_save_state(p, path[i], &e), MMS_OK);
        mms_pipeline_free(p);
    }
    cJSON *names;
    assert_int_equal(mms_state_plugins(path[0], &names, &e), MMS_OK);
    assert_int_equal(cJSON_GetArraySize(names), 1);
    assert_string_equal(names->child->valuestring, "tp_count");
    cJSON_Delete(names);
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "tp_count", &e), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mms_pipeline_merge_state(p, path[i], &e), MMS_OK);
    assert_int_equal(mms_pipeline_merge_state(p, "/nonexistent.json", &e), MMS_EIO);
    cJSON *s;
    assert_int_equal(mms_pipeline_finish(p, &s, &e), MMS_OK);
    assert_int_equal(num(s, "records"), 3);
    const cJSON *tp = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "plugins"), "tp_count");
    assert_int_equal(num(tp, "tp_total"), 3);
    assert_true(num(tp, "tp_sum") == 6);
    cJSON_Delete(s);
    mms_pipeline_free(p);
    /* A state of other plugins is refused. */
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "tp_after", &e), MMS_OK); /* + tp_count */
    assert_int_equal(mms_pipeline_start(p, &e), MMS_OK);
    assert_int_equal(mms_pipeline_merge_state(p, path[0], &e), MMS_OK);
    mms_pipeline_free(p);
    for (int i = 0; i < 2; i++)
        remove(path[i]);
    mms_host_free(h);
}

/* A plugin that returns MMS_OK after a failed set gets an error for the
 * record (mms_values_error), not a silently missing value. */
static void unstored_value_is_an_error(void **st)
{
    (void)st;
    mms_host *h = good_host();
    mms_error e;
    assert_int_equal(mms_host_load_file(h, TP_UNSTORED "/tp_unstored.so", &e), MMS_OK);
    run r = run_buffer(h, "cif", CIF("A", "5.64"), 1, 0, 0);
    assert_int_equal(r.n, 1);
    const cJSON *pe = cJSON_GetObjectItem(r.lines[0], "plugin_errors");
    const cJSON *u = cJSON_GetObjectItem(pe, "tp_unstored");
    assert_non_null(u);
    assert_string_equal(str(u, "code"), "invalid");
    assert_non_null(strstr(str(u, "message"), "tp_unstored: a value could not be stored"));
    assert_null(cJSON_GetObjectItem(r.lines[0], "tp_stored"));
    assert_int_equal(num(cJSON_GetObjectItem(r.summary, "plugin_errors"), "tp_unstored"), 1);
    run_free(&r);
    mms_host_free(h);
}

static void create_failure(void **st)
{
    (void)st;
    mms_host *h = good_host();
    mms_error e;
    assert_int_equal(mms_host_set_option(h, "refuse", "true", &e), MMS_OK);
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_command(p, "validate", &e), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &e), MMS_EPLUGIN);
    assert_non_null(strstr(e.message, "refused by option"));
    mms_pipeline_free(p);
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &e), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "nope", &e), MMS_ENOTFOUND);
    mms_pipeline_free(p);
    mms_host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_api),       cmocka_unit_test(values_packed_numbers),
        cmocka_unit_test(host_loads_good),
        cmocka_unit_test(host_refuses_bad), cmocka_unit_test(host_duplicates),
        cmocka_unit_test(host_loads_older_descriptor),
        cmocka_unit_test(pipeline_options_version),
        cmocka_unit_test(options),          cmocka_unit_test(csv_edge_cases),
        cmocka_unit_test(jsonl_edge_cases), cmocka_unit_test(cif_stream),
        cmocka_unit_test(numbers_round_trip), cmocka_unit_test(numbers_shortest_exact),
        cmocka_unit_test(threads_identical), cmocka_unit_test(shard_buffer),
        cmocka_unit_test(state_save_merge),
        cmocka_unit_test(create_failure),
        cmocka_unit_test(unstored_value_is_an_error),
        cmocka_unit_test(require_structures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
