/* Fuzz target: the caption tokenizers and metrics (plugins/caption): the
 * first line is the candidate, the next lines (up to 4) its references;
 * every tokenizer also sees the whole input. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "score.h"
#include "wordnet.h"
#include "wordtok.h"

#ifndef CAPTION_WORDNET_DIR
#define CAPTION_WORDNET_DIR "/usr/share/wordnet"
#endif

static cap_wordnet *wn; /* NULL without WordNet: METEOR's exact stage only */
static cap_punkt *pk;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mms_error e;
    if (cap_wordnet_open(CAPTION_WORDNET_DIR, &wn, &e) != MMS_OK)
        wn = NULL;
    if (cap_punkt_new(&pk, &e) != MMS_OK) {
        fprintf(stderr, "fuzz_caption: %s\n", e.message);
        abort();
    }
    return 0;
}

static void tokenize_all(const char *s, size_t n)
{
    cap_toks t;
    for (int k = 0; k < 5; k++) {
        memset(&t, 0, sizeof t);
        int rc = k < 2   ? cap_tok13a(s, n, k, &t)
                 : k < 4 ? cap_rouge_tokenize(s, n, k - 2, &t)
                         : cap_word_tokenize(pk, s, n, &t);
        FUZZ_CHECK(rc == MMS_OK || rc == MMS_ENOMEM || rc == MMS_EPARSE || rc == MMS_ELIMIT);
        for (size_t i = 0; rc == MMS_OK && i < t.n; i++)
            FUZZ_CHECK(t.v[i] != NULL);
        cap_toks_free(&t);
    }
}

static void check_unit(double x)
{
    FUZZ_CHECK(isnan(x) || (x >= 0 && x <= 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 10))
        return 0; /* ROUGE-L is quadratic: long inputs only cost time */
    tokenize_all((const char *)data, size);
    /* Lines as NUL-terminated strings (a NUL byte ends its line early). */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *refs[4];
    size_t nrefs = 0;
    char *cand = copy, *p = strchr(copy, '\n');
    while (p && nrefs < 4) {
        *p = '\0';
        refs[nrefs++] = p + 1;
        p = strchr(p + 1, '\n');
    }
    if (p)
        *p = '\0';
    if (nrefs) {
        cap_ctx ctx = {.wn = wn, .pk = pk, .rouge_stemmer = (int)(size & 1),
                       .mmsci_quirk = 0, .max_cells = 1u << 20};
        cap_pair_scores sc;
        int rc = cap_score_pair(&ctx, cand, refs, nrefs, &sc);
        FUZZ_CHECK(rc == MMS_OK || rc == MMS_ELIMIT || rc == MMS_ENOMEM);
        if (rc == MMS_OK && !sc.skipped) {
            check_unit(sc.rouge.r1.fmeasure);
            check_unit(sc.rouge.r2.fmeasure);
            check_unit(sc.rouge.rl.fmeasure);
            check_unit(sc.rouge.rlsum.fmeasure);
            check_unit(sc.meteor);
            if (sc.bleu.ok)
                check_unit(sc.bleu.bleu);
        }
    }
    free(copy);
    return 0;
}
