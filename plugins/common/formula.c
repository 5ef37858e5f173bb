/* Formula parsing as pymatgen 2022.11.7's Composition does it (see
 * formula.h).  Written here because the core only formats formulas; the
 * grammar is pymatgen's regex pair, kept to its rules:
 *   group:  \(([^\(\)]+)\)\s*([\.e\d]*)   -- innermost first, repeated
 *   token:  ([A-Z][a-z]*)\s*([-*\.e\d]*)  -- anything left over is an error */
#include "formula.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"

#define WORK_MAX 4096

static int is_amount_char(char c)
{
    return isdigit((unsigned char)c) || c == '.' || c == 'e' || c == '-' || c == '*';
}

static int add_amount(mmsc_formula *f, const char *sym, size_t len, double amt, mms_error *err)
{
    for (size_t i = 0; i < f->n; i++)
        if (strlen(f->symbol[i]) == len && !strncmp(f->symbol[i], sym, len)) {
            f->amount[i] += amt;
            return MMS_OK;
        }
    if (len > 3 || f->n == MMSC_FORMULA_MAX_ELEMENTS)
        return mms_error_set(err, MMS_ELIMIT, 0, "too many elements or a symbol too long");
    memcpy(f->symbol[f->n], sym, len);
    f->symbol[f->n][len] = '\0';
    f->amount[f->n++] = amt;
    return MMS_OK;
}

/* Python float(): the amount text must be a whole number literal. */
static int parse_amount(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0) {
        *out = 1.0;
        return 0;
    }
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return (*end == '\0' && isfinite(*out)) ? 0 : -1;
}

/* Tokens of a parenthesis-free text, each amount times factor. */
static int sym_tokens(const char *s, size_t len, double factor, mmsc_formula *f, mms_error *err)
{
    size_t i = 0;
    while (i < len) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        if (!isupper((unsigned char)s[i]))
            return mms_error_set(err, MMS_EPARSE, 0, "unexpected '%c' in formula", s[i]);
        size_t sym = i++;
        while (i < len && islower((unsigned char)s[i]))
            i++;
        size_t sym_len = i - sym;
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        size_t a = i;
        while (i < len && is_amount_char(s[i]))
            i++;
        double amt;
        if (parse_amount(s + a, i - a, &amt) != 0)
            return mms_error_set(err, MMS_EPARSE, 0, "bad amount '%.*s'", (int)(i - a), s + a);
        if (mms_element_z_n(s + sym, sym_len) == 0)
            return mms_error_set(err, MMS_EPARSE, 0, "'%.*s' is not an element", (int)sym_len,
                                 s + sym);
        int rc = add_amount(f, s + sym, sym_len, amt * factor, err);
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}

int mmsc_formula_parse(const char *text, mmsc_formula *out, mms_error *err)
{
    char work[WORK_MAX], next[WORK_MAX];
    size_t w = 0;
    memset(out, 0, sizeof *out);
    for (const char *p = text; *p; p++) {
        if (*p == '@')
            continue;
        if (w + 1 >= sizeof work)
            return mms_error_set(err, MMS_ELIMIT, 0, "formula too long");
        work[w++] = *p;
    }
    work[w] = '\0';
    /* Expand the first innermost group, as pymatgen's re.search does, until
     * none is left; each pass removes one pair of parentheses. */
    for (;;) {
        char *close = NULL, *open = NULL;
        for (char *p = work; *p; p++) {
            if (*p == '(')
                open = p;
            else if (*p == ')' && open) {
                close = p;
                break;
            }
        }
        if (!close)
            break;
        char *q = close + 1;
        while (isspace((unsigned char)*q))
            q++;
        char *a = q;
        while (isdigit((unsigned char)*q) || *q == '.' || *q == 'e')
            q++;
        double factor;
        if (parse_amount(a, (size_t)(q - a), &factor) != 0)
            return mms_error_set(err, MMS_EPARSE, 0, "bad group factor");
        mmsc_formula unit = {0};
        int rc = sym_tokens(open + 1, (size_t)(close - open - 1), factor, &unit, err);
        if (rc != MMS_OK)
            return rc;
        int len = snprintf(next, sizeof next, "%.*s", (int)(open - work), work);
        for (size_t i = 0; i < unit.n && len >= 0 && (size_t)len < sizeof next; i++)
            len += snprintf(next + len, sizeof next - (size_t)len, "%s%.17g", unit.symbol[i],
                            unit.amount[i]);
        if (len < 0 || (size_t)len >= sizeof next ||
            (size_t)len + strlen(q) + 1 > sizeof next)
            return mms_error_set(err, MMS_ELIMIT, 0, "formula too long");
        strcpy(next + len, q);
        strcpy(work, next);
    }
    int rc = sym_tokens(work, strlen(work), 1.0, out, err);
    if (rc != MMS_OK)
        return rc;
    if (out->n == 0)
        return mms_error_set(err, MMS_EPARSE, 0, "empty formula");
    return MMS_OK;
}

static int all_integer(const mmsc_formula *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (fabs(f->amount[i] - round(f->amount[i])) >= 1e-8)
            return 0;
    return 1;
}

long long mmsc_gcd_ll(long long a, long long b)
{
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a < 0 ? -a : a;
}

/* Non-zero amounts only: pymatgen drops elements of zero amount. */
static void normalise(const mmsc_formula *f, int integer, mmsc_formula *out)
{
    long long g = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < f->n; i++)
        if (fabs(f->amount[i]) >= 1e-8) {
            *out->symbol[out->n] = '\0';
            strcpy(out->symbol[out->n], f->symbol[i]);
            out->amount[out->n++] = integer ? round(f->amount[i]) : f->amount[i];
            if (integer)
                g = mmsc_gcd_ll(g, (long long)round(f->amount[i]));
        }
    for (size_t i = 0; integer && g > 1 && i < out->n; i++)
        out->amount[i] /= (double)g;
}

int mmsc_formula_same_reduced(const mmsc_formula *a, const mmsc_formula *b)
{
    int ia = all_integer(a), ib = all_integer(b);
    if (ia != ib)
        return 0;
    mmsc_formula na, nb;
    normalise(a, ia, &na);
    normalise(b, ib, &nb);
    if (na.n != nb.n)
        return 0;
    for (size_t i = 0; i < na.n; i++) {
        size_t j = 0;
        while (j < nb.n && strcmp(na.symbol[i], nb.symbol[j]))
            j++;
        if (j == nb.n || fabs(na.amount[i] - nb.amount[j]) >= 1e-8)
            return 0;
    }
    return 1;
}
