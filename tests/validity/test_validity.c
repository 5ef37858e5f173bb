/* validity plugin: per-record verdicts, basic_eval's rates from the
 * reference's own per-row verdicts, and sharded == unsharded.
 *
 * validity.c is compiled into this test, with a small mms_values of its own
 * below (the host's constructor is internal), so hand-made struct_valid /
 * comp_valid / comp_valid_reason values can be fed in as the structure and
 * composition plugins would produce them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mmscore/plugin.h>

/* ---- test-local values: one cJSON object ---- */

struct mms_values {
    cJSON *obj;
};

static mms_values *values_new(void)
{
    mms_values *v = malloc(sizeof *v);
    assert_non_null(v);
    v->obj = cJSON_CreateObject();
    return v;
}

static void values_free(mms_values *v)
{
    cJSON_Delete(v->obj);
    free(v);
}

static int put(mms_values *v, const char *name, cJSON *item)
{
    if (!item)
        return MMS_ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(v->obj, name);
    cJSON_AddItemToObject(v->obj, name, item);
    return MMS_OK;
}

int mms_values_set_bool(mms_values *v, const char *name, int b)
{
    return put(v, name, cJSON_CreateBool(b));
}
int mms_values_set_null(mms_values *v, const char *name)
{
    return put(v, name, cJSON_CreateNull());
}
int mms_values_set_int(mms_values *v, const char *name, long long x)
{
    return put(v, name, cJSON_CreateNumber((double)x));
}
int mms_values_set_number(mms_values *v, const char *name, double x)
{
    return put(v, name, cJSON_CreateNumber(x));
}
static int values_set_string(mms_values *v, const char *name, const char *s)
{
    return put(v, name, cJSON_CreateString(s));
}
const cJSON *mms_values_get(const mms_values *v, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(v->obj, name);
}

const mms_plugin *mmscore_plugin_entry(void);

/* cmocka's float assertion works in single precision. */
static void assert_close_at(double got, double want, double tol, const char *what, int line)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "line %d: %s = %.17g, expected %.17g\n", line, what, got, want);
        fail();
    }
}
#define assert_close(got, want, tol) assert_close_at((got), (want), (tol), #got, __LINE__)

/* ---- records ---- */

enum { ABSENT = -1 };

typedef struct fake {
    mms_structure s;
    int z[2];
    double amount[2];
    mms_error error;
    mms_record rec;
    mms_values *values; /* what earlier plugins produced */
} fake;

/* read = 0: the record failed to read. */
static void fake_init(fake *f, int read, int ordered, int oxidation, int z, int struct_valid,
                      int comp_valid)
{
    memset(f, 0, sizeof *f);
    f->z[0] = 8;
    f->z[1] = z;
    f->amount[0] = f->amount[1] = 1;
    f->s.n_elements = z == 8 ? 1 : 2;
    f->s.element_z = f->z;
    f->s.element_amount = f->amount;
    f->s.is_ordered = ordered;
    f->s.has_oxidation = oxidation;
    f->rec.id = "fake";
    f->rec.source = "test";
    f->rec.set = "input";
    if (read) {
        f->rec.structure = &f->s;
    } else {
        f->error.code = MMS_EPARSE;
        f->rec.error = &f->error;
    }
    f->values = values_new();
    if (struct_valid != ABSENT)
        mms_values_set_bool(f->values, "struct_valid", struct_valid);
    if (comp_valid != ABSENT)
        mms_values_set_bool(f->values, "comp_valid", comp_valid);
    if (read && z > 103) /* the composition plugin's verdict past Lr (SMACT 2.5.5) */
        values_set_string(f->values, "comp_valid_reason", "element without SMACT data");
}

/* Score one record; returns its values (caller frees). */
static mms_values *score(const mms_plugin *p, fake *f)
{
    mms_values *out = values_new();
    mms_error err;
    assert_int_equal(p->score(NULL, &f->rec, f->values, out, &err), MMS_OK);
    return out;
}

static int bool_of(const mms_values *v, const char *name)
{
    const cJSON *item = mms_values_get(v, name);
    if (cJSON_IsNull(item))
        return ABSENT;
    assert_true(cJSON_IsBool(item));
    return cJSON_IsTrue(item);
}

