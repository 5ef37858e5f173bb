/* The oracle: basic_eval's formulas with whole matrices (see naive.h). */
#include "naive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scaler.h"

static int get_bool(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int get_array(const cJSON *o, const char *k, double *x, int n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return 0;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        x[i] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
    }
    return 1;
}

int nv_load(const char *path, nv_set *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    out->n = 0;
    out->c = NULL;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        if (!o)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 256;
            out->c = realloc(out->c, cap * sizeof *out->c);
        }
        nv_crystal *c = &out->c[out->n++];
        memset(c, 0, sizeof *c);
        c->counted = get_bool(o, "crystal_ok");
        c->struct_valid = get_bool(o, "struct_valid");
        c->comp_valid = get_bool(o, "comp_valid");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "fp_status");
        double raw[132];
        c->valid = get_bool(o, "valid_pre_fp") && cJSON_IsString(st) &&
                   strcmp(st->valuestring, "ok") == 0 && get_array(o, "struct_fp", c->sfp, 61) &&
                   get_array(o, "comp_fp", raw, 132);
        if (c->valid)
            for (int i = 0; i < 132; i++) {
                double t = (raw[i] - mmsc_comp_scaler_means[i]) / mmsc_comp_scaler_stds[i];
                c->cfp[i] = isnan(t) ? 0.0 : t;
            }
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "density");
        c->density = cJSON_IsNumber(d) ? d->valuedouble : NAN;
        const cJSON *ne = cJSON_GetObjectItemCaseSensitive(o, "n_unique_elements");
        c->nelems = cJSON_IsNumber(ne) ? ne->valuedouble : NAN;
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    return 0;
}

void nv_free(nv_set *s)
{
    free(s->c);
    s->c = NULL;
    s->n = 0;
}

double nv_dist(const double *a, const double *b, size_t dim)
{
    double s = 0;
    for (size_t j = 0; j < dim; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return sqrt(s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* scipy _cdf_distance(1, u, v): sort the concatenation, diff, searchsorted
 * 'right' (here: counting), |u_cdf - v_cdf| * delta summed in order. */
double nv_wasserstein(const double *u, size_t nu, const double *v, size_t nv)
{
    size_t n = nu + nv;
    double *all = malloc(n * sizeof *all);
    memcpy(all, u, nu * sizeof *u);
    memcpy(all + nu, v, nv * sizeof *v);
    qsort(all, n, sizeof *all, cmp_double);
    double sum = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        size_t cu = 0, cv = 0;
        for (size_t i = 0; i < nu; i++)
            cu += u[i] <= all[k];
        for (size_t i = 0; i < nv; i++)
            cv += v[i] <= all[k];
        sum += fabs((double)cu / (double)nu - (double)cv / (double)nv) * (all[k + 1] - all[k]);
    }
    free(all);
    return sum;
}

/* Rows of the valid crystals among the counted ones. */
static size_t valid_rows(const nv_set *s, const nv_crystal **rows)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i].counted && s->c[i].valid)
            rows[m++] = &s->c[i];
    return m;
}

static double mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

static double pdist_mean(const nv_crystal **g, size_t n, int comp)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, k++)
            s += comp ? nv_dist(g[i]->cfp, g[j]->cfp, 132) : nv_dist(g[i]->sfp, g[j]->sfp, 61);
    return s / (double)k;
}

/* Minimum distances both ways from the full matrices. */
static void min_both(const nv_crystal **g, size_t ng, const nv_crystal **r, size_t nr, int comp,
                     double *gmin, double *rmin)
{
    double *m = malloc(ng * nr * sizeof *m);
    for (size_t i = 0; i < ng; i++)
        for (size_t j = 0; j < nr; j++)
            m[i * nr + j] = comp ? nv_dist(g[i]->cfp, r[j]->cfp, 132)
                                 : nv_dist(g[i]->sfp, r[j]->sfp, 61);
    for (size_t i = 0; i < ng; i++) {
        gmin[i] = INFINITY;
        for (size_t j = 0; j < nr; j++)
            gmin[i] = fmin(gmin[i], m[i * nr + j]);
    }
    for (size_t j = 0; j < nr; j++) {
        rmin[j] = INFINITY;
        for (size_t i = 0; i < ng; i++)
            rmin[j] = fmin(rmin[j], m[i * nr + j]);
    }
    free(m);
}

