/* CIF 1.1 tokens and numbers.
 *
 * One pass over the caller's buffer: tokens are (pointer, length) slices into
 * it, never copies, so reading a small CIF allocates almost nothing.  The
 * grammar is CIF 1.1's (quotes close only before whitespace, text fields are
 * lines between a ';' in column 1 and the next such line, '#' starts a
 * comment where a token could start); the handful of places where pymatgen's
 * regex tokenizer is more lenient are listed in docs/readers.md. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cif_internal.h"

void cif_lex_init(cif_lex *lx, const char *text, size_t len, size_t max_line, long line_offset)
{
    lx->p = text;
    lx->end = text + len;
    lx->line_start = text;
    lx->line = 1 + line_offset;
    lx->max_line = max_line;
    lx->unclosed_quotes = 0;
}

/* Byte classes, looked up once per byte in the hot loops. */
enum { C_SPACE = 1, C_BAD = 2 };

static const unsigned char byte_class[256] = {
    [0] = C_BAD, [1] = C_BAD, [2] = C_BAD, [3] = C_BAD, [4] = C_BAD, [5] = C_BAD,
    [6] = C_BAD, [7] = C_BAD, [8] = C_BAD, ['\t'] = C_SPACE, ['\n'] = C_SPACE,
    ['\v'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE, [14] = C_BAD, [15] = C_BAD,
    [16] = C_BAD, [17] = C_BAD, [18] = C_BAD, [19] = C_BAD, [20] = C_BAD, [21] = C_BAD,
    [22] = C_BAD, [23] = C_BAD, [24] = C_BAD, [25] = C_BAD, [26] = C_BAD, [27] = C_BAD,
    [28] = C_BAD, [29] = C_BAD, [30] = C_BAD, [31] = C_BAD, [' '] = C_SPACE, [127] = C_BAD};

static int is_space(int c)
{
    return byte_class[(unsigned char)c] & C_SPACE;
}

/* Consumes a '\n' at p: counts the line and checks the finished line's
 * length. */
static int newline(cif_lex *lx, const char *p, mms_error *err)
{
    if ((size_t)(p - lx->line_start) > lx->max_line)
        return mms_error_set(err, MMS_ELIMIT, lx->line,
                             "line longer than %zu bytes (limit max_line_len)", lx->max_line);
    lx->line++;
    lx->line_start = p + 1;
    return MMS_OK;
}

/* Control bytes other than whitespace mean this is not a text file (CIF 1.1
 * allows printable ASCII; bytes >= 0x80 are let through as pymatgen drops
 * them without complaint). */
static int bad_byte(unsigned char c)
{
    return byte_class[c] & C_BAD;
}

/* One attempt; 2 = a quote was dropped, try again from lx->p. */
static int lex_once(cif_lex *lx, cif_tok *t, mms_error *err)
{
    const char *p = lx->p, *end = lx->end;
    int rc;
    for (;;) {
        while (p < end && is_space((unsigned char)*p)) {
            if (*p == '\n' && (rc = newline(lx, p, err)) != MMS_OK)
                return rc;
            p++;
        }
        if (p < end && *p == '#') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl : end;
            continue;
        }
        break;
    }
    if (p >= end) {
        if ((size_t)(p - lx->line_start) > lx->max_line)
            return mms_error_set(err, MMS_ELIMIT, lx->line,
                                 "line longer than %zu bytes (limit max_line_len)", lx->max_line);
        lx->p = p;
        return 0;
    }
    t->line = lx->line;
    if (bad_byte((unsigned char)*p))
        return mms_error_set(err, MMS_EPARSE, lx->line,
                             "binary byte 0x%02x where a CIF token was expected",
                             (unsigned char)*p);
    if (*p == ';' && p == lx->line_start) {
        /* text field: up to the next line that starts with ';' */
        const char *q = p + 1;
        long start_line = lx->line;
        for (;;) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            if (!nl)
                return mms_error_set(err, MMS_EPARSE, start_line,
                                     "text field (;) never closed: expected a "
                                     "line starting with ';'");
            if ((rc = newline(lx, nl, err)) != MMS_OK)
                return rc;
            if (nl + 1 < end && nl[1] == ';') {
                t->p = p + 1;
                t->len = (size_t)(nl - (p + 1));
                t->kind = CIF_TEXT;
                lx->p = nl + 2;
                return 1;
            }
            q = nl + 1;
        }
    }
    if (*p == '\'' || *p == '"') {
        /* a quote closes only when followed by whitespace or the end */
        char qc = *p;
        const char *q = p + 1;
        while (q < end && *q != '\n' && *q != '\r' &&
               !(*q == qc && (q + 1 >= end || is_space((unsigned char)q[1]))))
            q++;
        if (q < end && *q == qc) {
            t->p = p + 1;
            t->len = (size_t)(q - (p + 1));
            t->kind = qc == '\'' ? CIF_SQUOTE : CIF_DQUOTE;
            lx->p = q + 1;
            return 1;
        }
        /* Not closed on its line (invalid CIF 1.1).  pymatgen's tokenizer
         * then drops the quote and reads the words after it as plain
         * tokens; we do the same so such files read as they do there. */
        lx->unclosed_quotes++;
        lx->p = p + 1;
        return 2;
    }
    const char *q = p;
    while (q < end && !byte_class[(unsigned char)*q])
        q++;
    if (q < end && bad_byte((unsigned char)*q))
        return mms_error_set(err, MMS_EPARSE, lx->line,
                             "binary byte 0x%02x inside a CIF token: expected "
                             "printable text",
                             (unsigned char)*q);
    t->p = p;
    t->len = (size_t)(q - p);
    t->kind = CIF_BARE;
    lx->p = q;
    return 1;
}

