/* The Open Babel reader plugin, loaded as the host loads it (dlopen), must
 * read POSCAR and extended-XYZ versions of fixture structures into the same
 * composition and cell volume as the core's CIF reader reads the CIF. */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mmscore/mmscore.h"
#include "roundtrip.h"

static const mms_plugin *ob;
static void *ob_state;
static void *ob_handle;

typedef struct collected {
    mms_structure *s[8];
    size_t n;
    int errors;
    char last_error[MMS_ERROR_MESSAGE_MAX];
} collected;

static int collect(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    collected *c = ctx;
    if (!s) {
        c->errors++;
        snprintf(c->last_error, sizeof c->last_error, "%s", err->message);
        return MMS_OK;
    }
    if (c->n < 8)
        c->s[c->n++] = s;
    else
        mms_structure_free(s);
    return MMS_OK;
}

static void collected_free(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        mms_structure_free(c->s[i]);
    memset(c, 0, sizeof *c);
}

static int read_file(const char *name, const char *format, collected *c, mms_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/openbabel/%s", MMSCORE_TEST_DATA, name);
    size_t len = 0;
    char *text = rt_slurp(path, &len);
    if (!text)
        return mms_error_set(err, MMS_EIO, 0, "cannot read %s", path);
    mms_read_options opt = {0};
    opt.source = path;
    int rc = strcmp(format, "cif") == 0 ? mms_read_cif(text, len, &opt, collect, c, err)
                                        : ob->read(ob_state, format, text, len, &opt, collect, c, err);
    free(text);
    return rc;
}

static int setup(void **unused)
{
    (void)unused;
    char path[1024];
    snprintf(path, sizeof path, "%s/openbabel.so", MMSCORE_PLUGIN_BUILD_DIR);
    ob_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!ob_handle) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    mms_plugin_entry_fn entry;
    *(void **)&entry = dlsym(ob_handle, MMS_PLUGIN_ENTRY_SYMBOL);
    if (!entry)
        return -1;
    ob = entry();
    if (ob->abi_version != MMS_PLUGIN_ABI_VERSION || ob->struct_size != sizeof(mms_plugin))
        return -1;
    mms_error err;
    return ob->create(&ob_state, NULL, &err) == MMS_OK ? 0 : -1;
}

static int teardown(void **unused)
{
    (void)unused;
    if (ob)
        ob->destroy(ob_state);
    if (ob_handle)
        dlclose(ob_handle);
    return 0;
}

/* Same elements, same amounts, same volume (1e-6 relative). */
static void assert_same_structure(const mms_structure *a, const mms_structure *b)
{
    assert_int_equal(a->n_sites, b->n_sites);
    assert_int_equal(a->n_elements, b->n_elements);
    for (size_t i = 0; i < a->n_elements; i++) {
        assert_int_equal(a->element_z[i], b->element_z[i]);
        assert_true(fabs(a->element_amount[i] - b->element_amount[i]) < 1e-9);
    }
    assert_true(fabs(a->volume - b->volume) <= 1e-6 * a->volume);
}

/* Each name in list.txt has name.cif, name.poscar and name.xyz, written by
 * `mmscore convert` from fixture structures (see SOURCE.md). */
static void test_formats_agree_with_cif_reader(void **unused)
{
    (void)unused;
    char list_path[1024];
    snprintf(list_path, sizeof list_path, "%s/openbabel/list.txt", MMSCORE_TEST_DATA);
    FILE *list = fopen(list_path, "r");
    assert_non_null(list);
    char name[256];
    int checked = 0;
    while (fscanf(list, "%255s", name) == 1) {
        const char *fmts[] = {"poscar", "xyz"};
        char file[300];
        collected ref = {0};
        mms_error err;
        snprintf(file, sizeof file, "%s.cif", name);
        assert_int_equal(read_file(file, "cif", &ref, &err), MMS_OK);
        assert_int_equal(ref.n, 1);
        for (int f = 0; f < 2; f++) {
            collected got = {0};
            snprintf(file, sizeof file, "%s.%s", name, fmts[f]);
            int rc = read_file(file, fmts[f], &got, &err);
            if (rc != MMS_OK || got.n != 1)
                fail_msg("%s: %s", file, rc != MMS_OK ? err.message : got.last_error);
            assert_same_structure(ref.s[0], got.s[0]);
            collected_free(&got);
            checked++;
        }
        collected_free(&ref);
    }
    fclose(list);
    assert_true(checked >= 20);
}

/* A plain XYZ has no cell: a clear error for that record, not a crash. */
static void test_xyz_without_cell_is_an_error(void **unused)
{
    (void)unused;
    const char *text = "2\nwater-free\nNa 0 0 0\nCl 2.8 0 0\n";
    collected got = {0};
    mms_error err;
    mms_error_clear(&err);
    int rc = ob->read(ob_state, "xyz", text, strlen(text), NULL, collect, &got, &err);
    assert_true(rc != MMS_OK || got.errors == 1);
    assert_int_equal(got.n, 0);
    const char *msg = rc != MMS_OK ? err.message : got.last_error;
    assert_non_null(strstr(msg, "cell") ? msg : strstr(msg, "read"));
    collected_free(&got);
}

