/* choice extractors: unit cases and item-level agreement on a fixture subset.
 *
 * MMSci cases: expected letters come from running MMSci's rule_based_answer
 * path (print_result.py @c787815, without the LLM) on the same strings.
 * Subset: tests/data/choice/subset.jsonl with the reference's answers in
 * subset.ref.jsonl (see SOURCE.md there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "item.h"

static void mmsci_is(const char *s, char letter, const char *path_prefix)
{
    choice_result r;
    choice_extract_mmsci(s, strlen(s), &r);
    if (r.letter != letter || strncmp(r.path, path_prefix, strlen(path_prefix)) != 0)
        fail_msg("mmsci(\"%s\") = %c via %s, expected %c via %s*", s, r.letter ? r.letter : '-', r.path,
                 letter ? letter : '-', path_prefix);
}

static void test_mmsci_rule(void **unused)
{
    (void)unused;
    mmsci_is("B", 'B', "exact_label");
    mmsci_is(" B ", 'B', "rule:equal");            /* stripped, then `a == answer` */
    mmsci_is("The answer is B.", 'B', "rule:space_label_period");
    mmsci_is("This is a test. The answer is C", 0, "needs_llm"); /* no pattern ends a text */
    mmsci_is("A: foo\nB: bar", 'A', "rule:label_colon");
    mmsci_is("Z: x", 'Z', "rule:label_colon");    /* any of A-Z, options or not */
    mmsci_is("[INST] What? A: x [/INST]  d.", 0, "needs_llm"); /* only the text after [/INST] */
    mmsci_is("It is shown in sub-figure (c) clearly", 'C', "rule:subfigure_hyphen_paren");
    mmsci_is("\xc2\xa0" "B" "\xe3\x80\x80", 'B', "rule:equal"); /* NBSP, ideographic space strip */
    mmsci_is("\xe2\x80\x8b" "B", 0, "needs_llm");  /* zero-width space is not whitespace */
    mmsci_is("**Answer**: c", 'C', "rule:answer_bold");
    mmsci_is("*Answer*: d", 'D', "rule:answer_star");
    mmsci_is("Option B is wrong; the answer is A.", 'A', "rule:space_label_period"); /* A tried first */
    mmsci_is("see subfigure e", 'E', "rule:subfigure");
    mmsci_is("see sub-figure f", 'F', "rule:subfigure_hyphen");
    mmsci_is("subfigure (g) is", 'G', "rule:subfigure_paren");
    mmsci_is("I pick **h** here", 'H', "rule:bold_label");
    mmsci_is("so H** is", 'H', "rule:space_label_bold");
    mmsci_is("so i. yes", 'I', "rule:space_label_period");
    mmsci_is("a\xe2\x80\xa8", 0, "needs_llm");
    mmsci_is("\x1c" "C" "\x1f", 'C', "rule:equal");
    mmsci_is("answer: x", 0, "needs_llm");
    mmsci_is(" B\n\n", 'B', "rule:equal");
    mmsci_is("", 0, "needs_llm");
}

static choice_options abcd(void)
{
    static const char *const text[] = {"crickets", "deer", "snakes", "hawks"};
    choice_options o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < 4; i++) {
        o.mask |= 1u << i;
        o.text[i] = text[i];
        o.len[i] = strlen(text[i]);
    }
    return o;
}

static void strict_is(const choice_options *o, const char *s, char letter, const char *path)
{
    choice_result r;
    choice_extract_strict(s, strlen(s), o, &r);
    if (r.letter != letter || strcmp(r.path, path) != 0)
        fail_msg("strict(\"%s\") = %c via %s, expected %c via %s", s, r.letter ? r.letter : '-', r.path,
                 letter ? letter : '-', path);
}

