/* caption plugin — text primitives with Python 3 str semantics.
 *
 * The reference metrics are Python: their tokenizers depend on what
 * str.split(), str.lower(), re's \s, \w, \d and str.isupper() mean for
 * every code point.  These helpers reproduce those meanings (ICU supplies
 * the Unicode character database and full case mapping).
 *
 * Ownership: every buffer/list owns its storage; *_free releases it. */
#ifndef CAPTION_TEXT_H
#define CAPTION_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Grows *v (elements of elem bytes, capacity *cap) to hold at least need
 * elements, doubling from first.  MMS_OK or MMS_ENOMEM (*v unchanged). */
int cap_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first);

/* FNV-1a of a NUL-terminated string, the hash of every string table here. */
uint64_t cap_hash_str(const char *s);

/* Growable array of code points. */
typedef struct cap_u32 {
    uint32_t *v;
    size_t n, cap;
} cap_u32;

int cap_u32_reserve(cap_u32 *b, size_t want);
int cap_u32_push(cap_u32 *b, uint32_t c);
int cap_u32_append(cap_u32 *b, const uint32_t *c, size_t n);
int cap_u32_append_ascii(cap_u32 *b, const char *s);
void cap_u32_free(cap_u32 *b);

/* List of NUL-terminated UTF-8 tokens. */
typedef struct cap_toks {
    char **v;
    size_t n, cap;
} cap_toks;

int cap_toks_push(cap_toks *t, const char *s, size_t len);
int cap_toks_push_u32(cap_toks *t, const uint32_t *c, size_t n);
void cap_toks_free(cap_toks *t);

/* UTF-8 -> code points.  Invalid sequences decode to U+FFFD per byte
 * (inputs come from JSON, which cJSON does not validate). */
int cap_utf8_decode(const char *s, size_t len, cap_u32 *out);
/* Code points -> freshly malloc'd UTF-8 (caller frees). */
char *cap_utf8_encode(const uint32_t *c, size_t n);

/* Python str.isspace() for one code point (also re's \s). */
int cap_py_isspace(uint32_t c);
/* re's \w for str patterns: alphanumeric per str.isalnum(), or '_'. */
int cap_py_isword(uint32_t c);
/* re's \d for str patterns (decimal digits, category Nd). */
int cap_py_isdigit(uint32_t c);
/* str.isalpha() for one code point (categories L*). */
int cap_py_isalpha(uint32_t c);
/* str.isupper()/str.islower() for a one-character string. */
int cap_py_isupper(uint32_t c);
int cap_py_islower(uint32_t c);

/* Python str.lower(): full case mapping with the final-sigma rule.
 * Fills out (cleared first). */
int cap_py_lower(const uint32_t *c, size_t n, cap_u32 *out);
/* Same on UTF-8; *out is malloc'd (caller frees). */
int cap_py_lower_utf8(const char *s, size_t len, char **out, size_t *out_len);

/* str.split() with no argument on UTF-8 text: appends the pieces to t. */
int cap_split_ws_utf8(const char *s, size_t len, cap_toks *t);
/* Same on code points. */
int cap_split_ws_u32(const uint32_t *c, size_t n, cap_toks *t);

#endif
