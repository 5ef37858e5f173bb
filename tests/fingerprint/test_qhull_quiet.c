/* The plugin's no-op for qhull's option log (plugins/fingerprint/
 * qhull_quiet.c): qhull must really call it (its option log stays empty)
 * and build the same hull. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include <libqhull_r/qhull_ra.h>

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
        cmocka_unit_test(test_hull_with_option_log_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
