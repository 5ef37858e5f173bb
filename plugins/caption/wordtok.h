/* caption plugin — nltk 3.8 word_tokenize(): the pre-trained English Punkt
 * sentence splitter, then NLTKWordTokenizer on each sentence. */
#ifndef CAPTION_WORDTOK_H
#define CAPTION_WORDTOK_H

#include "mmscore/error.h"
#include "text.h"

/* Punkt parameters of nltk_data's English model (embedded; see
 * data/punkt_english/SOURCE.md).  Read-only once built. */
typedef struct cap_punkt cap_punkt;

int cap_punkt_new(cap_punkt **out, mms_error *err);
void cap_punkt_free(cap_punkt *p);

/* sent_tokenize(text): appends each sentence as a code-point range
 * [start, end) of text to starts/ends (malloc'd, caller frees). */
int cap_punkt_sentences(const cap_punkt *p, const uint32_t *text, size_t n, size_t **starts,
                        size_t **ends, size_t *count);

/* NLTKWordTokenizer().tokenize(sentence): appends tokens to out. */
int cap_treebank_tokenize(const uint32_t *text, size_t n, cap_toks *out);

/* word_tokenize(text) on UTF-8 text: appends tokens to out. */
int cap_word_tokenize(const cap_punkt *p, const char *text, size_t len, cap_toks *out);

#endif
