/* caption metrics as pure functions, on the fixture subset in
 * tests/data/caption (every kind, all edge cases; SOURCE.md there):
 *  - per pair, BLEU + the four precisions + brevity penalty equal the
 *    reference (HF evaluate) within 1e-12 (undefined where it raised),
 *    ROUGE-1/2/L/Lsum plain and stemmed within 1e-12, METEOR within 1e-6,
 *    sacreBLEU sentence BLEU within 1e-9, and MMSci's own call (multi-
 *    reference quirk) on the same terms;
 *  - the intermediates (13a tokens, ROUGE tokens, Punkt sentences,
 *    word_tokenize tokens, METEOR matches and chunks) equal nltk's;
 *  - small cases with known answers from the references' documentation
 *    (Python str semantics, Porter irregular forms, WordNet lemma names)
 *    and nltk 3.8's own word_tokenize regression cases;
 *  - hostile text made of the pieces the tokenizers treat specially. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "porter.h"
#include "score.h"

#define DATA MMSCORE_TEST_DATA "/caption/"

static cap_wordnet *g_wn;
static cap_punkt *g_pk;

static int setup(void **unused)
{
    (void)unused;
    mms_error err;
    if (cap_wordnet_open("/usr/share/wordnet", &g_wn, &err) != MMS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    return cap_punkt_new(&g_pk, &err) == MMS_OK ? 0 : -1;
}

static int teardown(void **unused)
{
    (void)unused;
    cap_wordnet_free(g_wn);
    cap_punkt_free(g_pk);
    return 0;
}

static cJSON **read_jsonl(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t cap = 0, cnt = 0;
    cJSON **v = NULL;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        if (cnt == cap)
            v = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
        v[cnt] = cJSON_Parse(line);
        assert_non_null(v[cnt]);
        cnt++;
    }
    free(line);
    fclose(f);
    *n = cnt;
    return v;
}

static void free_jsonl(cJSON **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(v[i]);
    free(v);
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static const char **refs_of(const cJSON *o, size_t *n)
{
    const cJSON *a = get(o, "references");
    *n = (size_t)cJSON_GetArraySize(a);
    const char **r = malloc((*n + 1) * sizeof *r);
    for (size_t i = 0; i < *n; i++)
        r[i] = cJSON_GetArrayItem(a, (int)i)->valuestring;
    return r;
}

/* ref null -> ours undefined; else |ref - ours| <= tol */
static void expect(const char *id, const char *what, const cJSON *ref, int defined, double ours,
                   double tol)
{
    if (cJSON_IsNull(ref)) {
        if (defined)
            fail_msg("%s %s: reference undefined, ours %.17g", id, what, ours);
        return;
    }
    if (!cJSON_IsNumber(ref))
        fail_msg("%s %s: no reference value", id, what);
    if (!defined)
        fail_msg("%s %s: ours undefined, reference %.17g", id, what, ref->valuedouble);
    if (!(ours - ref->valuedouble <= tol && ref->valuedouble - ours <= tol))
        fail_msg("%s %s: reference %.17g ours %.17g", id, what, ref->valuedouble, ours);
}

