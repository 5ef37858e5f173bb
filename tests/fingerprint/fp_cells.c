/* Test helper: read make_cells.py output (one JSON object per line). */
#include "fp_cells.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_numbers(const cJSON *a, double *x, int n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return -1;
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        /* the reference writes NaN as null after JSON round trips */
        x[i++] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    return 0;
}

static int parse_rec(const cJSON *o, fp_cell_rec *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *id = cJSON_GetObjectItem(o, "id"), *row = cJSON_GetObjectItem(o, "row");
    snprintf(r->id, sizeof r->id, "%s", cJSON_IsString(id) ? id->valuestring : "?");
    r->row = cJSON_IsNumber(row) ? (long)row->valuedouble : -1;
    const cJSON *lat = cJSON_GetObjectItem(o, "lattice"), *frac = cJSON_GetObjectItem(o, "frac"),
                *z = cJSON_GetObjectItem(o, "z");
    if (!cJSON_IsArray(lat) || !cJSON_IsArray(frac) || !cJSON_IsArray(z))
        return -1;
    for (int i = 0; i < 3; i++)
        if (read_numbers(cJSON_GetArrayItem(lat, i), r->cell.lattice[i], 3))
            return -1;
    int n = cJSON_GetArraySize(z);
    if (n <= 0 || cJSON_GetArraySize(frac) != n)
        return -1;
    r->frac = malloc((size_t)n * sizeof *r->frac);
    r->z = malloc((size_t)n * sizeof *r->z);
    if (!r->frac || !r->z)
        return -1;
    for (int i = 0; i < n; i++) {
        if (read_numbers(cJSON_GetArrayItem(frac, i), r->frac[i], 3))
            return -1;
        r->z[i] = cJSON_GetArrayItem(z, i)->valueint;
    }
    r->cell.n = (size_t)n;
    r->cell.frac = (const double (*)[3])r->frac;
    r->cell.z = r->z;
    r->has_ref = read_numbers(cJSON_GetObjectItem(o, "comp_fp"), r->comp_fp, FP_MAGPIE_LEN) == 0 &&
                 read_numbers(cJSON_GetObjectItem(o, "struct_fp"), r->struct_fp, MMSC_CNN_LEN) == 0;
    return 0;
}

int fp_cells_load(const char *path, fp_cells *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    out->n = 0;
    out->recs = NULL;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        if (!o)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            fp_cell_rec *nr = realloc(out->recs, cap * sizeof *nr);
            if (!nr) {
                cJSON_Delete(o);
                rc = -1;
                break;
            }
            out->recs = nr;
        }
        if (parse_rec(o, &out->recs[out->n]) == 0)
            out->n++;
        else {
            free(out->recs[out->n].frac);
            free(out->recs[out->n].z);
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    return rc;
}

void fp_cells_free(fp_cells *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->recs[i].frac);
        free(c->recs[i].z);
    }
    free(c->recs);
    c->recs = NULL;
    c->n = 0;
}

int fp_cells_magpie(const fp_cell_rec *c, double out[FP_MAGPIE_LEN])
{
    int zs[FP_MAGPIE_MAX_Z];
    double amt[FP_MAGPIE_MAX_Z];
    size_t ne = 0;
    for (size_t i = 0; i < c->cell.n; i++) {
        size_t k = 0;
        while (k < ne && zs[k] != c->cell.z[i])
            k++;
        if (k == ne) {
            if (ne == FP_MAGPIE_MAX_Z)
                return MMS_EINVAL;
            zs[ne] = c->cell.z[i];
            amt[ne++] = 0;
        }
        amt[k] += 1;
    }
    return fp_magpie(zs, amt, ne, out);
}
