/* smact_validity of crystal-text-llm's basic_eval.py, exact and fast.
 *
 * The reference loops over every oxidation-state tuple (the product of the
 * elements' lists: 73 million tuples for an 11-element composition) and asks
 * of each (1) is sum(q_i * c_i) == 0 for the given counts c and (2) does
 * smact.screening.pauling_test pass.  The answer is whether any tuple passes
 * both.  Here (2) is turned into a few restrictions on which states each
 * element may take (see docs/metrics-composition.md for the proof), and for
 * each restriction (1) becomes a subset-sum feasibility question answered by
 * a bitset of reachable charge sums built element by element: time and memory
 * grow with the charge range sum(c_i * max|q_i|), not with the tuple count.
 *
 * No library offers this: it is a bounded subset-sum over small integer sets,
 * a few dozen lines with word-parallel shifts. */
#include "smact.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest charge range sum(c_i * max|q_i|) searched: 2^24 keeps one bitset at
 * 4 MB (about two million atoms of the most charged element). */
#define RANGE_MAX (1L << 24)
/* Keeping one bitset per element, to read back an example, is allowed up to
 * this many bytes; beyond it the verdict is still exact, only the example is
 * left out. */
#define EXAMPLE_BUDGET (16u << 20)

void smact_options_default(smact_options *opt)
{
    opt->use_pauling_test = 1;
    opt->include_alloys = 1;
    opt->zr_eneg = SMACT_ZR_ENEG;
}

const char *smact_verdict_name(smact_verdict v)
{
    switch (v) {
    case SMACT_SINGLE_ELEMENT: return "single element";
    case SMACT_ALLOY: return "alloy";
    case SMACT_CHARGE_BALANCED: return "charge-balanced";
    case SMACT_NO_OXIDATION_STATES: return "no oxidation states";
    case SMACT_NOT_NEUTRAL: return "no charge-neutral combination";
    case SMACT_PAULING_FAILED: return "pauling test failed";
    }
    return "unknown";
}

/* One element of the composition, in Z order. */
typedef struct item {
    const smact_element *el;
    long count;
    int has_eneg;
    double eneg;
    size_t input_index;
} item;

/* Search workspace: reachable-sum bitsets over [-range, range]. */
typedef struct search {
    const item *items;
    size_t n;
    long range;
    size_t nwords;
    uint64_t *cur;     /* scratch when not keeping prefixes */
    uint64_t *next;
    uint64_t *prefix;  /* (n) bitsets: sums reachable by elements [0, i), or NULL */
    int keep_prefix;
} search;

typedef unsigned mask; /* bit k set: oxidation state k of the element is allowed */

static int bit_get(const uint64_t *b, long i)
{
    return (int)((b[i >> 6] >> (i & 63)) & 1u);
}

/* dst |= src shifted up by d bits (down when d < 0). */
static void or_shifted(uint64_t *dst, const uint64_t *src, size_t nwords, long d)
{
    size_t ws = (size_t)(labs(d) >> 6);
    unsigned bs = (unsigned)(labs(d) & 63);
    if (ws >= nwords)
        return;
    if (d >= 0) {
        for (size_t i = nwords; i-- > ws;) {
            uint64_t w = src[i - ws] << bs;
            if (bs && i - ws > 0)
                w |= src[i - ws - 1] >> (64 - bs);
            dst[i] |= w;
        }
    } else {
        for (size_t i = 0; i + ws < nwords; i++) {
            uint64_t w = src[i + ws] >> bs;
            if (bs && i + ws + 1 < nwords)
                w |= src[i + ws + 1] << (64 - bs);
            dst[i] |= w;
        }
    }
}

/* Keeps the bits past 2*range in the last word clear.  No reachable sum lies
 * there (range bounds them all), so this only guards the invariant that a
 * later downward shift never brings a stray bit into range. */
static void clear_tail(uint64_t *b, size_t nwords, long range)
{
    long nbits = 2 * range + 1;
    unsigned used = (unsigned)(nbits & 63);
    if (used)
        b[nwords - 1] &= (UINT64_C(1) << used) - 1;
}

/* Is there a choice of allowed states with sum(q_i * c_i) == 0?  When
 * example is non-NULL and the prefix bitsets were kept, it receives one such
 * choice (state per element, in item order). */
