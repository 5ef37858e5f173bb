/* Test scorers that misbehave on one record, chosen by id, for the
 * isolation tests: FAULTY_CRASH builds "crashy" (segfault, abort, exit or
 * stack overflow), FAULTY_HANG builds "loopy" (loops forever).  Every other
 * record gets values computed from its id and index, so a test can check
 * that they came through isolation unchanged. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/plugin.h"

#ifdef FAULTY_CRASH
#define NAME "crashy"
#define M_LEN "crashy_len"
#define M_X "crashy_x"
#define S_N "crashy_n"
#define S_SUM "crashy_sum"
#else
#define NAME "loopy"
#define M_LEN "loopy_len"
#define M_X "loopy_x"
#define S_N "loopy_n"
#define S_SUM "loopy_sum"
#endif

typedef struct cfg {
    char on[64];
    char how[16];
} cfg;

typedef struct acc {
    long n;
    double sum;
} acc;

static int create(void **state, const cJSON *config, mms_error *err)
{
    cfg *c = calloc(1, sizeof *c);
    if (!c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    const cJSON *on = cJSON_GetObjectItem(config, "fault_on");
    const cJSON *how = cJSON_GetObjectItem(config, "crash_how");
    strncpy(c->on, cJSON_IsString(on) ? on->valuestring : "", sizeof c->on - 1);
    strncpy(c->how, cJSON_IsString(how) ? how->valuestring : "segv", sizeof c->how - 1);
    *state = c;
    return MMS_OK;
}

static void destroy(void *state)
{
    free(state);
}

#ifdef FAULTY_CRASH
static volatile int sink;
static int *volatile nowhere; /* NULL the compiler cannot see through */

/* Deep enough to overflow any thread stack. */
static int recurse(volatile char *p, int depth)
{
    volatile char big[4096];
    if (depth == -1) /* never: keeps the compiler from calling it infinite */
        return 0;
    big[0] = (char)depth;
    big[4095] = p ? p[0] : 0;
    return recurse(big, depth + 1) + big[4095];
}

static void misbehave(const cfg *c)
{
    if (!strcmp(c->how, "abort"))
        abort();
    if (!strcmp(c->how, "exit"))
        exit(3);
    if (!strcmp(c->how, "stack"))
        sink = recurse(NULL, 0);
    sink = *nowhere;
}
#else
static void misbehave(const cfg *c)
{
    (void)c;
    for (volatile unsigned long i = 0;; i++)
        ;
}
#endif

static int score(void *state, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier;
    (void)err;
    const cfg *c = state;
    if (rec->id && !strcmp(rec->id, c->on))
        misbehave(c);
    size_t len = rec->id ? strlen(rec->id) : 0;
    mms_values_set_int(out, M_LEN, (long long)len);
    /* Numbers that do not print short: they must come back bit for bit. */
    mms_values_set_number(out, M_X, 0.1 * (double)rec->index + 1.0 / 3.0);
    return MMS_OK;
}

static int acc_new(void *state, void **a, mms_error *err)
{
    (void)state;
    *a = calloc(1, sizeof(acc));
    return *a ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

static int acc_add(void *state, void *a, const mms_record *rec, const mms_values *v,
                   mms_error *err)
{
    (void)state;
    (void)rec;
    (void)err;
    acc *x = a;
    double d;
    x->n++;
    if (mms_values_get_number(v, M_X, &d) == MMS_OK)
        x->sum += d;
    return MMS_OK;
}

static int acc_finish(void *state, void *a, mms_values *summary, mms_error *err)
{
    (void)state;
    (void)err;
    const acc *x = a;
    mms_values_set_int(summary, S_N, x->n);
    mms_values_set_number(summary, S_SUM, x->sum);
    return MMS_OK;
}

static void acc_free(void *state, void *a)
{
    (void)state;
    free(a);
}

static const mms_option_def options[] = {
#ifdef FAULTY_CRASH
    {"fault_on", MMS_OPT_STRING, "r123", "id of the record to crash on"},
    {"crash_how", MMS_OPT_STRING, "segv", "segv, abort, exit or stack"},
#else
    {"fault_on", MMS_OPT_STRING, "r077", "id of the record to loop forever on"},
#endif
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {{M_LEN, "int", "length of the record id"},
                                         {M_X, "number", "0.1 * index + 1/3"},
                                         {NULL, NULL, NULL}};
static const mms_metric_def summary[] = {{S_N, "int", "records seen by the accumulator"},
                                         {S_SUM, "number", "sum of " M_X},
                                         {NULL, NULL, NULL}};

static const mms_plugin desc = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = NAME,
    .version = "1.0.0",
    .description = "isolation test scorer that misbehaves on one record",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_FIELDS, /* fields-only records, as QA scorers take them */
    .options = options,
    .metrics = metrics,
    .summary = summary,
    .create = create,
    .destroy = destroy,
    .score = score,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &desc;
}
