/* See match_cells.h. */
#include "match_cells.h"

#include <stdlib.h>
#include <string.h>

#include "mmscore/host.h"
#include "read_each.h"

static double num(const cJSON *config, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

int mmsc_match_options_from_config(mms_match_options *o, const cJSON *config, const char *preset_key,
                              mms_error *err)
{
    const char *preset = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, preset_key));
    int rc = mms_match_options_preset(o, preset ? preset : "default", err);
    if (rc) return rc;
    double x;
    if ((x = num(config, "ltol")) >= 0) o->ltol = x;
    if ((x = num(config, "stol")) >= 0) o->stol = x;
    if ((x = num(config, "angle_tol")) >= 0) o->angle_tol = x;
    if ((x = num(config, "match_primitive_cell")) >= 0) o->primitive_cell = x != 0;
    if ((x = num(config, "match_scale")) >= 0) o->scale = x != 0;
    if ((x = num(config, "match_attempt_supercell")) >= 0) o->attempt_supercell = x != 0;
    if ((x = num(config, "match_allow_subset")) >= 0) o->allow_subset = x != 0;
    const char *cmp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "match_comparator"));
    if (cmp && *cmp) {
        if (!strcmp(cmp, "species"))
            o->comparator = MMS_MATCH_SPECIES;
        else if (!strcmp(cmp, "element"))
            o->comparator = MMS_MATCH_ELEMENT;
        else
            return mms_error_set(err, MMS_EINVAL, 0, "comparator '%s': expected species or element", cmp);
    }
    if (o->attempt_supercell && o->allow_subset)
        return mms_error_set(err, MMS_EINVAL, 0, "allow_subset cannot be combined with attempt_supercell");
    return MMS_OK;
}

int mmsc_match_cell_of(mms_match_cell **out, const mms_match_options *o, const mms_structure *s,
                  int rebuild, mms_error *err)
{
    if (!rebuild) return mms_match_cell_from_structure(out, o, s, err);
    *out = NULL;
    size_t n = s->n_sites;
    if (n == 0) return mms_error_set(err, MMS_EINVAL, s->line, "cannot match an empty cell (no sites)");
    double lat[3][3];
    mms_lattice_from_parameters_capped(lat, s->abc, s->angles);
    double (*pos)[3] = malloc(n * sizeof *pos);
    int *z = malloc(n * sizeof *z);
    int rc = MMS_OK;
    if (!pos || !z) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    } else {
        for (size_t i = 0; i < n && !rc; i++) {
            const mms_site *st = &s->sites[i];
            if (st->n_species != 1 || st->species[0].occupancy != 1.0)
                rc = mms_error_set(err, MMS_EUNSUPPORTED, st->line ? st->line : s->line,
                                   "site %zu%s%s is disordered: structure matching needs ordered sites",
                                   i + 1, st->label[0] ? " " : "", st->label);
            memcpy(pos[i], st->frac, sizeof pos[i]);
            z[i] = st->species[0].z;
        }
        if (!rc)
            rc = mms_match_cell_new(out, o, (const double (*)[3])lat, n, (const double (*)[3])pos, z, NULL,
                                    NULL, err);
    }
    free(pos), free(z);
    return rc;
}

static int on_ref(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    (void)values;
    mmsc_match_refs *refs = ctx;
    if (refs->n == refs->cap) {
        size_t nc = refs->cap ? 2 * refs->cap : 256;
        mmsc_match_ref *t = realloc(refs->r, nc * sizeof *t);
        if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        refs->r = t, refs->cap = nc;
    }
    mmsc_match_ref *r = &refs->r[refs->n++];
    memset(r, 0, sizeof *r);
    r->id = strdup(rec->id ? rec->id : "");
    mms_error e;
    mms_error_clear(&e);
    if (!rec->structure)
        r->error = strdup(rec->error ? rec->error->message : "not a structure");
    else if (mmsc_match_cell_of(&r->cell, refs->o, rec->structure, refs->rebuild, &e))
        r->error = strdup(e.message);
    return MMS_OK;
}

/* The core reads the file (any format it knows) through a pipeline of its
 * own with no scorer: cb sees the records in input order. */
int mmsc_match_read_each(const char *path, const char *set,
                    int (*cb)(void *ctx, const mms_record *rec, mms_values *values, mms_error *err),
                    void *ctx, mms_error *err)
{
    return mmsc_read_each(path, set, NULL, cb, ctx, err);
}

int mmsc_match_refs_read(mmsc_match_refs *refs, const char *path, mms_error *err)
{
    return mmsc_match_read_each(path, "reference", on_ref, refs, err);
}

void mmsc_match_refs_free(mmsc_match_refs *refs)
{
    for (size_t i = 0; i < refs->n; i++) {
        free(refs->r[i].id), free(refs->r[i].error);
        mms_match_cell_free(refs->r[i].cell);
    }
    free(refs->r);
    refs->r = NULL, refs->n = refs->cap = 0;
}
