/* stability plugin through the host: parity with pymatgen 2022.11.7 on the
 * fixture queries, small systems checked by hand against pymatgen, loud
 * per-record errors and their summary, a malformed hull reference, the
 * selection by --hull-ref, thread-count independence and sharded runs. */
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

#include "mmscore/host.h"
#include "mmscore/plugin.h"

#define DATA MMSCORE_TEST_DATA "/stability/"
#define TOL 1e-9

typedef struct run {
    int threads;
    const char *hull_ref;      /* NULL: option not set */
    const char *opt_name, *opt_value;
    const char *command;       /* select_command; NULL: select the plugin by name */
    const char *input;         /* a file, or NULL for buf */
    const char *buf;           /* CSV text (or JSONL with kind "jsonl") */
    const char *kind;
    const char *save;          /* save the state here */
    const char *const *merge;  /* states to merge instead of inputs (NULL-terminated) */
    /* results */
    int rc;
    mms_error err;
    cJSON *records;            /* array */
    cJSON *summary;
} run;

static void run_free(run *r)
{
    cJSON_Delete(r->records);
    cJSON_Delete(r->summary);
    r->records = r->summary = NULL;
}

static int do_run(run *r)
{
    mms_host *h;
    mms_error *err = &r->err;
    mms_error_clear(err);
    assert_int_equal(mms_host_new(&h, err), MMS_OK);
    assert_int_equal(mms_host_load_dir(h, MMSCORE_PLUGIN_BUILD_DIR, err), MMS_OK);
    if (r->hull_ref)
        assert_int_equal(mms_host_set_option(h, "hull-ref", r->hull_ref, err), MMS_OK);
    if (r->opt_name)
        assert_int_equal(mms_host_set_option(h, r->opt_name, r->opt_value, err), MMS_OK);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    assert_non_null(f);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = r->threads ? r->threads : 1;
    opt.records = f;
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, err), MMS_OK);
    int rc = r->command ? mms_pipeline_select_command(p, r->command, err)
                        : mms_pipeline_select_plugin(p, "stability", err);
    if (rc == MMS_OK)
        rc = mms_pipeline_start(p, err);
    if (rc == MMS_OK && r->merge)
        for (const char *const *m = r->merge; *m && rc == MMS_OK; m++)
            rc = mms_pipeline_merge_state(p, *m, err);
    if (rc == MMS_OK && r->input)
        rc = mms_pipeline_add_input(p, r->input, "input", err);
    if (rc == MMS_OK && r->buf)
        rc = mms_pipeline_add_buffer(p, "mem", r->kind ? r->kind : "csv", r->buf, strlen(r->buf),
                                     "input", err);
    if (rc == MMS_OK && r->save)
        rc = mms_pipeline_save_state(p, r->save, err);
    if (rc == MMS_OK)
        rc = mms_pipeline_finish(p, &r->summary, err);
    mms_pipeline_free(p);
    mms_host_free(h);
    fclose(f);
    r->records = cJSON_CreateArray();
    for (char *line = mem, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        cJSON_AddItemToArray(r->records, o);
    }
    free(mem);
    r->rc = rc;
    return rc;
}

static const cJSON *plugin_summary(const run *r)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(r->summary, "plugins"), "stability");
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const cJSON *by_id(const cJSON *records, const char *id)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, records) {
        const cJSON *v = cJSON_GetObjectItem(r, "id");
        if (cJSON_IsString(v) && !strcmp(v->valuestring, id))
            return r;
    }
    return NULL;
}

