/* Figure objects of the HTML report (plugin ABI revision 4, acc_report),
 * built as docs/plugins.md "Report figures" lays them out, so every plugin
 * writes the same keys the same way. */
#ifndef MMSC_FIGJSON_H
#define MMSC_FIGJSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* A new figure {id, kind, section, title[, caption][, x_label, y_label]}
 * (NULL caption/labels are left out); NULL when out of memory.  The caller
 * owns it. */
cJSON *mmsc_figure_new(const char *id, const char *kind, const char *section, const char *title,
                       const char *caption, const char *x_label, const char *y_label);

/* Appends {"name": name, "values": [v0..vn-1]} to fig's "series" (made on
 * first use).  0 when out of memory, else 1. */
int mmsc_figure_add_series(cJSON *fig, const char *name, const double *v, size_t n);

/* Sets fig's "categories" (bars) to the n strings; 0 when out of memory. */
int mmsc_figure_set_categories(cJSON *fig, const char *const *names, size_t n);

/* nbins + 1 equal-width edges from lo to hi into edges: edge i is
 * lo + i * (hi - lo) / nbins, the last one hi exactly. */
void mmsc_uniform_edges(double lo, double hi, size_t nbins, double *edges);

/* Sets fig's "edges" (histogram) to edges[0..nbins]; 0 when out of memory. */
int mmsc_figure_set_edges(cJSON *fig, const double *edges, size_t nbins);

/* The bin of x among nbins bins with those edges: i with edges[i] <= x <
 * edges[i+1], the last bin closed at edges[nbins].  -1 for x outside
 * [edges[0], edges[nbins]] or NaN.  Decided against the edges themselves,
 * not by a scaled floor, so the bin agrees with the edges the figure shows. */
long mmsc_bin_index(const double *edges, size_t nbins, double x);

#endif
