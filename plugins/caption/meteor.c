/* caption plugin — METEOR as nltk 3.8 computes it (see meteor.h).
 *
 * Reference: nltk/translate/meteor_score.py (3.8): _generate_enums,
 * _match_enums, _enum_stem_match, _enum_wordnetsyn_match, _count_chunks,
 * single_meteor_score, meteor_score.  Followed quirks: each stage scans
 * hypothesis and reference from the end and takes the first match; the
 * WordNet stage sees the *stemmed* words the stem stage left behind; WordNet
 * lemma names keep their case, so "Paris" never matches "paris". */
#include "meteor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ngram.h"
#include "porter.h"

typedef struct enum_word {
    size_t idx;
    char *w;
} enum_word;

typedef struct enum_list {
    enum_word *v;
    size_t n;
} enum_list;

typedef struct match {
    size_t h, r;
} match;

static void enum_free(enum_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].w);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int enum_lower(const cap_toks *t, enum_list *out)
{
    out->v = calloc(t->n + 1, sizeof *out->v);
    out->n = 0;
    if (!out->v)
        return MMS_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        char *lo = NULL;
        int rc = cap_py_lower_utf8(t->v[i], strlen(t->v[i]), &lo, NULL);
        if (rc != MMS_OK)
            return rc;
        out->v[out->n++] = (enum_word){i, lo};
    }
    return MMS_OK;
}

/* The remaining reference words of a stage, indexed by word: for each
 * distinct word the ascending positions still unmatched, so that "scan the
 * references from the end, take the first equal word" is "take the largest
 * remaining position of that word" — nltk's result, without its h x r scan. */
typedef struct ref_index {
    cap_vocab voc;
    cap_toks keys; /* the vocabulary borrows these */
    size_t *pos;   /* positions grouped by word id */
    size_t *start, *top;
} ref_index;

static void ref_index_free(ref_index *x)
{
    cap_vocab_free(&x->voc);
    cap_toks_free(&x->keys);
    free(x->pos);
    free(x->start);
    free(x->top);
}

static int ref_index_build(const enum_list *r, ref_index *x)
{
    memset(x, 0, sizeof *x);
    uint32_t *ids = NULL;
    int rc = MMS_OK;
    for (size_t j = 0; j < r->n && rc == MMS_OK; j++)
        rc = cap_toks_push(&x->keys, r->v[j].w, strlen(r->v[j].w));
    if (rc == MMS_OK)
        rc = cap_vocab_ids(&x->voc, &x->keys, &ids);
    size_t nv = x->voc.n;
    x->pos = malloc((r->n + 1) * sizeof *x->pos);
    x->start = calloc(nv + 1, sizeof *x->start);
    x->top = calloc(nv + 1, sizeof *x->top);
    if (rc == MMS_OK && (!x->pos || !x->start || !x->top))
        rc = MMS_ENOMEM;
    if (rc == MMS_OK) {
        for (size_t j = 0; j < r->n; j++)
            x->start[ids[j] + 1]++;
        for (size_t v = 0; v < nv; v++)
            x->start[v + 1] += x->start[v];
        for (size_t v = 0; v < nv; v++)
            x->top[v] = x->start[v];
        for (size_t j = 0; j < r->n; j++)
            x->pos[x->top[ids[j]]++] = j;
    }
    free(ids);
    return rc;
}

/* Largest remaining position of word w, or -1; pops it when take. */
static long ref_index_last(ref_index *x, const char *w, int take)
{
    long id = cap_vocab_find(&x->voc, w);
    if (id < 0 || x->top[id] == x->start[id])
        return -1;
    long j = (long)x->pos[x->top[id] - 1];
    if (take)
        x->top[id]--;
    return j;
}

/* Drops the matched words, keeping order. */
static void compact(enum_list *l, const unsigned char *used)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (used[i])
            free(l->v[i].w);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
}

/* One matching stage: exact (wn = NULL) or WordNet synonyms (the
 * hypothesis word itself plus the lemma names of its synsets). */
