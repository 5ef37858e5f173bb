/* caption plugin — every metric of one (candidate, references) pair. */
#ifndef CAPTION_SCORE_H
#define CAPTION_SCORE_H

#include "bleu.h"
#include "meteor.h"
#include "rouge.h"

typedef struct cap_ctx {
    const cap_wordnet *wn; /* borrowed */
    const cap_punkt *pk;   /* borrowed */
    int rouge_stemmer;     /* ROUGE with nltk's Porter stemmer */
    int mmsci_quirk;       /* score multi-reference pairs 0, as MMSci's call does */
    size_t max_cells;      /* bound of one rougeLsum LCS table */
} cap_ctx;

typedef struct cap_pair_scores {
    int skipped;        /* candidate empty after strip(): MMSci leaves it out of means */
    int quirk_zeroed;   /* mmsci_quirk and more than one reference */
    cap_bleu_result bleu;        /* bleu.ok = 0: undefined (ZeroDivisionError) */
    cap_bleu_stats sacre_stats;  /* sacreBLEU sufficient statistics */
    cap_sacre_result sacre;      /* sentence BLEU */
    int sacre_ok;                /* 0 when every reference is the empty string */
    cap_rouge rouge;
    double meteor;
} cap_pair_scores;

/* Scores one pair.  Returns MMS_OK, or an error code for resources/limits
 * (MMS_ELIMIT: a rougeLsum table over ctx->max_cells). */
int cap_score_pair(const cap_ctx *ctx, const char *cand, const char *const *refs, size_t nrefs,
                   cap_pair_scores *out);

#endif
