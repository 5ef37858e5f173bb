/* caption plugin — ROUGE (see rouge.h).
 *
 * Reference: google-research rouge/rouge_scorer.py, tokenize.py, scoring.py
 * (rouge_score 0.1.2).  Precision/recall/F are computed in the same order
 * of operations as the Python. */
#include "rouge.h"

#include <stdlib.h>
#include <string.h>

#include "mmscore/error.h"
#include "ngram.h"
#include "porter.h"

int cap_rouge_tokenize(const char *text, size_t len, int stem, cap_toks *out)
{
    char *lo = NULL;
    size_t n = 0;
    int rc = cap_py_lower_utf8(text, len, &lo, &n);
    if (rc != MMS_OK)
        return rc;
    /* after lower(), only ASCII [a-z0-9] survives: the rest are separators */
    size_t i = 0;
    while (i < n && rc == MMS_OK) {
        while (i < n && !((lo[i] >= 'a' && lo[i] <= 'z') || (lo[i] >= '0' && lo[i] <= '9')))
            i++;
        size_t st = i;
        while (i < n && ((lo[i] >= 'a' && lo[i] <= 'z') || (lo[i] >= '0' && lo[i] <= '9')))
            i++;
        if (i == st)
            continue;
        if (stem && i - st > 3) {
            char save = lo[i];
            lo[i] = '\0';
            char *s = NULL;
            rc = cap_porter_stem_utf8(lo + st, &s);
            lo[i] = save;
            if (rc == MMS_OK && s[0])
                rc = cap_toks_push(out, s, strlen(s));
            free(s);
        } else {
            rc = cap_toks_push(out, lo + st, i - st);
        }
    }
    free(lo);
    return rc;
}

static double fmeasure(double p, double r)
{
    if (p + r > 0)
        return 2 * p * r / (p + r);
    return 0.0;
}

static void score_ngrams(const uint32_t *t, size_t nt, const uint32_t *p, size_t np, int n,
                         cap_prf *out)
{
    cap_ngram_stats st;
    const uint32_t *refs[1] = {t};
    size_t nrefs[1] = {nt};
    memset(out, 0, sizeof *out);
    if (cap_ngram_clip(p, np, refs, nrefs, 1, n, &st) != MMS_OK)
        return;
    long inter = st.matches[n - 1];
    long pc = st.possible[n - 1];
    long tc = nt >= (size_t)n ? (long)(nt - (size_t)n + 1) : 0;
    out->precision = (double)inter / (double)(pc > 1 ? pc : 1);
    out->recall = (double)inter / (double)(tc > 1 ? tc : 1);
    out->fmeasure = fmeasure(out->precision, out->recall);
}

/* LCS length with two rows. */
static size_t lcs_len(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int *err)
{
    size_t *prev = calloc(nb + 1, sizeof *prev), *cur = calloc(nb + 1, sizeof *cur);
    if (!prev || !cur) {
        free(prev);
        free(cur);
        *err = MMS_ENOMEM;
        return 0;
    }
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++)
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1
                                          : (cur[j - 1] > prev[j] ? cur[j - 1] : prev[j]);
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t r = prev[nb];
    free(prev);
    free(cur);
    return r;
}

/* rouge_score's lcs_ind: the full table, then _backtrack_norec's path.
 * Marks the chosen indices of ref in mark[]. */
