/* Chemical formulas as pymatgen's Composition reads them, for CrystaLLM's
 * consistency checks (docs/metrics-symmetry.md). */
#ifndef MMSC_FORMULA_H
#define MMSC_FORMULA_H

#include <stddef.h>

#include "mmscore/error.h"

#define MMSC_FORMULA_MAX_ELEMENTS 32

/* Amount per element symbol, in order of first appearance. */
typedef struct mmsc_formula {
    size_t n;
    char symbol[MMSC_FORMULA_MAX_ELEMENTS][4];
    double amount[MMSC_FORMULA_MAX_ELEMENTS];
} mmsc_formula;

/* Parse like pymatgen's Composition._parse_formula: "@" dropped, innermost
 * parentheses expanded with their factor, then symbol/amount tokens
 * ("Ca1 O3 Ti1", "Ba(OH)2", "Fe0.5Ni0.5").  Symbols must be known
 * elements.  Returns MMS_OK, or MMS_EPARSE (MMS_ELIMIT past this parser's
 * bounds) with the reason in err where pymatgen would raise. */
int mmsc_formula_parse(const char *text, mmsc_formula *out, mms_error *err);

/* Greatest common divisor, non-negative (amounts reduced as pymatgen does). */
long long mmsc_gcd_ll(long long a, long long b);

/* Do two formulas have the same pymatgen reduced_formula?  Integer amounts
 * are divided by their gcd; non-integer ones are compared as written
 * (pymatgen does not reduce them either), within 1e-8. */
int mmsc_formula_same_reduced(const mmsc_formula *a, const mmsc_formula *b);

#endif