/* Same keys, values within TOL. */
static int same_fractions(const cJSON *a, const cJSON *b)
{
    if (!cJSON_IsObject(a) || !cJSON_IsObject(b) || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!cJSON_IsNumber(y) || !(fabs(y->valuedouble - x->valuedouble) <= TOL))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------- parity */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void parity(void **st)
{
    (void)st;
    char *ref = slurp(DATA "queries_val.ref.jsonl");
    if (!ref || access(DATA "queries_val.csv", R_OK) != 0) {
        free(ref);
        skip();
    }
    run r = {.threads = 2, .hull_ref = DATA "hull_ref.csv", .input = DATA "queries_val.csv"};
    assert_int_equal(do_run(&r), MMS_OK);
    int compared = 0, expected = 0;
    for (char *line = ref, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        cJSON *want = cJSON_Parse(line);
        assert_non_null(want);
        expected++;
        const char *id = cJSON_GetObjectItem(want, "id")->valuestring;
        const cJSON *got = by_id(r.records, id);
        assert_non_null(got);
        static const char *const fields[] = {"e_above_hull", "formation_energy_per_atom",
                                             "hull_energy_per_atom"};
        for (int k = 0; k < 3; k++)
            if (!(fabs(num(got, fields[k]) - num(want, fields[k])) <= TOL))
                fail_msg("%s: %s %.17g, pymatgen %.17g", id, fields[k], num(got, fields[k]),
                         num(want, fields[k]));
        if (!same_fractions(cJSON_GetObjectItem(got, "decomposition_ids"),
                            cJSON_GetObjectItem(want, "decomposition_ids")) ||
            !same_fractions(cJSON_GetObjectItem(got, "decomposition"),
                            cJSON_GetObjectItem(want, "decomposition")))
            fail_msg("%s: decomposition differs from pymatgen's", id);
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(got, "stable")),
                         cJSON_IsTrue(cJSON_GetObjectItem(want, "stable_0.1")));
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(got, "on_hull")),
                         cJSON_IsTrue(cJSON_GetObjectItem(want, "is_stable")));
        compared++;
        cJSON_Delete(want);
    }
    free(ref);
    assert_true(compared >= 540);
    assert_int_equal(compared, expected);
    const cJSON *s = plugin_summary(&r);
    assert_int_equal((int)num(s, "n_structures"), compared);
    assert_int_equal((int)num(s, "n_scored"), compared);
    run_free(&r);
}

/* --------------------------------------------------- small systems */

#define SMALL_REF                                                                                 \
    "id,formula,energy\n"                                                                         \
    "elem-Na,Na1,-1.0\nelem-Na2,Na2,-1.5\nelem-Cl,Cl2,-3.0\nnacl,Na4 Cl4,-20.0\n"                 \
    "nacl3,Na1 Cl3,-7.0\nelem-O,O2,-9.0\n"

static char *write_temp(const char *text, const char *suffix)
{
    char *path = malloc(256);
    snprintf(path, 256, "/tmp/mms_stability_%ld_%s", (long)getpid(), suffix);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A CSV row id,"cif",energy with the given elements and counts (P1 cube). */
static void add_row(char *out, size_t cap, const char *id, const char *energy, int nsp, ...)
{
    char cif[4096];
    int n = snprintf(cif, sizeof cif,
                     "data_%s\n_cell_length_a 6\n_cell_length_b 6\n_cell_length_c 6\n"
                     "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                     "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n"
                     "_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
                     "_atom_site_fract_z\n_atom_site_occupancy\n",
                     id);
    va_list ap;
    va_start(ap, nsp);
    int site = 0;
    for (int k = 0; k < nsp; k++) {
        const char *el = va_arg(ap, const char *);
        int count = va_arg(ap, int);
        for (int c = 0; c < count; c++, site++)
            n += snprintf(cif + n, sizeof cif - (size_t)n, "%s%d %s %.3f %.3f %.3f 1\n", el,
                          site, el, 0.11 * site, 0.07 * site, 0.05 * site);
    }
    va_end(ap);
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s,\"%s\",%s\n", id, cif, energy);
}

static char *small_queries(void)
{
    size_t cap = 1 << 16;
    char *q = calloc(cap, 1);
    strcpy(q, "id,cif,energy\n");
    add_row(q, cap, "q1", "-5.0", 2, "Na", 1, "Cl", 1);
    add_row(q, cap, "q2", "-20.0", 2, "Na", 4, "Cl", 4);
    add_row(q, cap, "q3", "-5.0", 2, "Na", 1, "Cl", 2);
    add_row(q, cap, "q4", "-10.0", 2, "Na", 2, "O", 1);
    add_row(q, cap, "q5", "-3.0", 1, "Na", 2);
    add_row(q, cap, "q6", "", 2, "Na", 1, "Cl", 1);
    add_row(q, cap, "q7", "nan", 2, "Na", 1, "Cl", 1);
    add_row(q, cap, "q8", "abc", 2, "Na", 1, "Cl", 1);
    add_row(q, cap, "q9", "-4.0", 2, "K", 1, "Cl", 1);
    size_t l = strlen(q);
    snprintf(q + l, cap - l, "q10,\"data_bad\n_cell_length_a oops\n\",-1.0\n");
    return q;
}

