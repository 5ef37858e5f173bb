/* crosscheck PLUGIN.so FILE.cif...: the core's CIF reader against Open Babel's
 * (through the openbabel plugin, format "cif") on each file.  One line per
 * file that differs, with the reason, then the counts.  Compared: the first
 * structure of each file, its composition (element amounts, 1e-6), cell
 * lengths and angles (1e-6 relative) and volume (1e-6 relative). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/mmscore.h"
#include "roundtrip.h"

typedef struct first {
    mms_structure *s;
    int errors;
    char error[MMS_ERROR_MESSAGE_MAX];
} first;

static int keep_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    first *f = ctx;
    if (!s) {
        if (!f->s && !f->errors++)
            snprintf(f->error, sizeof f->error, "%s", err->message);
        return MMS_OK;
    }
    if (f->s)
        mms_structure_free(s);
    else
        f->s = s;
    return MMS_OK;
}

static int close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b));
}

/* NULL if the two agree, else the reason. */
static const char *compare(const mms_structure *a, const mms_structure *b, char *why, size_t n)
{
    int same_comp = a->n_elements == b->n_elements;
    for (size_t i = 0; same_comp && i < a->n_elements; i++)
        same_comp = a->element_z[i] == b->element_z[i] &&
                    fabs(a->element_amount[i] - b->element_amount[i]) <= 1e-6;
    if (!same_comp) {
        char fa[256] = "?", fb[256] = "?";
        mms_error e;
        mms_structure_formula_reduced(a, fa, sizeof fa, &e);
        mms_structure_formula_reduced(b, fb, sizeof fb, &e);
        snprintf(why, n, "composition: core %zu sites %s, Open Babel %zu sites %s", a->n_sites,
                 fa, b->n_sites, fb);
        return why;
    }
    for (int k = 0; k < 3; k++)
        if (!close_rel(a->abc[k], b->abc[k]) || !close_rel(a->angles[k], b->angles[k])) {
            snprintf(why, n, "cell: core %.6g %.6g %.6g / %.6g %.6g %.6g, Open Babel %.6g %.6g "
                     "%.6g / %.6g %.6g %.6g", a->abc[0], a->abc[1], a->abc[2], a->angles[0],
                     a->angles[1], a->angles[2], b->abc[0], b->abc[1], b->abc[2], b->angles[0],
                     b->angles[1], b->angles[2]);
            return why;
        }
    if (!close_rel(a->volume, b->volume)) {
        snprintf(why, n, "volume: core %.9g, Open Babel %.9g", a->volume, b->volume);
        return why;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: crosscheck PLUGIN.so FILE.cif...\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    mms_plugin_entry_fn entry = NULL;
    if (h)
        *(void **)&entry = dlsym(h, MMS_PLUGIN_ENTRY_SYMBOL);
    const mms_plugin *ob = entry ? entry() : NULL;
    void *state = NULL;
    mms_error err;
    if (!ob || ob->abi_version != MMS_PLUGIN_ABI_VERSION || ob->create(&state, NULL, &err)) {
        fprintf(stderr, "crosscheck: cannot load %s: %s\n", argv[1], h ? "bad plugin" : dlerror());
        return 2;
    }
    long files = 0, agree = 0, core_only = 0, ob_only = 0, neither = 0, differ = 0;
    for (int i = 2; i < argc; i++) {
        size_t len = 0;
        char *text = rt_slurp(argv[i], &len);
        if (!text) {
            fprintf(stderr, "crosscheck: cannot read %s\n", argv[i]);
            continue;
        }
        files++;
        first a = {0}, b = {0};
        mms_read_options opt = {0};
        opt.source = argv[i];
        if (mms_read_cif(text, len, &opt, keep_first, &a, &err) != MMS_OK && !a.errors)
            snprintf(a.error, sizeof a.error, "%s", err.message);
        if (ob->read(state, "cif", text, len, &opt, keep_first, &b, &err) != MMS_OK && !b.errors)
            snprintf(b.error, sizeof b.error, "%s", err.message);
        char why[1024];
        if (a.s && b.s) {
            const char *d = compare(a.s, b.s, why, sizeof why);
            if (d) {
                differ++;
                printf("DIFFER  %s: %s\n", argv[i], d);
            } else {
                agree++;
            }
        } else if (a.s) {
            core_only++;
            printf("CORE    %s: Open Babel: %s\n", argv[i], b.error[0] ? b.error : "no structure");
        } else if (b.s) {
            ob_only++;
            printf("OB      %s: core: %s\n", argv[i], a.error);
        } else {
            neither++;
        }
        mms_structure_free(a.s);
        mms_structure_free(b.s);
        free(text);
    }
    printf("%ld files: both read and agree %ld, differ %ld, only the core reads %ld, only Open "
           "Babel reads %ld, neither %ld\n",
           files, agree, differ, core_only, ob_only, neither);
    ob->destroy(state);
    dlclose(h);
    return 0;
}
