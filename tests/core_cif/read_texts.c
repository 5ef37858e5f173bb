/* read_texts FILE: FILE holds crystal-text-llm texts separated by NUL bytes;
 * prints one line per text: "ok n_sites formula volume" or "err message".
 * Used by text_parity.py to compare mms_read_text with the reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "mmscore/reader.h"

static int print_one(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)ctx;
    (void)block;
    char f[512];
    if (s) {
        mms_structure_formula_reduced(s, f, sizeof f, NULL);
        printf("ok %zu %s %.17g\n", s->n_sites, f, s->volume);
        mms_structure_free(s);
    } else {
        printf("err %s\n", err->message);
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t n;
    char *t = argc > 1 ? cmp_slurp(argv[1], &n) : NULL;
    if (!t) {
        fprintf(stderr, "usage: read_texts FILE (texts separated by NUL bytes)\n");
        return 1;
    }
    for (char *p = t; p < t + n;) {
        size_t k = strlen(p);
        mms_error e;
        mms_read_text(p, k, NULL, print_one, NULL, &e);
        p += k + 1;
    }
    free(t);
    return 0;
}
