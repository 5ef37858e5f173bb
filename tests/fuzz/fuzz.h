/* libFuzzer harness interface.  The same sources build two ways: with clang
 * and -fsanitize=fuzzer (MMSCORE_FUZZ=ON) they are fuzzers; otherwise
 * replay.c gives them a main() that runs saved inputs (the regression run
 * every build does). */
#ifndef MMSCORE_FUZZ_H
#define MMSCORE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: abort so the fuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#endif
