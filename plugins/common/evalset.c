/* Records of an eval run as basic_eval counts them (see evalset.h). */
#include "evalset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"

/* ------------------------------------------------------------- set */

static void set_free(mmsc_ev_set *s)
{
    free(s->flags);
    free(s->density);
    free(s->nelems);
    free(s->fp_of);
    free(s->sfp);
    free(s->cfp);
    memset(s, 0, sizeof *s);
}

/* Room for `more` counted records and `morefp` fingerprint rows. */
static int set_reserve(mmsc_ev_set *s, size_t more, size_t morefp)
{
    size_t cap = s->cap, fpcap = s->fpcap;
    int bad = 0;
    if (s->n + more > cap) {
        size_t c = cap;
        bad |= mmsc_grow((void **)&s->flags, &c, s->n + more, sizeof *s->flags);
        c = cap;
        bad |= mmsc_grow((void **)&s->density, &c, s->n + more, sizeof *s->density);
        c = cap;
        bad |= mmsc_grow((void **)&s->nelems, &c, s->n + more, sizeof *s->nelems);
        c = cap;
        bad |= mmsc_grow((void **)&s->fp_of, &c, s->n + more, sizeof *s->fp_of);
        if (!bad)
            s->cap = c;
    }
    if (!bad && s->nfp + morefp > fpcap) {
        size_t c = fpcap;
        bad |= mmsc_grow((void **)&s->sfp, &c, s->nfp + morefp,
                         MMSC_EV_STRUCT_FP_LEN * sizeof(double));
        c = fpcap;
        bad |= mmsc_grow((void **)&s->cfp, &c, s->nfp + morefp, MMSC_COMP_FP_LEN * sizeof(double));
        if (!bad)
            s->fpcap = c;
    }
    return bad ? -1 : 0;
}

int mmsc_ev_acc_new(mmsc_ev_acc **out, int keep_fp, mms_error *err)
{
    mmsc_ev_acc *a = calloc(1, sizeof *a);
    if (!a)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    a->keep_fp = keep_fp;
    *out = a;
    return MMS_OK;
}

void mmsc_ev_acc_free(mmsc_ev_acc *a)
{
    if (!a)
        return;
    for (int s = 0; s < MMSC_EV_NSETS; s++)
        set_free(&a->set[s]);
    free(a);
}

int mmsc_ev_set_of(const char *name)
{
    if (name && strcmp(name, "reference") == 0)
        return MMSC_EV_REFERENCE;
    if (name && strcmp(name, "train") == 0)
        return MMSC_EV_TRAIN;
    return MMSC_EV_GENERATED;
}

int mmsc_ev_acc_add(mmsc_ev_acc *a, int si, int read, const mmsc_ev_item *it, mms_error *err)
{
    mmsc_ev_set *s = &a->set[si];
    s->records++;
    if (read)
        s->read++;
    if (!it)
        return MMS_OK;
    int with_fp = a->keep_fp && (it->flags & MMSC_EV_VALID) && it->struct_fp && it->comp_fp;
    if (set_reserve(s, 1, with_fp ? 1 : 0) != 0)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory storing %zu crystals", s->n + 1);
    s->flags[s->n] = (uint8_t)it->flags;
    s->density[s->n] = it->density;
    s->nelems[s->n] = it->nelems;
    s->fp_of[s->n] = SIZE_MAX;
    if (with_fp) {
        memcpy(s->sfp + s->nfp * MMSC_EV_STRUCT_FP_LEN, it->struct_fp,
               MMSC_EV_STRUCT_FP_LEN * sizeof(double));
        mmsc_comp_scale(it->comp_fp, s->cfp + s->nfp * MMSC_COMP_FP_LEN);
        s->fp_of[s->n] = s->nfp++;
    }
    s->n++;
    return MMS_OK;
}

/* ---------------------------------------------------------- records */

static int get_flag(const mms_values *v, const char *name, int dflt)
{
    int b;
    return mms_values_get_bool(v, name, &b) == MMS_OK ? b : dflt;
}

/* A fingerprint value of exactly `len` numbers; struct fingerprints must be
 * finite (a NaN would poison every distance; the reference never makes one),
 * composition ones may hold NaN (the scaler maps it to 0 as CDVAE does). */
