/* Small read helpers over cJSON records for the pipeline and CLI tests. */
#ifndef MMSCORE_TEST_JSON_VIEW_H
#define MMSCORE_TEST_JSON_VIEW_H

#include <cjson/cJSON.h>

/* String value of key, "" when absent or not a string. */
static inline const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Number value of key, -1 when absent or not a number. */
static inline double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

#endif
