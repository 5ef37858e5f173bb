/* choice — answer extractors.  See extract.h and docs/metrics-choice.md.
 *
 * No regex library: MMSci's rule is plain substring tests (Python `in`), and
 * the strict rules need word boundaries that treat UTF-8 bytes consistently;
 * both are short, linear scans written here so that behaviour is exact and
 * the cost is bounded by a few passes over the text. */
#include "extract.h"

#include <string.h>

/* ------------------------------------------------------------ byte helpers */

static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static unsigned char to_lower(unsigned char c) { return is_upper(c) ? (unsigned char)(c + 32) : c; }
static unsigned char to_upper(unsigned char c) { return is_lower(c) ? (unsigned char)(c - 32) : c; }
static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
/* Non-ASCII bytes count as word characters: a label glued to a letter of any
 * script ("Aé", "Bα") is part of a word, not a label. */
static int is_word(unsigned char c) { return is_alnum(c) || c >= 0x80 || c == '_'; }

/* Does s[p..n) start with lit, comparing ASCII case-insensitively? */
static int ci_at(const char *s, size_t n, size_t p, const char *lit)
{
    size_t k = strlen(lit);
    if (p > n || n - p < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (to_lower((unsigned char)s[p + i]) != (unsigned char)lit[i]) return 0;
    return 1;
}

/* Does s[0..p) end with lit (exact bytes)? */
static int ends_with(const char *s, size_t p, const char *lit)
{
    size_t k = strlen(lit);
    return p >= k && memcmp(s + p - k, lit, k) == 0;
}

static int letter_ok(unsigned mask, unsigned char up)
{
    if (!is_upper(up)) return 0;
    return mask == 0 || (mask >> (up - 'A')) & 1u;
}

/* ------------------------------------------------- Python whitespace, UTF-8 */

static int py_space_cp(unsigned long cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Decode one well-formed UTF-8 sequence of 1-3 bytes (every Python space is
 * below U+10000); 0 if s does not start with one. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    if (n >= 1 && s[0] < 0x80) { *cp = s[0]; return 1; }
    if (n >= 2 && (s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80 && s[0] >= 0xc2) {
        *cp = ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        return 2;
    }
    if (n >= 3 && (s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((unsigned long)(s[0] & 0x0f) << 12) | ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        return *cp >= 0x800 ? 3 : 0;
    }
    return 0;
}

size_t choice_py_space_len(const char *s, size_t n)
{
    unsigned long cp = 0;
    size_t k = utf8_decode((const unsigned char *)s, n, &cp);
    return k && py_space_cp(cp) ? k : 0;
}

size_t choice_py_space_len_back(const char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned long cp = 0;
        if (utf8_decode((const unsigned char *)s + n - k, k, &cp) == k && py_space_cp(cp)) return k;
    }
    return 0;
}

/* Python str.strip(): shrink [*b, *e) past whitespace code points. */
static void py_strip(const char *s, size_t *b, size_t *e)
{
    size_t k;
    while (*b < *e && (k = choice_py_space_len(s + *b, *e - *b)) > 0) *b += k;
    while (*e > *b && (k = choice_py_space_len_back(s + *b, *e - *b)) > 0) *e -= k;
}

/* Last occurrence of lit in s[b..e), or (size_t)-1. */
static size_t find_last(const char *s, size_t b, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    if (e - b < k) return (size_t)-1;
    for (size_t p = e - k + 1; p-- > b;)
        if (s[p] == lit[0] && memcmp(s + p, lit, k) == 0) return p;
    return (size_t)-1;
}

/* ------------------------------------------------------------ MMSci's rule */

/* The patterns of rule_based_answer, in the order it tests them for each
 * label a (`a.lower()` written l):
 *   *Answer*: a|l   **Answer**: a|l   " a "   sub-figure l   subfigure l
 *   sub-figure (l)   subfigure (l)   a:   " a**"   **a**|**l**   " a."|" l." */
enum {
    MM_ANSWER_STAR, MM_ANSWER_BOLD, MM_SPACE_LABEL_SPACE, MM_SUBFIG_HYPHEN, MM_SUBFIG,
    MM_SUBFIG_HYPHEN_PAREN, MM_SUBFIG_PAREN, MM_LABEL_COLON, MM_SPACE_LABEL_BOLD, MM_BOLD_LABEL,
    MM_SPACE_LABEL_PERIOD, MM_NPATTERNS
};

static const char *const mm_path[MM_NPATTERNS] = {
    "rule:answer_star", "rule:answer_bold", "rule:space_label_space", "rule:subfigure_hyphen",
    "rule:subfigure", "rule:subfigure_hyphen_paren", "rule:subfigure_paren", "rule:label_colon",
    "rule:space_label_bold", "rule:bold_label", "rule:space_label_period",
};

void choice_extract_mmsci(const char *s, size_t n, choice_result *r)
{
    /* print_result.py only calls the extractor when the answer is not
     * already one of the labels (compared before any strip). */
    if (n == 1 && is_upper((unsigned char)s[0])) {
        r->letter = s[0];
        r->path = "exact_label";
        return;
    }
    size_t b = 0, e = n;
    py_strip(s, &b, &e);
    size_t inst = find_last(s, b, e, "[/INST]");
    if (inst != (size_t)-1) {
        b = inst + 7;
        py_strip(s, &b, &e);
    }
    const char *t = s + b;
    size_t m = e - b;
    if (m == 1 && is_upper((unsigned char)t[0])) { /* `a == answer` */
        r->letter = t[0];
        r->path = "rule:equal";
        return;
    }
    /* One pass records, per pattern, which labels occur anywhere (bit i =
     * label 'A'+i); then the reference's order (label outer, pattern inner)
     * picks the answer.  Same result as 26x11 substring searches. */
    unsigned long occ[MM_NPATTERNS] = {0};
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!is_alpha(c)) continue;
        unsigned long bit = 1ul << (to_upper(c) - 'A');
        unsigned char prev = i > 0 ? (unsigned char)t[i - 1] : 0;
        unsigned char next = i + 1 < m ? (unsigned char)t[i + 1] : 0;
        int bold_after = i + 2 < m && t[i + 1] == '*' && t[i + 2] == '*';
        if (prev == ' ' && i >= 10 && t[i - 2] == ':') {
            if (ends_with(t, i, "*Answer*: ")) occ[MM_ANSWER_STAR] |= bit;
            if (ends_with(t, i, "**Answer**: ")) occ[MM_ANSWER_BOLD] |= bit;
        }
        if (prev == '*' && bold_after && ends_with(t, i, "**")) occ[MM_BOLD_LABEL] |= bit;
        if (prev == ' ' && next == '.') occ[MM_SPACE_LABEL_PERIOD] |= bit;
        if (is_upper(c)) {
            if (prev == ' ' && next == ' ') occ[MM_SPACE_LABEL_SPACE] |= bit;
            if (next == ':') occ[MM_LABEL_COLON] |= bit;
            if (prev == ' ' && bold_after) occ[MM_SPACE_LABEL_BOLD] |= bit;
        } else if (prev == ' ' || prev == '(') {
            if (ends_with(t, i, "sub-figure ")) occ[MM_SUBFIG_HYPHEN] |= bit;
            if (ends_with(t, i, "subfigure ")) occ[MM_SUBFIG] |= bit;
            if (next == ')') {
                if (ends_with(t, i, "sub-figure (")) occ[MM_SUBFIG_HYPHEN_PAREN] |= bit;
                if (ends_with(t, i, "subfigure (")) occ[MM_SUBFIG_PAREN] |= bit;
            }
        }
    }
    for (int a = 0; a < CHOICE_MAX_LETTERS; a++)
        for (int k = 0; k < MM_NPATTERNS; k++)
            if ((occ[k] >> a) & 1ul) {
                r->letter = (char)('A' + a);
                r->path = mm_path[k];
                return;
            }
    r->letter = 0;
    r->path = "needs_llm";
}

