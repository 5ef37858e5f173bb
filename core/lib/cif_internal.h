/* Internal to the CIF reader (cif_lex.c, cif_symm.c, cif.c). */
#ifndef MMSCORE_CIF_INTERNAL_H
#define MMSCORE_CIF_INTERNAL_H

#include <stddef.h>

#include "mmscore/error.h"

/* ---- tokens: slices of the caller's text ---- */
enum { CIF_BARE, CIF_SQUOTE, CIF_DQUOTE, CIF_TEXT };

typedef struct cif_tok {
    const char *p; /* not NUL-terminated; quotes / text-field delimiters removed */
    size_t len;
    long line;
    int kind;
} cif_tok;

typedef struct cif_lex {
    const char *p, *end, *line_start;
    long line;
    size_t max_line;
    size_t unclosed_quotes; /* quotes dropped because never closed */
} cif_lex;

void cif_lex_init(cif_lex *lx, const char *text, size_t len, size_t max_line, long line_offset);
/* 1 = token in *t, 0 = end of text, < 0 = MMS_E* (err filled). */
int cif_lex_next(cif_lex *lx, cif_tok *t, mms_error *err);

/* Case-insensitive name comparison, '.' == '_'; b is NUL-terminated. */
int cif_name_eq(const char *a, size_t alen, const char *b);
/* Unquoted token equal to word / starting with a lower-case prefix. */
int cif_tok_is(const cif_tok *t, const char *word);
int cif_tok_has_prefix(const cif_tok *t, const char *prefix);

/* pymatgen's str2float on a slice; 1 on success, 0 if not a number. */
int cif_parse_number(const char *p, size_t n, double *out);

/* pymatgen's rounding of fractional coordinates within 1e-4 (relative) of
 * 1/3 or 2/3 to exactly 1/3.0 or 2/3.0 (CifParser._sanitize_data). */
double cif_ideal_fraction(double x);

/* ---- symmetry operations ---- */
#define CIF_MAX_OPS 1536 /* 192 in any space group; magnetic centring doubles it */

typedef struct cif_op {
    double rot[3][3];
    double trans[3];
} cif_op;

/* pymatgen's SymmOp.from_xyz_string on a slice ("-y+1/2, x, z+1/4"); a
 * magnetic "x,y,z,+1" string is cut at its last comma when magnetic != 0.
 * Missing parts leave zero rows (pymatgen); more than three parts, or a
 * number that does not parse, give MMS_EPARSE saying what was expected. */
int cif_op_parse(const char *p, size_t n, int magnetic, cif_op *op, long line, mms_error *err);

/* pymatgen's resolvable Hermann-Mauguin symbols -> spglib Hall number,
 * sorted by key (generated: cif_hm_table.c). */
typedef struct cif_hm_entry {
    const char *key; /* spaces and '_' removed */
    int hall;
} cif_hm_entry;
extern const cif_hm_entry cif_hm_table[];
extern const size_t cif_hm_table_len;

/* Operations of a space group from spglib's database, looked up by a Hall
 * symbol, a Hermann-Mauguin symbol (as pymatgen resolves it) or an
 * International Tables number.  Returns the count (0 if the symbol is
 * unknown); ops must hold CIF_MAX_OPS entries. */
size_t cif_ops_from_hall_symbol(const char *p, size_t n, cif_op *ops);
size_t cif_ops_from_hm_symbol(const char *p, size_t n, cif_op *ops);
size_t cif_ops_from_it_number(int number, cif_op *ops);
/* Operations of a magnetic space group by its BNS number ("194.271"), from
 * spglib's database in its default setting; 0 if unknown.  ops must hold
 * 384 entries. */
size_t cif_ops_from_bns_number(const char *p, size_t n, cif_op *ops);

#endif