int cif_lex_next(cif_lex *lx, cif_tok *t, mms_error *err)
{
    int rc;
    while ((rc = lex_once(lx, t, err)) == 2)
        ;
    return rc;
}

/* ---- names ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* CIF names are case-insensitive; '.' and '_' are taken as the same
 * character so that DDLm spellings (_space_group_symop.operation_xyz) and the
 * interim magCIF ones match their CIF 1 forms, as pymatgen does for magCIF. */
int cif_name_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++) {
        int x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);
        if (x == '.')
            x = '_';
        if (y == '.')
            y = '_';
        if (x != y)
            return 0;
    }
    return i == alen && b[i] == '\0';
}

int cif_tok_is(const cif_tok *t, const char *word)
{
    return t->kind == CIF_BARE && cif_name_eq(t->p, t->len, word);
}

int cif_tok_has_prefix(const cif_tok *t, const char *prefix)
{
    size_t n = strlen(prefix);
    if (t->kind != CIF_BARE || t->len < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)t->p[i]) != prefix[i])
            return 0;
    return 1;
}

/* ---- numbers ---- */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on a NUL-terminated copy; the slice is already validated. */
static double slow_strtod(const char *p, size_t n)
{
    char buf[512];
    if (n >= sizeof buf)
        return NAN; /* longer numerals are refused by the caller */
    memcpy(buf, p, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

static int word_ieq(const char *p, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p[i]) != w[i])
            return 0;
    return 1;
}

/* pymatgen's str2float: drop a standard uncertainty "(...)" (from the first
 * '(' that has something after it), then Python's float().  "." reads as 0.
 * Python float() syntax: [sign] (digits [. digits] | . digits) [e [sign]
 * digits], or nan / inf / infinity.  Exact: the fast path is Clinger's
 * (mantissa < 2^53, |power of ten| <= 22, one correctly rounded operation);
 * everything else goes through strtod, which glibc rounds correctly. */
int cif_parse_number(const char *p, size_t n, double *out)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '(') {
            n = i;
            break;
        }
    if (n == 1 && p[0] == '.') {
        *out = 0.0;
        return 1;
    }
    if (n == 0 || n >= 512)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (p[i] == '+' || p[i] == '-')
        neg = p[i++] == '-';
    const char *body = p + i;
    size_t blen = n - i;
    if (word_ieq(body, blen, "nan")) {
        *out = neg ? -NAN : NAN;
        return 1;
    }
    if (word_ieq(body, blen, "inf") || word_ieq(body, blen, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    uint64_t m = 0;
    int ndig = 0, dropped = 0, frac_digits = 0, any = 0;
    /* up to 19 significant digits fit in m; more send us to strtod */
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, any = 1) {
        if (ndig < 19) {
            m = m * 10 + (uint64_t)(p[i] - '0');
            if (m)
                ndig++;
        } else {
            dropped = 1;
        }
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, any = 1) {
            if (ndig < 19) {
                m = m * 10 + (uint64_t)(p[i] - '0');
                if (m)
                    ndig++;
                frac_digits++;
            } else {
                dropped = 1;
            }
        }
    }
    if (!any)
        return 0;
    long e = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            eneg = p[i++] == '-';
        if (i >= n || p[i] < '0' || p[i] > '9')
            return 0;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            if (e < 100000)
                e = e * 10 + (p[i] - '0');
        if (eneg)
            e = -e;
    }
    if (i != n)
        return 0;
    long e10 = e - frac_digits;
    double v;
    if (m == 0 && !dropped) {
        v = 0.0;
    } else if (!dropped && m < (1ull << 53) && e10 >= -22 && e10 <= 22) {
        v = e10 >= 0 ? (double)m * pow10_exact[e10] : (double)m / pow10_exact[-e10];
    } else {
        v = fabs(slow_strtod(p, n));
    }
    *out = neg ? -v : v;
    return 1;
}