static void test_strict_forms(void **unused)
{
    (void)unused;
    choice_options o = abcd();
    strict_is(&o, "The answer is (B).", 'B', "answer_statement");
    strict_is(&o, "**C**", 'C', "bare_letter");
    strict_is(&o, "d", 'D', "bare_letter");
    strict_is(&o, "A", 'A', "bare_letter");
    strict_is(&o, "B: deer, because they graze.", 'B', "leading_label");
    strict_is(&o, "Option b", 'B', "leading_label");
    strict_is(&o, "(D) hawks eat frogs.", 'D', "leading_label");
    strict_is(&o, "Answer: C", 'C', "answer_statement");
    strict_is(&o, "**Answer:** (c) snakes", 'C', "answer_statement");
    strict_is(&o, "I think the correct option is b.", 'B', "answer_statement");
    strict_is(&o,
              "Let's think step by step. A is wrong because crickets are eaten. B fits less well.\n"
              "Therefore, the final answer is: D",
              'D', "answer_statement");
    strict_is(&o, "The answer is snakes.", 'C', "answer_statement_text");
    strict_is(&o, "snakes", 'C', "option_text");
    strict_is(&o, "Snakes.\nThey eat frogs.", 'C', "option_text");
    strict_is(&o, "After weighing them all, option C is the best fit.", 'C', "option_conclusion");
    strict_is(&o, "Looking at the web, (B) would increase.", 'B', "single_parenthesised");
    strict_is(&o, "The most fitting choice is:\n\nD: hawks", 'D', "answer_statement");
    strict_is(&o, "The best fit is:\n\nD: hawks", 'D', "conclusion_then_label");
    strict_is(&o, "Frogs eat crickets.\nB", 'B', "last_line_label");
    strict_is(&o, "ASSISTANT: B.", 'B', "bare_letter");
    strict_is(&o, "[INST] pick one [/INST] The answer is C.", 'C', "answer_statement");
    strict_is(&o, "The correct answer is $\\boxed{\\text{(D)}}$.", 'D', "answer_statement");
    strict_is(&o, "\xe7\xad\x94\xe6\xa1\x88:C", 'C', "answer_statement");
    strict_is(&o, "The answer to this question is (c).", 'C', "answer_statement");
    strict_is(&o, "Correct option: D", 'D', "answer_statement");
    strict_is(&o, "Looking at the web, B is the correct answer.", 'B', "answer_statement");
    strict_is(&o, "A is correct, since crickets thrive.", 'A', "answer_statement");
    strict_is(&o, "The answer is c) snakes", 'C', "answer_statement");
    strict_is(&o, "Of all of them, deer is the best answer.", 'B', "answer_statement_text");
}

static void test_strict_refuses(void **unused)
{
    (void)unused;
    choice_options o = abcd();
    strict_is(&o, "A bird would eat more crickets.", 0, "none");     /* the article */
    strict_is(&o, "I think frogs matter.", 0, "none");               /* the pronoun */
    strict_is(&o, "The answer is A tricky one to call.", 0, "none");
    strict_is(&o, "The answer is E.", 0, "none");                    /* not an option */
    strict_is(&o, "The answer is not B.", 0, "none");
    strict_is(&o, "B is not the correct answer.", 0, "none");
    strict_is(&o, "None of the options (A, B, C, D) is correct.", 0, "none");
    strict_is(&o, "Option B: deer graze.\nOption C: snakes eat frogs.", 0, "none");
    strict_is(&o, "A's population grows; B-cells too.", 0, "none");
    strict_is(&o, "Option C would be correct if hawks were absent.", 0, "none");
    strict_is(&o, "A: crickets grow\nB: deer stay\nC: snakes drop", 0, "none"); /* a list, no pick */
    strict_is(&o, "Choose the correct option:\n(A) crickets\n(B) deer", 0, "none");
    strict_is(&o, "Panel (B) and (C) show it.", 0, "none");
    strict_is(&o, "", 0, "none");
    /* A label letter followed by "because" is still a label. */
    strict_is(&o, "The answer is A because crickets thrive.", 'A', "answer_statement");
}

