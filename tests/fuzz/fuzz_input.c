/* Fuzz target: the input layer.  Each input is read as each core kind
 * through mms_pipeline_add_buffer (CIF, crystal-text-llm text, CSV, JSONL),
 * then as stdin ("-"), where its format is sniffed.  No scorer is loaded:
 * what is checked is the reading and the accounting — one complete JSON
 * line per record, and records = read + failed in the summary. */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mmscore/host.h"
#include "mmscore/mmscore.h"

static mms_host *host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mms_error e;
    if (mms_host_new(&host, &e) != MMS_OK)
        abort();
    return 0;
}

static void check_run(const char *records, size_t len, const cJSON *summary)
{
    double n = cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "records"));
    double read = cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "read"));
    double failed = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(summary, "failed"))
        failed += c->valuedouble;
    FUZZ_CHECK(n == read + failed);
    size_t lines = 0;
    for (const char *p = records; p < records + len;) {
        const char *nl = memchr(p, '\n', (size_t)(records + len - p));
        FUZZ_CHECK(nl != NULL);
        cJSON *r = cJSON_ParseWithLength(p, (size_t)(nl - p));
        FUZZ_CHECK(cJSON_IsObject(r));
        const cJSON *ok = cJSON_GetObjectItem(r, "ok");
        FUZZ_CHECK(cJSON_IsBool(ok));
        if (cJSON_IsFalse(ok)) {
            const cJSON *e = cJSON_GetObjectItem(r, "error");
            FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
            FUZZ_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "line")) >= 1);
        }
        cJSON_Delete(r);
        lines++;
        p = nl + 1;
    }
    FUZZ_CHECK((double)lines == n);
}

/* kind NULL: through stdin. */
static void run(const char *kind, const uint8_t *data, size_t size)
{
    char *records = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&records, &len);
    if (!out)
        return;
    mms_pipeline_options opt = {.version = MMS_PIPELINE_OPTIONS_VERSION, .threads = 1,
                                .records = out, .max_atoms = 2000,
                                .max_record_bytes = 1u << 20, .max_line_bytes = 1u << 16};
    mms_pipeline *p = NULL;
    mms_error e;
    cJSON *summary = NULL;
    int rc = mms_pipeline_new(&p, host, &opt, &e);
    if (rc == MMS_OK)
        rc = mms_pipeline_start(p, &e);
    if (rc == MMS_OK) {
        rc = kind ? mms_pipeline_add_buffer(p, "fuzz", kind, (const char *)data, size, "input", &e)
                  : mms_pipeline_add_input(p, "-", "input", &e);
        FUZZ_CHECK(rc == MMS_OK || rc == MMS_EIO || rc == MMS_EUNSUPPORTED ||
                   rc == MMS_ENOMEM || rc == MMS_EPARSE || rc == MMS_ELIMIT);
        if (mms_pipeline_finish(p, &summary, &e) != MMS_OK)
            summary = NULL;
    }
    fclose(out);
    if (summary)
        check_run(records, len, summary);
    cJSON_Delete(summary);
    mms_pipeline_free(p);
    free(records);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"cif", "text", "csv", "jsonl"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        run(kinds[k], data, size);
    /* stdin: a fresh file behind descriptor 0; the seek drops stdio's
     * buffer of the previous input. */
    FILE *t = tmpfile();
    if (!t)
        return 0;
    if (fwrite(data, 1, size, t) == size && fflush(t) == 0 && dup2(fileno(t), 0) == 0) {
        clearerr(stdin);
        if (fseek(stdin, 0, SEEK_SET) == 0)
            run(NULL, data, size);
    }
    fclose(t);
    return 0;
}