static void test_per_record(void **state)
{
    (void)state;
    const mms_plugin *p = mmscore_plugin_entry();
    static const struct {
        int read, ordered, oxidation, z, sv, cv;
        int valid, counted;
    } cases[] = {
        {1, 1, 0, 26, 1, 1, 1, 1},           /* both valid */
        {1, 1, 0, 26, 1, 0, 0, 1},           /* comp invalid */
        {1, 1, 0, 26, 0, 1, 0, 1},           /* struct invalid */
        {0, 0, 0, 26, ABSENT, ABSENT, 0, 0}, /* failed read: invalid, not counted */
        {1, 0, 0, 26, 1, ABSENT, ABSENT, 0}, /* disordered: comp unknown */
        {1, 0, 0, 26, 0, ABSENT, 0, 0},      /* disordered and too close: invalid */
        {1, 1, 1, 26, 1, 1, 1, 0},           /* oxidation states: basic_eval drops it */
        {1, 1, 0, 104, 1, ABSENT, ABSENT, 0}, /* Rf: SMACT has no data */
        {1, 1, 0, 26, 1, ABSENT, ABSENT, 1}  /* composition failed: counted all the same */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake f;
        fake_init(&f, cases[i].read, cases[i].ordered, cases[i].oxidation, cases[i].z,
                  cases[i].sv, cases[i].cv);
        mms_values *out = score(p, &f);
        assert_int_equal(bool_of(out, "valid"), cases[i].valid);
        assert_int_equal(bool_of(out, "valid_counted"), cases[i].counted);
        values_free(out);
        values_free(f.values);
    }
}

/* ---- the reference's rows ---- */

typedef struct row {
    char tag;
    int parse_ok, crystal_ok, ordered, struct_valid, comp_valid;
} row;

static int flag(const char *s)
{
    return *s == '-' ? ABSENT : atoi(s);
}

static size_t load_rows(row **out)
{
    FILE *f = fopen(MMSCORE_TEST_DATA "/validity/verdicts.tsv", "r");
    assert_non_null(f);
    size_t n = 0, cap = 8192;
    row *rows = malloc(cap * sizeof *rows);
    char tag[4], r[16], a[4], b[4], c[4], d[4], e[4];
    while (fscanf(f, "%3s %15s %3s %3s %3s %3s %3s", tag, r, a, b, c, d, e) == 7) {
        assert_true(n < cap);
        rows[n++] = (row){tag[0], flag(a), flag(b), flag(c), flag(d), flag(e)};
    }
    fclose(f);
    *out = rows;
    return n;
}

/* A record as the pipeline would hand it over: parsed rows are read; rows
 * basic_eval could not build (partial occupancy, oxidation states) carry no
 * reference verdicts, so none are given here. */
static void fake_from_row(fake *f, const row *r)
{
    if (!r->parse_ok)
        fake_init(f, 0, 0, 0, 26, ABSENT, ABSENT);
    else if (!r->crystal_ok)
        fake_init(f, 1, r->ordered == 1, r->ordered == 1, 26, ABSENT, ABSENT);
    else
        /* The reference's one timeout (P-00337) is comp-valid (README). */
        fake_init(f, 1, 1, 0, 26, r->struct_valid, r->comp_valid == ABSENT ? 1 : r->comp_valid);
}

static void accumulate(const mms_plugin *p, void *acc, const row *rows, size_t from, size_t to)
{
    mms_error err;
    for (size_t i = from; i < to; i++) {
        fake f;
        fake_from_row(&f, &rows[i]);
        assert_int_equal(p->acc_add(NULL, acc, &f.rec, f.values, &err), MMS_OK);
        values_free(f.values);
    }
}