/* ------------------------------------------------------ the strict reader */

/* Characters that decorate a label without changing it: markdown emphasis,
 * quotes, spaces. */
static int is_fill(unsigned char c) { return is_blank(c) || c == '*' || c == '_' || c == '"' || c == '\'' || c == '`'; }

static size_t skip_fill(const char *t, size_t n, size_t p)
{
    while (p < n && is_fill((unsigned char)t[p])) p++;
    return p;
}

static size_t skip_blank(const char *t, size_t n, size_t p)
{
    while (p < n && is_blank((unsigned char)t[p])) p++;
    return p;
}

/* Is t[p] the start of a word (not preceded by a word character)? */
static int word_start(const char *t, size_t p) { return p == 0 || !is_word((unsigned char)t[p - 1]); }

/* Is position p (just after a token) a word end?  "A's", "B-cell", "e.g."
 * and "A.1" keep the letter inside a word. */
static int word_end(const char *t, size_t n, size_t p)
{
    if (p >= n) return 1;
    unsigned char c = (unsigned char)t[p];
    if (is_word(c)) return 0;
    if ((c == '\'' || c == '-' || c == '.' || c == '/') && p + 1 < n && is_word((unsigned char)t[p + 1])) return 0;
    return 1;
}

/* Whole word w (lower-case literal) at p? */
static int word_at(const char *t, size_t n, size_t p, const char *w)
{
    if (p >= n || to_lower((unsigned char)t[p]) != (unsigned char)w[0]) return 0; /* fast reject */
    return word_start(t, p) && ci_at(t, n, p, w) && word_end(t, n, p + strlen(w));
}

