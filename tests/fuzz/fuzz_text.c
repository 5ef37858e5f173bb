/* Fuzz target: the crystal-text-llm text reader (mms_read_text). */
#define FUZZ_READ mms_read_text
#define FUZZ_SOURCE "fuzz.txt"
#include "fuzz_cif.c"
