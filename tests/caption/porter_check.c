/* Not a test: measures whether Debian's libstemmer "porter" stems like
 * nltk 3.8's PorterStemmer (NLTK_EXTENSIONS), which rouge_score and METEOR
 * use.  Reads the fixture intermediates (captions.tokens.jsonl: ROUGE tokens
 * plain and stemmed by the reference), stems every token longer than 3
 * characters with libstemmer and with our port, and counts agreements.
 *
 *   porter_check TOKENS.jsonl */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libstemmer.h>

#include "porter.h"

static void pairs(const cJSON *plain, const cJSON *stem, struct sb_stemmer *sb, long *n,
                  long *lib_ok, long *ours_ok, int list)
{
    if (!cJSON_IsArray(plain) || !cJSON_IsArray(stem) ||
        cJSON_GetArraySize(plain) != cJSON_GetArraySize(stem))
        return;
    for (int i = 0; i < cJSON_GetArraySize(plain); i++) {
        const char *w = cJSON_GetArrayItem(plain, i)->valuestring;
        const char *want = cJSON_GetArrayItem(stem, i)->valuestring;
        if (strlen(w) <= 3)
            continue;
        (*n)++;
        const char *lib = (const char *)sb_stemmer_stem(sb, (const sb_symbol *)w, (int)strlen(w));
        char *ours = NULL;
        cap_porter_stem_utf8(w, &ours);
        if (lib && strcmp(lib, want) == 0)
            (*lib_ok)++;
        else if (list)
            printf("libstemmer: %s -> %s (nltk %s)\n", w, lib ? lib : "?", want);
        if (ours && strcmp(ours, want) == 0)
            (*ours_ok)++;
        else
            printf("OURS DIFFER: %s -> %s (nltk %s)\n", w, ours ? ours : "?", want);
        free(ours);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: porter_check TOKENS.jsonl [--list]\n");
        return 2;
    }
    int list = argc > 2 && strcmp(argv[2], "--list") == 0;
    FILE *f = fopen(argv[1], "r");
    if (!f)
        return 2;
    struct sb_stemmer *sb = sb_stemmer_new("porter", "UTF_8");
    if (!sb)
        return 2;
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    long n = 0, lib_ok = 0, ours_ok = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "rouge_tokens");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "rouge_tokens_stem");
        pairs(cJSON_GetObjectItemCaseSensitive(p, "candidate"),
              cJSON_GetObjectItemCaseSensitive(s, "candidate"), sb, &n, &lib_ok, &ours_ok, list);
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(p, "references");
        const cJSON *sr = cJSON_GetObjectItemCaseSensitive(s, "references");
        for (int i = 0; i < cJSON_GetArraySize(pr); i++)
            pairs(cJSON_GetArrayItem(pr, i), cJSON_GetArrayItem(sr, i), sb, &n, &lib_ok, &ours_ok,
                  list);
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    sb_stemmer_delete(sb);
    printf("tokens longer than 3 characters: %ld\n", n);
    printf("libstemmer porter agrees with nltk: %ld (%.2f%%)\n", lib_ok, 100.0 * (double)lib_ok / (double)n);
    printf("our nltk port agrees with nltk:     %ld (%.2f%%)\n", ours_ok, 100.0 * (double)ours_ok / (double)n);
    return 0;
}
