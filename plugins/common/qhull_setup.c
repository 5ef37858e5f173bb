/* Two pieces of qhull's per-hull set-up, made cheap.
 *
 * A fingerprint builds one small hull per site (some 40,000 for an eval of
 * two perov_5 sets), so qhull's fixed cost per hull matters as much as the
 * hull itself.  Two parts of it do no geometry at all:
 *  - qh_option: qhull appends each option it sets or derives (about twenty
 *    per hull: "_max-width 2.1", "Error-roundoff 1.1e-15", ...) to the string
 *    qh->qhull_options, each through sprintf("%2.2g") and a strncat over the
 *    whole string so far.  Only qhull's own messages read that string (the
 *    "Options selected" lines of its summaries and error reports).
 *  - qh_rand: qh_initqhull_globals draws 1000 numbers from qhull's
 *    Park-Miller generator to check its range, then seeds it again.  Each
 *    draw is a chain of dependent divisions (Schrage's method, for 32-bit
 *    arithmetic); in 64 bits the same number costs a multiply and a fold.
 * On this machine (tests/bench/qhull_hull.c, run by tests/bench/
 * fingerprint.sh) the smallest hull took 28.6 us with qhull's own functions,
 * 21.0 us without the option log and 16.5 us with the 64-bit draws too; a
 * site's hull (~40 points) takes 50-90 us.
 *
 * libqhull_r has no switch for either, so this plugin defines both.  A
 * plugin is searched before its own dependencies when those resolve their
 * calls (ELF symbol interposition; libqhull_r calls both through its PLT), so
 * the qhull loaded with this plugin calls these.  Nothing qhull computes reads
 * the option log, and qh_rand returns qhull's own sequence (tested against
 * libqhull_r's function): records are byte-identical with and without them on
 * every fixture row.  Where the interposition does not happen (another module
 * loaded libqhull_r first, or a qhull build that binds its calls directly)
 * qhull's own functions run: the same results, only slower.  The prototypes
 * come from qhull's header, so a changed signature fails to compile instead
 * of being called wrongly. */
#include <libqhull_r/qhull_ra.h>

#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void qh_option(qhT *qh, const char *option, int *i, realT *r)
{
    (void)qh;
    (void)option;
    (void)i;
    (void)r;
}

/* seed' = 16807 seed mod (2^31 - 1), the "minimal standard" generator of
 * qhull's random_r.c.  For a state in [1, 2^31 - 2] (qh_srand keeps it
 * there) the product fits in 46 bits and, as 2^31 = 1 mod 2^31 - 1, folding
 * its high bits onto its low 31 bits leaves the residue plus at most one
 * modulus.  Any other state takes qhull's own formula, whose result for
 * such states (e.g. 0 -> 2^31 - 1) is not a residue. */
EXPORT int qh_rand(qhT *qh)
{
    const int32_t m = 2147483647, a = 16807, q = 127773, rr = 2836;
    int32_t seed = qh->last_random;
    if (seed >= 1 && seed < m) {
        uint64_t t = (uint64_t)a * (uint64_t)seed;
        uint64_t f = (t & (uint64_t)m) + (t >> 31);
        seed = (int32_t)(f >= (uint64_t)m ? f - (uint64_t)m : f);
    } else {
        int32_t test = a * (seed % q) - rr * (seed / q);
        seed = test > 0 ? test : test + m;
    }
    qh->last_random = seed;
    return seed;
}
