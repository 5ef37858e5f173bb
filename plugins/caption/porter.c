/* caption plugin — Porter stemmer, nltk 3.8 NLTK_EXTENSIONS mode.
 *
 * Reference: nltk/stem/porter.py (3.8).  libstemmer's "porter" is the
 * original algorithm and departs from nltk's extensions (irregular-form
 * pool, 'ies'/'ied' on four-letter words, 'alli'/'fulli'/'logi' in step 2,
 * the two-letter cvc rule, step 1c's consonant test), so this is a port of
 * nltk's rules, kept in its order; docs/metrics-caption.md has the numbers.
 * Words are code-point arrays: nltk tests Python characters, and
 * non-ASCII characters count as consonants there too. */
#include "porter.h"

#include <stdlib.h>
#include <string.h>

#include "mmscore/error.h"

#define MAXW 256 /* longer words are returned unchanged (bounded work) */

typedef struct word {
    uint32_t c[MAXW];
    size_t n;
} word;

static int is_vowel(uint32_t c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

static int is_cons(const word *w, size_t i)
{
    if (is_vowel(w->c[i]))
        return 0;
    if (w->c[i] == 'y')
        return i == 0 ? 1 : !is_cons(w, i - 1);
    return 1;
}

/* measure of w[0..n): number of "vc" in the c/v sequence */
static int measure_n(const word *w, size_t n)
{
    int m = 0;
    for (size_t i = 1; i < n; i++)
        if (!is_cons(w, i - 1) && is_cons(w, i))
            m++;
    return m;
}

static int contains_vowel_n(const word *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_cons(w, i))
            return 1;
    return 0;
}

static int ends_double_n(const word *w, size_t n)
{
    return n >= 2 && w->c[n - 1] == w->c[n - 2] && is_cons(w, n - 1);
}

static int ends_cvc_n(const word *w, size_t n)
{
    if (n >= 3 && is_cons(w, n - 3) && !is_cons(w, n - 2) && is_cons(w, n - 1) &&
        w->c[n - 1] != 'w' && w->c[n - 1] != 'x' && w->c[n - 1] != 'y')
        return 1;
    return n == 2 && !is_cons(w, 0) && is_cons(w, 1);
}

static int ends(const word *w, const char *suf)
{
    size_t k = strlen(suf);
    if (k > w->n)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (w->c[w->n - k + i] != (unsigned char)suf[i])
            return 0;
    return 1;
}

/* drop the last k characters and append rep */
static void set_suffix(word *w, size_t k, const char *rep)
{
    w->n -= k;
    for (; *rep && w->n < MAXW; rep++)
        w->c[w->n++] = (unsigned char)*rep;
}

typedef enum cond { C_NONE, C_M0, C_M1, C_ION, C_STEP1B_E, C_Y, C_LOGI, C_LL } cond;

typedef struct rule {
    const char *suffix, *rep;
    cond c;
} rule;

static int cond_ok(cond c, const word *w, size_t stem_n)
{
    switch (c) {
    case C_NONE: return 1;
    case C_M0: return measure_n(w, stem_n) > 0;
    case C_M1: return measure_n(w, stem_n) > 1;
    case C_ION:
        return measure_n(w, stem_n) > 1 && stem_n > 0 &&
               (w->c[stem_n - 1] == 's' || w->c[stem_n - 1] == 't');
    case C_STEP1B_E: return measure_n(w, stem_n) == 1 && ends_cvc_n(w, stem_n);
    case C_Y: return stem_n > 1 && is_cons(w, stem_n - 1);
    case C_LOGI: return measure_n(w, w->n - 3) > 0; /* nltk measures word[:-3] */
    case C_LL: return measure_n(w, w->n - 1) > 1;  /* nltk measures word[:-1] */
    }
    return 0;
}

/* nltk's _apply_rule_list: the first rule whose suffix matches decides. */
static void apply_rules(word *w, const rule *r, size_t nr)
{
    for (size_t i = 0; i < nr; i++) {
        if (ends(w, r[i].suffix)) {
            size_t k = strlen(r[i].suffix);
            if (cond_ok(r[i].c, w, w->n - k))
                set_suffix(w, k, r[i].rep);
            return;
        }
    }
}

static void step1a(word *w)
{
    if (ends(w, "ies") && w->n == 4) {
        set_suffix(w, 3, "ie");
        return;
    }
    static const rule r[] = {{"sses", "ss", C_NONE}, {"ies", "i", C_NONE},
                             {"ss", "ss", C_NONE}, {"s", "", C_NONE}};
    apply_rules(w, r, 4);
}

static void step1b(word *w)
{
    if (ends(w, "ied")) {
        set_suffix(w, 3, w->n == 4 ? "ie" : "i");
        return;
    }
    if (ends(w, "eed")) {
        if (measure_n(w, w->n - 3) > 0)
            set_suffix(w, 3, "ee");
        return;
    }
    size_t k = 0;
    if (ends(w, "ed") && contains_vowel_n(w, w->n - 2))
        k = 2;
    else if (ends(w, "ing") && contains_vowel_n(w, w->n - 3))
        k = 3;
    if (!k)
        return;
    w->n -= k; /* the intermediate stem */
    if (ends(w, "at")) {
        set_suffix(w, 2, "ate");
    } else if (ends(w, "bl")) {
        set_suffix(w, 2, "ble");
    } else if (ends(w, "iz")) {
        set_suffix(w, 2, "ize");
    } else if (ends_double_n(w, w->n)) {
        uint32_t last = w->c[w->n - 1];
        if (last != 'l' && last != 's' && last != 'z')
            w->n -= 1;
    } else if (cond_ok(C_STEP1B_E, w, w->n)) {
        set_suffix(w, 0, "e");
    }
}

