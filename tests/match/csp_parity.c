/* CSP match rate parity with CDVAE's RecEval (reference values made with
 * pymatgen 2022.11.7, SMACT 2.5.5, CrystalNN): runs `mmscore csp` and
 * compares every prediction's validity and rms, the match rate (equal) and
 * rms_dist (within 1e-9).
 *
 *   csp_parity GT.csv PRED.csv REF.json MIN_PAIRS
 *
 * Exit 77 (skipped) when an input is missing. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: csp_parity GT PRED REF.json MIN_PAIRS\n");
        return 2;
    }
    for (int i = 1; i <= 3; i++)
        if (access(argv[i], R_OK)) {
            printf("SKIPPED: %s not found\n", argv[i]);
            return 77;
        }
    char recs[] = "/tmp/mmscore_csp_XXXXXX";
    int fd = mkstemp(recs);
    if (fd < 0) return 1;
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' csp -j 2 --json --records '%s' --gt '%s' '%s'", MMSCORE_CLI, recs, argv[1],
             argv[2]);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    while (p && out && len + 1 < cap) {
        size_t k = fread(out + len, 1, cap - 1 - len, p);
        if (!k) break;
        len += k;
    }
    int status = p ? pclose(p) : -1;
    out[len] = 0;
    cJSON *sum = cJSON_Parse(out), *ref = NULL;
    char *reftext = slurp(argv[3]);
    ref = cJSON_Parse(reftext);
    const cJSON *csp = cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "plugins"), "csp");
    if (status != 0 || !csp || !ref) {
        printf("FAIL: mmscore csp exited %d or gave no summary\n", status);
        return 1;
    }
    const cJSON *pairs = cJSON_GetObjectItem(ref, "pairs");
    FILE *rf = fopen(recs, "r");
    char *line = NULL;
    size_t lcap = 0;
    int i = 0, n = 0, bad = 0;
    double maxdiff = 0;
    while (rf && getline(&line, &lcap, rf) > 0) {
        cJSON *r = cJSON_Parse(line);
        const cJSON *want = cJSON_GetArrayItem(pairs, i++);
        const cJSON *v = cJSON_GetObjectItem(r, "csp_valid"), *rms = cJSON_GetObjectItem(r, "csp_rms");
        const cJSON *wv = cJSON_GetObjectItem(want, "valid"), *wr = cJSON_GetObjectItem(want, "rms");
        if (!want || !v) {
            bad++;
        } else {
            n++;
            if (cJSON_IsTrue(v) != cJSON_IsTrue(wv) || cJSON_IsNumber(rms) != cJSON_IsNumber(wr)) {
                bad++;
                printf("pair %d: valid %d rms %s, reference valid %d rms %s\n", i - 1, cJSON_IsTrue(v),
                       cJSON_IsNumber(rms) ? "set" : "null", cJSON_IsTrue(wv), cJSON_IsNumber(wr) ? "set" : "null");
            } else if (cJSON_IsNumber(rms)) {
                double d = fabs(rms->valuedouble - wr->valuedouble);
                if (d > maxdiff) maxdiff = d;
                if (d > 1e-6) bad++, printf("pair %d: rms %.12g vs %.12g\n", i - 1, rms->valuedouble, wr->valuedouble);
            }
        }
        cJSON_Delete(r);
    }
    if (rf) fclose(rf);
    free(line);
    unlink(recs);
    double mr = cJSON_GetObjectItem(csp, "match_rate")->valuedouble;
    double rd = cJSON_GetObjectItem(csp, "rms_dist")->valuedouble;
    double wmr = cJSON_GetObjectItem(ref, "match_rate")->valuedouble;
    double wrd = cJSON_GetObjectItem(ref, "rms_dist")->valuedouble;
    printf("csp: %d pairs compared, %d differ (max rms difference %.3g); match_rate %.6f (reference %.6f), "
           "rms_dist %.15f (reference %.15f)\n",
           n, bad, maxdiff, mr, wmr, rd, wrd);
    int fail = bad || n < atoi(argv[4]) || n != cJSON_GetArraySize(pairs) || fabs(mr - wmr) > 1e-12 ||
               fabs(rd - wrd) > 1e-9;
    if (fail) printf("FAIL\n");
    cJSON_Delete(sum), cJSON_Delete(ref), free(reftext), free(out);
    return fail;
}
