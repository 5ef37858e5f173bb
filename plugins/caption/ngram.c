/* caption plugin — token interning and clipped n-gram counts (see ngram.h).
 * Open addressing with linear probing: counts are small, tables short-lived. */
#include "ngram.h"

#include <stdlib.h>
#include <string.h>

#include "mmscore/error.h"

void cap_vocab_free(cap_vocab *v)
{
    free(v->key);
    free(v->id);
    memset(v, 0, sizeof *v);
}

static int vocab_grow(cap_vocab *v)
{
    size_t cap = v->cap ? v->cap * 2 : 256;
    const char **key = calloc(cap, sizeof *key);
    uint32_t *id = calloc(cap, sizeof *id);
    if (!key || !id) {
        free(key);
        free(id);
        return MMS_ENOMEM;
    }
    for (size_t i = 0; i < v->cap; i++) {
        if (!v->key[i])
            continue;
        size_t j = cap_hash_str(v->key[i]) & (cap - 1);
        while (key[j])
            j = (j + 1) & (cap - 1);
        key[j] = v->key[i];
        id[j] = v->id[i];
    }
    free(v->key);
    free(v->id);
    v->key = key;
    v->id = id;
    v->cap = cap;
    return MMS_OK;
}

long cap_vocab_find(const cap_vocab *v, const char *s)
{
    if (!v->cap)
        return -1;
    size_t j = cap_hash_str(s) & (v->cap - 1);
    while (v->key[j]) {
        if (strcmp(v->key[j], s) == 0)
            return (long)v->id[j];
        j = (j + 1) & (v->cap - 1);
    }
    return -1;
}

long cap_vocab_add(cap_vocab *v, const char *s)
{
    if (2 * (v->n + 1) > v->cap && vocab_grow(v) != MMS_OK)
        return -1;
    size_t j = cap_hash_str(s) & (v->cap - 1);
    while (v->key[j] && strcmp(v->key[j], s) != 0)
        j = (j + 1) & (v->cap - 1);
    if (!v->key[j]) {
        v->key[j] = s;
        v->id[j] = (uint32_t)v->n++;
    }
    return (long)v->id[j];
}

int cap_vocab_ids(cap_vocab *v, const cap_toks *t, uint32_t **ids)
{
    *ids = malloc((t->n ? t->n : 1) * sizeof **ids);
    if (!*ids)
        return MMS_ENOMEM;
    for (size_t k = 0; k < t->n; k++) {
        long id = cap_vocab_add(v, t->v[k]);
        if (id < 0) {
            free(*ids);
            *ids = NULL;
            return MMS_ENOMEM;
        }
        (*ids)[k] = (uint32_t)id;
    }
    return MMS_OK;
}

/* One n-gram: order and ids (unused slots 0). */
typedef struct ngram_slot {
    uint32_t w[CAP_MAX_ORDER];
    uint8_t order, used;
    long hyp, ref_max, cur;
} ngram_slot;

typedef struct ngram_map {
    ngram_slot *s;
    size_t cap;
    size_t *touched; /* slots counted by the current reference */
    size_t ntouched;
} ngram_map;

static uint64_t hash_ng(const uint32_t *w, int order)
{
    uint64_t h = 0x9E3779B97F4A7C15ull * (uint64_t)(order + 1);
    for (int i = 0; i < order; i++)
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull, h ^= h >> 29;
    return h;
}

static ngram_slot *ng_find(ngram_map *m, const uint32_t *w, int order)
{
    size_t j = hash_ng(w, order) & (m->cap - 1);
    for (;;) {
        ngram_slot *s = &m->s[j];
        if (!s->used) {
            s->used = 1;
            s->order = (uint8_t)order;
            memcpy(s->w, w, (size_t)order * sizeof *w);
            return s;
        }
        if (s->order == order && memcmp(s->w, w, (size_t)order * sizeof *w) == 0)
            return s;
        j = (j + 1) & (m->cap - 1);
    }
}

int cap_ngram_clip(const uint32_t *hyp, size_t nh, const uint32_t *const *refs,
                   const size_t *nref, size_t nrefs, int max_order, cap_ngram_stats *st)
{
    memset(st, 0, sizeof *st);
    size_t total = nh;
    for (size_t r = 0; r < nrefs; r++)
        total += nref[r];
    ngram_map m = {0};
    m.cap = 16;
    while (m.cap < 2 * total * (size_t)max_order + 16)
        m.cap *= 2;
    m.s = calloc(m.cap, sizeof *m.s);
    size_t maxref = 0;
    for (size_t r = 0; r < nrefs; r++)
        maxref = nref[r] > maxref ? nref[r] : maxref;
    m.touched = malloc((maxref * (size_t)max_order + 1) * sizeof *m.touched);
    if (!m.s || !m.touched) {
        free(m.s);
        free(m.touched);
        return MMS_ENOMEM;
    }
    for (size_t r = 0; r < nrefs; r++) {
        m.ntouched = 0;
        for (int n = 1; n <= max_order; n++)
            for (size_t i = 0; i + (size_t)n <= nref[r]; i++) {
                ngram_slot *s = ng_find(&m, refs[r] + i, n);
                if (s->cur++ == 0)
                    m.touched[m.ntouched++] = (size_t)(s - m.s);
            }
        for (size_t k = 0; k < m.ntouched; k++) {
            ngram_slot *s = &m.s[m.touched[k]];
            if (s->cur > s->ref_max)
                s->ref_max = s->cur;
            s->cur = 0;
        }
    }
    for (int n = 1; n <= max_order; n++) {
        if (nh >= (size_t)n)
            st->possible[n - 1] = (long)(nh - (size_t)n + 1);
        for (size_t i = 0; i + (size_t)n <= nh; i++) {
            ngram_slot *s = ng_find(&m, hyp + i, n);
            /* clipped: the count beyond the reference maximum does not match */
            if (s->hyp++ < s->ref_max)
                st->matches[n - 1]++;
        }
    }
    free(m.s);
    free(m.touched);
    return MMS_OK;
}