static const cJSON *plugin_error(const cJSON *rec)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "plugin_errors"), "stability");
}

static void small_systems(void **st)
{
    (void)st;
    char *ref = write_temp(SMALL_REF, "ref.csv");
    char *q = small_queries();
    run r = {.hull_ref = ref, .buf = q};
    assert_int_equal(do_run(&r), MMS_OK);
    assert_int_equal(cJSON_GetArraySize(r.records), 10);
    /* expected values: pymatgen 2022.11.7 on the same entries */
    const cJSON *x = by_id(r.records, "q1");
    assert_true(fabs(num(x, "e_above_hull")) <= 1e-12);
    assert_true(fabs(num(x, "formation_energy_per_atom") + 1.25) <= 1e-12);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(x, "on_hull")));
    /* equal to a stable entry (same cell, same energy): exactly 0 */
    x = by_id(r.records, "q2");
    assert_true(num(x, "e_above_hull") == 0.0);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition_ids"), "nacl") - 1) == 0);
    x = by_id(r.records, "q3");
    assert_true(fabs(num(x, "e_above_hull") - 0.5) <= 1e-12);
    assert_true(fabs(num(x, "hull_energy_per_atom") + 2.166666666666667) <= 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition"), "Cl2") - 1.0 / 3) <= 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition"), "NaCl") - 2.0 / 3) <= 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition_ids"), "elem-Cl") - 1.0 / 3) <=
                1e-12);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(x, "stable")));
    x = by_id(r.records, "q4"); /* below the hull: negative */
    assert_true(fabs(num(x, "e_above_hull") + 1.1666666666666665) <= 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition"), "O2") - 1.0 / 3) <= 1e-12);
    x = by_id(r.records, "q5"); /* one element: the lowest energy per atom is the hull */
    assert_true(fabs(num(x, "e_above_hull") + 0.5) <= 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItem(x, "decomposition_ids"), "elem-Na") - 1) <= 1e-12);
    /* loud per-record errors */
    static const char *const bad[][2] = {{"q6", "no energy"},
                                         {"q7", "not finite"},
                                         {"q8", "expected a number"},
                                         {"q9", "element K is not in the hull reference"}};
    for (int k = 0; k < 4; k++) {
        x = by_id(r.records, bad[k][0]);
        assert_null(cJSON_GetObjectItem(x, "e_above_hull"));
        const cJSON *e = plugin_error(x);
        assert_non_null(e);
        if (!strstr(cJSON_GetObjectItem(e, "message")->valuestring, bad[k][1]))
            fail_msg("%s: %s", bad[k][0], cJSON_GetObjectItem(e, "message")->valuestring);
    }
    /* the summary counts every record, failures in the denominators */
    const cJSON *s = plugin_summary(&r);
    assert_int_equal((int)num(s, "n_structures"), 10);
    assert_int_equal((int)num(s, "n_scored"), 5);
    assert_int_equal((int)num(s, "n_failed"), 5);
    const cJSON *f = cJSON_GetObjectItem(s, "failed");
    assert_int_equal((int)num(f, "unreadable"), 1);
    assert_int_equal((int)num(f, "no_energy"), 1);
    assert_int_equal((int)num(f, "bad_energy"), 2);
    assert_int_equal((int)num(f, "element_not_in_reference"), 1);
    assert_int_equal((int)num(s, "n_stable"), 4);
    assert_true(num(s, "frac_stable_structures") == 0.4);
    double mean = (0.0 + 0.0 + 0.5000000000000002 - 1.1666666666666665 - 0.5) / 5;
    assert_true(fabs(num(s, "avg_energy_above_hull_per_atom") - mean) <= 1e-12);
    assert_int_equal((int)num(cJSON_GetObjectItem(r.summary, "plugin_errors"), "stability"), 4);
    run_free(&r);

    /* energies per atom from another column give the same numbers */
    char *q2 = calloc(1 << 16, 1);
    strcpy(q2, "id,cif,epa\n");
    add_row(q2, 1 << 16, "q3", "-1.6666666666666667", 2, "Na", 1, "Cl", 2);
    run r2 = {.hull_ref = ref, .buf = q2, .opt_name = "energy-per-atom-column", .opt_value = "epa"};
    assert_int_equal(do_run(&r2), MMS_OK);
    assert_true(fabs(num(by_id(r2.records, "q3"), "e_above_hull") - 0.5) <= 1e-12);
    run_free(&r2);
    /* the same reference as JSONL, energies in a renamed column */
    char *jref = write_temp("{\"id\": \"elem-Na\", \"formula\": \"Na1\", \"energy\": -1.0}\n"
                            "{\"id\": \"elem-Cl\", \"formula\": \"Cl2\", \"energy\": \"-3.0\"}\n"
                            "{\"id\": \"nacl\", \"formula\": \"Na4 Cl4\", \"energy\": -20}\n",
                            "ref.jsonl");
    strcpy(q2, "id,cif,E_total\n");
    add_row(q2, 1 << 16, "q3", "-5.0", 2, "Na", 1, "Cl", 2);
    run r3 = {.hull_ref = jref, .buf = q2, .opt_name = "energy-column", .opt_value = "E_total"};
    assert_int_equal(do_run(&r3), MMS_OK);
    assert_true(fabs(num(by_id(r3.records, "q3"), "e_above_hull") - 0.5) <= 1e-12);
    run_free(&r3);
    unlink(jref);
    free(jref);
    free(q2);
    unlink(ref);
    free(ref);
    free(q);
}

