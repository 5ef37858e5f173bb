/* The hull reference: entries (id, composition, total energy) read from a
 * CSV `id,formula,energy` or a JSONL file with the same fields, indexed by
 * chemical system.  Read-only once loaded. */
#ifndef MMS_STABILITY_HULLREF_H
#define MMS_STABILITY_HULLREF_H

#include <stddef.h>
#include <stdint.h>

#include "mmscore/error.h"

/* A chemical system: bit z of the 128-bit set for element Z (1..118). */
typedef struct hull_mask {
    uint64_t w[2];
} hull_mask;

static inline void hull_mask_add(hull_mask *m, int z)
{
    m->w[z >> 6] |= (uint64_t)1 << (z & 63);
}

static inline int hull_mask_subset(const hull_mask *a, const hull_mask *b)
{
    return !(a->w[0] & ~b->w[0]) && !(a->w[1] & ~b->w[1]);
}

static inline int hull_mask_eq(const hull_mask *a, const hull_mask *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1];
}

static inline size_t hull_mask_hash(const hull_mask *m)
{
    uint64_t h = m->w[0] * 0x9E3779B97F4A7C15ull ^
                 (m->w[1] + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ h >> 31);
}

typedef struct hull_ref {
    char *path;
    size_t n;              /* entries, in file order */
    char **id;
    size_t *off;           /* elements of entry i: z[off[i] .. off[i+1]) in formula order */
    unsigned char *z;
    double *amt;           /* amounts as written */
    double *red;           /* amounts of pymatgen's reduced_composition */
    double *energy;        /* total eV */
    double *natoms;        /* sum of |amounts|, formula order */
    hull_mask *mask;
    /* chemical systems: entries of system s are sys_entries[sys_off[s] .. sys_off[s+1]) */
    size_t n_sys;
    hull_mask *sys_mask;
    size_t *sys_off;
    size_t *sys_entries;
    size_t sys_cap;        /* hash of the systems: sys_tab[h] = system index + 1, or 0 */
    size_t *sys_tab;
    unsigned char has_element[119]; /* an entry of that element alone exists */
} hull_ref;

/* Read path (CSV or JSONL, decided by the extension .jsonl/.json or a first
 * character '{').  Any malformed line fails the whole file with MMS_EPARSE
 * and "PATH:LINE: what was expected"; MMS_EIO if it cannot be read. */
int hull_ref_load(const char *path, hull_ref **out, mms_error *err);
void hull_ref_free(hull_ref *r);

/* Entries whose elements are a subset of m, in file order (malloc'd array,
 * count in *n; NULL with *n = 0 when none or out of memory: see *oom). */
size_t *hull_ref_subset(const hull_ref *r, const hull_mask *m, size_t *n, int *oom);

#endif