static int get_fp(const mms_values *v, const char *name, double *x, size_t len, int finite)
{
    size_t n = 0;
    if (mms_values_get_numbers(v, name, x, len, &n) != MMS_OK || n != len)
        return 0;
    for (size_t i = 0; finite && i < len; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Values read (all optional, produced by other plugins):
 *   basic_eval_counted (validity)  else: read, ordered, no oxidation states
 *   struct_valid (structure), comp_valid (composition), valid (validity;
 *   else struct_valid ∧ comp_valid), fp_status ("ok"), struct_fp[61] and
 *   comp_fp[132] (fingerprint), density and n_elements (structure).
 * Without density/n_elements values they come from the structure: its density
 * and its distinct elements, which is len(set(structure.species)) for the
 * ordered crystals basic_eval counts.  A record with no structure but values
 * saying basic_eval counts it (values computed elsewhere, e.g. replayed from
 * a reference file) is taken as the values describe it. */
int mmsc_ev_acc_add_record(mmsc_ev_acc *a, const mms_record *rec, const mms_values *v, mms_error *err)
{
    int si = mmsc_ev_set_of(rec->set);
    const mms_structure *st = rec->error ? NULL : rec->structure;
    int by_structure = st && st->is_ordered && !st->has_oxidation;
    int counted = !rec->error && get_flag(v, "basic_eval_counted", by_structure);
    mmsc_ev_item it = {0};
    if (!counted)
        return mmsc_ev_acc_add(a, si, st != NULL, NULL, err);
    if (mms_values_get_number(v, "n_elements", &it.nelems) != MMS_OK) {
        if (!st) /* nothing says how many elements it has: cannot count it */
            return mmsc_ev_acc_add(a, si, 0, NULL, err);
        it.nelems = (double)st->n_elements;
    }

    int sv = get_flag(v, "struct_valid", 0), cv = get_flag(v, "comp_valid", 0);
    int pre = get_flag(v, "valid", sv && cv);
    it.flags = (sv ? MMSC_EV_STRUCT_VALID : 0) | (cv ? MMSC_EV_COMP_VALID : 0) | (pre ? MMSC_EV_VALID_PRE_FP : 0);
    int b;
    if (mms_values_get_bool(v, "struct_valid", &b) == MMS_OK)
        it.flags |= MMSC_EV_KNOWN_STRUCT;
    if (mms_values_get_bool(v, "comp_valid", &b) == MMS_OK)
        it.flags |= MMSC_EV_KNOWN_COMP;
    if (mms_values_get(v, "fp_status") || mms_values_get(v, "struct_fp") ||
        mms_values_get(v, "comp_fp"))
        it.flags |= MMSC_EV_KNOWN_FP;
    double sfp[MMSC_EV_STRUCT_FP_LEN], cfp[MMSC_COMP_FP_LEN];
    const cJSON *status = mms_values_get(v, "fp_status");
    int status_ok = !status || (cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0);
    if (pre && status_ok && get_fp(v, "struct_fp", sfp, MMSC_EV_STRUCT_FP_LEN, 1) &&
        get_fp(v, "comp_fp", cfp, MMSC_COMP_FP_LEN, 0)) {
        it.flags |= MMSC_EV_VALID;
        it.struct_fp = sfp;
        it.comp_fp = cfp;
    }
    if (mms_values_get_number(v, "density", &it.density) != MMS_OK)
        it.density = st && st->volume > 0 ? mms_structure_density(st) : NAN;
    return mmsc_ev_acc_add(a, si, 1, &it, err);
}

/* ----------------------------------------------------- save / merge */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = B64[v >> 18 & 63];
        *o++ = B64[v >> 12 & 63];
        *o++ = i + 1 < n ? B64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes exactly n bytes into p; -1 if the text is not that ('=' only as
 * the padding of the last group). */
static int b64_decode(const char *s, unsigned char *p, size_t n)
{
    size_t len = strlen(s);
    if (len != (n + 2) / 3 * 4)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        for (size_t j = 0; j < 4; j++) {
            int c = s[i + j];
            int d = c == '=' && i + j >= len - 2 ? 0 : b64_value(c);
            if (d < 0)
                return -1;
            v = v << 6 | (unsigned)d;
        }
        for (int j = 2; j >= 0 && k < n; j--)
            p[k++] = (unsigned char)(v >> (8 * j) & 255);
    }
    return 0;
}

/* float64 arrays travel little-endian whatever the host. */
static void f64_to_le(const double *x, size_t n, unsigned char *p)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &x[i], 8);
        for (int b = 0; b < 8; b++)
            p[i * 8 + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
}

