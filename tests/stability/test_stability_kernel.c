/* The hull kernel (phasediag.c) alone, on systems whose facets are built
 * without qhull, at compositions where the facets' order matters: within
 * 1e-9 of the compound's vertex but not on it, two facets accept the
 * composition and give answers that differ by up to 2e-10 eV/atom; pymatgen
 * takes the first facet in qhull's order, and so must the kernel.  Expected
 * values: pymatgen 2022.11.7 (PhaseDiagram, get_decomp_and_e_above_hull with
 * allow_negative=True, get_hull_energy_per_atom) on the same entries. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hullref.h"
#include "mmscore/elements.h"
#include "phasediag.h"

typedef struct expect {
    double li, o, energy;  /* the query: Li_li O_o, total eV */
    double e_above_hull, hull_energy_per_atom, tol;
    const char *id[2];     /* decomposition ids, fractions */
    double amount[2];
} expect;

static void near_vertex(void **st)
{
    (void)st;
    char path[256];
    snprintf(path, sizeof path, "/tmp/mms_stability_kernel_%ld.csv", (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* one compound (Li2O2) deep below the Li-O2 line, one above it */
    fputs("id,formula,energy\nA,Li1,-1.9\nB,O2,-9.8\nC,Li2O2,-20.0\nT,Li1O2,-5\n", f);
    fclose(f);
    hull_ref *ref;
    mms_error err;
    assert_int_equal(hull_ref_load(path, &ref, &err), MMS_OK);
    unlink(path);
    int li = mms_element_z("Li"), o = mms_element_z("O");
    hull_mask m = {{0, 0}};
    hull_mask_add(&m, li);
    hull_mask_add(&m, o);
    phase_diagram *pd;
    assert_int_equal(pd_build(ref, &m, &pd, &err), MMS_OK);
    static const expect cases[] = {
        /* 1e-9 relative off the vertex, on either side: qhull's first facet */
        {1, 1.00000000004, -10, 2.000000165480742e-10, -5.0000000001, 1e-15,
         {"C", NULL}, {1.00000000002, 0}},
        {1.00000000004, 1, -10, 0.0, -4.9999999999, 1e-15, {"C", NULL}, {0.99999999998, 0}},
        {1, 1.0000000000001, -10, 4.991562718714704e-13, -5.00000000000025, 1e-15,
         {"C", NULL}, {1.00000000000005, 0}},
        /* on the vertex, inside a facet, near an element */
        {1, 1, -10, 0.0, -5.0, 1e-15, {"C", NULL}, {1, 0}},
        {2, 1, -13, -0.3666666666666667, -3.9666666666666663, 1e-12, {"C", "A"},
         {0.6666666666666666, 0.33333333333333337}},
        {1, 1.0000001, -10, 2.449999882969678e-07, -4.9999999950000005, 1e-12, {"C", "B"},
         {0.9999999500000025, 4.99999974756804e-08}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const expect *x = &cases[k];
        int z[2] = {li, o};
        double amt[2] = {x->li, x->o};
        pd_result r;
        assert_int_equal(pd_query(pd, ref, z, amt, 2, x->energy, &r, &err), MMS_OK);
        if (!(fabs(r.e_above_hull - x->e_above_hull) <= x->tol) ||
            !(fabs(r.hull_energy_per_atom - x->hull_energy_per_atom) <= x->tol))
            fail_msg("case %zu: e_above_hull %.17g (pymatgen %.17g), hull %.17g (%.17g)", k,
                     r.e_above_hull, x->e_above_hull, r.hull_energy_per_atom,
                     x->hull_energy_per_atom);
        int n = x->id[1] ? 2 : 1;
        assert_int_equal(r.n, n);
        for (int i = 0; i < n; i++) {
            int j = 0;
            while (j < r.n && strcmp(ref->id[r.entry[j]], x->id[i]))
                j++;
            assert_true(j < r.n);
            assert_true(fabs(r.amount[j] - x->amount[i]) <= x->tol);
        }
    }
    pd_free(pd);
    hull_ref_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(near_vertex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
