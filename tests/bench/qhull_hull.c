/* Time per qhull hull, the way the fingerprint calls qhull (qh_new_qhull
 * with "qhull Q5", vertex neighbours, free), on a fixed point set: the
 * smallest hull (4 points: nearly all of it qhull's fixed set-up) and 40
 * points shaped like a site's dual point set (20 on a sphere, 20 inside).
 * Built twice (tests/fingerprint/CMakeLists.txt): qhull_hull_own runs
 * libqhull_r's own functions, qhull_hull_plugin links the plugin's
 * replacements of qh_option and qh_rand (plugins/common/qhull_setup.c).
 * Prints the fastest of five rounds of 20,000 hulls, in microseconds. */
#include <libqhull_r/qhull_ra.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* a fixed pseudo-random point set (a small LCG: the same on every run) */
static void points(coordT *p, int n)
{
    unsigned long long s = 12345;
    for (int i = 0; i < n; i++) {
        double x[3], r2;
        do {
            for (int k = 0; k < 3; k++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                x[k] = (double)(s >> 11) / 9007199254740992.0 * 2 - 1;
            }
            r2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
        } while (r2 > 1 || r2 < 0.01);
        double scale = i < n / 2 || n <= 4 ? 1 / sqrt(r2) : 0.5;
        for (int k = 0; k < 3; k++)
            p[3 * i + k] = x[k] * scale;
    }
}

static double us_per_hull(coordT *p, int n, int reps, FILE *quiet)
{
    double t0 = now();
    for (int k = 0; k < reps; k++) {
        qhT qh_storage, *qh = &qh_storage;
        char cmd[] = "qhull Q5";
        int curlong, totlong;
        qh_zero(qh, quiet);
        if (qh_new_qhull(qh, 3, n, p, False, cmd, NULL, quiet) == 0)
            qh_vertexneighbors(qh);
        qh_freeqhull(qh, !qh_ALL);
        qh_memfreeshort(qh, &curlong, &totlong);
    }
    return (now() - t0) / reps * 1e6;
}

int main(void)
{
    FILE *quiet = fopen("/dev/null", "w");
    if (!quiet)
        return 1;
    const int sizes[] = {4, 40};
    for (int s = 0; s < 2; s++) {
        coordT p[40 * 3];
        points(p, sizes[s]);
        double best = INFINITY;
        for (int round = 0; round < 5; round++)
            best = fmin(best, us_per_hull(p, sizes[s], 20000, quiet));
        printf("%d points: %.1f us per hull\n", sizes[s], best);
    }
    fclose(quiet);
    return 0;
}