static void f64_from_le(const unsigned char *p, size_t n, double *x)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u = 0;
        for (int b = 0; b < 8; b++)
            u |= (uint64_t)p[i * 8 + (size_t)b] << (8 * b);
        memcpy(&x[i], &u, 8);
    }
}

static int add_blob(cJSON *o, const char *name, const void *bytes, size_t n)
{
    char *t = b64_encode(bytes, n);
    if (!t)
        return -1;
    cJSON *s = cJSON_AddStringToObject(o, name, t);
    free(t);
    return s ? 0 : -1;
}

static int add_f64(cJSON *o, const char *name, const double *x, size_t n)
{
    unsigned char *p = malloc(n * 8 + 1);
    if (!p)
        return -1;
    f64_to_le(x, n, p);
    int rc = add_blob(o, name, p, n * 8);
    free(p);
    return rc;
}

static const char *SET_NAMES[MMSC_EV_NSETS] = {"generated", "reference", "train"};

int mmsc_ev_acc_save(const mmsc_ev_acc *a, cJSON **out, mms_error *err)
{
    cJSON *root = cJSON_CreateObject();
    int bad = !root || !cJSON_AddStringToObject(root, "format", "mmscore-evalset-1") ||
              !cJSON_AddStringToObject(root, "encoding", "base64 little-endian float64/uint8");
    for (int si = 0; si < MMSC_EV_NSETS && !bad; si++) {
        const mmsc_ev_set *s = &a->set[si];
        cJSON *o = cJSON_AddObjectToObject(root, SET_NAMES[si]);
        if (!o) {
            bad = 1;
            break;
        }
        bad |= !cJSON_AddNumberToObject(o, "records", (double)s->records);
        bad |= !cJSON_AddNumberToObject(o, "read", (double)s->read);
        bad |= !cJSON_AddNumberToObject(o, "n", (double)s->n);
        bad |= !cJSON_AddNumberToObject(o, "nfp", (double)s->nfp);
        bad |= add_blob(o, "flags", s->n ? (const void *)s->flags : "", s->n);
        bad |= add_f64(o, "density", s->density, s->n);
        bad |= add_f64(o, "nelems", s->nelems, s->n);
        bad |= add_f64(o, "struct_fp", s->sfp, s->nfp * MMSC_EV_STRUCT_FP_LEN);
        bad |= add_f64(o, "comp_fp_scaled", s->cfp, s->nfp * MMSC_COMP_FP_LEN);
    }
    if (bad) {
        cJSON_Delete(root);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory saving the eval sets");
    }
    *out = root;
    return MMS_OK;
}

static int get_count(const cJSON *o, const char *name, size_t *x)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e12 ||
        it->valuedouble != floor(it->valuedouble))
        return -1;
    *x = (size_t)it->valuedouble;
    return 0;
}

/* Whether o.name is a string of the base64 length of `bytes` bytes. */
static int blob_len_is(const cJSON *o, const char *name, size_t bytes)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) && strlen(it->valuestring) == (bytes + 2) / 3 * 4;
}

static int get_blob(const cJSON *o, const char *name, unsigned char *p, size_t n)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? b64_decode(it->valuestring, p, n) : -1;
}

static int get_f64(const cJSON *o, const char *name, double *x, size_t n)
{
    unsigned char *p = malloc(n * 8 + 1);
    if (!p)
        return -1;
    int rc = get_blob(o, name, p, n * 8);
    if (rc == 0)
        f64_from_le(p, n, x);
    free(p);
    return rc;
}