/* Does the bare capital at p read as English ("A tree", "I think") rather
 * than as a label?  Only "A" and "I" are words on their own; "A because" is
 * still a label. */
static int reads_as_word(const char *t, size_t n, size_t p)
{
    unsigned char c = to_upper((unsigned char)t[p]);
    if (c != 'A' && c != 'I') return 0;
    size_t q = p + 1;
    if (q >= n || t[q] != ' ') return 0;
    q++;
    if (q >= n || !is_lower((unsigned char)t[q])) return 0;
    static const char *const connectives[] = {"because", "since", "which", "as", "is"};
    for (size_t i = 0; i < sizeof connectives / sizeof *connectives; i++)
        if (word_at(t, n, q, connectives[i])) return 0;
    return 1;
}

/* Which unwrapped forms label_at accepts.  "b)" only where a label is
 * expected (line start, after "the answer is"): inside prose, "(A, B, C, D)"
 * holds a "D)". */
enum { LBL_BARE_UPPER = 1, LBL_BARE_LOWER = 2, LBL_HALF_PAREN = 4 };

/* A label at p: "(X)", "[X]", "**X**"/"*X*", "X)" (with LBL_HALF_PAREN) in
 * either case, or a bare letter (capital when LBL_BARE_UPPER, small when LBL_BARE_LOWER) standing
 * as a word of its own.  Returns the capital letter (0 if none) and sets
 * *end past it. */
static char label_at(const char *t, size_t n, size_t p, unsigned bare, unsigned mask, size_t *end)
{
    if (p >= n) return 0;
    unsigned char c = (unsigned char)t[p];
    if ((c == '(' || c == '[') && p + 2 < n && is_alpha((unsigned char)t[p + 1]) &&
        t[p + 2] == (c == '(' ? ')' : ']')) {
        unsigned char up = to_upper((unsigned char)t[p + 1]);
        if (!letter_ok(mask, up)) return 0;
        *end = p + 3;
        return (char)up;
    }
    if (c == '*') {
        size_t k = p;
        while (k < n && t[k] == '*' && k - p < 2) k++;
        size_t stars = k - p;
        if (k + stars < n && is_alpha((unsigned char)t[k]) && ci_at(t, n, k + 1, stars == 2 ? "**" : "*")) {
            unsigned char up = to_upper((unsigned char)t[k]);
            if (!letter_ok(mask, up)) return 0;
            *end = k + 1 + stars;
            return (char)up;
        }
        return 0;
    }
    if (!is_alpha(c) || !word_start(t, p)) return 0;
    if ((bare & LBL_HALF_PAREN) && p + 1 < n && t[p + 1] == ')') { /* "b) text": either case */
        unsigned char up = to_upper(c);
        if (!letter_ok(mask, up)) return 0;
        *end = p + 2;
        return (char)up;
    }
    if (!word_end(t, n, p + 1)) return 0;
    if (is_upper(c) ? !(bare & LBL_BARE_UPPER) : !(bare & LBL_BARE_LOWER)) return 0;
    if (reads_as_word(t, n, p)) return 0;
    unsigned char up = to_upper(c);
    if (!letter_ok(mask, up)) return 0;
    *end = p + 1;
    return (char)up;
}

/* "option", "choice" or "letter" as a word at p; sets *end after it. */
static int option_word_at(const char *t, size_t n, size_t p, size_t *end)
{
    static const char *const words[] = {"option", "choice", "letter"};
    for (size_t i = 0; i < 3; i++)
        if (word_at(t, n, p, words[i])) {
            *end = p + strlen(words[i]);
            return 1;
        }
    return 0;
}

/* Option-text matching: case-insensitive, runs of blanks equal (the option
 * text comes trimmed, see trim_options), and the match must end at a word
 * end.  Returns the end of the match in t or 0. */
