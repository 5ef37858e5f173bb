/* Not a test: scores every pair of a captions JSONL file with the caption
 * metric code and compares with the reference values (captions.ref.jsonl,
 * and optionally the intermediates of captions.tokens.jsonl), printing an
 * agreement table.  Used by compare_full.sh and the benchmark.
 *
 *   caption_compare INPUT.jsonl REF.jsonl [TOKENS.jsonl] [--wordnet DIR]
 *                   [--list] [--bench N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "score.h"

static char *slurp_line(FILE *f)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int c;
    while (b && (c = fgetc(f)) != EOF) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return NULL;
            }
            b = nb;
        }
        if (c == '\n')
            break;
        b[n++] = (char)c;
    }
    if (!b || (n == 0 && c == EOF)) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    return b;
}

static cJSON **read_jsonl(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    size_t cap = 512, n = 0;
    cJSON **v = malloc(cap * sizeof *v);
    char *line;
    while ((line = slurp_line(f))) {
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = cJSON_Parse(line);
        free(line);
    }
    fclose(f);
    *count = n;
    return v;
}

static const cJSON *find_id(cJSON **v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(v[i], "id");
        if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0)
            return v[i];
    }
    return NULL;
}

typedef struct tally {
    const char *name;
    double tol;
    long n, agree;
    double max_diff;
} tally;

static int g_list = 0;

/* ref may be null (undefined in the reference): ours must be undefined too */
static void check(tally *t, const char *id, const cJSON *ref, int ours_defined, double ours)
{
    if (!ref)
        return;
    t->n++;
    int ok;
    double d = 0;
    if (cJSON_IsNull(ref))
        ok = !ours_defined;
    else if (!cJSON_IsNumber(ref))
        return;
    else {
        d = ours_defined ? fabs(ref->valuedouble - ours) : INFINITY;
        ok = d <= t->tol;
    }
    if (ok)
        t->agree++;
    else if (g_list)
        printf("  DIFF %-16s %-40s ref=%.17g ours=%s%.17g\n", t->name, id,
               cJSON_IsNumber(ref) ? ref->valuedouble : NAN, ours_defined ? "" : "(undefined)",
               ours);
    if (isfinite(d) && d > t->max_diff)
        t->max_diff = d;
}

static const cJSON *path(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b && x ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static int toks_equal(const cap_toks *t, const cJSON *arr)
{
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != t->n)
        return 0;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsString(e) || strcmp(e->valuestring, t->v[i++]) != 0)
            return 0;
    }
    return 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One metric over every pair, as the reference benchmarks time them. */
enum { B_BLEU, B_ROUGE, B_METEOR, B_SACRE, B_ALL, NB };

static void bench_one(const cap_ctx *ctx, int which, const char *cand, const char **refs, size_t n)
{
    cap_pair_scores s;
    switch (which) {
    case B_BLEU: /* evaluate's bleu: 13a + TF-NMT */
    case B_SACRE: {
        int sacre = which == B_SACRE;
        cap_toks h = {0}, r[64] = {{0}};
        size_t k = n < 64 ? n : 64;
        cap_tok13a(cand, strlen(cand), sacre, &h);
        for (size_t i = 0; i < k; i++)
            cap_tok13a(refs[i], strlen(refs[i]), sacre, &r[i]);
        cap_bleu_stats st;
        cap_bleu_stats_compute(&h, r, k, &st);
        if (sacre) {
            cap_sacre_result b;
            cap_bleu_sacre(&st, 1, &b);
        } else {
            cap_bleu_result b;
            cap_bleu_nmt(&st, &b);
        }
        cap_toks_free(&h);
        for (size_t i = 0; i < k; i++)
            cap_toks_free(&r[i]);
        break;
    }
    case B_ROUGE: {
        cap_rouge r;
        cap_rouge_score_multi(refs, n, cand, 0, ctx->max_cells, &r);
        break;
    }
    case B_METEOR: {
        double m;
        cap_meteor(ctx->wn, ctx->pk, refs, n, cand, &m);
        break;
    }
    default:
        cap_score_pair(ctx, cand, refs, n, &s);
    }
}

