/* Source tags of a structure: CIF data items kept by name so that plugins can
 * cross-check what a file states (_chemical_formula_sum, stated space group,
 * _atom_site_symmetry_multiplicity) against what was read.
 *
 * All strings live in one arena owned by the tag store, so recording the ~30
 * items of a typical CIF costs a few allocations, not one per item.  Names
 * are compared case-insensitively (CIF 1.1 tags are case-insensitive); an
 * item recorded twice keeps its last value, as pymatgen's CifBlock does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow_internal.h"
#include "readers_internal.h"

#define ARENA_CHUNK 4096u

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
} arena_chunk;

typedef struct tag_entry {
    const char *name;          /* arena copy, as given */
    uint64_t hash;             /* of the lower-cased name */
    size_t n;                  /* 0 for a single value, else loop length */
    int is_loop;
    const char *value;         /* single value */
    const char *const *values; /* loop column */
} tag_entry;

struct mms_tags {
    arena_chunk *chunks;
    tag_entry *entries;        /* insertion order */
    size_t n_entries, cap_entries;
    size_t *slots;             /* open addressing: index+1 into entries, 0 = empty */
    size_t n_slots;            /* power of two */
};

static void *arena_alloc(mms_tags *t, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    arena_chunk *c = t->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = t->chunks;
        t->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

const char *mms_tags_strndup(mms_tags *t, const char *s, size_t n)
{
    char *p = arena_alloc(t, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static const char *arena_strdup(mms_tags *t, const char *s)
{
    return mms_tags_strndup(t, s, strlen(s));
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static uint64_t name_hash_n(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)lower((unsigned char)s[i]);
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t name_hash(const char *s)
{
    return name_hash_n(s, strlen(s));
}

/* a is NUL-terminated (stored), b is a slice */
static int name_eq(const char *a, const char *b, size_t bn)
{
    size_t i = 0;
    for (; a[i] && i < bn; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return a[i] == '\0' && i == bn;
}

static tag_entry *find_n(const mms_tags *t, const char *name, size_t nlen, uint64_t h,
                         size_t *slot)
{
    if (!t || !t->n_slots)
        return NULL;
    size_t mask = t->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        size_t k = t->slots[i];
        if (!k) {
            if (slot)
                *slot = i;
            return NULL;
        }
        tag_entry *e = &t->entries[k - 1];
        if (e->hash == h && name_eq(e->name, name, nlen)) {
            if (slot)
                *slot = i;
            return e;
        }
    }
}

static int rehash(mms_tags *t, size_t n_slots)
{
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return MMS_ENOMEM;
    for (size_t k = 0; k < t->n_entries; k++) {
        size_t i = t->entries[k].hash & (n_slots - 1);
        while (slots[i])
            i = (i + 1) & (n_slots - 1);
        slots[i] = k + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n_slots;
    return MMS_OK;
}

static tag_entry *find(const mms_tags *t, const char *name, uint64_t h, size_t *slot)
{
    return find_n(t, name, strlen(name), h, slot);
}

/* The entry for name, created empty if new; NULL on allocation failure. */
static tag_entry *entry_for_n(mms_tags *t, const char *name, size_t nlen)
{
    uint64_t h = name_hash_n(name, nlen);
    tag_entry *e = find_n(t, name, nlen, h, NULL);
    if (e)
        return e;
    if ((t->n_entries + 1) * 2 > t->n_slots &&
        rehash(t, t->n_slots ? t->n_slots * 2 : 64) != MMS_OK)
        return NULL;
    if (!mms_grow((void **)&t->entries, &t->cap_entries, t->n_entries + 1, sizeof *t->entries,
                  32))
        return NULL;
    const char *copy = mms_tags_strndup(t, name, nlen);
    if (!copy)
        return NULL;
    size_t slot = 0;
    find_n(t, name, nlen, h, &slot);
    e = &t->entries[t->n_entries];
    *e = (tag_entry){.name = copy, .hash = h};
    t->slots[slot] = ++t->n_entries;
    return e;
}

mms_tags *mms_tags_new(void)
{
    return calloc(1, sizeof(mms_tags));
}

void mms_tags_free(mms_tags *t)
{
    if (!t)
        return;
    for (arena_chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(t->entries);
    free(t->slots);
    free(t);
}

int mms_tags_set_n(mms_tags *t, const char *name, size_t nlen, const char *value, size_t vlen)
{
    tag_entry *e = entry_for_n(t, name, nlen);
    const char *v = e ? mms_tags_strndup(t, value, vlen) : NULL;
    if (!v)
        return MMS_ENOMEM;
    e->is_loop = 0;
    e->n = 0;
    e->value = v;
    e->values = NULL;
    return MMS_OK;
}

const char **mms_tags_loop_begin(mms_tags *t, const char *name, size_t nlen, size_t n)
{
    tag_entry *e = entry_for_n(t, name, nlen);
    if (!e || n > SIZE_MAX / sizeof(char *) - 1)
        return NULL;
    const char **vals = arena_alloc(t, (n ? n : 1) * sizeof *vals);
    if (!vals)
        return NULL;
    e->is_loop = 1;
    e->n = n;
    e->value = NULL;
    e->values = vals;
    return vals;
}

int mms_tags_set(mms_tags *t, const char *name, const char *value)
{
    if (!value)
        value = "";
    return mms_tags_set_n(t, name, strlen(name), value, strlen(value));
}

int mms_tags_set_loop(mms_tags *t, const char *name, size_t n, const char *const *values)
{
    const char **copy = mms_tags_loop_begin(t, name, strlen(name), n);
    if (!copy)
        return MMS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(copy[i] = arena_strdup(t, values[i] ? values[i] : "")))
            return MMS_ENOMEM;
    return MMS_OK;
}

int mms_tags_copy(mms_tags **out, const mms_tags *src)
{
    *out = NULL;
    if (!src)
        return MMS_OK;
    mms_tags *t = mms_tags_new();
    if (!t)
        return MMS_ENOMEM;
    for (size_t k = 0; k < src->n_entries; k++) {
        const tag_entry *e = &src->entries[k];
        int rc = e->is_loop ? mms_tags_set_loop(t, e->name, e->n, e->values)
                            : mms_tags_set(t, e->name, e->value);
        if (rc != MMS_OK) {
            mms_tags_free(t);
            return rc;
        }
    }
    *out = t;
    return MMS_OK;
}

const char *mms_structure_tag(const mms_structure *s, const char *name)
{
    if (!s || !name)
        return NULL;
    const tag_entry *e = find(s->tags, name, name_hash(name), NULL);
    return e && !e->is_loop ? e->value : NULL;
}

size_t mms_structure_loop(const mms_structure *s, const char *name, const char *const **values)
{
    const tag_entry *e = s && name ? find(s->tags, name, name_hash(name), NULL) : NULL;
    if (!e || !e->is_loop) {
        if (values)
            *values = NULL;
        return 0;
    }
    if (values)
        *values = e->values;
    return e->n;
}

static int ensure_tags(mms_structure *s, mms_error *err)
{
    if (!s->tags && !(s->tags = mms_tags_new()))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for tags");
    return MMS_OK;
}

int mms_structure_set_tag(mms_structure *s, const char *name, const char *value, mms_error *err)
{
    if (!s || !name)
        return mms_error_set(err, MMS_EINVAL, 0, "set_tag: NULL structure or name");
    int rc = ensure_tags(s, err);
    if (rc == MMS_OK && (rc = mms_tags_set(s->tags, name, value)) != MMS_OK)
        mms_error_set(err, rc, 0, "out of memory recording tag %s", name);
    return rc;
}

int mms_structure_set_loop(mms_structure *s, const char *name, size_t n,
                           const char *const *values, mms_error *err)
{
    if (!s || !name || (n && !values))
        return mms_error_set(err, MMS_EINVAL, 0, "set_loop: NULL structure, name or values");
    int rc = ensure_tags(s, err);
    if (rc == MMS_OK && (rc = mms_tags_set_loop(s->tags, name, n, values)) != MMS_OK)
        mms_error_set(err, rc, 0, "out of memory recording loop %s", name);
    return rc;
}
