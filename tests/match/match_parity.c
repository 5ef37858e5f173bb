/* Parity of the structure matcher with pymatgen 2022.11.7 on pairs files
 * in the format of ../shared/fixtures/matching/pairs.jsonl.
 *
 *   match_parity PAIRS.jsonl MIN_COMPARED [MAX_FIT_DIFF MAX_RMS_DIFF [DUMP]]
 *
 * Prints the agreement per preset and every disagreement; DUMP gets every
 * value bit for bit (%a), so a speed-up can be diffed against the code
 * before it (docs/metrics-match.md, "Speed-ups"); exits 1 when
 * fewer than MIN_COMPARED pairs were compared or more verdicts differ than
 * allowed, 77 (skipped) when the file does not exist. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/match.h"
#include "mmscore/reader.h"
#include "mmscore/structure.h"

static int take_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)err;
    mms_structure **out = ctx;
    if (block == 0 && s && !*out) {
        *out = s;
        return MMS_OK;
    }
    mms_structure_free(s);
    return MMS_OK;
}

static mms_structure *read_cif(const char *text)
{
    mms_structure *s = NULL;
    mms_error err;
    if (mms_read_cif(text, strlen(text), NULL, take_first, &s, &err)) return NULL;
    return s;
}

static const char *presets[3] = {"default", "cdvae", "supercell"};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: match_parity PAIRS.jsonl MIN_COMPARED [MAX_FIT_DIFF MAX_RMS_DIFF [DUMP]]\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "r");
    if (!fp) {
        printf("SKIPPED: %s not found\n", argv[1]);
        return 77;
    }
    long min_compared = atol(argv[2]);
    long max_fit_diff = argc > 3 ? atol(argv[3]) : 0, max_rms_diff = argc > 4 ? atol(argv[4]) : 0;
    FILE *dump = argc > 5 ? fopen(argv[5], "w") : NULL;
    if (argc > 5 && !dump) {
        perror(argv[5]);
        fclose(fp);
        return 2;
    }
    long n = 0, fit_ok[3] = {0}, fitba_ok[3] = {0}, rms_ok[3] = {0}, rms_n[3] = {0}, errors = 0;
    long fit_bad = 0, rms_bad = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        cJSON *j = cJSON_Parse(line);
        if (!j) continue;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind"));
        mms_structure *a = read_cif(cJSON_GetStringValue(cJSON_GetObjectItem(j, "cif_a")));
        mms_structure *b = read_cif(cJSON_GetStringValue(cJSON_GetObjectItem(j, "cif_b")));
        const cJSON *res = cJSON_GetObjectItem(j, "results");
        mms_match_options o;
        mms_error err = {0};
        mms_match_cell *ca = NULL, *cb = NULL;
        mms_match_options_preset(&o, "default", NULL);
        if (!a || !b || mms_match_cell_from_structure(&ca, &o, a, &err) ||
            mms_match_cell_from_structure(&cb, &o, b, &err)) {
            printf("%s %s: ERROR %s\n", id, kind, err.message);
            errors++;
            goto next;
        }
        n++;
        for (int p = 0; p < 3; p++) {
            const cJSON *r = cJSON_GetObjectItem(res, presets[p]);
            if (!r) continue;
            mms_match_options_preset(&o, presets[p], NULL);
            int fab = 0, fba = 0, found = 0;
            double rms = 0, mx = 0;
            if (mms_match_fit(&o, ca, cb, &fab, &err) || mms_match_fit(&o, cb, ca, &fba, &err) ||
                mms_match_rms(&o, ca, cb, &found, &rms, &mx, &err)) {
                printf("%s %s %s: ERROR %s\n", id, kind, presets[p], err.message);
                errors++;
                continue;
            }
            if (dump)
                fprintf(dump, "%s %s fit %d fit_ba %d found %d rms %a max %a\n", id, presets[p], fab, fba, found,
                        found ? rms : 0.0, found ? mx : 0.0);
            int rf = cJSON_IsTrue(cJSON_GetObjectItem(r, "fit"));
            int rfba = cJSON_IsTrue(cJSON_GetObjectItem(r, "fit_ba"));
            const cJSON *rr = cJSON_GetObjectItem(r, "rms"), *rm = cJSON_GetObjectItem(r, "max_dist");
            int rfound = cJSON_IsNumber(rr);
            fit_ok[p] += fab == rf;
            fitba_ok[p] += fba == rfba;
            if (fab != rf || fba != rfba) {
                fit_bad++;
                printf("%s %s %s: fit %d/%d fit_ba %d/%d (ours/pymatgen)\n", id, kind, presets[p], fab, rf,
                       fba, rfba);
            }
            int same = found == rfound;
            if (same && found) {
                same = fabs(rms - rr->valuedouble) <= 1e-6 && fabs(mx - rm->valuedouble) <= 1e-6;
                rms_n[p]++;
            }
            rms_ok[p] += same;
            if (!same) {
                rms_bad++;
                printf("%s %s %s: rms %s%.9g max %.9g vs pymatgen %s%.9g max %.9g\n", id, kind, presets[p],
                       found ? "" : "none ", rms, mx, rfound ? "" : "none ",
                       rfound ? rr->valuedouble : 0, rfound ? rm->valuedouble : 0);
            }
        }
    next:
        mms_match_cell_free(ca), mms_match_cell_free(cb);
        mms_structure_free(a), mms_structure_free(b);
        cJSON_Delete(j);
    }
    free(line);
    fclose(fp);
    if (dump && fclose(dump)) {
        perror(argv[5]);
        return 2;
    }
    for (int p = 0; p < 3; p++)
        printf("%-9s pairs %ld: fit agrees %ld, fit_ba agrees %ld, rms/max_dist agree %ld (both found %ld)\n",
               presets[p], n, fit_ok[p], fitba_ok[p], rms_ok[p], rms_n[p]);
    printf("errors %ld, fit disagreements %ld (allowed %ld), rms disagreements %ld (allowed %ld)\n", errors,
           fit_bad, max_fit_diff, rms_bad, max_rms_diff);
    if (n < min_compared) {
        printf("FAIL: only %ld pairs compared, expected at least %ld\n", n, min_compared);
        return 1;
    }
    return (errors || fit_bad > max_fit_diff || rms_bad > max_rms_diff) ? 1 : 0;
}
