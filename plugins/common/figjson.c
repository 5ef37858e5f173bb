#include "figjson.h"

cJSON *mmsc_figure_new(const char *id, const char *kind, const char *section, const char *title,
                       const char *caption, const char *x_label, const char *y_label)
{
    cJSON *f = cJSON_CreateObject();
    int ok = f && cJSON_AddStringToObject(f, "id", id) && cJSON_AddStringToObject(f, "kind", kind) &&
             cJSON_AddStringToObject(f, "section", section) && cJSON_AddStringToObject(f, "title", title);
    ok = ok && (!caption || cJSON_AddStringToObject(f, "caption", caption));
    ok = ok && (!x_label || cJSON_AddStringToObject(f, "x_label", x_label));
    ok = ok && (!y_label || cJSON_AddStringToObject(f, "y_label", y_label));
    if (!ok) {
        cJSON_Delete(f);
        return NULL;
    }
    return f;
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]))) cJSON_Delete(a), a = NULL;
    return a;
}

int mmsc_figure_add_series(cJSON *fig, const char *name, const double *v, size_t n)
{
    cJSON *series = cJSON_GetObjectItemCaseSensitive(fig, "series");
    if (!series && !(series = cJSON_AddArrayToObject(fig, "series"))) return 0;
    cJSON *s = cJSON_CreateObject();
    if (!s || !cJSON_AddItemToArray(series, s)) {
        cJSON_Delete(s);
        return 0;
    }
    cJSON *values = number_array(v, n);
    return cJSON_AddStringToObject(s, "name", name) && values && cJSON_AddItemToObject(s, "values", values);
}

int mmsc_figure_set_categories(cJSON *fig, const char *const *names, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(fig, "categories");
    for (size_t i = 0; a && i < n; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateString(names[i]))) return 0;
    return a != NULL;
}

void mmsc_uniform_edges(double lo, double hi, size_t nbins, double *edges)
{
    for (size_t i = 0; i <= nbins; i++)
        edges[i] = i == nbins ? hi : lo + (double)i * (hi - lo) / (double)nbins;
}

int mmsc_figure_set_edges(cJSON *fig, const double *edges, size_t nbins)
{
    cJSON *a = cJSON_AddArrayToObject(fig, "edges");
    for (size_t i = 0; a && i <= nbins; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateNumber(edges[i]))) return 0;
    return a != NULL;
}

long mmsc_bin_index(const double *edges, size_t nbins, double x)
{
    if (!(x >= edges[0] && x <= edges[nbins])) return -1; /* also NaN */
    size_t lo = 0, hi = nbins; /* edges[lo] <= x, and x < edges[hi] unless x is the last edge */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x >= edges[mid]) lo = mid;
        else hi = mid;
    }
    return (long)lo;
}
