/* choice — one multiple-choice item read from a JSONL record's fields.
 * Shared by the plugin and the comparison tool so both read records alike. */
#ifndef MMSCORE_CHOICE_ITEM_H
#define MMSCORE_CHOICE_ITEM_H

#include <cjson/cJSON.h>
#include <mmscore/error.h>

#include "extract.h"

/* Field names to read; borrowed strings. */
typedef struct choice_fields {
    const char *question;
    const char *options;
    const char *gold;
    const char *output;
    /* MMSci's rule needs no options: when set, a record without any is read
     * with an empty mask and any gold letter A-Z. */
    int options_optional;
} choice_fields;

/* Borrowed views into the record's cJSON fields: valid while they live. */
typedef struct choice_item {
    const char *output;
    size_t output_len;
    choice_options options;
    char gold; /* 'A'..'Z' */
} choice_item;

/* Longest model output we read; longer replies are an MMS_ELIMIT error so
 * that hostile input costs bounded time. */
#define CHOICE_MAX_OUTPUT (4u << 20)

/* Reads output, options (an object {"A": text}, an array of texts, or else
 * the option lines of the question) and the gold letter (a letter in either
 * case, optionally "(B)"/"B.", or the text of one option).  On a malformed
 * record returns MMS_EPARSE/MMS_ELIMIT with a message naming the field. */
int choice_item_read(const cJSON *fields, const choice_fields *names, choice_item *out,
                     mms_error *err);

/* Runs the chosen extractor on an item. */
void choice_item_extract(const choice_item *it, int mmsci, choice_result *r);

#endif
