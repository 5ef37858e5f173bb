/* The records of an `eval` run as crystal-text-llm's basic_eval sees them,
 * shared by the `coverage` and `distribution` plugins.
 *
 * Three sets: "generated" (also "input" and anything not named below),
 * "reference" (coverage reference, and novelty reference when no train set
 * was given) and "train" (novelty reference).  Per set we keep, in input
 * order, one entry per record that basic_eval would count (a Crystal it could
 * build): its validity flags, density and number of elements, and, for the
 * records that are valid with both fingerprints, the CrystalNN fingerprint and
 * the CDVAE-scaled Magpie fingerprint.  Records that failed to read only count
 * in `records`.  Sets are saved as base64 little-endian float64/uint8 blocks so
 * a reference cache is compact and round-trips bit for bit. */
#ifndef MMSC_EVALSET_H
#define MMSC_EVALSET_H

#include <stddef.h>
#include <stdint.h>

#include <mmscore/plugin.h>

#include "scaler.h"

#define MMSC_EV_STRUCT_FP_LEN 61

enum {
    MMSC_EV_STRUCT_VALID = 1u << 0,
    MMSC_EV_COMP_VALID = 1u << 1,
    MMSC_EV_VALID = 1u << 2, /* struct ∧ comp ∧ fingerprints ok: basic_eval's Crystal.valid */
    MMSC_EV_VALID_PRE_FP = 1u << 3,
    /* the values above were there to read (no producer plugin: unknown) */
    MMSC_EV_KNOWN_STRUCT = 1u << 4,
    MMSC_EV_KNOWN_COMP = 1u << 5,
    MMSC_EV_KNOWN_FP = 1u << 6 /* fp_status or a fingerprint value present */
};

enum { MMSC_EV_GENERATED = 0, MMSC_EV_REFERENCE = 1, MMSC_EV_TRAIN = 2, MMSC_EV_NSETS = 3 };

typedef struct mmsc_ev_set {
    size_t records;  /* every record of the set seen, read or not */
    size_t read;     /* records whose structure was read */
    size_t n, cap;   /* counted records (basic_eval's crystals) */
    uint8_t *flags;  /* n: EV_* bits */
    double *density; /* n: g/cm^3, NaN if unknown */
    double *nelems;  /* n: number of distinct elements */
    size_t nfp, fpcap;
    size_t *fp_of;   /* n: row in sfp/cfp, or SIZE_MAX (not valid) */
    double *sfp;     /* nfp x MMSC_EV_STRUCT_FP_LEN */
    double *cfp;     /* nfp x MMSC_COMP_FP_LEN, scaled */
} mmsc_ev_set;

typedef struct mmsc_ev_acc {
    int keep_fp; /* 0: the distribution plugin needs no fingerprints */
    mmsc_ev_set set[MMSC_EV_NSETS];
} mmsc_ev_acc;

/* Sampling as basic_eval's main(): when more than max_samples generated
 * crystals were counted and seed >= 0, draw max_samples indices with
 * replacement (numpy legacy RandomState(seed).choice(n, max_samples)). */
typedef struct mmsc_ev_sampling {
    long long seed;        /* < 0: no sampling (default) */
    long long max_samples; /* basic_eval: 10000 */
} mmsc_ev_sampling;

/* One crystal as it enters an mmsc_ev_set (fingerprints borrowed, comp unscaled). */
typedef struct mmsc_ev_item {
    unsigned flags;
    double density, nelems;
    const double *struct_fp, *comp_fp; /* both or neither; only when MMSC_EV_VALID */
} mmsc_ev_item;

int mmsc_ev_acc_new(mmsc_ev_acc **out, int keep_fp, mms_error *err);
void mmsc_ev_acc_free(mmsc_ev_acc *a);

/* Which set a record belongs to, from its set name. */
int mmsc_ev_set_of(const char *set_name);

/* Read a record and its values (see evalset.c for which names) into acc. */
int mmsc_ev_acc_add_record(mmsc_ev_acc *a, const mms_record *rec, const mms_values *values,
                      mms_error *err);
/* Lower level: count one record of set s; item NULL when basic_eval would
 * not count it (failed to read, disordered...). read: structure was read. */
int mmsc_ev_acc_add(mmsc_ev_acc *a, int s, int read, const mmsc_ev_item *item, mms_error *err);

int mmsc_ev_acc_save(const mmsc_ev_acc *a, cJSON **out, mms_error *err);
/* Appends the saved sets after what acc holds (shards in input order). */
int mmsc_ev_acc_merge(mmsc_ev_acc *a, const cJSON *saved, mms_error *err);

/* The generated crystals the table is computed over: indices into
 * set[MMSC_EV_GENERATED] (all of them in order, or the sample).  *idx owned by the
 * caller (free).  *note (static) describes what was done. */
int mmsc_ev_acc_generated(const mmsc_ev_acc *a, const mmsc_ev_sampling *smp, size_t **idx, size_t *n,
                     const char **note, mms_error *err);

/* Accumulator callbacks both plugins use as they are (state unused). */
int mmsc_ev_cb_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
              mms_error *err);
int mmsc_ev_cb_save(void *state, const void *acc, cJSON **out, mms_error *err);
int mmsc_ev_cb_merge(void *state, void *acc, const cJSON *saved, mms_error *err);
void mmsc_ev_cb_free(void *state, void *acc);

/* Options both plugins declare, and reading them from a config. */
#define MMSC_EV_SAMPLING_OPTIONS                                                                   \
    {"seed", MMS_OPT_INT, "-1",                                                               \
     "basic_eval subsamples max_samples generated crystals with replacement when there are "  \
     "more: give a seed >= 0 to do the same (numpy RandomState(seed)); -1 = use all"},        \
    {"max_samples", MMS_OPT_INT, "10000",                                                     \
     "sample size when seed >= 0 (basic_eval: 10000)"}

int mmsc_ev_sampling_from_config(mmsc_ev_sampling *smp, const cJSON *config, mms_error *err);

/* Number of worker threads for the distance passes (0 = online cores). */
unsigned mmsc_ev_threads(long long requested);

#endif