static void test_fixture_pairs(void **unused)
{
    (void)unused;
    size_t ni, nr;
    cJSON **in = read_jsonl(DATA "captions.jsonl", &ni), **ref = read_jsonl(DATA "captions.ref.jsonl", &nr);
    assert_int_equal(ni, nr);
    assert_true(ni >= 60);
    cap_ctx plain = {g_wn, g_pk, 0, 0, 1u << 24}, stem = plain, quirk = plain;
    stem.rouge_stemmer = 1;
    quirk.mmsci_quirk = 1;
    for (size_t k = 0; k < ni; k++) {
        const char *id = str(in[k], "id");
        assert_string_equal(id, str(ref[k], "id"));
        size_t n;
        const char **refs = refs_of(in[k], &n);
        const char *cand = str(in[k], "candidate");
        cap_pair_scores s, ss, sq;
        assert_int_equal(cap_score_pair(&plain, cand, refs, n, &s), MMS_OK);
        assert_int_equal(cap_score_pair(&stem, cand, refs, n, &ss), MMS_OK);
        assert_int_equal(cap_score_pair(&quirk, cand, refs, n, &sq), MMS_OK);
        free(refs);
        const cJSON *p = get(ref[k], "proper");
        expect(id, "bleu", get(p, "bleu"), s.bleu.ok, s.bleu.bleu, 1e-12);
        const cJSON *pp = get(p, "precisions");
        for (int i = 0; i < 4; i++)
            expect(id, "precision", cJSON_IsArray(pp) ? cJSON_GetArrayItem(pp, i) : pp, s.bleu.ok,
                   s.bleu.precisions[i], 1e-12);
        expect(id, "brevity_penalty", get(p, "brevity_penalty"), s.bleu.ok, s.bleu.brevity_penalty, 1e-12);
        expect(id, "rouge1", get(p, "rouge1"), 1, s.rouge.r1.fmeasure, 1e-12);
        expect(id, "rouge2", get(p, "rouge2"), 1, s.rouge.r2.fmeasure, 1e-12);
        expect(id, "rougeL", get(p, "rougeL"), 1, s.rouge.rl.fmeasure, 1e-12);
        expect(id, "rougeLsum", get(p, "rougeLsum"), 1, s.rouge.rlsum.fmeasure, 1e-12);
        const cJSON *st = get(p, "rouge_stemmer");
        expect(id, "rouge1 stem", get(st, "rouge1"), 1, ss.rouge.r1.fmeasure, 1e-12);
        expect(id, "rouge2 stem", get(st, "rouge2"), 1, ss.rouge.r2.fmeasure, 1e-12);
        expect(id, "rougeL stem", get(st, "rougeL"), 1, ss.rouge.rl.fmeasure, 1e-12);
        expect(id, "rougeLsum stem", get(st, "rougeLsum"), 1, ss.rouge.rlsum.fmeasure, 1e-12);
        expect(id, "meteor", get(p, "meteor"), 1, s.meteor, 1e-6);
        const cJSON *sb = get(ref[k], "sacrebleu_sentence");
        expect(id, "sacrebleu", get(sb, "score"), s.sacre_ok, s.sacre.score, 1e-9);
        expect(id, "sacrebleu bp", get(sb, "bp"), s.sacre_ok, s.sacre.bp, 1e-12);
        expect(id, "sacrebleu sys_len", get(sb, "sys_len"), 1, (double)s.sacre.sys_len, 0);
        expect(id, "sacrebleu ref_len", get(sb, "ref_len"), 1, (double)s.sacre.ref_len, 0);
        assert_int_equal(s.skipped, cJSON_IsTrue(get(ref[k], "skipped_by_mmsci")));
        const cJSON *mc = get(ref[k], "mmsci_call");
        if (!mc)
            continue;
        /* MMSci maps a raised metric to 0 */
        expect(id, "mmsci bleu", get(mc, "bleu"), 1, sq.bleu.ok ? sq.bleu.bleu : 0.0, 1e-12);
        for (int i = 0; i < 4; i++)
            expect(id, "mmsci precision", cJSON_GetArrayItem(get(mc, "precisions"), i), 1,
                   sq.bleu.ok ? sq.bleu.precisions[i] : 0.0, 1e-12);
        expect(id, "mmsci rouge1", get(mc, "rouge1"), 1, sq.rouge.r1.fmeasure, 1e-12);
        expect(id, "mmsci rougeLsum", get(mc, "rougeLsum"), 1, sq.rouge.rlsum.fmeasure, 1e-12);
        expect(id, "mmsci meteor", get(mc, "meteor"), 1, sq.meteor, 1e-6);
    }
    free_jsonl(in, ni);
    free_jsonl(ref, nr);
}

