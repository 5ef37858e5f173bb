/* Generated hostile inputs for the robustness test (see generate.c). */
#ifndef RB_GENERATE_H
#define RB_GENERATE_H
#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *name;       /* file name in the scratch folder */
    int records;            /* records the input holds, counted by construction */
    int exit_code;          /* documented exit status of every command on it */
    const char *commands;   /* v validate, f run --plugins fingerprint, c qa caption, q qa choice */
    const char *must_codes; /* comma list of error codes that must occur ("" = none required) */
    const char *extra_args; /* space-separated flags added to every command */
    void (*write)(FILE *f);
} rb_case_gen;

/* The table of generated cases (static storage). */
const rb_case_gen *rb_generated_cases(size_t *n);
/* Write one case as dir/name; path receives the file name.  0 or -1. */
int rb_generate(const rb_case_gen *g, const char *dir, char *path, size_t n);
#endif
