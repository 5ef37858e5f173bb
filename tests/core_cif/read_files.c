/* read_files FILE...: each file through mms_read_cif (and mms_read_text),
 * one line per file: blocks read, block errors, the first error.  For
 * running conformance suites under ASan/UBSan (cod_conformance.sh). */
#include <stdio.h>
#include <stdlib.h>

#include "compare.h"
#include "mmscore/reader.h"

typedef struct tally {
    int ok, bad;
    mms_error first;
} tally;

static int count(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    tally *t = ctx;
    if (s) {
        t->ok++;
        mms_structure_free(s);
    } else if (t->bad++ == 0) {
        t->first = *err;
    }
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t len;
        char *text = cmp_slurp(argv[i], &len);
        if (!text) {
            printf("%s: cannot read\n", argv[i]);
            continue;
        }
        tally t = {0};
        mms_error e;
        int rc = mms_read_cif(text, len, NULL, count, &t, &e);
        tally tt = {0};
        mms_error te;
        mms_read_text(text, len, NULL, count, &tt, &te); /* must not crash either */
        printf("%s: %s, %d structure(s), %d block error(s)%s%s\n", argv[i],
               rc == MMS_OK ? "ok" : e.message, t.ok, t.bad, t.bad ? ": " : "",
               t.bad ? t.first.message : "");
        free(text);
    }
    return 0;
}