static void expect_toks(const char *id, const char *what, const cap_toks *t, const cJSON *want)
{
    assert_true(cJSON_IsArray(want));
    if ((size_t)cJSON_GetArraySize(want) != t->n)
        fail_msg("%s %s: %zu tokens, reference %d", id, what, t->n, cJSON_GetArraySize(want));
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], cJSON_GetArrayItem(want, (int)i)->valuestring) != 0)
            fail_msg("%s %s token %zu: \"%s\", reference \"%s\"", id, what, i, t->v[i],
                     cJSON_GetArrayItem(want, (int)i)->valuestring);
}

static const cJSON *nth(const cJSON *tk, const char *key, size_t x)
{
    const cJSON *o = get(tk, key);
    return x == 0 ? get(o, "candidate") : cJSON_GetArrayItem(get(o, "references"), (int)x - 1);
}

static void test_intermediates(void **unused)
{
    (void)unused;
    size_t ni, nt;
    cJSON **in = read_jsonl(DATA "captions.jsonl", &ni), **tok = read_jsonl(DATA "captions.tokens.jsonl", &nt);
    size_t checked = 0;
    for (size_t k = 0; k < nt; k++) {
        const char *id = str(tok[k], "id");
        const cJSON *pair = NULL;
        for (size_t i = 0; i < ni && !pair; i++)
            if (strcmp(str(in[i], "id"), id) == 0)
                pair = in[i];
        assert_non_null(pair);
        size_t n;
        const char **refs = refs_of(pair, &n);
        const char *cand = str(pair, "candidate");
        cap_toks words[16] = {{0}};
        for (size_t x = 0; x <= n && x < 16; x++) {
            const char *text = x ? refs[x - 1] : cand;
            cap_toks t = {0};
            assert_int_equal(cap_tok13a(text, strlen(text), 0, &t), MMS_OK);
            expect_toks(id, "13a", &t, nth(tok[k], "tok13a", x));
            cap_toks_free(&t);
            assert_int_equal(cap_rouge_tokenize(text, strlen(text), 0, &t), MMS_OK);
            expect_toks(id, "rouge tokens", &t, nth(tok[k], "rouge_tokens", x));
            cap_toks_free(&t);
            assert_int_equal(cap_rouge_tokenize(text, strlen(text), 1, &t), MMS_OK);
            expect_toks(id, "rouge stemmed tokens", &t, nth(tok[k], "rouge_tokens_stem", x));
            cap_toks_free(&t);
            cap_u32 u = {0};
            size_t *sa, *se, ns;
            assert_int_equal(cap_utf8_decode(text, strlen(text), &u), MMS_OK);
            assert_int_equal(cap_punkt_sentences(g_pk, u.v, u.n, &sa, &se, &ns), MMS_OK);
            for (size_t i = 0; i < ns; i++)
                assert_int_equal(cap_toks_push_u32(&t, u.v + sa[i], se[i] - sa[i]), MMS_OK);
            expect_toks(id, "punkt sentences", &t, nth(tok[k], "punkt_sentences", x));
            cap_toks_free(&t);
            free(sa);
            free(se);
            cap_u32_free(&u);
            assert_int_equal(cap_word_tokenize(g_pk, text, strlen(text), &words[x]), MMS_OK);
            expect_toks(id, "word_tokenize", &words[x], nth(tok[k], "word_tokenize", x));
            checked++;
        }
        /* METEOR's alignment per reference: matches and chunks */
        const cJSON *md = get(tok[k], "meteor_detail");
        for (size_t r = 1; r <= n && r < 16; r++) {
            double sc;
            cap_meteor_detail d;
            assert_int_equal(cap_meteor_single(g_wn, &words[r], &words[0], &sc, &d), MMS_OK);
            const cJSON *w = cJSON_GetArrayItem(md, (int)r - 1);
            assert_int_equal(d.matches, (size_t)get(w, "matches")->valuedouble);
            if (d.matches)
                assert_int_equal(d.chunks, (size_t)get(w, "chunks")->valuedouble);
        }
        for (size_t x = 0; x <= n && x < 16; x++)
            cap_toks_free(&words[x]);
        free(refs);
    }
    assert_true(checked >= 100);
    free_jsonl(in, ni);
    free_jsonl(tok, nt);
}

