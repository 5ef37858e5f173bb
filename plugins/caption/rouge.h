/* caption plugin — google rouge_score 0.1.2 ROUGE-1/2/L/Lsum F-measures. */
#ifndef CAPTION_ROUGE_H
#define CAPTION_ROUGE_H

#include <stddef.h>

#include "text.h"

typedef struct cap_prf {
    double precision, recall, fmeasure;
} cap_prf;

typedef struct cap_rouge {
    cap_prf r1, r2, rl, rlsum;
} cap_rouge;

/* rouge_score's tokenize(): lower-case, non-[a-z0-9] runs to spaces, split,
 * Porter-stem tokens longer than 3 characters when stem != 0. */
int cap_rouge_tokenize(const char *text, size_t len, int stem, cap_toks *out);

/* score(target=reference, prediction=candidate).  Returns MMS_ELIMIT when an
 * LCS table for rougeLsum would exceed max_cells, or rougeL's LCS (two rows,
 * so only time) 64 x max_cells. */
int cap_rouge_score(const char *reference, const char *candidate, int stem, size_t max_cells,
                    cap_rouge *out);

/* score_multi: per type, the score of the reference with the highest F
 * (first one on ties, as numpy.argmax). */
int cap_rouge_score_multi(const char *const *references, size_t nrefs, const char *candidate,
                          int stem, size_t max_cells, cap_rouge *out);

#endif
