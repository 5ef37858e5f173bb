/* Agreement and speed of smact_validity on the reference's own compositions.
 *
 *   compare_smact [--repeat N] FILE.ref.jsonl...
 *
 * For every row basic_eval built a Crystal for, runs the SMACT check on the
 * row's `elements`/`counts` (exactly Crystal.elems/comps) with SMACT 2.5.5's
 * Zr value and with the old 0.33, compares with `comp_valid` and
 * `comp_valid_zr_eneg_0p33`, and times each call (the fastest of N with
 * --repeat N).  A reference null (its
 * timeout) is listed apart and compared with the exact answer True given by
 * the fixtures README.  Exit status 1 on any disagreement. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <mmscore/elements.h>

#include "../../plugins/composition/smact.h"

typedef struct tally {
    size_t rows, checked, agree, agree_zr, timeouts, timeouts_true;
    double worst_s;          /* slowest composition (its fastest call) */
    double wall_s;           /* every call, for the throughput */
    size_t calls;
    char worst_id[64];
} tally;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs one row; returns the seconds of the (default) call, or -1 if skipped. */
static double run_row(const cJSON *row, tally *t, int repeat)
{
    const cJSON *els = cJSON_GetObjectItemCaseSensitive(row, "elements");
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(row, "counts");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "crystal_ok")) || !cJSON_IsArray(els))
        return -1;
    int z[SMACT_MAX_Z + 16];
    long c[SMACT_MAX_Z + 16];
    size_t n = 0;
    const cJSON *e, *k;
    cJSON_ArrayForEach(e, els) z[n++] = mms_element_z(e->valuestring);
    n = 0;
    cJSON_ArrayForEach(k, cnt) c[n++] = (long)k->valuedouble;

    smact_options opt;
    smact_options_default(&opt);
    smact_result r, rz;
    mms_error err;
    /* The fastest of `repeat` calls: on a shared machine the others carry
     * preemption, not the cost of the composition. */
    int rc = MMS_OK;
    double secs = 0;
    for (int i = 0; i < repeat && rc == MMS_OK; i++) {
        double t0 = now();
        rc = smact_validity(z, c, n, &opt, &r, &err);
        double dt = now() - t0;
        secs = i == 0 || dt < secs ? dt : secs;
        t->wall_s += dt;
        t->calls++;
    }
    opt.zr_eneg = 0.33;
    int rcz = smact_validity(z, c, n, &opt, &rz, &err);

    const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
    if (!id)
        id = cJSON_GetObjectItemCaseSensitive(row, "material_id");
    if (!id)
        id = cJSON_GetObjectItemCaseSensitive(row, "file");
    char idbuf[64];
    if (cJSON_IsString(id))
        snprintf(idbuf, sizeof idbuf, "%s", id->valuestring);
    else
        snprintf(idbuf, sizeof idbuf, "row %d",
                 cJSON_GetObjectItemCaseSensitive(row, "row")->valueint);

    const cJSON *want = cJSON_GetObjectItemCaseSensitive(row, "comp_valid");
    const cJSON *want_zr = cJSON_GetObjectItemCaseSensitive(row, "comp_valid_zr_eneg_0p33");
    t->checked++;
    if (cJSON_IsNull(want)) {
        t->timeouts++;
        t->timeouts_true += rc == MMS_OK && r.valid;
        fprintf(stderr, "  %s: reference null (timeout); mmscore %s (%s) in %.1f us\n", idbuf,
                rc == MMS_OK && r.valid ? "True" : "False",
                rc == MMS_OK ? smact_verdict_name(r.verdict) : err.message, secs * 1e6);
    } else {
        int ok = rc == MMS_OK && r.valid == cJSON_IsTrue(want);
        int okz = rcz == MMS_OK && rz.valid == cJSON_IsTrue(want_zr);
        t->agree += (size_t)ok;
        t->agree_zr += (size_t)okz;
        if (!ok || !okz)
            fprintf(stderr, "  DISAGREE %s: reference %d/%d, mmscore %d/%d\n", idbuf,
                    cJSON_IsTrue(want), cJSON_IsTrue(want_zr), r.valid, rz.valid);
    }
    if (secs > t->worst_s) {
        t->worst_s = secs;
        snprintf(t->worst_id, sizeof t->worst_id, "%s", idbuf);
    }
    return secs;
}