static void expect_split(const char *text, const char *const *want, size_t n)
{
    cap_toks t = {0};
    assert_int_equal(cap_word_tokenize(g_pk, text, strlen(text), &t), MMS_OK);
    assert_int_equal(t.n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(t.v[i], want[i]);
    cap_toks_free(&t);
}

static void test_small_cases(void **unused)
{
    (void)unused;
    /* Python str.lower(): Kelvin sign -> k, dotted capital I -> i + U+0307 */
    char *lo = NULL;
    assert_int_equal(cap_py_lower_utf8("\xE2\x84\xAA" "AB\xC4\xB0", 7, &lo, NULL), MMS_OK);
    assert_string_equal(lo, "kab" "i\xCC\x87");
    free(lo);
    /* str.split(): NBSP and thin space separate, ZWSP does not */
    cap_toks t = {0};
    assert_int_equal(cap_split_ws_utf8("a\xC2\xA0" "b\xE2\x80\x89" "c\xE2\x80\x8B" "d", 12, &t), MMS_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.v[2], "c\xE2\x80\x8B" "d");
    cap_toks_free(&t);
    /* nltk's Porter: irregular forms and NLTK_EXTENSIONS rules */
    const char *pairs[][2] = {{"dying", "die"}, {"news", "news"}, {"skies", "sky"}, {"dies", "die"},
                              {"used", "use"}, {"generously", "gener"}, {"flying", "fli"}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char *s = NULL;
        assert_int_equal(cap_porter_stem_utf8(pairs[i][0], &s), MMS_OK);
        assert_string_equal(s, pairs[i][1]);
        free(s);
    }
    /* WordNet: "dogs" -> synsets of "dog": "frump" is a lemma name, the
     * multi-word "domestic_dog" is left out */
    assert_int_equal(cap_wordnet_lemma_names(g_wn, "dogs", &t), MMS_OK);
    int frump = 0, multi = 0;
    for (size_t i = 0; i < t.n; i++) {
        frump |= strcmp(t.v[i], "frump") == 0;
        multi |= strchr(t.v[i], '_') != NULL;
    }
    assert_true(frump);
    assert_false(multi);
    cap_toks_free(&t);
    /* word_tokenize, nltk's documented example */
    const char *const want[] = {"Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".",
                                "Please", "buy", "me", "two", "of", "them", ".", "Thanks", "."};
    expect_split("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\n\nThanks.",
                 want, sizeof want / sizeof *want);
    const char *const want2[] = {"They", "'ll", "save", "and", "invest", "more", "."};
    expect_split("They'll save and invest more.", want2, 7);
    /* BLEU of an empty candidate is undefined; sacreBLEU's is 0 */
    cap_ctx ctx = {g_wn, g_pk, 0, 0, 1u << 24};
    const char *refs[] = {"A donut shop."};
    cap_pair_scores s;
    assert_int_equal(cap_score_pair(&ctx, "  ", refs, 1, &s), MMS_OK);
    assert_true(s.skipped);
    assert_false(s.bleu.ok);
    assert_true(s.sacre_ok);
    assert_true(s.sacre.score == 0.0);
    /* a LCS table over the bound is refused, not computed */
    ctx.max_cells = 4;
    assert_int_equal(cap_score_pair(&ctx, "a b c d e", (const char *[]){"a b c d e"}, 1, &s), MMS_ELIMIT);
}

/* nltk 3.8's own regression cases for word_tokenize (nltk/test/tokenize.doctest) */
static void test_nltk_doctest_cases(void **unused)
{
    (void)unused;
    static const char *const c1[] = {"On", "a", "$", "50,000", "mortgage", "of", "30", "years", "at", "8", "percent", ",", "the", "monthly", "payment", "would", "be", "$", "366.88", ".", NULL};
    static const char *const c2[] = {"``", "We", "beat", "some", "pretty", "good", "teams", "to", "get", "here", ",", "''", "Slocum", "said", ".", NULL};
    static const char *const c3[] = {"Well", ",", "we", "could", "n't", "have", "this", "predictable", ",", "cliche-ridden", ",", "``", "Touched", "by", "an", "Angel", "''", "(", "a", "show", "creator", "John", "Masius", "worked", "on", ")", "wanna-be", "if", "she", "did", "n't", ".", NULL};
    static const char *const c4[] = {"I", "can", "not", "can", "not", "work", "under", "these", "conditions", "!", NULL};
    static const char *const c5[] = {"The", "company", "spent", "$", "30,000,000", "last", "year", ".", NULL};
    static const char *const c6[] = {"The", "company", "spent", "40.75", "%", "of", "its", "income", "last", "year", ".", NULL};
    static const char *const c7[] = {"He", "arrived", "at", "3:00", "pm", ".", NULL};
    static const char *const c8[] = {"I", "bought", "these", "items", ":", "books", ",", "pencils", ",", "and", "pens", ".", NULL};
    static const char *const c9[] = {"Though", "there", "were", "150", ",", "100", "of", "them", "were", "old", ".", NULL};
    static const char *const c10[] = {"There", "were", "300,000", ",", "but", "that", "was", "n't", "enough", ".", NULL};
    static const char *const c11[] = {"It", "'s", "more", "'n", "enough", ".", NULL};
    static const char *const x1[] = {"\xC2\xAB", "Now", "that", "I", "can", "do", ".", "\xC2\xBB", NULL};
    static const char *const x2[] = {"The", "unicode", "201C", "and", "201D", "\xE2\x80\x9C", "LEFT", "(", "RIGHT", ")", "DOUBLE", "QUOTATION", "MARK", "\xE2\x80\x9D", "is", "also", "OPEN_PUNCT", "and", "CLOSE_PUNCT", ".", NULL};
    static const char *const d1[] = {"I", "called", "Dr.", "Jones", ".", "I", "called", "Dr.", "Jones", ".", NULL};
    static const char *const d2[] = {"Ich", "muss", "unbedingt", "daran", "denken", ",", "Mehl", ",", "usw", ".", "fur", "einen", "Kuchen", "einzukaufen", ".", "Ich", "muss", ".", NULL};
    static const struct {
        const char *text;
        const char *const *want;
    } cases[] = {
        {"On a $50,000 mortgage of 30 years at 8 percent, the monthly payment would be $366.88.", c1},
        {"\"We beat some pretty good teams to get here,\" Slocum said.", c2},
        {"Well, we couldn't have this predictable, cliche-ridden, \"Touched by an Angel\" (a show creator John Masius worked on) wanna-be if she didn't.", c3},
        {"I cannot cannot work under these conditions!", c4},
        {"The company spent $30,000,000 last year.", c5},
        {"The company spent 40.75% of its income last year.", c6},
        {"He arrived at 3:00 pm.", c7},
        {"I bought these items: books, pencils, and pens.", c8},
        {"Though there were 150, 100 of them were old.", c9},
        {"There were 300,000, but that wasn't enough.", c10},
        {"It's more'n enough.", c11},
        {"\xC2\xABNow that I can do.\xC2\xBB", x1},
        {"The unicode 201C and 201D \xE2\x80\x9CLEFT(RIGHT) DOUBLE QUOTATION MARK\xE2\x80\x9D is also OPEN_PUNCT and CLOSE_PUNCT.", x2},
        {"I called Dr. Jones. I called Dr. Jones.", d1},
        {"Ich muss unbedingt daran denken, Mehl, usw. fur einen Kuchen einzukaufen. Ich muss.", d2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        size_t n = 0;
        while (cases[k].want[n])
            n++;
        cap_toks t = {0};
        assert_int_equal(cap_word_tokenize(g_pk, cases[k].text, strlen(cases[k].text), &t), MMS_OK);
        if (t.n != n)
            fail_msg("case %zu: %zu tokens, nltk %zu", k, t.n, n);
        for (size_t i = 0; i < n; i++)
            if (strcmp(t.v[i], cases[k].want[i]) != 0)
                fail_msg("case %zu token %zu: \"%s\", nltk \"%s\"", k, i, t.v[i], cases[k].want[i]);
        cap_toks_free(&t);
    }
}

/* Hostile text built from the pieces the tokenizers treat specially: every
 * pair scores without error, every value in its range, and a text against
 * itself gets ROUGE 1 whenever it has ROUGE tokens. */
static void test_hostile_pieces(void **unused)
{
    (void)unused;
    static const char *const piece[] = {
        ".", " ", ". . .", "...", "!", "?", "'", "''", "\"", "`", "``", "--", "-\n", "\n", "\r\n",
        "\t", "\xC2\xA0", "\xE2\x80\x89", "\xE3\x80\x80", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xC2\xAB",
        "\xC2\xBB", "\xCE\xA3", "\xC4\xB0", "\xE2\x84\xAA", "\xC5\xBF", "\xD9\xA3", "\xF0\x9F\x8D\xA9",
        "\xFF", "\xE2\x82", "&amp;", "&quot;", "<skipped>", "(", ")", "[", "]", "{", "}", "<", ">",
        ":", ";", ",", "@", "#", "$", "%", "&", "*", "3", "3.5", "1,000", "U.S.", "Dr.", "e.g.",
        "can", "not", "cannot", "'t", "is", "'tis", "gonna", "wanna ", "n't", "'ll", "'S", "dogs",
        "running", "geese", "better", "skies", "A", "The", "said", "Mr.", "J.", "No.", "_"};
    const size_t np = sizeof piece / sizeof *piece;
    cap_ctx ctx = {g_wn, g_pk, 0, 0, 1u << 24};
    uint64_t x = 88172645463325252ull; /* xorshift: the same texts every run */
    for (int k = 0; k < 300; k++) {
        char text[2][1024];
        for (int t = 0; t < 2; t++) {
            size_t len = 0;
            text[t][0] = '\0';
            for (;;) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                const char *p = piece[x % np];
                if (len + strlen(p) + 1 >= sizeof text[t] || x % 23 == 0)
                    break;
                memcpy(text[t] + len, p, strlen(p) + 1);
                len += strlen(p);
            }
        }
        const char *refs[2] = {text[1], text[0]};
        cap_pair_scores s;
        ctx.rouge_stemmer = k & 1;
        assert_int_equal(cap_score_pair(&ctx, text[0], refs, 1 + (size_t)(k % 2), &s), MMS_OK);
        if (s.bleu.ok)
            assert_true(s.bleu.bleu >= 0 && s.bleu.bleu <= 1);
        assert_true(s.rouge.r1.fmeasure >= 0 && s.rouge.r1.fmeasure <= 1 + 1e-12);
        assert_true(s.rouge.rlsum.fmeasure >= 0 && s.rouge.rlsum.fmeasure <= 1 + 1e-12);
        assert_true(s.meteor >= 0 && s.meteor <= 1);
        if (s.sacre_ok)
            assert_true(s.sacre.score >= 0 && s.sacre.score <= 100 + 1e-9);
        /* with the candidate itself among the references */
        cap_toks rt = {0};
        assert_int_equal(cap_rouge_tokenize(text[0], strlen(text[0]), ctx.rouge_stemmer, &rt), MMS_OK);
        if (k % 2 && rt.n)
            assert_true(s.rouge.r1.fmeasure == 1.0 && s.rouge.rl.fmeasure == 1.0);
        cap_toks_free(&rt);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_pairs),
        cmocka_unit_test(test_intermediates),
        cmocka_unit_test(test_small_cases),
        cmocka_unit_test(test_nltk_doctest_cases),
        cmocka_unit_test(test_hostile_pieces),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