static int feasible(search *s, const mask *allowed, int *example)
{
    size_t n = s->n, nw = s->nwords;
    for (size_t i = 0; i < n; i++)
        if (!allowed[i])
            return 0;
    uint64_t *cur = s->keep_prefix ? s->prefix : s->cur;
    memset(cur, 0, nw * sizeof *cur);
    cur[s->range >> 6] |= UINT64_C(1) << (s->range & 63);

    for (size_t i = 0; i + 1 < n; i++) {
        uint64_t *next = s->keep_prefix ? s->prefix + (i + 1) * nw : s->next;
        memset(next, 0, nw * sizeof *next);
        const item *it = &s->items[i];
        for (int k = 0; k < it->el->n_ox; k++)
            if (allowed[i] >> k & 1u)
                or_shifted(next, cur, nw, (long)it->el->ox[k] * it->count);
        clear_tail(next, nw, s->range);
        if (!s->keep_prefix) {
            s->next = cur;
            s->cur = next;
        }
        cur = next;
    }

    /* Last element: is minus its charge reachable by the others? */
    const item *last = &s->items[n - 1];
    int found = -1;
    for (int k = 0; k < last->el->n_ox && found < 0; k++) {
        long need = -(long)last->el->ox[k] * last->count;
        if ((allowed[n - 1] >> k & 1u) && labs(need) <= s->range &&
            bit_get(cur, need + s->range))
            found = k;
    }
    if (found < 0)
        return 0;
    if (example && s->keep_prefix) {
        long target = -(long)last->el->ox[found] * last->count;
        example[n - 1] = last->el->ox[found];
        for (size_t i = n - 1; i-- > 0;) {
            const item *it = &s->items[i];
            const uint64_t *before = s->prefix + i * nw;
            for (int k = 0; k < it->el->n_ox; k++) {
                long rest = target - (long)it->el->ox[k] * it->count;
                if ((allowed[i] >> k & 1u) && labs(rest) <= s->range &&
                    bit_get(before, rest + s->range)) {
                    example[i] = it->el->ox[k];
                    target = rest;
                    break;
                }
            }
        }
    }
    return 1;
}

static mask all_states(const item *it)
{
    return (mask)((1u << it->el->n_ox) - 1u);
}

/* The pair test of smact.screening.eneg_states_test for two known
 * electronegativities: a cation at least as electronegative as an anion. */
static int violates(int q1, double e1, int q2, double e2)
{
    return (q1 > 0 && q2 < 0 && e1 >= e2) || (q1 < 0 && q2 > 0 && e1 <= e2);
}

static int opposite(int q1, int q2)
{
    return (q1 > 0 && q2 < 0) || (q1 < 0 && q2 > 0);
}

/* Every element has an electronegativity: the Pauling test passes iff every
 * cation is strictly less electronegative than every anion, i.e. iff some
 * cut t (an element's electronegativity, or +inf) has all cations below t
 * and all anions at or above it. */
static int search_all_known(search *s, mask *allowed, int *example)
{
    size_t n = s->n;
    for (size_t c = 0; c <= n; c++) {
        double t = c < n ? s->items[c].eneg : INFINITY;
        int seen = 0;
        for (size_t j = 0; j < c; j++)
            seen |= s->items[j].eneg == t;
        if (seen)
            continue; /* same cut already tried */
        for (size_t i = 0; i < n; i++) {
            const item *it = &s->items[i];
            allowed[i] = 0;
            for (int k = 0; k < it->el->n_ox; k++) {
                int q = it->el->ox[k];
                if (q == 0 || (q > 0 && it->eneg < t) || (q < 0 && it->eneg >= t))
                    allowed[i] |= 1u << k;
            }
        }
        if (feasible(s, allowed, example))
            return 1;
    }
    return 0;
}

/* Some electronegativity is missing (None in SMACT).  eneg_states_test walks
 * the pairs (0,1), (0,2), ... and row 0 always reaches the first element m
 * without one: that pair either raises TypeError (opposite signs: basic_eval
 * then counts the test as passed) or returns False.  So the test is decided
 * in row 0: no violation in pairs (0,j), j < m, and q_0, q_m of opposite
 * signs.  (m == 0: just q_0, q_1 of opposite signs.) */
static int search_some_missing(search *s, size_t m, mask *allowed, int *example)
{
    size_t n = s->n;
    const item *first = &s->items[0];
    size_t partner = m == 0 ? 1 : m;
    for (int k0 = 0; k0 < first->el->n_ox; k0++) {
        int q0 = first->el->ox[k0];
        if (q0 == 0)
            continue;
        allowed[0] = 1u << k0;
        for (size_t i = 1; i < n; i++) {
            const item *it = &s->items[i];
            allowed[i] = i == partner || i < m ? 0 : all_states(it);
            if (i > partner)
                continue;
            for (int k = 0; k < it->el->n_ox; k++) {
                int q = it->el->ox[k];
                int ok = i == partner ? opposite(q0, q)
                                      : !violates(q0, first->eneg, q, it->eneg);
                if (ok)
                    allowed[i] |= 1u << k;
            }
        }
        if (feasible(s, allowed, example))
            return 1;
    }
    return 0;
}

static int cmp_item_z(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return (x->el > y->el) - (x->el < y->el); /* table is indexed by Z */
}

