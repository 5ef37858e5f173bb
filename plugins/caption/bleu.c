/* caption plugin — BLEU (see bleu.h).
 *
 * Reference: sacrebleu 2.x tokenizers/tokenizer_13a.py + tokenizer_re.py
 * (evaluate ships a copy), evaluate metrics/bleu/nmt_bleu.py compute_bleu,
 * sacrebleu metrics/bleu.py compute_bleu.  Arithmetic is written in the same
 * order as the Python so that results agree to the last bit. */
#include "bleu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/error.h"

typedef struct bytes {
    char *v;
    size_t n, cap;
} bytes;

static inline int b_put(bytes *b, const char *s, size_t n)
{
    if (n == 1 && b->n + 2 <= b->cap) {
        b->v[b->n++] = *s;
        b->v[b->n] = '\0';
        return MMS_OK;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *v = realloc(b->v, cap);
        if (!v)
            return MMS_ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    memcpy(b->v + b->n, s, n);
    b->n += n;
    b->v[b->n] = '\0';
    return MMS_OK;
}

/* str.replace(old, new): left to right, non-overlapping. */
static int b_replace(bytes *in, const char *old, const char *new_)
{
    size_t lo = strlen(old), ln = strlen(new_);
    if (!in->n || !strstr(in->v, old))
        return MMS_OK;
    bytes out = {0};
    size_t i = 0;
    int rc = MMS_OK;
    while (i < in->n && rc == MMS_OK) {
        if (i + lo <= in->n && memcmp(in->v + i, old, lo) == 0) {
            rc = b_put(&out, new_, ln);
            i += lo;
        } else {
            rc = b_put(&out, in->v + i, 1);
            i++;
        }
    }
    if (rc == MMS_OK && !out.v)
        rc = b_put(&out, "", 0);
    free(in->v);
    *in = out;
    return rc;
}

/* Python's [\{-\~\[-\` -\&\(-\+\:-\@\/] */
static int is_13a_punct(unsigned char c)
{
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The four regex substitutions of TokenizerRegexp, each one scan.  Byte-wise
 * is exact: the patterns only test ASCII bytes, and a multi-byte character
 * never contains one. */
static int regexp_pass(int which, bytes *in)
{
    bytes out = {0};
    out.cap = 3 * in->n + 16; /* a pass at most triples the text */
    out.v = malloc(out.cap);
    int rc = out.v ? b_put(&out, "", 0) : MMS_ENOMEM;
    size_t i = 0, n = in->n;
    const unsigned char *s = (const unsigned char *)in->v;
    char buf[4];
    while (i < n && rc == MMS_OK) {
        unsigned char c = s[i], d = i + 1 < n ? s[i + 1] : 0;
        int has_d = i + 1 < n;
        switch (which) {
        case 0:
            if (is_13a_punct(c)) {
                buf[0] = ' ', buf[1] = (char)c, buf[2] = ' ';
                rc = b_put(&out, buf, 3);
                i++;
                continue;
            }
            break;
        case 1: /* ([^0-9])([\.,]) -> \1 \2 */
            if (has_d && !is_digit(c) && (d == '.' || d == ',')) {
                buf[0] = (char)c, buf[1] = ' ', buf[2] = (char)d, buf[3] = ' ';
                rc = b_put(&out, buf, 4);
                i += 2;
                continue;
            }
            break;
        case 2: /* ([\.,])([^0-9]) -> ' \1 \2' */
            if (has_d && (c == '.' || c == ',') && !is_digit(d)) {
                buf[0] = ' ', buf[1] = (char)c, buf[2] = ' ', buf[3] = (char)d;
                rc = b_put(&out, buf, 4);
                i += 2;
                continue;
            }
            break;
        default: /* ([0-9])(-) -> \1 \2 */
            if (has_d && is_digit(c) && d == '-') {
                buf[0] = (char)c, buf[1] = ' ', buf[2] = '-', buf[3] = ' ';
                rc = b_put(&out, buf, 4);
                i += 2;
                continue;
            }
            break;
        }
        rc = b_put(&out, (const char *)s + i, 1);
        i++;
    }
    free(in->v);
    *in = out;
    return rc;
}

/* Length of s without trailing Python whitespace (str.rstrip()): decodes
 * characters backwards from the end only as far as they are whitespace. */
static size_t rstrip_len(const char *s, size_t len)
{
    while (len > 0) {
        size_t st = len - 1;
        while (st > 0 && len - st < 4 && ((unsigned char)s[st] & 0xC0) == 0x80)
            st--;
        cap_u32 c = {0};
        if (cap_utf8_decode(s + st, len - st, &c) != MMS_OK)
            return len;
        /* one whole character, and whitespace */
        int ws = c.n == 1 && cap_py_isspace(c.v[0]);
        cap_u32_free(&c);
        if (!ws)
            return len;
        len = st;
    }
    return 0;
}

int cap_tok13a(const char *s, size_t len, int sacre, cap_toks *out)
{
    if (sacre)
        len = rstrip_len(s, len);
    bytes b = {0};
    int rc = b_put(&b, " ", 1);
    if (rc == MMS_OK)
        rc = b_put(&b, s, len);
    if (rc == MMS_OK)
        rc = b_replace(&b, "<skipped>", "");
    if (rc == MMS_OK)
        rc = b_replace(&b, "-\n", "");
    if (rc == MMS_OK)
        rc = b_replace(&b, "\n", " ");
    if (rc == MMS_OK && memchr(b.v, '&', b.n)) {
        rc = b_replace(&b, "&quot;", "\"");
        if (rc == MMS_OK)
            rc = b_replace(&b, "&amp;", "&");
        if (rc == MMS_OK)
            rc = b_replace(&b, "&lt;", "<");
        if (rc == MMS_OK)
            rc = b_replace(&b, "&gt;", ">");
    }
    if (rc == MMS_OK)
        rc = b_put(&b, " ", 1);
    for (int k = 0; k < 4 && rc == MMS_OK; k++)
        rc = regexp_pass(k, &b);
    if (rc == MMS_OK)
        rc = cap_split_ws_utf8(b.v, b.n, out);
    free(b.v);
    return rc;
}

int cap_bleu_stats_compute(const cap_toks *hyp, const cap_toks *refs, size_t nrefs,
                           cap_bleu_stats *st)
{
    memset(st, 0, sizeof *st);
    cap_vocab voc = {0};
    uint32_t *hid = NULL;
    uint32_t **rid = calloc(nrefs ? nrefs : 1, sizeof *rid);
    size_t *rn = calloc(nrefs ? nrefs : 1, sizeof *rn);
    int rc = (rid && rn) ? cap_vocab_ids(&voc, hyp, &hid) : MMS_ENOMEM;
    for (size_t r = 0; r < nrefs && rc == MMS_OK; r++) {
        rc = cap_vocab_ids(&voc, &refs[r], &rid[r]);
        rn[r] = refs[r].n;
    }
    if (rc == MMS_OK)
        rc = cap_ngram_clip(hid, hyp->n, (const uint32_t *const *)rid, rn, nrefs,
                            CAP_MAX_ORDER, &st->ng);
    if (rc == MMS_OK) {
        long h = (long)hyp->n;
        st->hyp_len = h;
        long best_diff = -1;
        for (size_t r = 0; r < nrefs; r++) {
            long len = (long)rn[r];
            if (r == 0 || len < st->ref_len_shortest)
                st->ref_len_shortest = len;
            long diff = labs(h - len);
            if (best_diff == -1 || diff < best_diff) {
                best_diff = diff;
                st->ref_len_closest = len;
            } else if (diff == best_diff && len < st->ref_len_closest) {
                st->ref_len_closest = len;
            }
        }
    }
    for (size_t r = 0; rid && r < nrefs; r++)
        free(rid[r]);
    free(rid);
    free(rn);
    free(hid);
    cap_vocab_free(&voc);
    return rc;
}

void cap_bleu_stats_add(cap_bleu_stats *acc, const cap_bleu_stats *x)
{
    for (int i = 0; i < CAP_MAX_ORDER; i++) {
        acc->ng.matches[i] += x->ng.matches[i];
        acc->ng.possible[i] += x->ng.possible[i];
    }
    acc->hyp_len += x->hyp_len;
    acc->ref_len_shortest += x->ref_len_shortest;
    acc->ref_len_closest += x->ref_len_closest;
}

void cap_bleu_nmt(const cap_bleu_stats *st, cap_bleu_result *out)
{
    memset(out, 0, sizeof *out);
    double minp = 1.0 / 0.0;
    for (int i = 0; i < CAP_MAX_ORDER; i++) {
        if (st->ng.possible[i] > 0)
            out->precisions[i] = (double)st->ng.matches[i] / (double)st->ng.possible[i];
        else
            out->precisions[i] = 0.0;
        if (out->precisions[i] < minp)
            minp = out->precisions[i];
    }
    double geo_mean = 0.0;
    if (minp > 0) {
        double p_log_sum = 0.0;
        for (int i = 0; i < CAP_MAX_ORDER; i++)
            p_log_sum += (1.0 / CAP_MAX_ORDER) * log(out->precisions[i]);
        geo_mean = exp(p_log_sum);
    }
    out->translation_length = st->hyp_len;
    out->reference_length = st->ref_len_shortest;
    /* ratio = c / r and bp = exp(1 - 1/ratio) both divide: the reference
     * raises ZeroDivisionError when either length is 0 */
    if (st->ref_len_shortest == 0 || st->hyp_len == 0) {
        out->ok = 0;
        return;
    }
    out->ok = 1;
    double ratio = (double)st->hyp_len / (double)st->ref_len_shortest;
    double bp = ratio > 1.0 ? 1.0 : exp(1.0 - 1.0 / ratio);
    out->length_ratio = ratio;
    out->brevity_penalty = bp;
    out->bleu = geo_mean * bp;
}

/* sacrebleu's my_log: log(0) is a large negative constant, not -inf */
static double my_log(double x) { return x == 0.0 ? -9999999999.0 : log(x); }

void cap_bleu_sacre(const cap_bleu_stats *st, int effective_order, cap_sacre_result *out)
{
    memset(out, 0, sizeof *out);
    long sys_len = st->hyp_len, ref_len = st->ref_len_closest;
    out->sys_len = sys_len;
    out->ref_len = ref_len;
    if (sys_len < ref_len)
        out->bp = sys_len > 0 ? exp(1.0 - (double)ref_len / (double)sys_len) : 0.0;
    else
        out->bp = 1.0;
    int any = 0;
    for (int i = 0; i < CAP_MAX_ORDER; i++)
        any |= st->ng.matches[i] != 0;
    if (!any) {
        out->score = 0.0;
        return;
    }
    double smooth_mteval = 1.0;
    int eff_order = CAP_MAX_ORDER;
    for (int n = 1; n <= CAP_MAX_ORDER; n++) {
        long correct = st->ng.matches[n - 1], total = st->ng.possible[n - 1];
        if (total == 0)
            break;
        if (effective_order)
            eff_order = n;
        if (correct == 0) {
            smooth_mteval *= 2;
            out->precisions[n - 1] = 100.0 / (smooth_mteval * (double)total);
        } else {
            out->precisions[n - 1] = 100.0 * (double)correct / (double)total;
        }
    }
    double s = 0.0;
    for (int i = 0; i < eff_order; i++)
        s += my_log(out->precisions[i]);
    out->score = out->bp * exp(s / eff_order);
}