static void step1c(word *w)
{
    static const rule r[] = {{"y", "i", C_Y}};
    apply_rules(w, r, 1);
}

static void step2(word *w)
{
    while (ends(w, "alli") && measure_n(w, w->n - 4) > 0)
        set_suffix(w, 4, "al");
    static const rule r[] = {
        {"ational", "ate", C_M0}, {"tional", "tion", C_M0}, {"enci", "ence", C_M0},
        {"anci", "ance", C_M0},   {"izer", "ize", C_M0},    {"bli", "ble", C_M0},
        {"alli", "al", C_M0},     {"entli", "ent", C_M0},   {"eli", "e", C_M0},
        {"ousli", "ous", C_M0},   {"ization", "ize", C_M0}, {"ation", "ate", C_M0},
        {"ator", "ate", C_M0},    {"alism", "al", C_M0},    {"iveness", "ive", C_M0},
        {"fulness", "ful", C_M0}, {"ousness", "ous", C_M0}, {"aliti", "al", C_M0},
        {"iviti", "ive", C_M0},   {"biliti", "ble", C_M0},  {"fulli", "ful", C_M0},
        {"logi", "log", C_LOGI}};
    apply_rules(w, r, sizeof r / sizeof r[0]);
}

static void step3(word *w)
{
    static const rule r[] = {{"icate", "ic", C_M0}, {"ative", "", C_M0}, {"alize", "al", C_M0},
                             {"iciti", "ic", C_M0}, {"ical", "ic", C_M0}, {"ful", "", C_M0},
                             {"ness", "", C_M0}};
    apply_rules(w, r, sizeof r / sizeof r[0]);
}

static void step4(word *w)
{
    static const rule r[] = {
        {"al", "", C_M1},   {"ance", "", C_M1}, {"ence", "", C_M1}, {"er", "", C_M1},
        {"ic", "", C_M1},   {"able", "", C_M1}, {"ible", "", C_M1}, {"ant", "", C_M1},
        {"ement", "", C_M1}, {"ment", "", C_M1}, {"ent", "", C_M1}, {"ion", "", C_ION},
        {"ou", "", C_M1},   {"ism", "", C_M1},  {"ate", "", C_M1},  {"iti", "", C_M1},
        {"ous", "", C_M1},  {"ive", "", C_M1},  {"ize", "", C_M1}};
    apply_rules(w, r, sizeof r / sizeof r[0]);
}

static void step5a(word *w)
{
    if (!ends(w, "e"))
        return;
    size_t n = w->n - 1;
    int m = measure_n(w, n);
    if (m > 1 || (m == 1 && !ends_cvc_n(w, n)))
        w->n = n;
}

static void step5b(word *w)
{
    static const rule r[] = {{"ll", "l", C_LL}};
    apply_rules(w, r, 1);
}

/* nltk's pool of irregular forms (NLTK_EXTENSIONS) */
static const char *const POOL[][2] = {
    {"sky", "sky"},         {"skies", "sky"},       {"dying", "die"},      {"lying", "lie"},
    {"tying", "tie"},       {"news", "news"},       {"innings", "inning"}, {"inning", "inning"},
    {"outings", "outing"},  {"outing", "outing"},   {"cannings", "canning"},
    {"canning", "canning"}, {"howe", "howe"},       {"proceed", "proceed"},
    {"exceed", "exceed"},   {"succeed", "succeed"}};

static int eq_ascii(const uint32_t *w, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (k != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (unsigned char)s[i])
            return 0;
    return 1;
}

int cap_porter_stem(const uint32_t *w, size_t n, cap_u32 *out)
{
    out->n = 0;
    for (size_t i = 0; i < sizeof POOL / sizeof POOL[0]; i++)
        if (eq_ascii(w, n, POOL[i][0]))
            return cap_u32_append_ascii(out, POOL[i][1]);
    if (n <= 2 || n > MAXW - 8)
        return cap_u32_append(out, w, n);
    word x;
    memcpy(x.c, w, n * sizeof *w);
    x.n = n;
    step1a(&x);
    step1b(&x);
    step1c(&x);
    step2(&x);
    step3(&x);
    step4(&x);
    step5a(&x);
    step5b(&x);
    return cap_u32_append(out, x.c, x.n);
}

int cap_porter_stem_utf8(const char *w, char **out)
{
    cap_u32 in = {0}, st = {0};
    int rc = cap_utf8_decode(w, strlen(w), &in);
    if (rc == MMS_OK)
        rc = cap_porter_stem(in.v, in.n, &st);
    if (rc == MMS_OK && !(*out = cap_utf8_encode(st.v, st.n)))
        rc = MMS_ENOMEM;
    cap_u32_free(&in);
    cap_u32_free(&st);
    return rc;
}
