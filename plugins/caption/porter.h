/* caption plugin — nltk 3.8 PorterStemmer in its default NLTK_EXTENSIONS
 * mode (used by rouge_score's use_stemmer and nltk's METEOR). */
#ifndef CAPTION_PORTER_H
#define CAPTION_PORTER_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* Stems w[0..n) (already lower-cased, as both references pass it) into out
 * (cleared first). */
int cap_porter_stem(const uint32_t *w, size_t n, cap_u32 *out);
/* Same on UTF-8; *out malloc'd. */
int cap_porter_stem_utf8(const char *w, char **out);

#endif
