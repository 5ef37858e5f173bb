/* caption plugin — every metric of one pair (see score.h). */
#include "score.h"

#include <stdlib.h>
#include <string.h>

static int blank(const char *s)
{
    cap_u32 c = {0};
    if (cap_utf8_decode(s, strlen(s), &c) != MMS_OK)
        return 0;
    int b = 1;
    for (size_t i = 0; i < c.n && b; i++)
        b = cap_py_isspace(c.v[i]);
    cap_u32_free(&c);
    return b;
}

/* Tokenizes candidate and references with 13a (evaluate's or sacreBLEU's
 * variant) and computes the clipped statistics.  sacreBLEU drops references
 * that are the empty string; *kept tells how many remain. */
static int bleu_stats(const char *cand, const char *const *refs, size_t nrefs, int sacre,
                      cap_bleu_stats *st, size_t *kept)
{
    cap_toks h = {0};
    cap_toks *r = calloc(nrefs ? nrefs : 1, sizeof *r);
    int rc = r ? cap_tok13a(cand, strlen(cand), sacre, &h) : MMS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < nrefs && rc == MMS_OK; i++) {
        if (sacre && refs[i][0] == '\0')
            continue;
        rc = cap_tok13a(refs[i], strlen(refs[i]), sacre, &r[k++]);
    }
    if (rc == MMS_OK)
        rc = cap_bleu_stats_compute(&h, r, k, st);
    for (size_t i = 0; r && i < nrefs; i++)
        cap_toks_free(&r[i]);
    free(r);
    cap_toks_free(&h);
    *kept = k;
    return rc;
}

int cap_score_pair(const cap_ctx *ctx, const char *cand, const char *const *refs, size_t nrefs,
                   cap_pair_scores *out)
{
    memset(out, 0, sizeof *out);
    out->skipped = blank(cand);
    size_t kept = 0;
    cap_bleu_stats st;
    int rc = bleu_stats(cand, refs, nrefs, 0, &st, &kept);
    if (rc == MMS_OK) {
        if (nrefs)
            cap_bleu_nmt(&st, &out->bleu);
        rc = bleu_stats(cand, refs, nrefs, 1, &out->sacre_stats, &kept);
    }
    if (rc == MMS_OK && kept) {
        out->sacre_ok = 1;
        cap_bleu_sacre(&out->sacre_stats, 1, &out->sacre);
    }
    if (rc == MMS_OK)
        rc = cap_rouge_score_multi(refs, nrefs, cand, ctx->rouge_stemmer, ctx->max_cells,
                                   &out->rouge);
    if (rc == MMS_OK)
        rc = cap_meteor(ctx->wn, ctx->pk, refs, nrefs, cand, &out->meteor);
    if (rc == MMS_OK && ctx->mmsci_quirk && nrefs > 1) {
        /* evaluate raises on one prediction with n references; MMSci maps
         * every metric to 0 */
        out->quirk_zeroed = 1;
        memset(&out->bleu, 0, sizeof out->bleu);
        out->bleu.ok = 1;
        memset(&out->rouge, 0, sizeof out->rouge);
        out->meteor = 0.0;
    }
    return rc;
}