static int lcs_mark(const uint32_t *ref, size_t nr, const uint32_t *can, size_t nc,
                    size_t max_cells, unsigned char *mark)
{
    if (!nr || !nc)
        return MMS_OK;
    if ((nr + 1) > max_cells / (nc + 1))
        return MMS_ELIMIT;
    size_t w = nc + 1;
    uint32_t *t = calloc((nr + 1) * w, sizeof *t);
    if (!t)
        return MMS_ENOMEM;
    for (size_t i = 1; i <= nr; i++)
        for (size_t j = 1; j <= nc; j++) {
            uint32_t up = t[(i - 1) * w + j], left = t[i * w + j - 1];
            t[i * w + j] = ref[i - 1] == can[j - 1] ? t[(i - 1) * w + j - 1] + 1
                                                    : (up > left ? up : left);
        }
    size_t i = nr, j = nc;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == can[j - 1]) {
            mark[i - 1] = 1;
            i--, j--;
        } else if (t[i * w + j - 1] > t[(i - 1) * w + j]) {
            j--;
        } else {
            i--;
        }
    }
    free(t);
    return MMS_OK;
}

typedef struct sents {
    uint32_t **ids;
    size_t *n;
    size_t count;
} sents;

static void sents_free(sents *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->ids[i]);
    free(s->ids);
    free(s->n);
}