/* JSON numbers as energies; more elements than a hull is built for. */
static void jsonl_and_limits(void **st)
{
    (void)st;
    static const char *const el[17] = {"Li", "Be", "B",  "C",  "N",  "O",  "F",  "Na", "Mg",
                                       "Al", "Si", "P",  "S",  "Cl", "K",  "Ca", "Sc"};
    char ref_text[2048] = "id,formula,energy\n";
    for (int k = 0; k < 17; k++) {
        size_t l = strlen(ref_text);
        snprintf(ref_text + l, sizeof ref_text - l, "elem-%s,%s1,-1\n", el[k], el[k]);
    }
    char *ref = write_temp(ref_text, "many.csv");
    /* a CSV row's CIF, turned into a JSON string */
    char row[1 << 14] = "";
    add_row(row, sizeof row, "j", "0", 2, "Na", 1, "Cl", 1);
    char *cif = strchr(row, '"') + 1;
    *strrchr(row, '"') = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", "j1");
    cJSON_AddStringToObject(o, "cif", cif);
    cJSON_AddNumberToObject(o, "energy", -3.0);
    char *line1 = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    /* 17 elements, one atom each */
    char big[1 << 14] = "";
    add_row(big, sizeof big, "b", "0", 17, el[0], 1, el[1], 1, el[2], 1, el[3], 1, el[4], 1,
            el[5], 1, el[6], 1, el[7], 1, el[8], 1, el[9], 1, el[10], 1, el[11], 1, el[12], 1,
            el[13], 1, el[14], 1, el[15], 1, el[16], 1);
    cif = strchr(big, '"') + 1;
    *strrchr(big, '"') = '\0';
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", "j2");
    cJSON_AddStringToObject(o, "cif", cif);
    cJSON_AddNumberToObject(o, "energy", -17.0);
    char *line2 = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *text = malloc(strlen(line1) + strlen(line2) + 3);
    sprintf(text, "%s\n%s\n", line1, line2);
    run r = {.hull_ref = ref, .buf = text, .kind = "jsonl"};
    assert_int_equal(do_run(&r), MMS_OK);
    /* Na-Cl: both elements at -1 eV/atom, the record at -1.5: 0.5 below */
    assert_true(fabs(num(by_id(r.records, "j1"), "e_above_hull") + 0.5) <= 1e-12);
    const cJSON *e = plugin_error(by_id(r.records, "j2"));
    assert_non_null(e);
    assert_non_null(strstr(cJSON_GetObjectItem(e, "message")->valuestring, "17 elements"));
    assert_int_equal((int)num(cJSON_GetObjectItem(plugin_summary(&r), "failed"), "hull"), 1);
    run_free(&r);
    free(text);
    cJSON_free(line1);
    cJSON_free(line2);
    unlink(ref);
    free(ref);
}

