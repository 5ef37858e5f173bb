/* choice_tool — runs both extractors over a JSONL file, without the CLI.
 *
 *   choice_tool FILE.jsonl            one JSON line per record:
 *                                     {id, gold, mmsci_pred, mmsci_path, strict_pred, strict_path}
 *   choice_tool --bench R FILE.jsonl  extraction throughput over R rounds
 *
 * Used by compare_full.sh and tests/bench/choice.sh; the plugin reads records
 * with the same item.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "item.h"

static const choice_fields names = {"question", "options", "gold", "raw_output", 0};

static char *slurp_line(FILE *f, size_t *cap, char **buf)
{
    ssize_t k = getline(buf, cap, f);
    return k < 0 ? NULL : *buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void put_letter(char c)
{
    if (c) printf("\"%c\"", c);
    else fputs("null", stdout);
}

int main(int argc, char **argv)
{
    int rounds = 0;
    int a = 1;
    if (argc > 3 && strcmp(argv[1], "--bench") == 0) rounds = atoi(argv[2]), a = 3;
    if (a >= argc) {
        fprintf(stderr, "usage: %s [--bench ROUNDS] FILE.jsonl\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[a], "r");
    if (!f) {
        perror(argv[a]);
        return 1;
    }
    size_t cap = 0, n = 0, room = 0;
    char *buf = NULL;
    cJSON **recs = NULL;
    choice_item *items = NULL;
    long line = 0;
    int status = 0;
    while (slurp_line(f, &cap, &buf)) {
        line++;
        cJSON *j = cJSON_Parse(buf);
        mms_error err;
        mms_error_clear(&err);
        choice_item it;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        if (!j || choice_item_read(j, &names, &it, &err)) {
            fprintf(stderr, "%s:%ld: record %s: %s\n", argv[a], line,
                    cJSON_IsString(id) ? id->valuestring : "?", j ? err.message : "not JSON");
            cJSON_Delete(j);
            status = 1;
            continue;
        }
        if (n == room) {
            room = room ? 2 * room : 1024;
            recs = realloc(recs, room * sizeof *recs);
            items = realloc(items, room * sizeof *items);
            if (!recs || !items) return 1;
        }
        recs[n] = j;
        items[n++] = it;
    }
    fclose(f);
    free(buf);
    if (rounds > 0) {
        for (int mode = 1; mode >= 0; mode--) {
            volatile unsigned sink = 0;
            double t0 = now();
            for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < n; i++) {
                    choice_result res;
                    choice_item_extract(&items[i], mode, &res);
                    sink += (unsigned)res.letter;
                }
            double dt = now() - t0;
            printf("%s %zu %.6f\n", mode ? "mmsci" : "strict", n * (size_t)rounds, dt);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            choice_result m, s;
            choice_item_extract(&items[i], 1, &m);
            choice_item_extract(&items[i], 0, &s);
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(recs[i], "id");
            printf("{\"id\": \"%s\", \"gold\": \"%c\", \"mmsci_pred\": ",
                   cJSON_IsString(id) ? id->valuestring : "", items[i].gold);
            put_letter(m.letter);
            printf(", \"mmsci_path\": \"%s\", \"strict_pred\": ", m.path);
            put_letter(s.letter);
            printf(", \"strict_path\": \"%s\"}\n", s.path);
        }
    }
    for (size_t i = 0; i < n; i++) cJSON_Delete(recs[i]);
    free(recs);
    free(items);
    return status;
}