/* Open Babel 3.1.1's VASP reader indexes tokens unchecked and sums counts
 * into an unsigned total: the plugin refuses such files itself, with the
 * line, and reads an element repeated in the symbol line. */
static void test_poscar_layout_checked(void **unused)
{
    (void)unused;
    const char *bad[] = {
        "t\n1.0\n3 0 0\n0 3 0\n0 0 3\nNa Cl\n1 -1\ndirect\n0 0 0\n0.5 0.5 0.5\n",
        "t\n1.0\n3 0 0\n0 3 0\n0 0 3\nNa Cl\n1 1\ndirect\n0 0 0\n0.5\n",
        "t\n1.0\n3 0 0\n0 3\n0 0 3\nNa\n1\ndirect\n0 0 0\n",
        "t\n1.0\n3 0 0\n0 3 0\n0 0 3\nNa\n99999999999\ndirect\n0 0 0\n",
    };
    const char *why[] = {"line 7: atom counts must be positive integers",
                         "line 10: expected three coordinates of atom 2 of 2",
                         "line 4: a lattice vector needs three numbers",
                         "more atoms than the limit of"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        collected got = {0};
        mms_error err;
        mms_error_clear(&err);
        int rc = ob->read(ob_state, "poscar", bad[i], strlen(bad[i]), NULL, collect, &got, &err);
        assert_int_equal(rc, MMS_EPARSE);
        assert_int_equal(got.n, 0);
        if (!strstr(err.message, why[i]))
            fail_msg("case %zu: %s", i, err.message);
    }
    const char *rep = "t\n1.0\n3 0 0\n0 3 0\n0 0 3\nTi Mn Ti\n1 1 1\ndirect\n"
                      "0 0 0\n0.5 0.5 0.5\n0.25 0.25 0.25\n";
    collected got = {0};
    mms_error err;
    assert_int_equal(ob->read(ob_state, "poscar", rep, strlen(rep), NULL, collect, &got, &err),
                     MMS_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.s[0]->n_sites, 3);
    assert_int_equal(got.s[0]->sites[2].species[0].z, 22);
    assert_true(fabs(got.s[0]->sites[2].frac[0] - 0.25) < 1e-12);
    assert_true(fabs(got.s[0]->volume - 27.0) < 1e-9);
    collected_free(&got);
}

/* Extended XYZ as ASE and mmscore write it: the cell from Lattice="...";
 * several frames are several structures; a malformed Lattice is an error
 * for its frame. */
static void test_extxyz_lattice(void **unused)
{
    (void)unused;
    const char *two = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3\n"
                      "Na 1.5 1.5 1.5\n"
                      "1\nLattice=\"4 0 0 0 4 0 0 0 4\"\nCl 0 0 0\n";
    collected got = {0};
    mms_error err;
    assert_int_equal(ob->read(ob_state, "xyz", two, strlen(two), NULL, collect, &got, &err),
                     MMS_OK);
    assert_int_equal(got.n, 2);
    assert_true(fabs(got.s[0]->volume - 27.0) < 1e-9);
    assert_true(fabs(got.s[0]->sites[0].frac[0] - 0.5) < 1e-12);
    assert_true(fabs(got.s[1]->volume - 64.0) < 1e-9);
    collected_free(&got);
    /* a hostile atom count is refused before Open Babel reserves for it */
    const char *huge = "999999999999\nLattice=\"3 0 0 0 3 0 0 0 3\"\nNa 0 0 0\n";
    assert_int_equal(ob->read(ob_state, "xyz", huge, strlen(huge), NULL, collect, &got, &err),
                     MMS_ELIMIT);
    assert_int_equal(got.n, 0);
    const char *short_lat = "1\nLattice=\"3 0 0 0 3 0 0 0\"\nNa 0 0 0\n";
    assert_int_equal(ob->read(ob_state, "xyz", short_lat, strlen(short_lat), NULL, collect, &got,
                              &err),
                     MMS_OK);
    assert_int_equal(got.n, 0);
    assert_int_equal(got.errors, 1);
    assert_non_null(strstr(got.last_error, "Lattice"));
    collected_free(&got);
}

static void test_garbage_and_unknown_format(void **unused)
{
    (void)unused;
    const char *junk = "\x01\x02 not a poscar at all\n\n\n";
    collected got = {0};
    mms_error err;
    int rc = ob->read(ob_state, "poscar", junk, strlen(junk), NULL, collect, &got, &err);
    assert_true(rc != MMS_OK || got.errors > 0 || got.n == 0);
    collected_free(&got);
    rc = ob->read(ob_state, "docx", junk, strlen(junk), NULL, collect, &got, &err);
    assert_int_equal(rc, MMS_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "docx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_agree_with_cif_reader),
        cmocka_unit_test(test_xyz_without_cell_is_an_error),
        cmocka_unit_test(test_poscar_layout_checked),
        cmocka_unit_test(test_extxyz_lattice),
        cmocka_unit_test(test_garbage_and_unknown_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