static size_t text_match_at(const char *t, size_t n, size_t p, const char *o, size_t on)
{
    if (on == 0 || p >= n || to_lower((unsigned char)t[p]) != to_lower((unsigned char)o[0])) return 0;
    size_t i = p, j = 0;
    while (j < on) {
        if (i >= n) return 0;
        unsigned char a = (unsigned char)t[i], b = (unsigned char)o[j];
        if (is_blank(a) && is_blank(b)) {
            i = skip_blank(t, n, i);
            j = skip_blank(o, on, j);
            continue;
        }
        if (to_lower(a) != to_lower(b)) return 0;
        i++, j++;
    }
    if (is_word((unsigned char)o[on - 1]) && !word_end(t, n, i)) return 0;
    return i;
}

/* The option whose text starts at p, the longest when several do (options
 * "8" and "8.1"); 0 if none or if two different options tie. */
static char option_text_at(const char *t, size_t n, size_t p, const choice_options *opt, size_t *end)
{
    char best = 0;
    size_t best_end = 0;
    int tie = 0;
    if (p >= n) return 0;
    unsigned char c0 = to_lower((unsigned char)t[p]);
    for (int i = 0; i < CHOICE_MAX_LETTERS; i++) {
        if (!((opt->mask >> i) & 1u) || !opt->text[i] || to_lower((unsigned char)opt->text[i][0]) != c0) continue;
        size_t e = text_match_at(t, n, p, opt->text[i], opt->len[i]);
        if (!e) continue;
        if (e > best_end) best = (char)('A' + i), best_end = e, tie = 0;
        else if (e == best_end) tie = 1;
    }
    if (!best || tie) return 0;
    *end = best_end;
    return best;
}

/* After "answer"/"option"/"choice": the copulas that make what follows the
 * stated answer. */
static size_t copula_at(const char *t, size_t n, size_t p)
{
    static const char *const copulas[] = {
        "would be", "should be", "will be", "must be", "seems to be", "appears to be", "is", "was",
    };
    static const char *const adverbs[] = {"likely", "probably", "therefore", "thus", "clearly", "most likely", "definitely"};
    for (size_t i = 0; i < sizeof copulas / sizeof *copulas; i++) {
        if (!word_at(t, n, p, copulas[i])) continue;
        size_t q = p + strlen(copulas[i]);
        size_t r = skip_blank(t, n, q);
        for (size_t k = 0; k < sizeof adverbs / sizeof *adverbs; k++)
            if (word_at(t, n, r, adverbs[k])) return r + strlen(adverbs[k]);
        return q;
    }
    return 0;
}

typedef struct hit {
    char letter;
    const char *path;
} hit;

/* LaTeX that wraps a stated answer: "$\\boxed{\\text{(D) } ...}$". */
static size_t skip_latex(const char *t, size_t n, size_t q)
{
    static const char *const wraps[] = {"$", "\\(", "\\boxed{", "\\text{", "\\textbf{", "\\mathrm{"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof wraps / sizeof *wraps; i++)
            if (ci_at(t, n, q, wraps[i])) q = skip_fill(t, n, q + strlen(wraps[i])), again = 1;
    }
    return q;
}

/* Is the word before p "correct", "final", "best" or "right"? */
static int preceded_by_qualifier(const char *t, size_t p)
{
    static const char *const words[] = {"correct", "final", "best", "right"};
    while (p > 0 && is_fill((unsigned char)t[p - 1])) p--;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t k = strlen(words[i]);
        if (p >= k && ci_at(t, p, p - k, words[i]) && word_start(t, p - k)) return 1;
    }
    return 0;
}

/* Past up to five small-letter words ("answer to this question is"), when
 * a copula follows them; else q unchanged. */
static size_t skip_small_words(const char *t, size_t n, size_t q)
{
    size_t r = q;
    for (int k = 0; k < 5; k++) {
        if (copula_at(t, n, r)) return r;
        size_t e = r;
        while (e < n && is_lower((unsigned char)t[e])) e++;
        if (e - r < 2 || !word_end(t, n, e) || e >= n || t[e] != ' ') return q;
        r = e + 1;
    }
    return copula_at(t, n, r) ? r : q;
}

/* Where the answer begins after an answer marker at p, or 0: "answer" or
 * "option"/"choice" + copula ("is", "would be", ...) and/or, for "answer",
 * a colon; Chinese "答案" (+ "是") + colon.  Copula with "not" finds no
 * label after it, so "the answer is not B" states nothing. */