static void run_bench(const cap_ctx *ctx, cJSON **inp, size_t ni, int reps)
{
    /* pairs/s of the reference implementations on this machine
     * (../shared/fixtures/README.md, "Reference timings") */
    static const char *const name[NB] = {"bleu (HF evaluate)", "rouge (rouge_score)",
                                          "meteor (HF/nltk)", "sacrebleu sentence",
                                          "all (MMSci loop)"};
    static const double ref_rate[NB] = {2695, 226, 250, 3197, 19.8};
    printf("\n%-30s %12s %12s %8s\n", "benchmark (1 thread, CPU time)", "pairs/s", "reference", "ratio");
    for (int w = 0; w < NB; w++) {
        double t0 = now();
        long done = 0;
        for (int rep = 0; rep < reps; rep++)
            for (size_t k = 0; k < ni; k++) {
                const cJSON *ra = cJSON_GetObjectItemCaseSensitive(inp[k], "references");
                size_t n = (size_t)cJSON_GetArraySize(ra);
                const char *refs[64];
                for (size_t i = 0; i < n && i < 64; i++)
                    refs[i] = cJSON_GetArrayItem(ra, (int)i)->valuestring;
                bench_one(ctx, w, cJSON_GetObjectItemCaseSensitive(inp[k], "candidate")->valuestring,
                          refs, n < 64 ? n : 64);
                done++;
            }
        double rate = (double)done / (now() - t0);
        printf("%-30s %12.0f %12.1f %7.1fx\n", name[w], rate, ref_rate[w], rate / ref_rate[w]);
    }
}

enum { T_BLEU, T_P1, T_P2, T_P3, T_P4, T_BP, T_TLEN, T_RLEN, T_R1, T_R2, T_RL, T_RLS, T_SR1,
       T_SR2, T_SRL, T_SRLS, T_MET, T_SACRE, T_SACRE_P1, T_M_BLEU, T_M_P1, T_M_R1, T_M_RLS,
       T_M_MET, T_TOK13A, T_TOKROUGE, T_TOKSTEM, T_PUNKT, T_WORDTOK, NT };

