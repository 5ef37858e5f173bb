/* qhull's option log, switched off.
 *
 * For every hull qhull appends each option it sets or derives (about twenty
 * per hull: "_max-width 2.1", "Error-roundoff 1.1e-15", ...) to the string
 * qh->qhull_options, each through sprintf("%2.2g") and strncat over the whole
 * string so far.  That string is read only by qhull's own messages (the
 * "Options selected" lines of its summaries and error reports).  A fingerprint
 * builds one small hull per site, some 40,000 for an eval of two perov_5
 * sets, and this log alone was 8% of all the instructions of a fingerprint
 * run (callgrind, 600 perov_5 structures: 1467M with it, 1354M without).
 *
 * libqhull_r has no switch for it, so this plugin defines the function
 * itself.  A plugin is searched before its own dependencies when those
 * resolve their calls (ELF symbol interposition; libqhull_r calls qh_option
 * through its PLT), so qhull loaded with this plugin calls this no-op.  Nothing
 * that qhull computes reads the log: the records are byte-identical with and
 * without it on every fixture row.  Where the interposition does not happen
 * (another module loaded libqhull_r first, or a build of qhull that binds its
 * calls directly) qhull's own qh_option runs: the same results, only slower.
 * The prototype comes from qhull's header, so a changed signature fails to
 * compile instead of being called wrongly. */
#include <libqhull_r/qhull_ra.h>

__attribute__((visibility("default"))) void qh_option(qhT *qh, const char *option, int *i,
                                                      realT *r)
{
    (void)qh;
    (void)option;
    (void)i;
    (void)r;
}