static char *slurp_line(FILE *f, char **buf, size_t *cap)
{
    return getline(buf, cap, f) > 0 ? *buf : NULL;
}

int main(int argc, char **argv)
{
    int repeat = 1, first = 1;
    if (argc > 2 && strcmp(argv[1], "--repeat") == 0) {
        repeat = atoi(argv[2]);
        first = 3;
        if (repeat < 1)
            repeat = 1;
    }
    printf("%-32s %7s %7s %12s %12s %9s %10s %12s %s\n", "file", "rows", "checked",
           "comp_valid", "zr_0p33", "timeouts", "median_us", "worst_us", "worst_id");
    size_t cap_times = 1024, ntimes = 0, bad = 0;
    double *times = malloc(cap_times * sizeof *times), all_wall = 0, all_worst = 0;
    size_t all_checked = 0, all_calls = 0;
    for (int a = first; a < argc; a++) {
        FILE *f = fopen(argv[a], "r");
        if (!f) {
            fprintf(stderr, "%s: %s\n", argv[a], strerror(errno));
            return 2;
        }
        tally t = {0};
        size_t first_time = ntimes;
        char *buf = NULL;
        size_t cap = 0;
        while (slurp_line(f, &buf, &cap)) {
            cJSON *row = cJSON_Parse(buf);
            if (!row)
                continue;
            t.rows++;
            double s = run_row(row, &t, repeat);
            cJSON_Delete(row);
            if (s < 0)
                continue;
            if (ntimes == cap_times) {
                double *grown = realloc(times, 2 * cap_times * sizeof *times);
                if (!grown)
                    return 2;
                times = grown;
                cap_times *= 2;
            }
            times[ntimes++] = s;
        }
        free(buf);
        fclose(f);
        size_t nf = ntimes - first_time;
        qsort(times + first_time, nf, sizeof *times, cmp_double);
        double median = nf ? times[first_time + nf / 2] : 0;
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        char agree[32], agree_zr[32];
        size_t compared = t.checked - t.timeouts;
        snprintf(agree, sizeof agree, "%zu/%zu", t.agree, compared);
        snprintf(agree_zr, sizeof agree_zr, "%zu/%zu", t.agree_zr, compared);
        printf("%-32s %7zu %7zu %12s %12s %5zu(%zuT) %10.2f %12.2f %s\n", name, t.rows, t.checked,
               agree, agree_zr, t.timeouts, t.timeouts_true, median * 1e6, t.worst_s * 1e6,
               t.worst_id);
        bad += compared - t.agree + compared - t.agree_zr + t.timeouts - t.timeouts_true;
        all_wall += t.wall_s;
        all_calls += t.calls;
        all_checked += t.checked;
        all_worst = t.worst_s > all_worst ? t.worst_s : all_worst;
    }
    qsort(times, ntimes, sizeof *times, cmp_double);
    double median = ntimes ? times[ntimes / 2] : 0;
    printf("all: %zu compositions, %zu calls: %.0f compositions/s over every call; per "
           "composition (fastest call) median %.2f us, worst %.2f us; SMACT 2.5.5 median "
           "51 us -> %.0fx by median\n",
           all_checked, all_calls, all_wall > 0 ? (double)all_calls / all_wall : 0,
           median * 1e6, all_worst * 1e6, median > 0 ? 51e-6 / median : 0);
    printf("disagreements: %zu\n", bad);
    free(times);
    return bad ? 1 : 0;
}