static int merge_set(mmsc_ev_acc *a, mmsc_ev_set *s, const cJSON *o, const char *setname, mms_error *err)
{
    size_t records, read, n, nfp;
    if (!cJSON_IsObject(o) || get_count(o, "records", &records) || get_count(o, "read", &read) ||
        get_count(o, "n", &n) || get_count(o, "nfp", &nfp) || nfp > n || n > read ||
        read > records)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "saved eval state: set \"%s\" lacks consistent counts "
                             "(records >= read >= n >= nfp)", setname);
    size_t keep = a->keep_fp ? nfp : 0;
    /* sizes are checked against the text before anything is allocated, so a
     * hostile count cannot ask for more memory than the file's size */
    if (n > 0 && (!blob_len_is(o, "flags", n) || !blob_len_is(o, "density", 8 * n) ||
                  !blob_len_is(o, "nelems", 8 * n) ||
                  (keep && (!blob_len_is(o, "struct_fp", 8 * nfp * MMSC_EV_STRUCT_FP_LEN) ||
                            !blob_len_is(o, "comp_fp_scaled", 8 * nfp * MMSC_COMP_FP_LEN)))))
        return mms_error_set(err, MMS_EPARSE, 0,
                             "saved eval state: set \"%s\": an array is not base64 of the "
                             "stated length", setname);
    if (set_reserve(s, n, keep) != 0)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory merging %zu crystals", n);
    size_t n0 = s->n, f0 = s->nfp;
    if (n > 0 && (get_blob(o, "flags", s->flags + n0, n) ||
                  get_f64(o, "density", s->density + n0, n) ||
        get_f64(o, "nelems", s->nelems + n0, n) ||
        (keep && (get_f64(o, "struct_fp", s->sfp + f0 * MMSC_EV_STRUCT_FP_LEN,
                          nfp * MMSC_EV_STRUCT_FP_LEN) ||
                  get_f64(o, "comp_fp_scaled", s->cfp + f0 * MMSC_COMP_FP_LEN,
                          nfp * MMSC_COMP_FP_LEN)))))
        return mms_error_set(err, MMS_EPARSE, 0,
                             "saved eval state: set \"%s\": an array is not base64 of the "
                             "stated length", setname);
    /* fingerprint rows belong to the MMSC_EV_VALID records, in order */
    size_t row = 0;
    for (size_t i = 0; i < n; i++) {
        int v = (s->flags[n0 + i] & MMSC_EV_VALID) && row < nfp;
        s->fp_of[n0 + i] = v && keep ? f0 + row : SIZE_MAX;
        row += (size_t)v;
    }
    if (row != nfp)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "saved eval state: set \"%s\": %zu fingerprints for %zu valid "
                             "crystals", setname, nfp, row);
    s->records += records;
    s->read += read;
    s->n += n;
    s->nfp += keep;
    return MMS_OK;
}

/* Appends src's entries after dst's. */
static int append_set(mmsc_ev_set *dst, const mmsc_ev_set *src)
{
    if (set_reserve(dst, src->n, src->nfp) != 0)
        return -1;
    if (src->n) {
        memcpy(dst->flags + dst->n, src->flags, src->n * sizeof *src->flags);
        memcpy(dst->density + dst->n, src->density, src->n * sizeof *src->density);
        memcpy(dst->nelems + dst->n, src->nelems, src->n * sizeof *src->nelems);
        for (size_t i = 0; i < src->n; i++)
            dst->fp_of[dst->n + i] =
                src->fp_of[i] == SIZE_MAX ? SIZE_MAX : dst->nfp + src->fp_of[i];
    }
    if (src->nfp) {
        memcpy(dst->sfp + dst->nfp * MMSC_EV_STRUCT_FP_LEN, src->sfp,
               src->nfp * MMSC_EV_STRUCT_FP_LEN * sizeof(double));
        memcpy(dst->cfp + dst->nfp * MMSC_COMP_FP_LEN, src->cfp,
               src->nfp * MMSC_COMP_FP_LEN * sizeof(double));
    }
    dst->records += src->records;
    dst->read += src->read;
    dst->n += src->n;
    dst->nfp += src->nfp;
    return 0;
}

/* The saved state is read whole into a scratch accumulator first, so a
 * refused state leaves acc as it was. */
int mmsc_ev_acc_merge(mmsc_ev_acc *a, const cJSON *saved, mms_error *err)
{
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(saved, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "mmscore-evalset-1") != 0)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "saved eval state: expected format \"mmscore-evalset-1\"");
    mmsc_ev_acc *tmp = NULL;
    int rc = mmsc_ev_acc_new(&tmp, a->keep_fp, err);
    for (int si = 0; si < MMSC_EV_NSETS && rc == MMS_OK; si++)
        rc = merge_set(tmp, &tmp->set[si],
                       cJSON_GetObjectItemCaseSensitive(saved, SET_NAMES[si]), SET_NAMES[si],
                       err);
    for (int si = 0; si < MMSC_EV_NSETS && rc == MMS_OK; si++)
        if (append_set(&a->set[si], &tmp->set[si]) != 0)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory merging a saved state");
    mmsc_ev_acc_free(tmp);
    return rc;
}