static int match_stage(const cap_wordnet *wn, enum_list *h, enum_list *r, match *m, size_t *nm)
{
    ref_index x;
    unsigned char *hu = calloc(h->n + 1, 1), *ru = calloc(r->n + 1, 1);
    int rc = (hu && ru) ? ref_index_build(r, &x) : MMS_ENOMEM;
    for (size_t i = h->n; rc == MMS_OK && i-- > 0;) {
        long best = -1;
        const char *best_w = NULL;
        cap_toks syn = {0};
        if (wn)
            rc = cap_wordnet_lemma_names(wn, h->v[i].w, &syn);
        if (rc == MMS_OK)
            rc = cap_toks_push(&syn, h->v[i].w, strlen(h->v[i].w));
        for (size_t k = 0; k < syn.n && rc == MMS_OK; k++) {
            long j = ref_index_last(&x, syn.v[k], 0);
            if (j > best) {
                best = j;
                best_w = syn.v[k];
            }
        }
        if (best >= 0) {
            ref_index_last(&x, best_w, 1);
            m[(*nm)++] = (match){h->v[i].idx, r->v[best].idx};
            hu[i] = 1;
            ru[best] = 1;
        }
        cap_toks_free(&syn);
    }
    if (hu && ru) {
        ref_index_free(&x);
        compact(h, hu);
        compact(r, ru);
    }
    free(hu);
    free(ru);
    return rc;
}

static int stem_all(enum_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *s = NULL;
        int rc = cap_porter_stem_utf8(l->v[i].w, &s);
        if (rc != MMS_OK)
            return rc;
        free(l->v[i].w);
        l->v[i].w = s;
    }
    return MMS_OK;
}

static int cmp_match(const void *a, const void *b)
{
    const match *x = a, *y = b;
    return (x->h > y->h) - (x->h < y->h);
}

int cap_meteor_single(const cap_wordnet *wn, const cap_toks *ref, const cap_toks *hyp,
                      double *score, cap_meteor_detail *detail)
{
    enum_list h = {0}, r = {0};
    size_t nmax = (hyp->n < ref->n ? hyp->n : ref->n) + 1, nm = 0;
    match *m = malloc(nmax * sizeof *m);
    int rc = m ? enum_lower(hyp, &h) : MMS_ENOMEM;
    if (rc == MMS_OK)
        rc = enum_lower(ref, &r);
    if (rc == MMS_OK)
        rc = match_stage(NULL, &h, &r, m, &nm);
    if (rc == MMS_OK)
        rc = stem_all(&h);
    if (rc == MMS_OK)
        rc = stem_all(&r);
    if (rc == MMS_OK)
        rc = match_stage(NULL, &h, &r, m, &nm);
    if (rc == MMS_OK)
        rc = match_stage(wn, &h, &r, m, &nm);
    enum_free(&h);
    enum_free(&r);
    if (rc != MMS_OK) {
        free(m);
        return rc;
    }
    qsort(m, nm, sizeof *m, cmp_match);
    size_t chunks = nm ? 1 : 0;
    for (size_t i = 0; i + 1 < nm; i++)
        if (!(m[i + 1].h == m[i].h + 1 && m[i + 1].r == m[i].r + 1))
            chunks++;
    free(m);
    if (detail)
        *detail = (cap_meteor_detail){hyp->n, ref->n, nm, chunks};
    /* any division by zero in the reference returns 0.0 */
    if (!hyp->n || !ref->n || !nm) {
        *score = 0.0;
        return MMS_OK;
    }
    double alpha = CAP_METEOR_ALPHA, beta = CAP_METEOR_BETA, gamma = CAP_METEOR_GAMMA;
    double precision = (double)nm / (double)hyp->n;
    double recall = (double)nm / (double)ref->n;
    double fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
    double frag_frac = (double)chunks / (double)nm;
    double penalty = gamma * pow(frag_frac, beta);
    *score = (1 - penalty) * fmean;
    return MMS_OK;
}

int cap_meteor(const cap_wordnet *wn, const cap_punkt *pk, const char *const *refs, size_t nrefs,
               const char *hyp, double *score)
{
    cap_toks ht = {0};
    int rc = cap_word_tokenize(pk, hyp, strlen(hyp), &ht);
    double best = 0.0;
    for (size_t i = 0; i < nrefs && rc == MMS_OK; i++) {
        cap_toks rt = {0};
        double s = 0.0;
        rc = cap_word_tokenize(pk, refs[i], strlen(refs[i]), &rt);
        if (rc == MMS_OK)
            rc = cap_meteor_single(wn, &rt, &ht, &s, NULL);
        if (rc == MMS_OK && (i == 0 || s > best))
            best = s;
        cap_toks_free(&rt);
    }
    cap_toks_free(&ht);
    *score = best;
    return rc;
}