static void test_options_from_question(void **unused)
{
    (void)unused;
    choice_options o;
    const char *q = "Which is it?\nContext: none.\nA. chiasmus\nB. apostrophe\n";
    assert_int_equal(choice_options_from_question(q, strlen(q), &o), 2);
    assert_int_equal(o.mask, 3u);
    assert_int_equal(o.len[1], strlen("apostrophe"));
    assert_memory_equal(o.text[1], "apostrophe", o.len[1]);
    const char *p = "Choices:\n(A) 5\n(B) 6\n(C) 8";
    assert_int_equal(choice_options_from_question(p, strlen(p), &o), 3);
    const char *none = "A tree is tall.\nB";
    assert_int_equal(choice_options_from_question(none, strlen(none), &o), 0);
}

static void test_item_read_errors(void **unused)
{
    (void)unused;
    choice_fields names = {"question", "options", "gold", "raw_output", 0};
    choice_item it;
    mms_error err;
    static const char *const bad[] = {
        "{\"options\": {\"A\": \"x\", \"B\": \"y\"}, \"gold\": \"A\"}",                        /* no output */
        "{\"raw_output\": \"A\", \"options\": {\"A\": \"x\"}, \"gold\": 3}",                     /* gold type */
        "{\"raw_output\": \"A\", \"options\": {\"A\": \"x\", \"B\": \"y\"}, \"gold\": \"C\"}",  /* not an option */
        "{\"raw_output\": \"A\", \"options\": {\"AB\": \"x\"}, \"gold\": \"A\"}",               /* bad key */
        "{\"raw_output\": \"A\", \"question\": \"no options here\", \"gold\": \"A\"}",
        "[1, 2]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        mms_error_clear(&err);
        assert_int_not_equal(choice_item_read(j, &names, &it, &err), MMS_OK);
        assert_true(strlen(err.message) > 0);
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse("{\"raw_output\": \"B\", \"options\": [\"x\", \"y\"], \"gold\": \"(b)\"}");
    assert_int_equal(choice_item_read(j, &names, &it, &err), MMS_OK);
    assert_int_equal(it.gold, 'B');
    assert_int_equal(it.options.mask, 3u);
    cJSON_Delete(j);
    /* Without options: an error for strict, fine for MMSci's rule. */
    j = cJSON_Parse("{\"raw_output\": \"F: x\", \"question\": \"Which panel?\", \"gold\": \"f\"}");
    assert_int_not_equal(choice_item_read(j, &names, &it, &err), MMS_OK);
    choice_fields lenient = names;
    lenient.options_optional = 1;
    assert_int_equal(choice_item_read(j, &lenient, &it, &err), MMS_OK);
    assert_int_equal(it.gold, 'F');
    assert_int_equal(it.options.mask, 0u);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"raw_output\": \"B\", \"question\": \"Q\\nA. x\\nB. y\", \"gold\": \"y\"}");
    assert_int_equal(choice_item_read(j, &names, &it, &err), MMS_OK);
    assert_int_equal(it.gold, 'B');
    cJSON_Delete(j);
}

/* Random replies built from the characters the rules look at (and bytes
 * that are not UTF-8): no crash (run under ASan/UBSan), strict only ever
 * returns an option letter, MMSci only A-Z. */