/* get_sents(): split on "\n", drop empty strings, tokenize each. */
static int lines_ids(const char *text, int stem, cap_vocab *voc, cap_toks *keep, sents *out)
{
    memset(out, 0, sizeof *out);
    size_t nl = 1;
    for (const char *p = text; *p; p++)
        nl += *p == '\n';
    out->ids = calloc(nl, sizeof *out->ids);
    out->n = calloc(nl, sizeof *out->n);
    if (!out->ids || !out->n)
        return MMS_ENOMEM;
    const char *p = text;
    int rc = MMS_OK;
    for (;;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            cap_toks t = {0};
            rc = cap_rouge_tokenize(p, len, stem, &t);
            if (rc == MMS_OK)
                rc = cap_vocab_ids(voc, &t, &out->ids[out->count]);
            if (rc == MMS_OK) {
                out->n[out->count++] = t.n;
                /* the vocabulary borrows the strings: keep them alive */
                for (size_t k = 0; k < t.n && rc == MMS_OK; k++) {
                    rc = cap_toks_push(keep, "", 0);
                    if (rc == MMS_OK) {
                        free(keep->v[keep->n - 1]);
                        keep->v[keep->n - 1] = t.v[k];
                        t.v[k] = NULL;
                    }
                }
            }
            cap_toks_free(&t);
            if (rc != MMS_OK)
                return rc;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return MMS_OK;
}

/* _summary_level_lcs(ref_sents, can_sents) */
static int summary_lcs(const sents *r, const sents *c, size_t nvocab, size_t max_cells,
                       cap_prf *out)
{
    memset(out, 0, sizeof *out);
    if (!r->count || !c->count)
        return MMS_OK;
    size_t m = 0, n = 0;
    for (size_t i = 0; i < r->count; i++)
        m += r->n[i];
    for (size_t i = 0; i < c->count; i++)
        n += c->n[i];
    if (!n || !m)
        return MMS_OK;
    long *cnt_r = calloc(nvocab + 1, sizeof *cnt_r), *cnt_c = calloc(nvocab + 1, sizeof *cnt_c);
    size_t maxr = 0;
    for (size_t i = 0; i < r->count; i++)
        maxr = r->n[i] > maxr ? r->n[i] : maxr;
    unsigned char *mark = malloc(maxr + 1);
    int rc = (cnt_r && cnt_c && mark) ? MMS_OK : MMS_ENOMEM;
    for (size_t i = 0; i < r->count && rc == MMS_OK; i++)
        for (size_t k = 0; k < r->n[i]; k++)
            cnt_r[r->ids[i][k]]++;
    for (size_t i = 0; i < c->count && rc == MMS_OK; i++)
        for (size_t k = 0; k < c->n[i]; k++)
            cnt_c[c->ids[i][k]]++;
    long hits = 0;
    for (size_t i = 0; i < r->count && rc == MMS_OK; i++) {
        /* union of the LCS index sets against every candidate line, in
         * increasing index order */
        memset(mark, 0, r->n[i] + 1);
        for (size_t j = 0; j < c->count && rc == MMS_OK; j++)
            rc = lcs_mark(r->ids[i], r->n[i], c->ids[j], c->n[j], max_cells, mark);
        for (size_t k = 0; k < r->n[i] && rc == MMS_OK; k++) {
            if (!mark[k])
                continue;
            uint32_t t = r->ids[i][k];
            if (cnt_c[t] > 0 && cnt_r[t] > 0) {
                hits++;
                cnt_c[t]--;
                cnt_r[t]--;
            }
        }
    }
    if (rc == MMS_OK) {
        out->recall = (double)hits / (double)m;
        out->precision = (double)hits / (double)n;
        out->fmeasure = fmeasure(out->precision, out->recall);
    }
    free(cnt_r);
    free(cnt_c);
    free(mark);
    return rc;
}

int cap_rouge_score(const char *reference, const char *candidate, int stem, size_t max_cells,
                    cap_rouge *out)
{
    memset(out, 0, sizeof *out);
    cap_toks tt = {0}, pt = {0}, keep = {0};
    cap_vocab voc = {0};
    uint32_t *ti = NULL, *pi = NULL;
    sents rs = {0}, cs = {0};
    int rc = cap_rouge_tokenize(reference, strlen(reference), stem, &tt);
    if (rc == MMS_OK)
        rc = cap_rouge_tokenize(candidate, strlen(candidate), stem, &pt);
    if (rc == MMS_OK)
        rc = cap_vocab_ids(&voc, &tt, &ti);
    if (rc == MMS_OK)
        rc = cap_vocab_ids(&voc, &pt, &pi);
    if (rc == MMS_OK) {
        score_ngrams(ti, tt.n, pi, pt.n, 1, &out->r1);
        score_ngrams(ti, tt.n, pi, pt.n, 2, &out->r2);
        /* rougeL needs only two rows, but time still grows as n x m */
        if (tt.n && pt.n && (tt.n + 1) > 64 * (max_cells / (pt.n + 1)))
            rc = MMS_ELIMIT;
        if (rc == MMS_OK && tt.n && pt.n) {
            size_t l = lcs_len(ti, tt.n, pi, pt.n, &rc);
            out->rl.precision = (double)l / (double)pt.n;
            out->rl.recall = (double)l / (double)tt.n;
            out->rl.fmeasure = fmeasure(out->rl.precision, out->rl.recall);
        }
    }
    if (rc == MMS_OK)
        rc = lines_ids(reference, stem, &voc, &keep, &rs);
    if (rc == MMS_OK)
        rc = lines_ids(candidate, stem, &voc, &keep, &cs);
    if (rc == MMS_OK)
        rc = summary_lcs(&rs, &cs, voc.n, max_cells, &out->rlsum);
    sents_free(&rs);
    sents_free(&cs);
    free(ti);
    free(pi);
    cap_vocab_free(&voc);
    cap_toks_free(&tt);
    cap_toks_free(&pt);
    cap_toks_free(&keep);
    return rc;
}

int cap_rouge_score_multi(const char *const *references, size_t nrefs, const char *candidate,
                          int stem, size_t max_cells, cap_rouge *out)
{
    memset(out, 0, sizeof *out);
    for (size_t r = 0; r < nrefs; r++) {
        cap_rouge s;
        int rc = cap_rouge_score(references[r], candidate, stem, max_cells, &s);
        if (rc != MMS_OK)
            return rc;
        if (r == 0 || s.r1.fmeasure > out->r1.fmeasure)
            out->r1 = s.r1;
        if (r == 0 || s.r2.fmeasure > out->r2.fmeasure)
            out->r2 = s.r2;
        if (r == 0 || s.rl.fmeasure > out->rl.fmeasure)
            out->rl = s.rl;
        if (r == 0 || s.rlsum.fmeasure > out->rlsum.fmeasure)
            out->rlsum = s.rlsum;
    }
    return MMS_OK;
}
