/* mms_values internals (values.c) the pipeline and report use (not installed). */
#ifndef MMSCORE_VALUES_INTERNAL_H
#define MMSCORE_VALUES_INTERNAL_H

#include <stddef.h>

#include "mmscore/host.h" /* declares mms_values_new/free (exported) */

/* A number array kept as doubles (values.c): slot is its empty place
 * holder in obj, filled when the JSON is read. */
typedef struct mms_values_packed {
    double *x; /* owned */
    size_t n;
    cJSON *slot; /* in obj */
} mms_values_packed;

struct mms_values {
    cJSON *obj; /* owned */
    mms_values_packed *packed; /* owned */
    size_t n_packed, cap_packed;
    int first_error; /* sticky: the first failed set_* since creation */
};

/* Take the object out (caller owns it) and leave v empty. */
cJSON *mms_values_detach(mms_values *v);
/* Make the elements of every packed number array (MMS_ENOMEM on failure). */
int mms_values_materialize(mms_values *v);
/* A copy (caller owns it; NULL if out of memory) of item, a value of v,
 * built straight from the doubles if it is a packed array. */
cJSON *mms_values_item_copy(const mms_values *v, const cJSON *item);
/* Moves every value of src into dst (replacing names dst has), keeping
 * packed arrays packed; src is left empty. */
int mms_values_move(mms_values *dst, mms_values *src);

#endif
