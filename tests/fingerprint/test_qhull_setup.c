/* The plugin's replacements of two qhull set-up functions
 * (plugins/common/qhull_setup.c): qh_rand must give qhull's own
 * sequence from every state, and qhull must really call the replacements
 * (its option log stays empty) while building the same hull. */
#define _GNU_SOURCE /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <libqhull_r/qhull_ra.h>

/* libqhull_r's own qh_rand: looked up in the library itself, which a handle
 * search starts with, whatever the executable defines. */
static int (*qhull_own_rand(void))(qhT *)
{
    Dl_info info;
    if (!dladdr((void *)qh_setsize, &info) || !info.dli_fname)
        return NULL;
    void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (!lib)
        return NULL;
    int (*own)(qhT *);
    *(void **)(&own) = dlsym(lib, "qh_rand");
    dlclose(lib);
    return own;
}

static void test_rand_is_qhulls_sequence(void **st)
{
    (void)st;
    int (*own)(qhT *) = qhull_own_rand();
    assert_non_null(own);
    assert_true(own != qh_rand); /* else this compares qh_rand with itself */
    qhT *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    /* every state qh_srand can set, the ends of the range and states it never
     * sets (qhull's formula decides those too) */
    const int starts[] = {1, 2, 3, 16807, 127773, 127774, 1043618065, 2147483645, 2147483646,
                          0, 2147483647, -1, -127773, INT_MIN + 1, INT_MIN};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        a->last_random = b->last_random = starts[s];
        for (int k = 0; k < 20000; k++) {
            int x = qh_rand(a), y = own(b);
            assert_int_equal(x, y);
            assert_int_equal(a->last_random, b->last_random);
        }
    }
    free(a);
    free(b);
}

static void test_hull_with_option_log_off(void **st)
{
    (void)st;
    /* a cube's corners around its centre: 8 hull vertices, 6 square facets
     * after qhull merges the coplanar triangles */
    coordT pts[9 * 3];
    int n = 0;
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 3; k++)
            pts[n++] = (i >> k) & 1 ? 1.0 : -1.0;
    pts[n++] = 0.0;
    pts[n++] = 0.0;
    pts[n++] = 0.0;
    FILE *devnull = fopen("/dev/null", "w");
    qhT qh_storage, *qh = &qh_storage;
    char cmd[] = "qhull Q5";
    qh_zero(qh, devnull);
    assert_int_equal(qh_new_qhull(qh, 3, 9, pts, False, cmd, NULL, devnull), 0);
    assert_int_equal(qh->num_vertices, 8);
    assert_int_equal(qh->num_facets, 6);
    assert_string_equal(qh->qhull_options, ""); /* qhull called the no-op */
    int curlong, totlong;
    qh_freeqhull(qh, !qh_ALL);
    qh_memfreeshort(qh, &curlong, &totlong);
    assert_int_equal(curlong, 0);
    fclose(devnull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rand_is_qhulls_sequence),
        cmocka_unit_test(test_hull_with_option_log_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
