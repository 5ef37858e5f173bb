/* SMACT composition validity as crystal-text-llm's basic_eval.py computes it
 * (smact_validity with SMACT 2.5.5), as a pure function over a composition.
 *
 * The definition, the reference's quirks and the argument that the search
 * below is exact are in docs/metrics-composition.md. */
#ifndef MMSCORE_SMACT_H
#define MMSCORE_SMACT_H

#include <stddef.h>

#include <mmscore/error.h>

#define SMACT_MAX_Z 103 /* element_data.txt ends at Lr */
#define SMACT_MAX_OX 12 /* most oxidation states of one element (Os, Ir: 10) */
#define SMACT_ZR_ENEG 1.33 /* Zr's el_neg in element_data.txt at v2.5.5 */

/* One row of SMACT's element tables (smact_tables.c, generated). */
typedef struct smact_element {
    const char *symbol;
    int has_eneg;          /* 0 where SMACT's pauling_eneg is None */
    double eneg;           /* Pauling electronegativity when has_eneg */
    int is_metal;          /* symbol is in smact.metals */
    int n_ox;              /* number of oxidation states (0 for He, Ne, Ar) */
    int ox[SMACT_MAX_OX];  /* smact.Element(symbol).oxidation_states, in file order */
} smact_element;

extern const smact_element smact_elements[SMACT_MAX_Z + 1];

typedef struct smact_options {
    int use_pauling_test;  /* basic_eval: 1 */
    int include_alloys;    /* basic_eval: 1 */
    double zr_eneg;        /* SMACT_ZR_ENEG; 0.33 reproduces SMACT before 2023 */
} smact_options;

typedef enum smact_verdict {
    SMACT_SINGLE_ELEMENT = 1,  /* valid: one element */
    SMACT_ALLOY,               /* valid: every element is in smact.metals */
    SMACT_CHARGE_BALANCED,     /* valid: a neutral assignment passes the Pauling test */
    SMACT_NO_OXIDATION_STATES, /* invalid: an element has no oxidation state at all */
    SMACT_NOT_NEUTRAL,         /* invalid: no assignment is charge neutral */
    SMACT_PAULING_FAILED       /* invalid: neutral assignments exist, none passes Pauling */
} smact_verdict;

typedef struct smact_result {
    int valid;             /* 1/0 */
    smact_verdict verdict;
    /* For SMACT_CHARGE_BALANCED, when the example fits the memory budget:
     * one passing assignment, ox[i] for element i of the input order. */
    int has_example;
    int example_ox[SMACT_MAX_Z];
} smact_result;

void smact_options_default(smact_options *opt);

/* Stable short text of a verdict ("charge-balanced", ...); never NULL. */
const char *smact_verdict_name(smact_verdict v);

/* smact_validity(z, counts) of basic_eval.py.  z: n distinct atomic numbers
 * (any order: they are ordered by Z as Crystal.elems are); counts: their
 * positive integer amounts, used as given (basic_eval passes them reduced by
 * their gcd; unreduced counts fail SMACT's gcd filter as they do there).
 * Errors: MMS_ENOTFOUND for an element SMACT has no data for (SMACT raises
 * NameError, so basic_eval builds no Crystal), MMS_EINVAL for bad arguments,
 * MMS_ELIMIT when the charge range exceeds the search's memory bound,
 * MMS_ENOMEM. */
int smact_validity(const int *z, const long *counts, size_t n, const smact_options *opt,
                   smact_result *res, mms_error *err);

#endif
