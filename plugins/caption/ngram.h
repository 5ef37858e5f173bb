/* caption plugin — token interning and clipped n-gram counts (orders 1..4),
 * shared by TF-NMT BLEU, sacreBLEU and ROUGE-N. */
#ifndef CAPTION_NGRAM_H
#define CAPTION_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

#define CAP_MAX_ORDER 4

/* Maps token strings to dense ids.  Owns nothing but its table (keys are
 * borrowed from the token lists, which must outlive it). */
typedef struct cap_vocab {
    const char **key;
    uint32_t *id;
    size_t cap, n;
} cap_vocab;

void cap_vocab_free(cap_vocab *v);
/* The id of s (borrowed), adding it if new; -1 when out of memory. */
long cap_vocab_add(cap_vocab *v, const char *s);
/* The id of s, or -1 when it was never added. */
long cap_vocab_find(const cap_vocab *v, const char *s);
/* Appends the ids of t's tokens to ids (malloc'd, caller frees). */
int cap_vocab_ids(cap_vocab *v, const cap_toks *t, uint32_t **ids);

/* Clipped n-gram statistics of one hypothesis against references. */
typedef struct cap_ngram_stats {
    long matches[CAP_MAX_ORDER];  /* sum over hyp n-grams of min(count, max ref count) */
    long possible[CAP_MAX_ORDER]; /* max(0, len - n + 1) */
} cap_ngram_stats;

/* orders 1..max_order (<= 4).  hyp/refs are token-id sequences. */
int cap_ngram_clip(const uint32_t *hyp, size_t nh, const uint32_t *const *refs,
                   const size_t *nref, size_t nrefs, int max_order, cap_ngram_stats *st);

#endif