static long gcd_long(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int smact_validity(const int *z, const long *counts, size_t n, const smact_options *opt,
                   smact_result *res, mms_error *err)
{
    if (!z || !counts || !opt || !res || n == 0 || n > SMACT_MAX_Z)
        return mms_error_set(err, MMS_EINVAL, 0, "smact: %zu elements (expected 1..%d)", n,
                             SMACT_MAX_Z);
    memset(res, 0, sizeof *res);
    item items[SMACT_MAX_Z];
    for (size_t i = 0; i < n; i++) {
        if (z[i] < 1 || z[i] > SMACT_MAX_Z)
            return mms_error_set(err, MMS_ENOTFOUND, 0,
                                 "smact: no SMACT element data for Z=%d (SMACT 2.5.5 has H..Lr)",
                                 z[i]);
        if (counts[i] <= 0)
            return mms_error_set(err, MMS_EINVAL, 0, "smact: count %ld of %s is not positive",
                                 counts[i], smact_elements[z[i]].symbol);
        const smact_element *el = &smact_elements[z[i]];
        items[i] = (item){el, counts[i], el->has_eneg, el->eneg, i};
        if (z[i] == 40)
            items[i].eneg = opt->zr_eneg;
    }
    qsort(items, n, sizeof items[0], cmp_item_z);
    for (size_t i = 1; i < n; i++)
        if (items[i].el == items[i - 1].el)
            return mms_error_set(err, MMS_EINVAL, 0, "smact: element %s given twice",
                                 items[i].el->symbol);

    if (n == 1) {
        res->valid = 1;
        res->verdict = SMACT_SINGLE_ELEMENT;
        return MMS_OK;
    }
    if (opt->include_alloys) {
        int all_metals = 1;
        for (size_t i = 0; i < n; i++)
            all_metals &= items[i].el->is_metal;
        if (all_metals) {
            res->valid = 1;
            res->verdict = SMACT_ALLOY;
            return MMS_OK;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].el->n_ox == 0) {
            res->verdict = SMACT_NO_OXIDATION_STATES;
            return MMS_OK;
        }
    /* neutral_ratios keeps only ratios whose gcd is 1: unreduced counts
     * never pass, whatever the charges. */
    long g = 0;
    for (size_t i = 0; i < n; i++)
        g = gcd_long(g, items[i].count);
    if (g != 1) {
        res->verdict = SMACT_NOT_NEUTRAL;
        return MMS_OK;
    }

    long range = 0;
    for (size_t i = 0; i < n; i++) {
        int maxq = 0;
        for (int k = 0; k < items[i].el->n_ox; k++)
            maxq = abs(items[i].el->ox[k]) > maxq ? abs(items[i].el->ox[k]) : maxq;
        if (items[i].count > RANGE_MAX / (maxq ? maxq : 1) ||
            (range += items[i].count * maxq) > RANGE_MAX)
            return mms_error_set(err, MMS_ELIMIT, 0,
                                 "smact: charge range of the composition exceeds %ld "
                                 "(counts too large for the exact search)",
                                 RANGE_MAX);
    }

    search s = {items, n, range, (size_t)((2 * range + 1 + 63) / 64), NULL, NULL, NULL, 0};
    s.keep_prefix = n * s.nwords * sizeof(uint64_t) <= EXAMPLE_BUDGET;
    if (s.keep_prefix)
        s.prefix = malloc(n * s.nwords * sizeof(uint64_t));
    else {
        s.cur = malloc(s.nwords * sizeof(uint64_t));
        s.next = malloc(s.nwords * sizeof(uint64_t));
    }
    uint64_t *a = s.prefix ? s.prefix : s.cur, *b = s.next;
    if (!a || (!s.keep_prefix && !b)) {
        free(a);
        free(b);
        return mms_error_set(err, MMS_ENOMEM, 0, "smact: out of memory for the charge search");
    }

    mask allowed[SMACT_MAX_Z];
    int example[SMACT_MAX_Z];
    for (size_t i = 0; i < n; i++)
        allowed[i] = all_states(&items[i]);
    int ok = feasible(&s, allowed, example);
    if (!ok) {
        res->verdict = SMACT_NOT_NEUTRAL;
    } else if (opt->use_pauling_test) {
        size_t m = n;
        for (size_t i = 0; i < n && m == n; i++)
            if (!items[i].has_eneg)
                m = i;
        ok = m == n ? search_all_known(&s, allowed, example)
                    : search_some_missing(&s, m, allowed, example);
        res->verdict = ok ? SMACT_CHARGE_BALANCED : SMACT_PAULING_FAILED;
    } else {
        res->verdict = SMACT_CHARGE_BALANCED;
    }
    if (ok) {
        res->valid = 1;
        res->has_example = s.keep_prefix;
        for (size_t i = 0; i < n && s.keep_prefix; i++)
            res->example_ox[items[i].input_index] = example[i];
    }
    /* feasible() swaps cur/next, so free what the struct holds now. */
    if (s.keep_prefix)
        free(s.prefix);
    else {
        free(s.cur);
        free(s.next);
    }
    return MMS_OK;
}