static size_t answer_marker_at(const char *t, size_t n, size_t p, unsigned *bare)
{
    size_t q;
    int is_answer = 0;
    *bare = LBL_BARE_UPPER;
    if (ci_at(t, n, p, "\xe7\xad\x94\xe6\xa1\x88")) { /* 答案 */
        q = p + 6;
        if (ci_at(t, n, q, "\xe6\x98\xaf")) q += 3; /* 是 */
        if (ci_at(t, n, q, "\xef\xbc\x9a")) return skip_fill(t, n, q + 3); /* ： */
        return q < n && t[q] == ':' ? skip_fill(t, n, q + 1) : 0;
    }
    if (!is_alpha((unsigned char)t[p]) || !word_start(t, p)) return 0;
    if (word_at(t, n, p, "answer")) q = p + 6, is_answer = 1;
    else if (option_word_at(t, n, p, &q)) *bare |= LBL_BARE_LOWER; /* "the correct option is b" */
    else return 0;
    /* "Correct option: B" names the answer; "Option B: text" does not. */
    int qualified = is_answer || preceded_by_qualifier(t, p);
    q = skip_fill(t, n, q);
    size_t c = copula_at(t, n, skip_small_words(t, n, q));
    int stated = c != 0;
    if (c) q = skip_fill(t, n, c);
    if (q < n && t[q] == ':' && (qualified || stated)) q = skip_fill(t, n, q + 1), stated = 1;
    return stated ? q : 0;
}

/* "B is the correct answer", "(C) is correct": a label, a copula, then
 * "correct"/"right", or "the" + optional adjective + answer/option/choice.
 * Returns the letter; 0 if the text at p is not such a statement. */
static char reversed_statement_at(const char *t, size_t n, size_t p, const choice_options *opt, int *by_text)
{
    size_t end;
    char x = label_at(t, n, p, LBL_BARE_UPPER, opt->mask, &end);
    *by_text = 0;
    if (!x && word_start(t, p) && (x = option_text_at(t, n, p, opt, &end))) *by_text = 1; /* "deer is the best answer" */
    if (!x) return 0;
    size_t q = copula_at(t, n, skip_fill(t, n, end));
    if (!q) return 0;
    q = skip_blank(t, n, q);
    if (word_at(t, n, q, "correct") || word_at(t, n, q, "right")) {
        q += word_at(t, n, q, "right") ? 5 : 7;
    } else {
        if (!word_at(t, n, q, "the")) return 0;
        q = skip_blank(t, n, q + 3);
        static const char *const adjectives[] = {"correct", "right", "best", "final", "most likely"};
        for (size_t i = 0; i < sizeof adjectives / sizeof *adjectives; i++)
            if (word_at(t, n, q, adjectives[i])) q = skip_blank(t, n, q + strlen(adjectives[i]));
        if (word_at(t, n, q, "answer")) q += 6;
        else if (!option_word_at(t, n, q, &q)) return 0;
    }
    /* "C would be correct if ..." is a hypothesis. */
    q = skip_blank(t, n, q);
    if (word_at(t, n, q, "if") || word_at(t, n, q, "unless") || word_at(t, n, q, "only")) return 0;
    return x;
}

/* The label a line starts with ("B: ...", "(D) text", "**C**", "Option b",
 * "B.", "b) ..."), or 0.  A bare capital needs a delimiter after it or the
 * end of the line: "A tree ..." is a sentence. */
static char line_label(const char *t, size_t n, size_t p, unsigned mask)
{
    size_t q = skip_fill(t, n, p), end, w;
    int named = option_word_at(t, n, q, &w); /* "Option b" */
    if (named) q = skip_fill(t, n, w);
    unsigned char c = q < n ? (unsigned char)t[q] : 0;
    if (!named && (c == '(' || c == '[' || c == '*')) return label_at(t, n, q, 0, mask, &end);
    char x = label_at(t, n, q, LBL_BARE_UPPER | LBL_BARE_LOWER | LBL_HALF_PAREN, mask, &end);
    if (!x) return 0;
    if (t[end - 1] == ')') return x; /* "b) text" */
    /* "Option C would be correct if ..." is a sentence about C, not a pick. */
    unsigned char d = end < n ? (unsigned char)t[end] : '\n';
    if (named && d == '*') end = skip_fill(t, n, end), d = end < n ? (unsigned char)t[end] : '\n';
    if ((named || is_upper(c)) && (d == '.' || d == ':' || d == ')' || d == '\n' || d == '\r')) return x;
    if (is_lower(c) && d == ':') return x;
    return 0;
}

static size_t line_end(const char *t, size_t n, size_t p)
{
    while (p < n && t[p] != '\n') p++;
    return p;
}

/* Does the line after the one holding a label x (ending at end) start with
 * another label?  Then "Choose the correct option:\n(A) ..\n(B) .." lists
 * the options instead of answering. */
