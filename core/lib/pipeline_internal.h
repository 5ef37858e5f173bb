/* The pipeline's record and the report built from it (pipeline.c,
 * report.c); includes the other internal headers the two use (not installed). */
#ifndef MMSCORE_PIPELINE_INTERNAL_H
#define MMSCORE_PIPELINE_INTERNAL_H

#include "host_internal.h"
#include "input_internal.h"
#include "util_internal.h"
#include "values_internal.h"

/* A record as the pipeline holds it; `pub` points into the owned fields. */
typedef struct pipe_record {
    mms_record pub;
    char *id;               /* owned */
    char *source;           /* owned */
    char *set;              /* owned */
    mms_structure *structure;  /* owned, NULL if none */
    cJSON *fields;          /* owned, NULL if none */
    mms_error error;        /* code MMS_OK when the record read */
    mms_values *values;     /* all plugins' per-record values */
    cJSON *plugin_errors;   /* owned, NULL if none */
    size_t in_batch;        /* earlier records of its set in the same batch */
} pipe_record;

/* Report building: the per-record JSON line (numbers already made exact);
 * with_fields adds the record's other CSV/JSONL fields under "fields"
 * (not the structure's own column: cif, text, or `column` when set). */
cJSON *mms_report_record(const pipe_record *r, int with_fields, const char *column);

/* Replace every number below node by a raw item that prints the shortest
 * text reading back to the same double (cJSON's own printing is not exact). */
void mms_json_exact_numbers(cJSON *node);

#endif
