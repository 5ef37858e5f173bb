/* Structure matcher API: presets, values printed by pymatgen 2022.11.7
 * (Debian python3-pymatgen) for small hand-made cells, grouping, and the
 * errors bad input must give instead of a crash or a hang. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmscore/match.h"
#include "mmscore/structure.h"

static const double cubic_nacl[3][3] = {{5.64, 0, 0}, {0, 5.64, 0}, {0, 0, 5.64}};
static const double cubic_cu[3][3] = {{3.6, 0, 0}, {0, 3.6, 0}, {0, 0, 3.6}};

static mms_match_cell *cell(const mms_match_options *o, const double lat[3][3], size_t n,
                            const double pos[][3], const int *z)
{
    mms_match_cell *c = NULL;
    mms_error err;
    assert_int_equal(mms_match_cell_new(&c, o, lat, n, pos, z, NULL, NULL, &err), MMS_OK);
    return c;
}

static void test_presets(void **state)
{
    (void)state;
    mms_match_options o;
    assert_int_equal(mms_match_options_preset(&o, "cdvae", NULL), MMS_OK);
    assert_true(o.ltol == 0.3 && o.stol == 0.5 && o.angle_tol == 10 && o.primitive_cell && o.scale);
    assert_int_equal(mms_match_options_preset(&o, "supercell", NULL), MMS_OK);
    assert_true(o.attempt_supercell && o.comparator == MMS_MATCH_ELEMENT && o.stol == 0.3);
    mms_error err;
    assert_int_equal(mms_match_options_preset(&o, "nope", &err), MMS_EINVAL);
}

static void test_values(void **state)
{
    (void)state;
    mms_match_options o;
    mms_match_options_preset(&o, "default", NULL);
    const double pa[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}}, pb[2][3] = {{0.01, 0, 0}, {0.5, 0.52, 0.5}};
    const int z[2] = {11, 17};
    mms_match_cell *a = cell(&o, cubic_nacl, 2, pa, z), *b = cell(&o, cubic_nacl, 2, pb, z);
    int fit = 0, found = 0;
    double rms = 0, mx = 0;
    mms_error err;
    assert_int_equal(mms_match_fit(&o, a, b, &fit, &err), MMS_OK);
    assert_int_equal(fit, 1);
    assert_int_equal(mms_match_rms(&o, a, b, &found, &rms, &mx, &err), MMS_OK);
    assert_int_equal(found, 1);
    assert_true(fabs(rms - 0.014086345569239205) < 1e-12);
    assert_true(fabs(mx - 0.014086345569239206) < 1e-12);
    /* fcc Cu: conventional (4 sites) reduces to the 1-site primitive cell */
    const double pc[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    const int zc[4] = {29, 29, 29, 29};
    double lp[3][3];
    const double abc[3] = {2.5456, 2.5456, 2.5456}, ang[3] = {60, 60, 60};
    assert_int_equal(mms_lattice_from_parameters(lp, abc, ang, &err), MMS_OK);
    const double p0[1][3] = {{0, 0, 0}};
    mms_match_cell *c = cell(&o, cubic_cu, 4, pc, zc), *d = cell(&o, (const double (*)[3])lp, 1, p0, zc);
    assert_int_equal(mms_match_cell_size(c), 1);
    assert_int_equal(mms_match_fit(&o, c, d, &fit, &err), MMS_OK);
    assert_int_equal(fit, 1);
    /* different compositions never fit; grouping keeps input order */
    assert_int_equal(mms_match_fit(&o, a, c, &fit, &err), MMS_OK);
    assert_int_equal(fit, 0);
    const mms_match_cell *list[4] = {c, a, d, b};
    size_t g[4], ng = 0;
    assert_int_equal(mms_match_group(&o, 4, list, 2, g, &ng, &err), MMS_OK);
    assert_int_equal(ng, 2);
    assert_true(g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == 1);
    mms_match_cell_free(a), mms_match_cell_free(b), mms_match_cell_free(c), mms_match_cell_free(d);
}

static void test_bad_input(void **state)
{
    (void)state;
    mms_match_options o;
    mms_match_options_preset(&o, "default", NULL);
    mms_match_cell *c = NULL;
    mms_error err;
    const double p[1][3] = {{0, 0, 0}};
    const int z[1] = {6};
    assert_int_equal(mms_match_cell_new(&c, &o, cubic_cu, 0, p, z, NULL, NULL, &err), MMS_EINVAL);
    assert_non_null(strstr(err.message, "empty"));
    const double flat[3][3] = {{3, 0, 0}, {0, 3, 0}, {3, 3, 0}};
    assert_int_equal(mms_match_cell_new(&c, &o, flat, 1, p, z, NULL, NULL, &err), MMS_ECOMPUTE);
    assert_non_null(strstr(err.message, "degenerate"));
    const double needle[3][3] = {{1e5, 0, 0}, {0, 1e-4, 0}, {0, 0, 1e-4}};
    int rc = mms_match_cell_new(&c, &o, needle, 1, p, z, NULL, NULL, &err);
    assert_true(rc == MMS_ECOMPUTE || rc == MMS_OK);
    mms_match_cell_free(c);
    c = NULL;
    /* a 10^6 A cell: pymatgen's Niggli tolerance would accept ~10^4 vectors
     * per axis; a clear error instead of gigabytes */
    const double huge[3][3] = {{1e6, 0, 0}, {0, 1e6, 0}, {0, 0, 1e6}};
    const double p2[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    const int z2[2] = {6, 6};
    assert_int_equal(mms_match_cell_new(&c, &o, huge, 2, p2, z2, NULL, NULL, &err), MMS_ELIMIT);
    assert_null(c);
    const double nan_lat[3][3] = {{NAN, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    assert_int_equal(mms_match_cell_new(&c, &o, nan_lat, 1, p, z, NULL, NULL, &err), MMS_EINVAL);
    const int badz[1] = {0};
    assert_int_equal(mms_match_cell_new(&c, &o, cubic_cu, 1, p, badz, NULL, NULL, &err), MMS_EINVAL);
    /* a disordered site is refused, naming the site */
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, cubic_cu, &err), MMS_OK);
    mms_site site = {.n_species = 2};
    site.species[0] = (mms_species){.z = 29, .occupancy = 0.5};
    site.species[1] = (mms_species){.z = 79, .occupancy = 0.5};
    strcpy(site.label, "CuAu1");
    assert_int_equal(mms_structure_add_site(s, &site, 0, &err), MMS_OK);
    assert_int_equal(mms_structure_finalize(s, &err), MMS_OK);
    assert_int_equal(mms_match_cell_from_structure(&c, &o, s, &err), MMS_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "CuAu1"));
    assert_null(c);
    mms_structure_free(s);
    /* allow_subset cannot group (pymatgen raises) */
    o.allow_subset = 1;
    size_t g[1], ng;
    assert_int_equal(mms_match_group(&o, 0, NULL, 1, g, &ng, &err), MMS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