static int echoes_option_list(const char *t, size_t n, size_t end, char x, unsigned mask)
{
    size_t r = line_end(t, n, end);
    while (r < n && (is_blank((unsigned char)t[r]) || t[r] == '-' || t[r] == '>')) r++;
    char y = r < n ? line_label(t, n, r, mask) : 0;
    return y && y != x;
}

/* "The answer is (B)", "Answer: C", "**Answer**: d) text", "the correct
 * option is B", "the final answer is: 8.1" (option text).  The last
 * statement in the text wins: after chain-of-thought the conclusion is last. */
static hit answer_statement(const char *t, size_t n, const choice_options *opt)
{
    hit h = {0, NULL};
    for (size_t p = 0; p < n; p++) {
        unsigned char c = to_lower((unsigned char)t[p]);
        /* Statements start at a word start or a mark; 答 needs no space. */
        if (c != 0xe7 && p > 0 && is_word(c) && is_word((unsigned char)t[p - 1])) continue;
        if (is_blank(c)) continue;
        int by_text;
        char y = reversed_statement_at(t, n, p, opt, &by_text);
        if (y) {
            h.letter = y, h.path = by_text ? "answer_statement_text" : "answer_statement";
            continue;
        }
        if (c != 'a' && c != 'o' && c != 'c' && c != 'l' && c != 0xe7) continue; /* answer option choice letter 答 */
        unsigned bare;
        size_t q = answer_marker_at(t, n, p, &bare);
        bare |= LBL_HALF_PAREN;
        if (!q) continue;
        q = skip_latex(t, n, q);
        size_t end, w;
        if (option_word_at(t, n, q, &w)) q = skip_fill(t, n, w), bare |= LBL_BARE_LOWER;
        char x = label_at(t, n, q, bare, opt->mask, &end);
        if (x && echoes_option_list(t, n, end, x, opt->mask)) continue;
        if (x) {
            h.letter = x, h.path = "answer_statement";
            continue;
        }
        x = option_text_at(t, n, q, opt, &end);
        if (x) h.letter = x, h.path = "answer_statement_text";
    }
    return h;
}

/* A reply that opens with a label, unless the reply is a list going through
 * the options (another line starting with a different label). */
static char leading_label(const char *t, size_t n, unsigned mask)
{
    char x = line_label(t, n, 0, mask);
    if (!x) return 0;
    for (size_t p = line_end(t, n, 0); p < n; p = line_end(t, n, p + 1)) {
        size_t q = p + 1;
        while (q < n && (is_blank((unsigned char)t[q]) || t[q] == '-' || t[q] == '#')) q++;
        char y = q < n ? line_label(t, n, q, mask) : 0;
        if (y && y != x) return 0;
    }
    return x;
}

/* Sentence ends: newline, or . ! ? followed by a blank or the end. */
static size_t sentence_end(const char *t, size_t n, size_t p)
{
    for (; p < n; p++) {
        char c = t[p];
        if (c == '\n') return p;
        if ((c == '.' || c == '!' || c == '?') && (p + 1 == n || is_blank((unsigned char)t[p + 1]))) return p;
    }
    return n;
}

static int sentence_has_word(const char *t, size_t b, size_t e, const char *const *words, size_t nw)
{
    for (size_t p = b; p < e; p++)
        for (size_t i = 0; i < nw; i++)
            if (word_at(t, e, p, words[i])) return 1;
    return 0;
}

/* Words that make a sentence a conclusion, and words that undo it. */
static const char *const cues[] = {"correct", "best", "most", "therefore", "thus", "hence", "so",
                                   "conclusion", "answer", "right", "choose", "select", "final"};
static const char *const negations[] = {"not", "incorrect", "wrong", "less", "neither", "nor",
                                        "unlike", "except", "instead", "rather", "no", "cannot", "if"};

/* Is "(X)" at p a panel of a figure ("figure (B)", "panel (c)")? */
static int panel_before(const char *t, size_t p)
{
    while (p > 0 && t[p - 1] == ' ') p--;
    static const char *const words[] = {"figure", "Figure", "panel", "Panel", "Fig.", "fig."};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (ends_with(t, p, words[i])) return 1;
    return 0;
}

static int contains(const char *t, size_t b, size_t e, const char *lit)
{
    size_t k = strlen(lit);
    for (size_t p = b; p + k <= e; p++)
        if (memcmp(t + p, lit, k) == 0) return 1;
    return 0;
}

/* "Therefore, option C best describes ...": the last sentence that names one
 * option (as "option X" or "(X)"), says it is the right one, and negates
 * nothing. */
