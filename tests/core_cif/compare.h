/* Reading fixture CSVs / CIF folders with mmscore and comparing what was
 * read with the pymatgen reference lines (*.ref.jsonl).  Test-only code:
 * shared by the CTest test (subsets under tests/data/readers) and the
 * full-fixture driver compare_full. */
#ifndef READERS_COMPARE_H
#define READERS_COMPARE_H

#include <stddef.h>
#include <stdio.h>

typedef struct cmp_stats {
    size_t rows;
    size_t ref_ok, ours_ok;      /* pymatgen read it / we read it */
    size_t parse_agree;          /* both read or both failed */
    size_t both_ok;
    size_t sites_agree;          /* parsed_n_sites */
    size_t formula_agree;        /* parsed_formula */
    size_t comp_checked, comp_agree;       /* elements + counts (crystal_ok rows) */
    size_t volume_checked, volume_agree;   /* relative 1e-6 */
    size_t density_checked, density_agree; /* relative 1e-9 */
    size_t flat;                 /* reference volume < 0.1: agreement = ours < 0.1 too */
    double max_rel_volume, max_rel_density;
} cmp_stats;

/* A CSV (cif column) against its ref.jsonl.  Disagreements are printed to
 * `log` (may be NULL), at most max_log of them.  Returns 0, or -1 if a file
 * could not be read. */
int cmp_csv(const char *csv_path, const char *ref_path, cmp_stats *st, FILE *log, size_t max_log);

/* A folder of CIFs named by the "file" field of each ref line. */
int cmp_folder(const char *dir, const char *ref_path, cmp_stats *st, FILE *log, size_t max_log);

/* One table row. */
void cmp_print(FILE *out, const char *name, const cmp_stats *st);
void cmp_print_header(FILE *out);

/* Whole file into memory (NUL-terminated); NULL on failure. */
char *cmp_slurp(const char *path, size_t *len);

/* CSV cells of a whole-file buffer: calls cell(ctx, row, col, text, len)
 * with quotes removed (doubled quotes left doubled: the CIF texts have
 * none).  RFC 4180 quoting, multi-line cells. */
void cmp_csv_split(const char *buf, size_t len,
                   void (*cell)(void *ctx, size_t row, size_t col, const char *p, size_t n),
                   void *ctx);

#endif
