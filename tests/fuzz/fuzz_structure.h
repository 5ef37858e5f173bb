/* What every structure a reader hands out must satisfy, for the CIF and
 * crystal-text-llm harnesses. */
#ifndef MMSCORE_FUZZ_STRUCTURE_H
#define MMSCORE_FUZZ_STRUCTURE_H

#include "fuzz.h"
#include "mmscore/mmscore.h"

/* mms_structure_cb: check then free a structure, or check an error. */
static int fuzz_take_structure(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    const mms_read_options *o = ctx;
    FUZZ_CHECK(s || (err && err->code != MMS_OK && err->message[0]));
    if (!s)
        return MMS_OK;
    FUZZ_CHECK(s->n_sites >= 1 && s->n_sites <= o->max_sites);
    for (size_t i = 0; i < s->n_sites; i++) {
        const mms_site *site = &s->sites[i];
        FUZZ_CHECK(site->n_species >= 1 && site->n_species <= MMS_MAX_SITE_SPECIES);
        for (int k = 0; k < site->n_species; k++)
            FUZZ_CHECK(site->species[k].z >= 1 && site->species[k].z <= 118);
    }
    mms_structure_free(s);
    return MMS_OK;
}

#endif