/* ------------------------------------------------- plugin callbacks */

int mmsc_ev_cb_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
              mms_error *err)
{
    (void)state;
    return mmsc_ev_acc_add_record(acc, rec, values, err);
}

int mmsc_ev_cb_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    return mmsc_ev_acc_save(acc, out, err);
}

int mmsc_ev_cb_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    (void)state;
    return mmsc_ev_acc_merge(acc, saved, err);
}

void mmsc_ev_cb_free(void *state, void *acc)
{
    (void)state;
    mmsc_ev_acc_free(acc);
}

/* --------------------------------------------------------- sampling */

/* numpy's legacy RandomState: MT19937 seeded by init_genrand(seed).  GSL has
 * the same generator (gsl_rng_mt19937) but replaces seed 0 by 4357, and
 * np.random.seed(0) is the most common seed, so the 30 lines are here. */
#define MT_N 624
#define MT_M 397

typedef struct mt19937 {
    uint32_t mt[MT_N];
    int i;
} mt19937;

static void mt_seed(mt19937 *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (int i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->i = MT_N;
}

static uint32_t mt_next(mt19937 *r)
{
    if (r->i >= MT_N) {
        for (int k = 0; k < MT_N; k++) {
            uint32_t y = (r->mt[k] & 0x80000000u) | (r->mt[(k + 1) % MT_N] & 0x7fffffffu);
            r->mt[k] = r->mt[(k + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        r->i = 0;
    }
    uint32_t y = r->mt[r->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* RandomState.randint(0, n) for n <= 2^32: a draw masked to the next power
 * of two minus one, rejected until it is below n. */
static size_t draw_masked(mt19937 *r, size_t n)
{
    uint32_t rng = (uint32_t)(n - 1), mask = rng;
    for (int sh = 1; sh <= 16; sh *= 2)
        mask |= mask >> sh;
    uint32_t v;
    do
        v = mt_next(r) & mask;
    while (v > rng);
    return (size_t)v;
}

int mmsc_ev_acc_generated(const mmsc_ev_acc *a, const mmsc_ev_sampling *smp, size_t **idx, size_t *n,
                     const char **note, mms_error *err)
{
    size_t total = a->set[MMSC_EV_GENERATED].n;
    int sample = smp && smp->seed >= 0 && smp->max_samples > 0 &&
                 total > (size_t)smp->max_samples;
    size_t m = sample ? (size_t)smp->max_samples : total;
    size_t *ix = malloc((m ? m : 1) * sizeof *ix);
    if (!ix)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (!sample) {
        for (size_t i = 0; i < m; i++)
            ix[i] = i;
        *note = "all generated crystals (no sampling)";
    } else {
        if (total - 1 > 0xffffffffu || smp->seed > 0xffffffffLL) {
            free(ix);
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "sampling needs seed and crystal count below 2^32");
        }
        mt19937 r;
        mt_seed(&r, (uint32_t)smp->seed);
        for (size_t i = 0; i < m; i++)
            ix[i] = draw_masked(&r, total);
        *note = "sampled with replacement as basic_eval (seed option)";
    }
    *idx = ix;
    *n = m;
    return MMS_OK;
}

int mmsc_ev_sampling_from_config(mmsc_ev_sampling *smp, const cJSON *config, mms_error *err)
{
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(config, "seed");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(config, "max_samples");
    smp->seed = cJSON_IsNumber(seed) ? (long long)seed->valuedouble : -1;
    smp->max_samples = cJSON_IsNumber(max) ? (long long)max->valuedouble : 10000;
    if (smp->seed > 0xffffffffLL)
        return mms_error_set(err, MMS_EINVAL, 0, "option seed: %lld is above 2^32-1", smp->seed);
    if (smp->max_samples < 1)
        return mms_error_set(err, MMS_EINVAL, 0, "option max_samples must be >= 1");
    return MMS_OK;
}

unsigned mmsc_ev_threads(long long requested)
{
    if (requested > 0)
        return requested > 64 ? 64u : (unsigned)requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > 64 ? 64u : (unsigned)n;
}
