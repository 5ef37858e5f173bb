/* caption plugin — NLTKWordTokenizer.tokenize (nltk 3.8,
 * nltk/tokenize/destructive.py), the tokenizer word_tokenize() applies to
 * each Punkt sentence.
 *
 * Each regex substitution of the reference is one left-to-right scan here,
 * with Python's re semantics for non-overlapping matches, \s, \w, \d and \b
 * over code points.  The patterns are fixed and small, so a hand-written
 * scanner per pattern is shorter and faster than embedding a regex engine
 * with Python's Unicode rules. */
#include "wordtok.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>

typedef cap_u32 buf;

static inline int put(buf *o, uint32_t c)
{
    if (o->n < o->cap) {
        o->v[o->n++] = c;
        return 0;
    }
    return cap_u32_push(o, c);
}
static int puts_(buf *o, const char *s) { return cap_u32_append_ascii(o, s); }

/* Replaces *t by o (o's storage moves into t). */
static void swap_in(buf *t, buf *o)
{
    cap_u32_free(t);
    *t = *o;
    memset(o, 0, sizeof *o);
}

/* An output buffer sized for the common case: a pass at most triples the
 * text (padding a character with two spaces). */
static buf out_for(const buf *t)
{
    buf o = {0};
    cap_u32_reserve(&o, 3 * t->n + 16);
    return o;
}

static int in_set(uint32_t c, const uint32_t *set)
{
    for (; *set; set++)
        if (c == *set)
            return 1;
    return 0;
}