static char option_conclusion(const char *t, size_t n, unsigned mask)
{
    char found = 0;
    for (size_t b = 0; b < n;) {
        size_t e = sentence_end(t, n, b);
        char x = 0;
        int several = 0;
        for (size_t p = b; p < e; p++) {
            size_t end;
            char y = 0;
            if (option_word_at(t, e, p, &end))
                y = label_at(t, e, skip_fill(t, e, end), LBL_BARE_UPPER | LBL_BARE_LOWER, mask, &end);
            else if (t[p] == '(' && p + 1 < e && is_upper((unsigned char)t[p + 1]) && !panel_before(t, p))
                y = label_at(t, e, p, 0, mask, &end);
            if (y && x && y != x) several = 1;
            if (y) x = y;
        }
        if (x && !several && sentence_has_word(t, b, e, cues, sizeof cues / sizeof *cues) &&
            !sentence_has_word(t, b, e, negations, sizeof negations / sizeof *negations) &&
            !contains(t, b, e, "n't"))
            found = x;
        b = e + 1;
    }
    return found;
}

/* "The option that best fits is:" then, on the next non-blank line, a
 * label: "B: text", "**Option A: ...**".  The last such pair wins. */
static char conclusion_then_label(const char *t, size_t n, unsigned mask)
{
    char found = 0;
    for (size_t b = 0; b < n;) {
        size_t e = line_end(t, n, b), k = e;
        while (k > b && (is_fill((unsigned char)t[k - 1]))) k--;
        if (k > b && t[k - 1] == ':' && sentence_has_word(t, b, k, cues, sizeof cues / sizeof *cues) &&
            !sentence_has_word(t, b, k, negations, sizeof negations / sizeof *negations)) {
            size_t q = e;
            while (q < n && (is_blank((unsigned char)t[q]) || t[q] == '-' || t[q] == '>')) q++;
            char x = q < n ? line_label(t, n, q, mask) : 0;
            /* "Choose the correct option:" followed by the list of options
             * is a prompt echo, not an answer. */
            size_t r = line_end(t, n, q);
            while (r < n && (is_blank((unsigned char)t[r]) || t[r] == '-' || t[r] == '>')) r++;
            char y = r < n ? line_label(t, n, r, mask) : 0;
            if (x && !(y && y != x)) found = x;
        }
        b = e + 1;
    }
    return found;
}

/* Does some option's own text contain "(X)"?  Then "(X)" in a reply may be
 * a quotation of that option, not a label. */
static int option_text_has(const choice_options *opt, const char *paren)
{
    for (int i = 0; i < CHOICE_MAX_LETTERS; i++)
        if (opt->text[i] && opt->len[i] >= 3 && contains(opt->text[i], 0, opt->len[i], paren)) return 1;
    return 0;
}

/* Exactly one distinct "(X)" (capital) in the whole reply, in a reply that
 * does not speak of panels, and not words quoted from an option. */
static char single_parenthesised(const char *t, size_t n, const choice_options *opt)
{
    unsigned mask = opt->mask;
    char x = 0;
    for (size_t p = 0; p + 2 < n; p++) {
        if (t[p] != '(' || !is_upper((unsigned char)t[p + 1]) || t[p + 2] != ')') continue;
        char paren[4] = {'(', t[p + 1], ')', 0};
        /* A reply that names panels "(b)", "figure (C)" uses parentheses
         * for panels: none of its "(X)" can be trusted as a label. */
        if (panel_before(t, p)) return 0;
        if (option_text_has(opt, paren)) continue;
        char y = t[p + 1];
        if (!letter_ok(mask, (unsigned char)y)) continue;
        if (x && x != y) return 0;
        x = y;
    }
    return x;
}

/* The whole span is one letter with decoration: "B", "(c)", "**D**.". */
static char bare_letter(const char *t, size_t b, size_t e, unsigned mask)
{
    while (b < e && (is_fill((unsigned char)t[b]) || t[b] == '(' || t[b] == '[' || t[b] == '#')) b++;
    while (e > b && (is_fill((unsigned char)t[e - 1]) || strchr(").]:", t[e - 1]))) e--;
    if (e - b != 1 || !is_alpha((unsigned char)t[b])) return 0;
    unsigned char up = to_upper((unsigned char)t[b]);
    return letter_ok(mask, up) ? (char)up : 0;
}

/* The whole span is one option's text ("snakes", "8.1."). */
static char whole_option_text(const char *t, size_t b, size_t e, const choice_options *opt)
{
    while (b < e && (is_fill((unsigned char)t[b]))) b++;
    while (e > b && (is_fill((unsigned char)t[e - 1]) || strchr(".,;:!", t[e - 1]))) e--;
    if (b == e) return 0;
    size_t end;
    char x = option_text_at(t, e, b, opt, &end);
    return x && end == e ? x : 0;
}

