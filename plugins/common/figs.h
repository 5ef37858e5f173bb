/* Figures for the HTML report (acc_report, docs/plugins.md "Report
 * figures") from accumulators that stay small and merge exactly: counts over
 * fixed bins, and a tally of diagnostics by code with a few examples each.
 * Shared by the crystal plugins; every count is an integer, so shards
 * merged in any order give the figures of one run. */
#ifndef MMSC_FIGS_H
#define MMSC_FIGS_H

#include <stddef.h>

#include <mmscore/plugin.h>

/* Series of the crystal figures: which input set a record counts in. */
enum { MMSC_FIG_GENERATED = 0, MMSC_FIG_REFERENCE = 1, MMSC_FIG_NSERIES = 2 };
/* "reference" -> MMSC_FIG_REFERENCE, "train" -> -1 (not drawn), anything
 * else (validate's "input", eval's "generated") -> MMSC_FIG_GENERATED. */
int mmsc_fig_series_of(const char *set);
extern const char *const mmsc_fig_series_names[MMSC_FIG_NSERIES];

/* Counts over n fixed bins (bin i is [lo + i*width, lo + (i+1)*width)),
 * plus the values below and above the range, for one series. */
typedef struct mmsc_fig_counts {
    size_t n;
    long long *c;
    long long under, over;
} mmsc_fig_counts;

int mmsc_fig_counts_init(mmsc_fig_counts *h, size_t n);
void mmsc_fig_counts_free(mmsc_fig_counts *h);
/* Count x into bin floor((x - lo) / width); non-finite x is not counted. */
void mmsc_fig_counts_add(mmsc_fig_counts *h, double lo, double width, double x);
/* {"bins": [[i, count]...] (non-zero only), "under": n, "over": n}; NULL when out of memory. */
cJSON *mmsc_fig_counts_save(const mmsc_fig_counts *h);
/* Adds a save into h; MMS_EINVAL naming `what` if it is not one of n bins. */
int mmsc_fig_counts_merge(mmsc_fig_counts *h, const cJSON *saved, const char *what,
                          mms_error *err);

/* dst += src, bin by bin (same number of bins). */
void mmsc_fig_counts_absorb(mmsc_fig_counts *dst, const mmsc_fig_counts *src);

/* A figure's common keys. */
typedef struct mmsc_fig_text {
    const char *id, *section, *title, *caption, *x_label, *y_label;
} mmsc_fig_text;

/* A "histogram" figure of the series (one mmsc_fig_counts per series, in
 * mmsc_fig_series_names order; series with no count are left out) over the
 * bins from the first to the last non-empty one, joined in groups of 2^k
 * width so that at most max_bins remain.  Values outside the range are
 * named in the caption.  Appended to figs; nothing when every series is
 * empty.  MMS_ENOMEM. */
int mmsc_fig_histogram(cJSON *figs, const mmsc_fig_text *t, double lo, double width,
                       const mmsc_fig_counts *series, size_t max_bins);

/* A "bars" figure: categories[i] with one count per series (counts[s][i],
 * series named names[s]; series with no count are left out); with
 * only_nonzero, categories empty in every series are left out too.
 * Appended to figs; nothing when every count is 0.  MMS_ENOMEM. */
int mmsc_fig_bars(cJSON *figs, const mmsc_fig_text *t, const char *const *categories,
                  size_t n, const char *const *names, const long long *const *counts,
                  size_t ns, int only_nonzero);

/* A "bars" figure of integer-valued counts (bin i is the value i, one
 * mmsc_fig_counts per series as for mmsc_fig_histogram): a bar per value
 * from the smallest to the largest seen, labelled with the value.
 * Appended to figs; nothing when every series is empty.  MMS_ENOMEM. */
int mmsc_fig_integer_bars(cJSON *figs, const mmsc_fig_text *t, const mmsc_fig_counts *series);

/* Diagnostics ({code, severity, message} lists, diag.h) tallied by code and
 * severity: records with each, and the first MMSC_FIG_EXAMPLES records of
 * each code in input order (file, record id, line, message). */
#define MMSC_FIG_EXAMPLES 5
typedef struct mmsc_fig_diags {
    cJSON *codes; /* {code: {"records": {severity: n}, "examples": [...]}} */
} mmsc_fig_diags;

int mmsc_fig_diags_init(mmsc_fig_diags *t);
void mmsc_fig_diags_free(mmsc_fig_diags *t);
int mmsc_fig_diags_add(mmsc_fig_diags *t, const mms_record *rec, const cJSON *list);
cJSON *mmsc_fig_diags_save(const mmsc_fig_diags *t);
int mmsc_fig_diags_merge(mmsc_fig_diags *t, const cJSON *saved, mms_error *err);
/* Two figures in `section`: bars of records per code and severity, and a
 * table of the examples.  Ids are id_prefix + "_codes" / "_examples". */
int mmsc_fig_diags_report(cJSON *figs, const mmsc_fig_diags *t, const char *section,
                          const char *id_prefix, const char *what);

#endif
