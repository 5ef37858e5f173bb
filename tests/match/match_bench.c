/* Timing of the matcher on pairs files (tests/bench/match.sh runs it next
 * to pymatgen on the same pairs).
 *
 *   match_bench PAIRS.jsonl MAX_PAIRS ROUNDS
 *
 * Per preset, the wall time of fit(a, b) and get_rms_dist(a, b) as pymatgen
 * calls them (both structures reduced inside every call, CIF parsing
 * excluded on both sides), then fit on cells reduced once.  One thread. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmscore/match.h"
#include "mmscore/reader.h"
#include "mmscore/structure.h"

static int take_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)err;
    mms_structure **out = ctx;
    if (block == 0 && s && !*out)
        *out = s;
    else
        mms_structure_free(s);
    return MMS_OK;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); /* CPU time: the machine is shared */
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: match_bench PAIRS.jsonl MAX_PAIRS ROUNDS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t maxp = (size_t)atol(argv[2]), n = 0;
    int rounds = atoi(argv[3]);
    mms_structure **A = calloc(maxp, sizeof *A), **B = calloc(maxp, sizeof *B);
    char *line = NULL;
    size_t cap = 0;
    while (n < maxp && getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const char *ca = cJSON_GetStringValue(cJSON_GetObjectItem(j, "cif_a"));
        const char *cb = cJSON_GetStringValue(cJSON_GetObjectItem(j, "cif_b"));
        if (ca && cb) {
            mms_read_cif(ca, strlen(ca), NULL, take_first, &A[n], NULL);
            mms_read_cif(cb, strlen(cb), NULL, take_first, &B[n], NULL);
            if (A[n] && B[n]) n++;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    const char *presets[3] = {"default", "cdvae", "supercell"};
    printf("{\"pairs\": %zu, \"rounds\": %d", n, rounds);
    for (int p = 0; p < 3; p++) {
        mms_match_options o;
        mms_match_options_preset(&o, presets[p], NULL);
        double t[3] = {0, 0, 0};
        long fits = 0;
        for (int r = 0; r < rounds; r++)
            for (int op = 0; op < 2; op++) {
                double t0 = now();
                for (size_t i = 0; i < n; i++) {
                    mms_match_cell *a = NULL, *b = NULL;
                    int fit = 0, found = 0;
                    double rms, mx;
                    if (!mms_match_cell_from_structure(&a, &o, A[i], NULL) &&
                        !mms_match_cell_from_structure(&b, &o, B[i], NULL)) {
                        if (op == 0)
                            mms_match_fit(&o, a, b, &fit, NULL), fits += fit;
                        else
                            mms_match_rms(&o, a, b, &found, &rms, &mx, NULL);
                    }
                    mms_match_cell_free(a), mms_match_cell_free(b);
                }
                t[op] += now() - t0;
            }
        /* reduced once, compared many times (what grouping and the
         * uniqueness/novelty scorers do) */
        mms_match_cell **ca = calloc(n, sizeof *ca), **cb = calloc(n, sizeof *cb);
        for (size_t i = 0; i < n; i++) {
            mms_match_cell_from_structure(&ca[i], &o, A[i], NULL);
            mms_match_cell_from_structure(&cb[i], &o, B[i], NULL);
        }
        for (int r = 0; r < rounds; r++) {
            double t0 = now();
            for (size_t i = 0; i < n; i++) {
                int fit;
                if (ca[i] && cb[i]) mms_match_fit(&o, ca[i], cb[i], &fit, NULL);
            }
            t[2] += now() - t0;
        }
        for (size_t i = 0; i < n; i++) mms_match_cell_free(ca[i]), mms_match_cell_free(cb[i]);
        free(ca), free(cb);
        printf(", \"%s\": {\"fit_s\": %.6f, \"rms_s\": %.6f, \"fit_reduced_s\": %.6f, \"n_fit\": %ld}", presets[p],
               t[0] / rounds, t[1] / rounds, t[2] / rounds, fits / (rounds ? rounds : 1));
    }
    printf("}\n");
    for (size_t i = 0; i < n; i++) mms_structure_free(A[i]), mms_structure_free(B[i]);
    free(A), free(B);
    return 0;
}