/* The reference is read by the core's CSV reader: quoted cells, blanks
 * around the header's names after a byte order mark, and gzip give the same
 * numbers as the plain file. */
static void reference_read_by_core(void **st)
{
    (void)st;
    char *plain = write_temp(SMALL_REF, "plain.csv");
    char *odd = write_temp("\xEF\xBB\xBF id , formula ,energy\n"
                           "elem-Na,\"Na1\",-1.0\nelem-Na2,Na2,-1.5\n\"elem-Cl\",Cl2,-3.0\n"
                           "nacl,\"Na4 Cl4\",-20.0\nnacl3,Na1 Cl3,-7.0\nelem-O,O2,-9.0\n",
                           "odd.csv");
    char gz[300], cmd[700];
    snprintf(gz, sizeof gz, "%s.gz", odd);
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", odd, gz);
    assert_int_equal(system(cmd), 0);
    const char *refs[] = {plain, odd, gz};
    char *q = small_queries();
    run r[3];
    for (int k = 0; k < 3; k++) {
        r[k] = (run){.hull_ref = refs[k], .buf = q};
        assert_int_equal(do_run(&r[k]), MMS_OK);
    }
    int scored = 0;
    for (int i = 1; i <= 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "q%d", i);
        const cJSON *a = cJSON_GetObjectItem(by_id(r[0].records, id), "e_above_hull");
        scored += a != NULL;
        for (int k = 1; k < 3; k++) {
            const cJSON *b = cJSON_GetObjectItem(by_id(r[k].records, id), "e_above_hull");
            assert_int_equal(a != NULL, b != NULL);
            if (a && a->valuedouble != b->valuedouble)
                fail_msg("%s with %s: %.17g, plain %.17g", id, refs[k], b->valuedouble,
                         a->valuedouble);
        }
    }
    assert_int_equal(scored, 5);
    for (int k = 0; k < 3; k++)
        run_free(&r[k]);
    free(q);
    unlink(gz);
    unlink(odd);
    unlink(plain);
    free(odd);
    free(plain);
}

/* ------------------------------------------------ malformed reference */

static void malformed_reference(void **st)
{
    (void)st;
    static const char *const cases[][2] = {
        {"id,formula,energy\na,Na1,-1\nb,Xx2,-3\n", ":3: formula \"Xx2\""},
        {"id,formula,energy\na,Na1,-1\nb,Cl2,nan\n", ":3: energy"},
        {"id,formula\na,Na1\n", ":1: expected a header"},
        {"id,formula,energy\na,Na1,-1\na,Cl2,-2\n", ":3: duplicate id"},
        {"{\"id\": \"a\", \"formula\": \"Na\", \"energy\": -1}\n{\"id\": \"b\"}\n",
         ":2: expected \"formula\""},
        {"id,formula,energy\na,Na1,-1\nb,Cl2,-2,x\n",
         "bad.csv:row1: expected 3 columns as in the header, found 4"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *path = write_temp(cases[k][0], k == 4 ? "bad.jsonl" : "bad.csv");
        run r = {.hull_ref = path, .buf = "id,cif,energy\n"};
        assert_int_not_equal(do_run(&r), MMS_OK);
        if (!strstr(r.err.message, path) || !strstr(r.err.message, cases[k][1]))
            fail_msg("case %zu: %s", k, r.err.message);
        run_free(&r);
        unlink(path);
        free(path);
    }
    /* the command exits non-zero, naming file and line */
    char *path = write_temp("id,formula,energy\na,Na1,-1\nb,Xx2,-3\n", "cli.csv");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s validate -q --hull-ref %s %s > /dev/null 2>/tmp/mms_st_%ld.err",
             MMSCORE_CLI, path, DATA "queries_val.csv", (long)getpid());
    int status = system(cmd);
    assert_true(status != -1 && WEXITSTATUS(status) != 0);
    snprintf(cmd, sizeof cmd, "/tmp/mms_st_%ld.err", (long)getpid());
    char *msg = slurp(cmd);
    assert_non_null(msg);
    assert_non_null(strstr(msg, ":3: formula"));
    free(msg);
    unlink(cmd);
    unlink(path);
    free(path);
}

