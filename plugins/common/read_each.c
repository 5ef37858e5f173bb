/* See read_each.h. */
#include "read_each.h"

#include "mmscore/host.h"

int mmsc_read_each(const char *path, const char *set, const char *format,
                   int (*cb)(void *ctx, const mms_record *rec, mms_values *values, mms_error *err),
                   void *ctx, mms_error *err)
{
    mms_host *h = NULL;
    mms_pipeline *p = NULL;
    mms_pipeline_options po = MMS_PIPELINE_OPTIONS_INIT;
    po.threads = 1, po.on_record = cb, po.on_record_ctx = ctx, po.format = format;
    cJSON *summary = NULL;
    int rc = mms_host_new(&h, err);
    if (!rc) rc = mms_pipeline_new(&p, h, &po, err);
    if (!rc) rc = mms_pipeline_start(p, err);
    if (!rc) rc = mms_pipeline_add_input(p, path, set, err);
    if (!rc) rc = mms_pipeline_finish(p, &summary, err);
    cJSON_Delete(summary);
    mms_pipeline_free(p);
    mms_host_free(h);
    return rc;
}
