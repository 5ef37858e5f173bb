/* caption plugin — text primitives with Python 3 str semantics (see text.h). */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include "mmscore/error.h"

int cap_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return MMS_OK;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return MMS_ENOMEM;
        c *= 2;
    }
    void *n = realloc(*v, c * elem);
    if (!n)
        return MMS_ENOMEM;
    *v = n;
    *cap = c;
    return MMS_OK;
}

uint64_t cap_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int cap_u32_reserve(cap_u32 *b, size_t want)
{
    return cap_grow((void **)&b->v, &b->cap, want, sizeof *b->v, 64);
}

int cap_u32_push(cap_u32 *b, uint32_t c)
{
    if (b->n == b->cap && cap_u32_reserve(b, b->n + 1) != MMS_OK)
        return MMS_ENOMEM;
    b->v[b->n++] = c;
    return MMS_OK;
}

int cap_u32_append(cap_u32 *b, const uint32_t *c, size_t n)
{
    if (cap_u32_reserve(b, b->n + n) != MMS_OK)
        return MMS_ENOMEM;
    if (n)
        memcpy(b->v + b->n, c, n * sizeof *c);
    b->n += n;
    return MMS_OK;
}

int cap_u32_append_ascii(cap_u32 *b, const char *s)
{
    for (; *s; s++)
        if (cap_u32_push(b, (unsigned char)*s) != MMS_OK)
            return MMS_ENOMEM;
    return MMS_OK;
}

void cap_u32_free(cap_u32 *b)
{
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

int cap_toks_push(cap_toks *t, const char *s, size_t len)
{
    if (cap_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v, 16) != MMS_OK)
        return MMS_ENOMEM;
    char *c = malloc(len + 1);
    if (!c)
        return MMS_ENOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    t->v[t->n++] = c;
    return MMS_OK;
}

int cap_toks_push_u32(cap_toks *t, const uint32_t *c, size_t n)
{
    char *s = cap_utf8_encode(c, n);
    if (!s)
        return MMS_ENOMEM;
    int rc = cap_toks_push(t, s, strlen(s));
    free(s);
    return rc;
}

void cap_toks_free(cap_toks *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

/* Decodes one UTF-8 sequence at s[0..len); returns its length (>= 1). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (need >= len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return need + 1;
}

int cap_utf8_decode(const char *s, size_t len, cap_u32 *out)
{
    const unsigned char *u = (const unsigned char *)s;
    if (cap_u32_reserve(out, out->n + len) != MMS_OK)
        return MMS_ENOMEM;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += utf8_next(u + i, len - i, &cp);
        out->v[out->n++] = cp;
    }
    return MMS_OK;
}

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    } else if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    } else if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

char *cap_utf8_encode(const uint32_t *c, size_t n)
{
    char *o = malloc(4 * n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += utf8_put(c[i], o + k);
    o[k] = '\0';
    return o;
}

/* The fixed list of CPython's _PyUnicode_IsWhitespace (bidi WS/B/S or Zs). */
int cap_py_isspace(uint32_t c)
{
    if (c < 0x80)
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

int cap_py_isalpha(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    return (U_GET_GC_MASK((UChar32)c) & U_GC_L_MASK) != 0;
}

int cap_py_isdigit(uint32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    return u_charType((UChar32)c) == U_DECIMAL_DIGIT_NUMBER;
}

int cap_py_isword(uint32_t c)
{
    if (c < 0x80)
        return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (U_GET_GC_MASK((UChar32)c) & (U_GC_L_MASK | U_GC_N_MASK))
        return 1;
    /* str.isnumeric() also covers a few ideographs with a numeric value */
    return u_getIntPropertyValue((UChar32)c, UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}

int cap_py_isupper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return u_isUUppercase((UChar32)c) != 0;
}

int cap_py_islower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z';
    return u_isULowercase((UChar32)c) != 0;
}

int cap_py_lower(const uint32_t *c, size_t n, cap_u32 *out)
{
    out->n = 0;
    int ascii = 1;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = c[i] < 0x80;
    if (ascii) {
        if (cap_u32_reserve(out, n) != MMS_OK)
            return MMS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->v[i] = (c[i] >= 'A' && c[i] <= 'Z') ? c[i] + 32 : c[i];
        out->n = n;
        return MMS_OK;
    }
    /* ICU's root-locale lowercasing is Python's: SpecialCasing's
     * unconditional mappings plus the Final_Sigma context. */
    if (n > (size_t)INT32_MAX / 8)
        return MMS_ELIMIT;
    UErrorCode st = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF32(NULL, 0, &n16, (const UChar32 *)c, (int32_t)n, &st);
    st = U_ZERO_ERROR;
    UChar *s16 = malloc(((size_t)n16 + 1) * sizeof *s16);
    UChar *l16 = malloc(((size_t)n16 * 3 + 1) * sizeof *l16);
    UChar32 *l32 = malloc(((size_t)n16 * 3 + 1) * sizeof *l32);
    int rc = MMS_ENOMEM;
    if (s16 && l16 && l32) {
        u_strFromUTF32(s16, n16 + 1, NULL, (const UChar32 *)c, (int32_t)n, &st);
        int32_t nl = u_strToLower(l16, n16 * 3 + 1, s16, n16, "", &st);
        int32_t n32 = 0;
        u_strToUTF32(l32, n16 * 3 + 1, &n32, l16, nl, &st);
        if (U_FAILURE(st))
            rc = MMS_EINVAL;
        else
            rc = cap_u32_append(out, (const uint32_t *)l32, (size_t)n32);
    }
    free(s16);
    free(l16);
    free(l32);
    return rc;
}

int cap_py_lower_utf8(const char *s, size_t len, char **out, size_t *out_len)
{
    cap_u32 in = {0}, lo = {0};
    int rc = cap_utf8_decode(s, len, &in);
    if (rc == MMS_OK)
        rc = cap_py_lower(in.v, in.n, &lo);
    if (rc == MMS_OK) {
        *out = cap_utf8_encode(lo.v, lo.n);
        if (!*out)
            rc = MMS_ENOMEM;
        else if (out_len)
            *out_len = strlen(*out);
    }
    cap_u32_free(&in);
    cap_u32_free(&lo);
    return rc;
}

int cap_split_ws_utf8(const char *s, size_t len, cap_toks *t)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, start = 0;
    int in_tok = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_next(u + i, len - i, &cp);
        if (cap_py_isspace(cp)) {
            if (in_tok && cap_toks_push(t, s + start, i - start) != MMS_OK)
                return MMS_ENOMEM;
            in_tok = 0;
        } else if (!in_tok) {
            in_tok = 1;
            start = i;
        }
        i += k;
    }
    if (in_tok && cap_toks_push(t, s + start, len - start) != MMS_OK)
        return MMS_ENOMEM;
    return MMS_OK;
}

int cap_split_ws_u32(const uint32_t *c, size_t n, cap_toks *t)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && cap_py_isspace(c[i]))
            i++;
        size_t st = i;
        while (i < n && !cap_py_isspace(c[i]))
            i++;
        if (i > st && cap_toks_push_u32(t, c + st, i - st) != MMS_OK)
            return MMS_ENOMEM;
    }
    return MMS_OK;
}