static double number_of(const mms_values *v, const char *name)
{
    const cJSON *item = mms_values_get(v, name);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static mms_values *summarise(const mms_plugin *p, const row *rows, size_t from, size_t to)
{
    void *acc;
    mms_error err;
    assert_int_equal(p->acc_new(NULL, &acc, &err), MMS_OK);
    accumulate(p, acc, rows, from, to);
    mms_values *sum = values_new();
    assert_int_equal(p->acc_finish(NULL, acc, sum, &err), MMS_OK);
    p->acc_free(NULL, acc);
    return sum;
}

static void test_rates_match_reference(void **state)
{
    (void)state;
    const mms_plugin *p = mmscore_plugin_entry();
    row *rows;
    size_t n = load_rows(&rows);
    size_t v_end = 0;
    while (v_end < n && rows[v_end].tag == 'V')
        v_end++;
    assert_int_equal(v_end, 3787);
    assert_int_equal(n - v_end, 3000);

    /* perov_5_val: get_validity() in ../shared/fixtures/crystals/aggregates.json. */
    mms_values *sum = summarise(p, rows, 0, v_end);
    assert_close(number_of(sum, "comp_valid_rate"), 0.987325059413784, 1e-15);
    assert_close(number_of(sum, "struct_valid_rate"), 1.0, 1e-15);
    assert_close(number_of(sum, "n_counted"), 3787, 0);
    values_free(sum);

    /* perturbed: basic_eval's means over the rows it built, computed here
     * directly, and the all-records rates over the 3000 input rows. */
    size_t counted = 0, sv = 0, cv = 0, v = 0;
    for (size_t i = v_end; i < n; i++)
        if (rows[i].crystal_ok == 1) {
            int c = rows[i].comp_valid == ABSENT ? 1 : rows[i].comp_valid;
            counted++;
            sv += (size_t)rows[i].struct_valid;
            cv += (size_t)c;
            v += (size_t)(rows[i].struct_valid && c);
        }
    sum = summarise(p, rows, v_end, n);
    assert_close(number_of(sum, "n_records"), 3000, 0);
    assert_close(number_of(sum, "n_read"), 2863, 0); /* 137 failed to parse */
    assert_close(number_of(sum, "n_counted"), (double)counted, 0);
    assert_close(number_of(sum, "struct_valid_rate"), (double)sv / (double)counted, 1e-15);
    assert_close(number_of(sum, "comp_valid_rate"), (double)cv / (double)counted, 1e-15);
    assert_close(number_of(sum, "valid_rate"), (double)v / (double)counted, 1e-15);
    assert_close(number_of(sum, "valid_rate_all_records"), (double)v / 3000.0, 1e-15);
    assert_close(number_of(sum, "comp_valid_rate_all_records"), (double)cv / 3000.0,
                        1e-15);
    fprintf(stderr, "perturbed: n_counted %zu, struct %.6f comp %.6f valid %.6f; all records "
            "valid %.6f\n", counted, (double)sv / (double)counted, (double)cv / (double)counted,
            (double)v / (double)counted, (double)v / 3000.0);
    values_free(sum);
    free(rows);
}

static void test_shards_merge_to_unsharded(void **state)
{
    (void)state;
    const mms_plugin *p = mmscore_plugin_entry();
    row *rows;
    size_t n = load_rows(&rows);
    mms_values *whole = summarise(p, rows, 0, n);

    mms_error err;
    void *merged;
    assert_int_equal(p->acc_new(NULL, &merged, &err), MMS_OK);
    size_t cuts[] = {0, 1000, 1001, 4500, n};
    for (size_t k = 0; k + 1 < sizeof cuts / sizeof cuts[0]; k++) {
        void *acc;
        assert_int_equal(p->acc_new(NULL, &acc, &err), MMS_OK);
        accumulate(p, acc, rows, cuts[k], cuts[k + 1]);
        cJSON *saved;
        assert_int_equal(p->acc_save(NULL, acc, &saved, &err), MMS_OK);
        /* Through text, as a state file would carry it. */
        char *text = cJSON_PrintUnformatted(saved);
        cJSON *back = cJSON_Parse(text);
        assert_int_equal(p->acc_merge(NULL, merged, back, &err), MMS_OK);
        cJSON_Delete(back);
        free(text);
        cJSON_Delete(saved);
        p->acc_free(NULL, acc);
    }
    mms_values *sum = values_new();
    assert_int_equal(p->acc_finish(NULL, merged, sum, &err), MMS_OK);
    assert_true(cJSON_Compare(sum->obj, whole->obj, 1));

    /* A state with a missing or fractional count is refused. */
    cJSON *bad = cJSON_Parse("{\"n_records\": 1.5}");
    assert_int_equal(p->acc_merge(NULL, merged, bad, &err), MMS_EINVAL);
    cJSON_Delete(bad);

    p->acc_free(NULL, merged);
    values_free(sum);
    values_free(whole);
    free(rows);
}

static void test_empty_rates_are_null(void **state)
{
    (void)state;
    const mms_plugin *p = mmscore_plugin_entry();
    mms_values *sum = summarise(p, NULL, 0, 0);
    assert_true(cJSON_IsNull(mms_values_get(sum, "valid_rate")));
    assert_true(cJSON_IsNull(mms_values_get(sum, "struct_valid_rate_all_records")));
    assert_close(number_of(sum, "n_records"), 0, 0);
    values_free(sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_record),
        cmocka_unit_test(test_rates_match_reference),
        cmocka_unit_test(test_shards_merge_to_unsharded),
        cmocka_unit_test(test_empty_rates_are_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
