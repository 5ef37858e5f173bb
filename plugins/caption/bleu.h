/* caption plugin — BLEU as HF evaluate 0.4.2 computes it (TF-NMT
 * compute_bleu over 13a tokens) and sacreBLEU 2.x sentence/corpus BLEU. */
#ifndef CAPTION_BLEU_H
#define CAPTION_BLEU_H

#include "ngram.h"
#include "text.h"

/* sacreBLEU's / evaluate's Tokenizer13a.  sacre=1 first strips trailing
 * whitespace as sacreBLEU's BLEU does before tokenizing (evaluate does not). */
int cap_tok13a(const char *s, size_t len, int sacre, cap_toks *out);

typedef struct cap_bleu_result {
    int ok;                 /* 0: the reference raises ZeroDivisionError (empty
                               hypothesis or shortest reference after tokenizing) */
    double bleu;
    double precisions[CAP_MAX_ORDER];
    double brevity_penalty, length_ratio;
    long translation_length, reference_length;
} cap_bleu_result;

/* Sufficient statistics of one pair; they add up over a corpus. */
typedef struct cap_bleu_stats {
    cap_ngram_stats ng;
    long hyp_len;
    long ref_len_shortest; /* TF-NMT: the shortest reference */
    long ref_len_closest;  /* sacreBLEU: closest to hyp_len, ties to the shorter */
} cap_bleu_stats;

int cap_bleu_stats_compute(const cap_toks *hyp, const cap_toks *refs, size_t nrefs,
                           cap_bleu_stats *st);
void cap_bleu_stats_add(cap_bleu_stats *acc, const cap_bleu_stats *x);

/* TF-NMT compute_bleu, max order 4, no smoothing. */
void cap_bleu_nmt(const cap_bleu_stats *st, cap_bleu_result *out);

typedef struct cap_sacre_result {
    double score; /* 0..100 */
    double precisions[CAP_MAX_ORDER];
    double bp;
    long sys_len, ref_len;
} cap_sacre_result;

/* sacreBLEU compute_bleu with 'exp' smoothing; effective_order as
 * sentence_bleu (1) or corpus_bleu (0) use it. */
void cap_bleu_sacre(const cap_bleu_stats *st, int effective_order, cap_sacre_result *out);

#endif
