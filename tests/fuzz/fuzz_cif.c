/* Fuzz target: the CIF 1.1 reader (mms_read_cif), every block; fuzz_text.c
 * builds the same harness around the crystal-text-llm reader. */
#include "fuzz_structure.h"

#ifndef FUZZ_READ
#define FUZZ_READ mms_read_cif
#define FUZZ_SOURCE "fuzz.cif"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small limits: the fuzzer looks for crashes, not for big cells. */
    mms_read_options o = {.max_sites = 2000, .max_line_len = 1u << 16, .source = FUZZ_SOURCE};
    mms_error e;
    FUZZ_READ((const char *)data, size, &o, fuzz_take_structure, &o, &e);
    return 0;
}