static uint32_t ascii_lower(uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* ([«“‘„]|[`]+) -> " \1 " */
static int sq_open(buf *t)
{
    static const uint32_t Q[] = {0xAB, 0x201C, 0x2018, 0x201E, 0};
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        if (in_set(t->v[i], Q)) {
            rc = put(&o, ' ') || put(&o, t->v[i]) || put(&o, ' ');
            i++;
        } else if (t->v[i] == '`') {
            size_t j = i;
            while (j < t->n && t->v[j] == '`')
                j++;
            rc = put(&o, ' ') || cap_u32_append(&o, t->v + i, j - i) || put(&o, ' ');
            i = j;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

/* ^\" -> `` ; then (``) -> " \1 " */
static int sq_backticks(buf *t)
{
    buf o = out_for(t);
    int rc = 0;
    size_t i = 0;
    if (t->n && t->v[0] == '"') {
        rc = puts_(&o, "``");
        i = 1;
    }
    for (; i < t->n && !rc; i++)
        rc = put(&o, t->v[i]);
    swap_in(t, &o);
    buf p = {0};
    for (i = 0; i < t->n && !rc;) {
        if (i + 1 < t->n && t->v[i] == '`' && t->v[i + 1] == '`') {
            rc = puts_(&p, " `` ");
            i += 2;
        } else {
            rc = put(&p, t->v[i++]);
        }
    }
    swap_in(t, &p);
    return rc;
}

/* ([ \(\[{<])(\"|\'{2}) -> "\1 `` " */
static int sq_open_double(buf *t)
{
    static const uint32_t OPEN[] = {' ', '(', '[', '{', '<', 0};
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        if (in_set(t->v[i], OPEN) && i + 1 < t->n) {
            size_t k = 0;
            if (t->v[i + 1] == '"')
                k = 1;
            else if (i + 2 < t->n && t->v[i + 1] == '\'' && t->v[i + 2] == '\'')
                k = 2;
            if (k) {
                rc = put(&o, t->v[i]) || puts_(&o, " `` ");
                i += 1 + k;
                continue;
            }
        }
        rc = put(&o, t->v[i++]);
    }
    swap_in(t, &o);
    return rc;
}

/* (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> "\1 \2" */
static int sq_apostrophe_word(buf *t)
{
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        if (t->v[i] == '\'' && i + 1 < t->n && cap_py_isword(t->v[i + 1]) &&
            (i + 2 >= t->n || !cap_py_isword(t->v[i + 2]))) {
            uint32_t c = ascii_lower(t->v[i + 1]);
            /* the two-letter alternatives cannot precede a word boundary */
            int excluded = c == 'm' || c == 't' || c == 's' || c == 'd' || c == 'n' ||
                           t->v[i + 1] == 0x17F; /* long s folds to s under (?i) */
            if (!excluded) {
                rc = put(&o, '\'') || put(&o, ' ') || put(&o, t->v[i + 1]);
                i += 2;
                continue;
            }
        }
        rc = put(&o, t->v[i++]);
    }
    swap_in(t, &o);
    return rc;
}

/* ([^\.])(\.)([Q]*)\s*$ -> "\1 \2 \3 " (spaced=1) or "\1 \2\3 " (spaced=0).
 * Only the last '.' can match: after it come Q characters then whitespace. */
static int final_period(buf *t, const uint32_t *Q, int spaced)
{
    size_t n = t->n, d = n;
    while (d > 0 && t->v[d - 1] != '.')
        d--;
    if (d < 2) /* no '.', or nothing before it */
        return 0;
    d--; /* index of the last '.' */
    if (t->v[d - 1] == '.')
        return 0;
    size_t a = d + 1;
    while (a < n && in_set(t->v[a], Q))
        a++;
    for (size_t k = a; k < n; k++)
        if (!cap_py_isspace(t->v[k]))
            return 0;
    buf o = {0};
    int rc = cap_u32_append(&o, t->v, d) || put(&o, ' ') || put(&o, '.');
    if (!rc && spaced)
        rc = put(&o, ' ');
    if (!rc)
        rc = cap_u32_append(&o, t->v + d + 1, a - d - 1) || put(&o, ' ');
    swap_in(t, &o);
    return rc;
}

/* ([:,])([^\d]) -> " \1 \2" ; then ([:,])$ -> " \1 " */
static int p_colon_comma(buf *t)
{
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        uint32_t c = t->v[i];
        if ((c == ':' || c == ',') && i + 1 < t->n && !cap_py_isdigit(t->v[i + 1])) {
            rc = put(&o, ' ') || put(&o, c) || put(&o, ' ') || put(&o, t->v[i + 1]);
            i += 2;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    if (rc)
        return rc;
    /* $ matches at the end and before a final newline */
    size_t n = t->n, at = n;
    if (n >= 1 && (t->v[n - 1] == ':' || t->v[n - 1] == ','))
        at = n - 1;
    else if (n >= 2 && t->v[n - 1] == '\n' && (t->v[n - 2] == ':' || t->v[n - 2] == ','))
        at = n - 2;
    if (at == n)
        return 0;
    buf p = {0};
    rc = cap_u32_append(&p, t->v, at) || put(&p, ' ') || put(&p, t->v[at]) || put(&p, ' ') ||
         cap_u32_append(&p, t->v + at + 1, n - at - 1);
    swap_in(t, &p);
    return rc;
}

/* \.{2,} -> " \g<0> " */
static int p_dots(buf *t)
{
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        size_t j = i;
        while (j < t->n && t->v[j] == '.')
            j++;
        if (j - i >= 2) {
            rc = put(&o, ' ') || cap_u32_append(&o, t->v + i, j - i) || put(&o, ' ');
            i = j;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

/* a character class -> " \g<0> " */
static int pad_chars(buf *t, const uint32_t *set)
{
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc; i++)
        rc = in_set(t->v[i], set) ? (put(&o, ' ') || put(&o, t->v[i]) || put(&o, ' '))
                                  : put(&o, t->v[i]);
    swap_in(t, &o);
    return rc;
}

/* ([^'])' -> "\1 ' " */
static int p_quote_space(buf *t)
{
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        if (t->v[i] != '\'' && i + 2 < t->n && t->v[i + 1] == '\'' && t->v[i + 2] == ' ') {
            rc = put(&o, t->v[i]) || puts_(&o, " ' ");
            i += 3;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

/* a literal -> replacement, left to right */
static int replace_lit(buf *t, const char *lit, const char *rep)
{
    size_t k = strlen(lit);
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        size_t m = 0;
        while (m < k && i + m < t->n && t->v[i + m] == (unsigned char)lit[m])
            m++;
        if (m == k) {
            rc = puts_(&o, rep);
            i += k;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

/* ([^' ])(ALT) -> "\1 \2 " where ALT (tried in order) must be followed by a
 * space, which the match consumes. */
static int eq_clitics(buf *t, const char *const *alts)
{
    buf o = out_for(t);
    int rc = 0;
    size_t alen[16], na = 0;
    for (; alts[na] && na < 16; na++)
        alen[na] = strlen(alts[na]);
    for (size_t i = 0; i < t->n && !rc;) {
        size_t len = 0;
        /* every alternative starts with ' or n/N */
        if (t->v[i] != '\'' && t->v[i] != ' ' && i + 1 < t->n &&
            (t->v[i + 1] == '\'' || t->v[i + 1] == 'n' || t->v[i + 1] == 'N')) {
            for (size_t ai = 0; ai < na && !len; ai++) {
                const char *const *a = &alts[ai];
                size_t k = alen[ai], m = 0;
                while (m < k && i + 1 + m < t->n && t->v[i + 1 + m] == (unsigned char)(*a)[m])
                    m++;
                if (m == k && i + 1 + k < t->n && t->v[i + 1 + k] == ' ')
                    len = k;
            }
        }
        if (len) {
            rc = put(&o, t->v[i]) || put(&o, ' ') || cap_u32_append(&o, t->v + i + 1, len) ||
                 put(&o, ' ');
            i += len + 2;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

static int ci_eq(const uint32_t *s, size_t n, size_t at, const char *lit, size_t k)
{
    if (at + k > n)
        return 0;
    for (size_t m = 0; m < k; m++) {
        /* (?i) compares simple lower-case mappings: U+0130 matches i, the
         * Kelvin sign k, and the long s is folded to s */
        uint32_t c = s[at + m] < 0x80 ? ascii_lower(s[at + m]) : (uint32_t)u_tolower((UChar32)s[at + m]);
        if (c == 0x17F)
            c = 's';
        if (c != (unsigned char)lit[m])
            return 0;
    }
    return 1;
}

static int word_at(const buf *t, size_t i) { return i < t->n && cap_py_isword(t->v[i]); }

/* (?i)\b(A)(B)\b -> " \1 \2 "; last=1 for (?=\s) instead of the final \b;
 * lead_space=1 for CONTRACTIONS3's "(?i) (A)(B)\b" with its leading space. */
static int contraction(buf *t, const char *a, const char *b, int lookahead_space, int lead_space)
{
    size_t la = strlen(a), lb = strlen(b);
    buf o = out_for(t);
    int rc = 0;
    for (size_t i = 0; i < t->n && !rc;) {
        size_t s = i + (size_t)lead_space;
        int ok = 1;
        if (lead_space)
            ok = t->v[i] == ' ';
        else /* \b before a word character: the previous one is not a word character */
            ok = !(i > 0 && word_at(t, i - 1));
        ok = ok && ci_eq(t->v, t->n, s, a, la) && ci_eq(t->v, t->n, s + la, b, lb);
        if (ok) {
            size_t e = s + la + lb;
            if (lookahead_space)
                ok = e < t->n && cap_py_isspace(t->v[e]);
            else /* \b after the last character (a word character) */
                ok = !word_at(t, e);
            if (!lead_space && ok && !cap_py_isword(t->v[s]))
                ok = 0;
        }
        if (ok) {
            rc = put(&o, ' ') || cap_u32_append(&o, t->v + s, la) || put(&o, ' ') ||
                 cap_u32_append(&o, t->v + s + la, lb) || put(&o, ' ');
            i = s + la + lb;
        } else {
            rc = put(&o, t->v[i++]);
        }
    }
    swap_in(t, &o);
    return rc;
}

int cap_treebank_tokenize(const uint32_t *text, size_t n, cap_toks *out)
{
    static const uint32_t Q1[] = {']', ')', '}', '>', '"', '\'', 0xBB, 0x201D, 0x2019, ' ', 0};
    static const uint32_t Q2[] = {']', ')', '}', '>', '"', '\'', 0};
    static const uint32_t P_MISC[] = {';', '@', '#', '$', '%', '&', 0};
    static const uint32_t P_QE[] = {'?', '!', 0};
    static const uint32_t P_STAR[] = {'*', 0};
    static const uint32_t PARENS[] = {']', '[', '(', ')', '{', '}', '<', '>', 0};
    static const uint32_t END_Q[] = {0xBB, 0x201D, 0x2019, 0};
    static const char *const CLITIC1[] = {"'s", "'S", "'m", "'M", "'d", "'D", "'", NULL};
    static const char *const CLITIC2[] = {"'ll", "'LL", "'re", "'RE", "'ve", "'VE", "n't", "N'T", NULL};
    buf t = {0};
    int rc = cap_u32_append(&t, text, n);
    /* starting quotes */
    if (!rc) rc = sq_open(&t);
    if (!rc) rc = sq_backticks(&t);
    if (!rc) rc = sq_open_double(&t);
    if (!rc) rc = sq_apostrophe_word(&t);
    /* punctuation */
    if (!rc) rc = final_period(&t, Q1, 1);
    if (!rc) rc = p_colon_comma(&t);
    if (!rc) rc = p_dots(&t);
    if (!rc) rc = pad_chars(&t, P_MISC);
    if (!rc) rc = final_period(&t, Q2, 0);
    if (!rc) rc = pad_chars(&t, P_QE);
    if (!rc) rc = p_quote_space(&t);
    if (!rc) rc = pad_chars(&t, P_STAR);
    if (!rc) rc = pad_chars(&t, PARENS);
    if (!rc) rc = replace_lit(&t, "--", " -- ");
    /* ending quotes, on " text " */
    if (!rc) {
        buf o = {0};
        rc = put(&o, ' ') || cap_u32_append(&o, t.v, t.n) || put(&o, ' ');
        swap_in(&t, &o);
    }
    if (!rc) rc = pad_chars(&t, END_Q);
    if (!rc) rc = replace_lit(&t, "''", " '' ");
    if (!rc) rc = replace_lit(&t, "\"", " '' ");
    if (!rc) rc = eq_clitics(&t, CLITIC1);
    if (!rc) rc = eq_clitics(&t, CLITIC2);
    /* MacIntyre contractions */
    if (!rc) rc = contraction(&t, "can", "not", 0, 0);
    if (!rc) rc = contraction(&t, "d", "'ye", 0, 0);
    if (!rc) rc = contraction(&t, "gim", "me", 0, 0);
    if (!rc) rc = contraction(&t, "gon", "na", 0, 0);
    if (!rc) rc = contraction(&t, "got", "ta", 0, 0);
    if (!rc) rc = contraction(&t, "lem", "me", 0, 0);
    if (!rc) rc = contraction(&t, "more", "'n", 0, 0);
    if (!rc) rc = contraction(&t, "wan", "na", 1, 0);
    if (!rc) rc = contraction(&t, "'t", "is", 0, 1);
    if (!rc) rc = contraction(&t, "'t", "was", 0, 1);
    if (!rc) rc = cap_split_ws_u32(t.v, t.n, out);
    cap_u32_free(&t);
    return rc ? MMS_ENOMEM : MMS_OK;
}