static void test_hostile_input(void **unused)
{
    (void)unused;
    static const char alphabet[] = "ABCDEabcdez ()[]*:.-'\n\t\xc2\xa0\xe2\x80\xa8\xe7\xad\x94\xe6\xa1\x88\xff$\\{}";
    static const char *const words[] = {"answer", "Answer", "option", "is", "the", "not", "sub-figure ", "[/INST]",
                                        "**Answer**: ", "best", "boxed{", "Assistant:", "if", "figure"};
    choice_options o = abcd();
    o.mask = 0x7u; /* A-C only: D must never come out of strict */
    unsigned long long x = 88172645463325252ull;
    char buf[600];
    for (int round = 0; round < 20000; round++) {
        size_t n = 0, len;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        len = (size_t)(x % 500);
        while (n < len) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 5 == 0) {
                const char *w = words[(x >> 8) % (sizeof words / sizeof *words)];
                size_t k = strlen(w);
                if (n + k > sizeof buf) break;
                memcpy(buf + n, w, k);
                n += k;
            } else {
                buf[n++] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
            }
        }
        choice_result r;
        choice_extract_strict(buf, n, &o, &r);
        assert_true(r.letter == 0 || (r.letter >= 'A' && r.letter <= 'C'));
        assert_non_null(r.path);
        choice_extract_mmsci(buf, n, &r);
        assert_true(r.letter == 0 || (r.letter >= 'A' && r.letter <= 'Z'));
        assert_int_equal(choice_options_from_question(buf, n, &o) >= 0, 1);
        o = abcd();
        o.mask = 0x7u;
    }
}

/* Reads a JSONL file into an array of parsed objects. */
static cJSON *read_jsonl(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    cJSON *arr = cJSON_CreateArray();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        if (!j) fail_msg("%s: a line is not JSON", path);
        cJSON_AddItemToArray(arr, j);
    }
    free(line);
    fclose(f);
    return arr;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every subset item: MMSci's letter and path (exact_label / rule /
 * needs_llm) as the reference; strict equal to the reference's careful
 * extractor on every ScienceQA item (where both reach the published 90.90%). */
static void test_fixture_subset(void **unused)
{
    (void)unused;
    cJSON *in = read_jsonl(MMSCORE_TEST_DATA "/choice/subset.jsonl");
    cJSON *ref = read_jsonl(MMSCORE_TEST_DATA "/choice/subset.ref.jsonl");
    assert_int_equal(cJSON_GetArraySize(in), cJSON_GetArraySize(ref));
    assert_true(cJSON_GetArraySize(in) >= 200);
    choice_fields names = {"question", "options", "gold", "raw_output", 0};
    int n = 0, sqa = 0, mm_agree = 0, sqa_agree = 0;
    for (const cJSON *a = in->child, *r = ref->child; a && r; a = a->next, r = r->next, n++) {
        assert_string_equal(str(a, "id"), str(r, "id"));
        choice_item it;
        mms_error err;
        assert_int_equal(choice_item_read(a, &names, &it, &err), MMS_OK);
        choice_result m, s;
        choice_item_extract(&it, 1, &m);
        choice_item_extract(&it, 0, &s);
        const char *want = str(r, "mmsci_pred"), *path = str(r, "mmsci_path");
        size_t plen = strcspn(m.path, ":");
        int same = (want ? m.letter == want[0] : m.letter == 0) && strlen(path) == plen &&
                   strncmp(m.path, path, plen) == 0;
        if (!same)
            print_error("mmsci %s: got %c/%s, reference %s/%s\n", str(a, "id"), m.letter ? m.letter : '-',
                        m.path, want ? want : "null", path);
        mm_agree += same;
        if (strcmp(str(a, "source"), "scienceqa_test") == 0) {
            const char *rs = str(r, "reference_strict_pred");
            sqa++;
            int ok = rs ? s.letter == rs[0] : s.letter == 0;
            if (!ok) print_error("strict %s: got %c, reference %s\n", str(a, "id"), s.letter ? s.letter : '-', rs ? rs : "null");
            sqa_agree += ok;
        }
    }
    assert_int_equal(mm_agree, n);
    assert_true(sqa >= 100);
    assert_int_equal(sqa_agree, sqa);
    cJSON_Delete(in);
    cJSON_Delete(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmsci_rule),
        cmocka_unit_test(test_strict_forms),
        cmocka_unit_test(test_strict_refuses),
        cmocka_unit_test(test_options_from_question),
        cmocka_unit_test(test_item_read_errors),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_fixture_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
