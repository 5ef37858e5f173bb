/* choice — multiple-choice answer extraction, as pure functions over strings.
 *
 * Two extractors (docs/metrics-choice.md has the full definitions):
 *   mmsci  — MMSci's rule_based_answer (mmsci-exps/print_result.py, commit
 *            c787815) without its LLM fallback, quirks included;
 *   strict — reads an answer the way a careful person would and never takes
 *            the article "A" or the pronoun "I" for an option.
 *
 * Strings are UTF-8 byte ranges (not necessarily NUL-terminated); nothing is
 * allocated and every pointer is borrowed.  All functions are re-entrant. */
#ifndef MMSCORE_CHOICE_EXTRACT_H
#define MMSCORE_CHOICE_EXTRACT_H

#include <stddef.h>

#define CHOICE_MAX_LETTERS 26

/* The options of one question.  mask bit i means letter 'A'+i exists;
 * text[i]/len[i] is that option's text (borrowed; NULL when unknown). */
typedef struct choice_options {
    unsigned mask;
    const char *text[CHOICE_MAX_LETTERS];
    size_t len[CHOICE_MAX_LETTERS];
} choice_options;

typedef struct choice_result {
    char letter;      /* 'A'..'Z', or 0 when nothing was extracted */
    const char *path; /* static name of the rule that decided (never NULL) */
} choice_result;

/* MMSci's rule.  letter is any of A-Z (MMSci tries all 26 labels whatever
 * the question offers); path is "exact_label", "rule:<pattern>" or
 * "needs_llm" (MMSci would ask gpt-4o-mini; we report no answer). */
void choice_extract_mmsci(const char *s, size_t n, choice_result *r);

/* The careful extractor; only letters in opt->mask are ever returned
 * (all of A-Z when mask is 0).  path "none" when nothing was found. */
void choice_extract_strict(const char *s, size_t n, const choice_options *opt,
                           choice_result *r);

/* Fill opt from option lines inside a question text ("A. x", "A: x",
 * "(A) x", "A) x" at line start).  Returns the number of options found;
 * needs at least two consecutive letters from A to count any. */
int choice_options_from_question(const char *q, size_t n, choice_options *opt);

/* Length of a Python str.strip() whitespace code point at s (UTF-8), or 0. */
size_t choice_py_space_len(const char *s, size_t n);
/* Same, for the code point that ends at s + n. */
size_t choice_py_space_len_back(const char *s, size_t n);

#endif