void nv_compute(const nv_set *gen, const nv_set *ref, const nv_set *nref, double cs, double cc,
                double ns, double nc, nv_table *t)
{
    size_t counted = 0, sv = 0, cv = 0, v = 0;
    for (size_t i = 0; i < gen->n; i++)
        if (gen->c[i].counted) {
            counted++;
            sv += (size_t)gen->c[i].struct_valid;
            cv += (size_t)gen->c[i].comp_valid;
            v += (size_t)gen->c[i].valid;
        }
    t->comp_valid = (double)cv / (double)counted;
    t->struct_valid = (double)sv / (double)counted;
    t->valid = (double)v / (double)counted;

    const nv_crystal **g = malloc(gen->n * sizeof *g), **r = malloc(ref->n * sizeof *r);
    const nv_crystal **q = malloc(nref->n * sizeof *q);
    size_t ng = valid_rows(gen, g), nr = valid_rows(ref, r), nq = valid_rows(nref, q);
    t->comp_div = pdist_mean(g, ng, 1);
    t->struct_div = pdist_mean(g, ng, 0);

    /* densities and element counts: valid generated vs every counted reference */
    double *gd = malloc(ng * sizeof *gd), *gn = malloc(ng * sizeof *gn);
    double *rd = malloc(ref->n * sizeof *rd), *rn = malloc(ref->n * sizeof *rn);
    size_t nrd = 0, nrn = 0;
    for (size_t i = 0; i < ng; i++) {
        gd[i] = g[i]->density;
        gn[i] = g[i]->nelems;
    }
    for (size_t i = 0; i < ref->n; i++)
        if (ref->c[i].counted) {
            if (!isnan(ref->c[i].density))
                rd[nrd++] = ref->c[i].density;
            rn[nrn++] = ref->c[i].nelems;
        }
    t->wdist_density = nv_wasserstein(gd, ng, rd, nrd);
    t->wdist_num_elems = nv_wasserstein(gn, ng, rn, nrn);

    double *gs = malloc(ng * sizeof *gs), *gc = malloc(ng * sizeof *gc);
    double *rs = malloc(nr * sizeof *rs), *rc = malloc(nr * sizeof *rc);
    min_both(g, ng, r, nr, 0, gs, rs);
    min_both(g, ng, r, nr, 1, gc, rc);
    size_t rec = 0, prec = 0;
    for (size_t j = 0; j < nr; j++)
        rec += rs[j] <= cs && rc[j] <= cc;
    for (size_t i = 0; i < ng; i++)
        prec += gs[i] <= cs && gc[i] <= cc;
    t->cov_recall = (double)rec / (double)nr;
    t->cov_precision = (double)prec / (double)ng;
    t->amsd_recall = mean(rs, nr);
    t->amsd_precision = mean(gs, ng);
    t->amcd_recall = mean(rc, nr);
    t->amcd_precision = mean(gc, ng);

    t->struc_novelty = t->comp_novelty = t->novelty = NAN;
    if (ns >= 0 && nc >= 0) {
        double *qs = malloc(nq * sizeof *qs), *qc = malloc(nq * sizeof *qc);
        min_both(g, ng, q, nq, 0, gs, qs);
        min_both(g, ng, q, nq, 1, gc, qc);
        size_t a = 0, b = 0, e = 0;
        for (size_t i = 0; i < ng; i++) {
            a += gs[i] > ns;
            b += gc[i] > nc;
            e += gs[i] > ns || gc[i] > nc;
        }
        t->struc_novelty = (double)a / (double)ng;
        t->comp_novelty = (double)b / (double)ng;
        t->novelty = (double)e / (double)ng;
        free(qs);
        free(qc);
    }
    free(g);
    free(r);
    free(q);
    free(gd);
    free(gn);
    free(rd);
    free(rn);
    free(gs);
    free(gc);
    free(rs);
    free(rc);
}