int main(int argc, char **argv)
{
    const char *in = NULL, *refp = NULL, *tokp = NULL, *wndir = "/usr/share/wordnet";
    int bench = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--wordnet") && i + 1 < argc)
            wndir = argv[++i];
        else if (!strcmp(argv[i], "--list"))
            g_list = 1;
        else if (!strcmp(argv[i], "--bench") && i + 1 < argc)
            bench = atoi(argv[++i]);
        else if (!in)
            in = argv[i];
        else if (!refp)
            refp = argv[i];
        else
            tokp = argv[i];
    }
    if (!in || !refp) {
        fprintf(stderr, "usage: caption_compare INPUT.jsonl REF.jsonl [TOKENS.jsonl] [--wordnet DIR] [--list] [--bench N]\n");
        return 2;
    }
    size_t ni = 0, nr = 0, nt = 0;
    cJSON **inp = read_jsonl(in, &ni), **ref = read_jsonl(refp, &nr), **tok = NULL;
    if (tokp)
        tok = read_jsonl(tokp, &nt);
    if (!inp || !ref)
        return 2;
    mms_error err = {0};
    cap_wordnet *wn = NULL;
    cap_punkt *pk = NULL;
    if (cap_wordnet_open(wndir, &wn, &err) != MMS_OK || cap_punkt_new(&pk, &err) != MMS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    cap_ctx plain = {wn, pk, 0, 0, 1u << 24}, stem = plain, quirk = plain;
    stem.rouge_stemmer = 1;
    quirk.mmsci_quirk = 1;

    tally t[NT] = {
        {"bleu", 1e-12, 0, 0, 0},          {"precision_1", 1e-12, 0, 0, 0},
        {"precision_2", 1e-12, 0, 0, 0},   {"precision_3", 1e-12, 0, 0, 0},
        {"precision_4", 1e-12, 0, 0, 0},   {"brevity_penalty", 1e-12, 0, 0, 0},
        {"translation_len", 0, 0, 0, 0},   {"reference_len", 0, 0, 0, 0},
        {"rouge1", 1e-12, 0, 0, 0},        {"rouge2", 1e-12, 0, 0, 0},
        {"rougeL", 1e-12, 0, 0, 0},        {"rougeLsum", 1e-12, 0, 0, 0},
        {"rouge1_stem", 1e-12, 0, 0, 0},   {"rouge2_stem", 1e-12, 0, 0, 0},
        {"rougeL_stem", 1e-12, 0, 0, 0},   {"rougeLsum_stem", 1e-12, 0, 0, 0},
        {"meteor", 1e-6, 0, 0, 0},         {"sacrebleu_sent", 1e-9, 0, 0, 0},
        {"sacre_prec_1", 1e-9, 0, 0, 0},   {"mmsci_bleu", 1e-12, 0, 0, 0},
        {"mmsci_prec_1", 1e-12, 0, 0, 0},  {"mmsci_rouge1", 1e-12, 0, 0, 0},
        {"mmsci_rougeLsum", 1e-12, 0, 0, 0}, {"mmsci_meteor", 1e-6, 0, 0, 0},
        {"tok_13a", 0, 0, 0, 0},           {"tok_rouge", 0, 0, 0, 0},
        {"tok_rouge_stem", 0, 0, 0, 0},    {"punkt_sents", 0, 0, 0, 0},
        {"word_tokenize", 0, 0, 0, 0}};

    /* MMSci-style means over non-skipped pairs: ours and the reference's */
    enum { NM = 8 };
    const char *mname[NM] = {"bleu", "bleu_precision_1", "bleu_precision_2", "bleu_precision_3",
                             "bleu_precision_4", "rouge1", "rougeL", "meteor"};
    double msum_ours[NM] = {0}, msum_ref[NM] = {0};
    long mcount = 0;
    cap_bleu_stats corpus = {0};

    for (size_t k = 0; k < ni; k++) {
        const cJSON *o = inp[k];
        const char *id = cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring;
        const char *cand = cJSON_GetObjectItemCaseSensitive(o, "candidate")->valuestring;
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(o, "references");
        size_t nrefs = (size_t)cJSON_GetArraySize(ra);
        const char **refs = malloc((nrefs + 1) * sizeof *refs);
        for (size_t i = 0; i < nrefs; i++)
            refs[i] = cJSON_GetArrayItem(ra, (int)i)->valuestring;
        cap_pair_scores s, ss, sq;
        if (cap_score_pair(&plain, cand, refs, nrefs, &s) != MMS_OK ||
            cap_score_pair(&stem, cand, refs, nrefs, &ss) != MMS_OK ||
            cap_score_pair(&quirk, cand, refs, nrefs, &sq) != MMS_OK) {
            printf("  ERROR scoring %s\n", id);
            free(refs);
            continue;
        }
        cap_bleu_stats_add(&corpus, &s.sacre_stats);
        const cJSON *r = find_id(ref, nr, id);
        if (!r) {
            free(refs);
            continue;
        }
        const cJSON *pr = path(r, "proper", NULL);
        int bd = s.bleu.ok;
        check(&t[T_BLEU], id, path(pr, "bleu", NULL), bd, s.bleu.bleu);
        const cJSON *pp = path(pr, "precisions", NULL);
        for (int i = 0; i < 4; i++)
            check(&t[T_P1 + i], id, cJSON_IsArray(pp) ? cJSON_GetArrayItem(pp, i) : pp, bd,
                  s.bleu.precisions[i]);
        check(&t[T_BP], id, path(pr, "brevity_penalty", NULL), bd, s.bleu.brevity_penalty);
        check(&t[T_TLEN], id, path(r, "bleu_detail", "translation_length"), bd,
              (double)s.bleu.translation_length);
        check(&t[T_RLEN], id, path(r, "bleu_detail", "reference_length"), bd,
              (double)s.bleu.reference_length);
        check(&t[T_R1], id, path(pr, "rouge1", NULL), 1, s.rouge.r1.fmeasure);
        check(&t[T_R2], id, path(pr, "rouge2", NULL), 1, s.rouge.r2.fmeasure);
        check(&t[T_RL], id, path(pr, "rougeL", NULL), 1, s.rouge.rl.fmeasure);
        check(&t[T_RLS], id, path(pr, "rougeLsum", NULL), 1, s.rouge.rlsum.fmeasure);
        const cJSON *st = path(pr, "rouge_stemmer", NULL);
        check(&t[T_SR1], id, path(st, "rouge1", NULL), 1, ss.rouge.r1.fmeasure);
        check(&t[T_SR2], id, path(st, "rouge2", NULL), 1, ss.rouge.r2.fmeasure);
        check(&t[T_SRL], id, path(st, "rougeL", NULL), 1, ss.rouge.rl.fmeasure);
        check(&t[T_SRLS], id, path(st, "rougeLsum", NULL), 1, ss.rouge.rlsum.fmeasure);
        check(&t[T_MET], id, path(pr, "meteor", NULL), 1, s.meteor);
        check(&t[T_SACRE], id, path(r, "sacrebleu_sentence", "score"), s.sacre_ok, s.sacre.score);
        const cJSON *sp = path(r, "sacrebleu_sentence", "precisions");
        if (cJSON_IsArray(sp))
            check(&t[T_SACRE_P1], id, cJSON_GetArrayItem(sp, 0), s.sacre_ok, s.sacre.precisions[0]);
        const cJSON *mc = path(r, "mmsci_call", NULL);
        if (mc) {
            /* MMSci maps a raised error to 0 */
            double mb = sq.bleu.ok ? sq.bleu.bleu : 0.0;
            check(&t[T_M_BLEU], id, path(mc, "bleu", NULL), 1, mb);
            const cJSON *mp = path(mc, "precisions", NULL);
            check(&t[T_M_P1], id, cJSON_GetArrayItem(mp, 0), 1, sq.bleu.ok ? sq.bleu.precisions[0] : 0.0);
            check(&t[T_M_R1], id, path(mc, "rouge1", NULL), 1, sq.rouge.r1.fmeasure);
            check(&t[T_M_RLS], id, path(mc, "rougeLsum", NULL), 1, sq.rouge.rlsum.fmeasure);
            check(&t[T_M_MET], id, path(mc, "meteor", NULL), 1, sq.meteor);
            double ours[NM] = {mb, sq.bleu.ok ? sq.bleu.precisions[0] : 0, sq.bleu.ok ? sq.bleu.precisions[1] : 0,
                               sq.bleu.ok ? sq.bleu.precisions[2] : 0, sq.bleu.ok ? sq.bleu.precisions[3] : 0,
                               sq.rouge.r1.fmeasure, sq.rouge.rl.fmeasure, sq.meteor};
            double refv[NM] = {path(mc, "bleu", NULL)->valuedouble,
                               cJSON_GetArrayItem(mp, 0)->valuedouble, cJSON_GetArrayItem(mp, 1)->valuedouble,
                               cJSON_GetArrayItem(mp, 2)->valuedouble, cJSON_GetArrayItem(mp, 3)->valuedouble,
                               path(mc, "rouge1", NULL)->valuedouble, path(mc, "rougeL", NULL)->valuedouble,
                               path(mc, "meteor", NULL)->valuedouble};
            if (!s.skipped) {
                for (int i = 0; i < NM; i++) {
                    msum_ours[i] += ours[i];
                    msum_ref[i] += refv[i];
                }
                mcount++;
            }
        }
        /* intermediates */
        const cJSON *tk = tok ? find_id(tok, nt, id) : NULL;
        if (tk) {
            const char *texts[64];
            size_t ntexts = 0;
            texts[ntexts++] = cand;
            for (size_t i = 0; i < nrefs && ntexts < 64; i++)
                texts[ntexts++] = refs[i];
            for (size_t x = 0; x < ntexts; x++) {
                const char *which = x ? "references" : "candidate";
                const cJSON *a;
#define ITEM(key) (a = path(tk, key, which), x ? cJSON_GetArrayItem(a, (int)x - 1) : a)
                cap_toks tt = {0};
                cap_tok13a(texts[x], strlen(texts[x]), 0, &tt);
                t[T_TOK13A].n++;
                if (toks_equal(&tt, ITEM("tok13a"))) t[T_TOK13A].agree++;
                else if (g_list) printf("  DIFF tok13a %s[%zu]\n", id, x);
                cap_toks_free(&tt);
                cap_rouge_tokenize(texts[x], strlen(texts[x]), 0, &tt);
                t[T_TOKROUGE].n++;
                if (toks_equal(&tt, ITEM("rouge_tokens"))) t[T_TOKROUGE].agree++;
                else if (g_list) printf("  DIFF rouge_tokens %s[%zu]\n", id, x);
                cap_toks_free(&tt);
                cap_rouge_tokenize(texts[x], strlen(texts[x]), 1, &tt);
                t[T_TOKSTEM].n++;
                if (toks_equal(&tt, ITEM("rouge_tokens_stem"))) t[T_TOKSTEM].agree++;
                else if (g_list) printf("  DIFF rouge_tokens_stem %s[%zu]\n", id, x);
                cap_toks_free(&tt);
                /* punkt sentences */
                cap_u32 u = {0};
                cap_utf8_decode(texts[x], strlen(texts[x]), &u);
                size_t *sa, *se, ns;
                cap_punkt_sentences(pk, u.v, u.n, &sa, &se, &ns);
                for (size_t i = 0; i < ns; i++)
                    cap_toks_push_u32(&tt, u.v + sa[i], se[i] > sa[i] ? se[i] - sa[i] : 0);
                free(sa);
                free(se);
                cap_u32_free(&u);
                t[T_PUNKT].n++;
                if (toks_equal(&tt, ITEM("punkt_sentences"))) t[T_PUNKT].agree++;
                else if (g_list) printf("  DIFF punkt_sentences %s[%zu]\n", id, x);
                cap_toks_free(&tt);
                cap_word_tokenize(pk, texts[x], strlen(texts[x]), &tt);
                t[T_WORDTOK].n++;
                if (toks_equal(&tt, ITEM("word_tokenize"))) t[T_WORDTOK].agree++;
                else if (g_list) printf("  DIFF word_tokenize %s[%zu]\n", id, x);
                cap_toks_free(&tt);
#undef ITEM
            }
        }
        free(refs);
    }

    printf("%-18s %8s %8s %9s %10s %12s\n", "metric", "pairs", "agree", "rate", "tolerance", "max |diff|");
    for (int i = 0; i < NT; i++) {
        if (!t[i].n)
            continue;
        printf("%-18s %8ld %8ld %8.2f%% %10.0e %12.3g\n", t[i].name, t[i].n, t[i].agree,
               100.0 * (double)t[i].agree / (double)t[i].n, t[i].tol, t[i].max_diff);
    }
    printf("\nMMSci-style means over %ld non-skipped pairs (mmsci_call values):\n", mcount);
    for (int i = 0; i < NM; i++) {
        double a = msum_ours[i] / (double)mcount, b = msum_ref[i] / (double)mcount;
        printf("  %-18s ours %.15f  reference %.15f  |diff| %.3g %s\n", mname[i], a, b, fabs(a - b),
               fabs(a - b) <= 1e-9 ? "ok" : "DIFF");
    }
    cap_sacre_result cs;
    cap_bleu_sacre(&corpus, 0, &cs);
    printf("sacreBLEU corpus BLEU over all %zu pairs: %.6f\n", ni, cs.score);
    if (bench)
        run_bench(&plain, inp, ni, bench);
    for (size_t i = 0; i < ni; i++)
        cJSON_Delete(inp[i]);
    for (size_t i = 0; i < nr; i++)
        cJSON_Delete(ref[i]);
    for (size_t i = 0; i < nt; i++)
        cJSON_Delete(tok[i]);
    free(inp);
    free(ref);
    free(tok);
    cap_wordnet_free(wn);
    cap_punkt_free(pk);
    return 0;
}