/* Option texts without surrounding blanks or a final period, once per reply. */
static void trim_options(const choice_options *in, choice_options *out)
{
    *out = *in;
    for (int i = 0; i < CHOICE_MAX_LETTERS; i++) {
        const char *o = out->text[i];
        size_t on = o ? out->len[i] : 0;
        while (on > 0 && is_blank((unsigned char)o[0])) o++, on--;
        while (on > 0 && (is_blank((unsigned char)o[on - 1]) || o[on - 1] == '.')) on--;
        out->text[i] = on ? o : NULL;
        out->len[i] = on;
    }
}

void choice_extract_strict(const char *s, size_t n, const choice_options *given, choice_result *r)
{
    choice_options trimmed, *opt = &trimmed;
    trim_options(given, &trimmed);
    size_t b = 0, e = n;
    py_strip(s, &b, &e);
    size_t inst = find_last(s, b, e, "[/INST]");
    if (inst != (size_t)-1) b = inst + 7, py_strip(s, &b, &e);
    /* Chat transcripts keep the speaker tag: "Assistant: ...". */
    size_t q = b;
    while (q < e && (s[q] == '#' || s[q] == ' ')) q++;
    if (ci_at(s, e, q, "assistant:")) b = q + 10, py_strip(s, &b, &e);
    const char *t = s + b;
    size_t m = e - b;
    unsigned mask = opt->mask;
    char x;
    hit h;
    r->letter = 0;
    r->path = "none";
    if ((x = bare_letter(t, 0, m, mask))) { r->letter = x, r->path = "bare_letter"; return; }
    if ((h = answer_statement(t, m, opt)).letter) { r->letter = h.letter, r->path = h.path; return; }
    if ((x = conclusion_then_label(t, m, mask))) { r->letter = x, r->path = "conclusion_then_label"; return; }
    if ((x = leading_label(t, m, mask))) { r->letter = x, r->path = "leading_label"; return; }
    if ((x = option_conclusion(t, m, mask))) { r->letter = x, r->path = "option_conclusion"; return; }
    if ((x = single_parenthesised(t, m, opt))) { r->letter = x, r->path = "single_parenthesised"; return; }
    size_t last = m;
    while (last > 0 && is_blank((unsigned char)t[last - 1])) last--;
    size_t lb = last;
    while (lb > 0 && t[lb - 1] != '\n') lb--;
    if (lb > 0 && ((x = bare_letter(t, lb, last, mask)) || (x = line_label(t, last, lb, mask)))) {
        /* The last of a list of labelled lines is no answer. */
        size_t pe = lb - 1;
        while (pe > 0 && is_blank((unsigned char)t[pe - 1])) pe--;
        size_t pb = pe;
        while (pb > 0 && t[pb - 1] != '\n') pb--;
        char y = pe > pb ? line_label(t, pe, pb, mask) : 0;
        if (!y || y == x) {
            r->letter = x, r->path = "last_line_label";
            return;
        }
    }
    if ((x = whole_option_text(t, 0, m, opt)) ||
        (x = whole_option_text(t, 0, line_end(t, m, 0), opt)) ||
        (lb > 0 && (x = whole_option_text(t, lb, last, opt)))) {
        r->letter = x, r->path = "option_text";
        return;
    }
}

/* ----------------------------------------------------- options of a question */

int choice_options_from_question(const char *q, size_t n, choice_options *opt)
{
    choice_options found;
    memset(&found, 0, sizeof found);
    int next = 0;
    for (size_t p = 0; p < n; p = line_end(q, n, p) + 1) {
        size_t s = skip_blank(q, line_end(q, n, p), p), le = line_end(q, n, p), k;
        unsigned char c = s < le ? (unsigned char)q[s] : 0;
        if (c == '(' && s + 2 < le && q[s + 2] == ')') c = (unsigned char)q[s + 1], k = s + 3;
        else if (is_upper(c) && s + 1 < le && strchr(".:)", q[s + 1])) k = s + 2;
        else continue;
        if (c != 'A' + next || k >= le || q[k] != ' ') continue;
        found.mask |= 1u << next;
        found.text[next] = q + k + 1;
        found.len[next] = le - (k + 1);
        next++;
        if (next == CHOICE_MAX_LETTERS) break;
    }
    if (next < 2) return 0;
    *opt = found;
    return next;
}
