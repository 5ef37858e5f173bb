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

static void enum_pop(enum_list *l, size_t i)
{
    free(l->v[i].w);
    memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
    l->n--;
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

/* _match_enums: exact equality, hypothesis and reference from the end */
static void match_exact(enum_list *h, enum_list *r, match *m, size_t *nm)
{
    for (size_t i = h->n; i-- > 0;) {
        for (size_t j = r->n; j-- > 0;) {
            if (strcmp(h->v[i].w, r->v[j].w) == 0) {
                m[(*nm)++] = (match){h->v[i].idx, r->v[j].idx};
                enum_pop(h, i);
                enum_pop(r, j);
                break;
            }
        }
    }
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

static int match_wordnet(const cap_wordnet *wn, enum_list *h, enum_list *r, match *m, size_t *nm)
{
    for (size_t i = h->n; i-- > 0;) {
        cap_toks syn = {0};
        int rc = cap_wordnet_lemma_names(wn, h->v[i].w, &syn);
        if (rc == MMS_OK)
            rc = cap_toks_push(&syn, h->v[i].w, strlen(h->v[i].w));
        if (rc != MMS_OK) {
            cap_toks_free(&syn);
            return rc;
        }
        for (size_t j = r->n; j-- > 0;) {
            int hit = 0;
            for (size_t k = 0; k < syn.n && !hit; k++)
                hit = strcmp(syn.v[k], r->v[j].w) == 0;
            if (hit) {
                m[(*nm)++] = (match){h->v[i].idx, r->v[j].idx};
                enum_pop(h, i);
                enum_pop(r, j);
                break;
            }
        }
        cap_toks_free(&syn);
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
    if (rc == MMS_OK) {
        match_exact(&h, &r, m, &nm);
        rc = stem_all(&h);
    }
    if (rc == MMS_OK)
        rc = stem_all(&r);
    if (rc == MMS_OK) {
        match_exact(&h, &r, m, &nm);
        rc = match_wordnet(wn, &h, &r, m, &nm);
    }
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
