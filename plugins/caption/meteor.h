/* caption plugin — nltk 3.8 METEOR (translate/meteor_score.py) over
 * word_tokenize() tokens, as HF evaluate 0.4.2's meteor metric calls it. */
#ifndef CAPTION_METEOR_H
#define CAPTION_METEOR_H

#include "text.h"
#include "wordnet.h"
#include "wordtok.h"

#define CAP_METEOR_ALPHA 0.9
#define CAP_METEOR_BETA 3.0
#define CAP_METEOR_GAMMA 0.5

typedef struct cap_meteor_detail {
    size_t hyp_len, ref_len, matches, chunks;
} cap_meteor_detail;

/* single_meteor_score(reference, hypothesis) on token lists. */
int cap_meteor_single(const cap_wordnet *wn, const cap_toks *ref, const cap_toks *hyp,
                      double *score, cap_meteor_detail *detail);

/* meteor_score(references, hypothesis) = the best single score; texts are
 * word-tokenized first. */
int cap_meteor(const cap_wordnet *wn, const cap_punkt *pk, const char *const *refs, size_t nrefs,
               const char *hyp, double *score);

#endif
