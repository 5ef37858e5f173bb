/* Strict JSON out of any input bytes: ids, file names, CSV cells, block
 * names and error messages quoting the input may hold invalid UTF-8, which
 * cJSON copies as it is.  Each maximal ill-formed subsequence (Unicode
 * 15, section 3.9, "U+FFFD substitution of maximal subparts") becomes one
 * U+FFFD.  Hand-written: cJSON has no validation, and the rule is the
 * table of well-formed byte sequences below. */
#include <stdlib.h>
#include <string.h>

#include "util_internal.h"

/* Length of the well-formed sequence at s (1..4), or 0 with *bad the length
 * of the maximal ill-formed subpart to replace. */
static size_t seq_len(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

/* A fresh copy of s with the replacements, or NULL if s is valid (or out
 * of memory, which leaves s as it is). */
static char *fixed(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, bad = 0;
    while (i < n) {
        size_t k = s[i] < 0x80 ? 1 : seq_len(s + i, n - i, &bad);
        if (!k)
            break;
        i += k;
    }
    if (i == n)
        return NULL;
    char *out = cJSON_malloc(3 * n + 1); /* each bad byte becomes at most 3 */
    if (!out)
        return NULL;
    memcpy(out, s, i);
    size_t o = i;
    while (i < n) {
        size_t k = seq_len(s + i, n - i, &bad);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    out[o] = '\0';
    return out;
}

void mms_json_utf8_fix(cJSON *node)
{
    for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
        char *f;
        if (c->string && !(c->type & cJSON_StringIsConst) && (f = fixed(c->string))) {
            cJSON_free(c->string);
            c->string = f;
        }
        if ((cJSON_IsString(c) || cJSON_IsRaw(c)) && c->valuestring &&
            (f = fixed(c->valuestring))) {
            cJSON_free(c->valuestring);
            c->valuestring = f;
        }
        if (cJSON_IsArray(c) || cJSON_IsObject(c))
            mms_json_utf8_fix(c);
    }
}