/* ---------------------------------------------------------- selection */

static int ran_stability(const run *r)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(r->summary, "plugins_run"))
        if (!strcmp(n->valuestring, "stability"))
            return 1;
    return 0;
}

static void selection(void **st)
{
    (void)st;
    char *ref = write_temp(SMALL_REF, "sel.csv");
    char *q = small_queries();
    run off = {.command = "validate", .buf = q};
    assert_int_equal(do_run(&off), MMS_OK);
    assert_false(ran_stability(&off));
    assert_null(cJSON_GetObjectItem(by_id(off.records, "q1"), "e_above_hull"));
    run on = {.command = "validate", .buf = q, .hull_ref = ref};
    assert_int_equal(do_run(&on), MMS_OK);
    assert_true(ran_stability(&on));
    assert_non_null(cJSON_GetObjectItem(by_id(on.records, "q1"), "e_above_hull"));
    /* named without a reference: a clear refusal, not a silent no-op */
    run named = {.buf = q};
    assert_int_not_equal(do_run(&named), MMS_OK);
    assert_non_null(strstr(named.err.message, "--hull-ref"));
    run_free(&off);
    run_free(&on);
    run_free(&named);
    unlink(ref);
    free(ref);
    free(q);
}

/* ------------------------------------------------- threads and shards */

static void threads_and_shards(void **st)
{
    (void)st;
    if (access(DATA "queries_val.csv", R_OK) != 0)
        skip();
    run one = {.threads = 1, .hull_ref = DATA "hull_ref.csv", .input = DATA "queries_val.csv"};
    run four = {.threads = 4, .hull_ref = DATA "hull_ref.csv", .input = DATA "queries_val.csv"};
    assert_int_equal(do_run(&one), MMS_OK);
    assert_int_equal(do_run(&four), MMS_OK);
    char *a = cJSON_PrintUnformatted(one.records), *b = cJSON_PrintUnformatted(four.records);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* two shards saved and merged give the unsharded summary */
    char *qs = malloc(2 * 1024 * 1024);
    char *all = slurp(DATA "queries_val.csv");
    assert_non_null(all);
    /* cut after a record: the first line starting with "mp-" past the middle */
    char *cut = strstr(all + strlen(all) / 2, "\nmp-");
    assert_non_null(cut);
    *cut = '\0';
    const char *header = "id,cif,energy\n";
    snprintf(qs, 2 * 1024 * 1024, "%s%s\n", header, cut + 1);
    char s1[128], s2[128];
    snprintf(s1, sizeof s1, "/tmp/mms_st_%ld_1.state", (long)getpid());
    snprintf(s2, sizeof s2, "/tmp/mms_st_%ld_2.state", (long)getpid());
    run sh1 = {.hull_ref = DATA "hull_ref.csv", .buf = all, .save = s1};
    run sh2 = {.hull_ref = DATA "hull_ref.csv", .buf = qs, .save = s2};
    assert_int_equal(do_run(&sh1), MMS_OK);
    assert_int_equal(do_run(&sh2), MMS_OK);
    const char *const states[] = {s1, s2, NULL};
    run merged = {.hull_ref = DATA "hull_ref.csv", .merge = states};
    assert_int_equal(do_run(&merged), MMS_OK);
    a = cJSON_PrintUnformatted(plugin_summary(&one));
    b = cJSON_PrintUnformatted(plugin_summary(&merged));
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* stable was decided with the shards' threshold: another one is refused */
    run other = {.hull_ref = DATA "hull_ref.csv", .merge = states, .opt_name = "stable-threshold",
                 .opt_value = "0.2"};
    assert_int_not_equal(do_run(&other), MMS_OK);
    assert_non_null(strstr(other.err.message, "--stable-threshold"));
    run_free(&other);
    unlink(s1);
    unlink(s2);
    free(all);
    free(qs);
    run_free(&sh1);
    run_free(&sh2);
    run_free(&merged);
    run_free(&one);
    run_free(&four);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parity),
        cmocka_unit_test(small_systems),
        cmocka_unit_test(jsonl_and_limits),
        cmocka_unit_test(reference_read_by_core),
        cmocka_unit_test(malformed_reference),
        cmocka_unit_test(selection),
        cmocka_unit_test(threads_and_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
