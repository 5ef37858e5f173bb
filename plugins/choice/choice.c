/* choice — multiple-choice answer extraction and accuracy (plugin).
 *
 * Per record: the extracted letter, whether it is right, and the rule that
 * decided.  Set part: accuracy overall and per subject/category/source/model,
 * the unparsed records, and for k samples per question (records sharing a
 * group id) the mean accuracy and the majority-vote accuracy.
 * docs/metrics-choice.md defines every number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "figjson.h"
#include "item.h"

/* ------------------------------------------------------------------ state */

enum { DIM_SUBJECT, DIM_CATEGORY, DIM_SOURCE, DIM_MODEL, NDIMS };
static const char *const dim_name[NDIMS] = {"subject", "category", "source", "model"};

typedef struct choice_state {
    int mmsci;           /* extractor: 1 = MMSci's rule, 0 = strict */
    choice_fields names; /* point into owned[] */
    const char *dim_field[NDIMS];
    const char *group_field; /* "" = "question_id" when present */
    char *owned[4 + NDIMS + 1]; /* the field names, owned */
} choice_state;

static const mms_option_def options[] = {
    {"extractor", MMS_OPT_STRING, "strict", "strict (careful reader) or mmsci (MMSci's rule_based_answer, no LLM)"},
    {"question_field", MMS_OPT_STRING, "question", "field with the question text (options are read from it when options_field is absent)"},
    {"options_field", MMS_OPT_STRING, "options", "field with the options: {\"A\": text, ...} or [text, ...]"},
    {"gold_field", MMS_OPT_STRING, "gold", "field with the right letter"},
    {"output_field", MMS_OPT_STRING, "raw_output", "field with the model's raw reply"},
    {"subject_field", MMS_OPT_STRING, "subject", "field to break accuracy down by subject"},
    {"category_field", MMS_OPT_STRING, "category", "field to break accuracy down by category"},
    {"source_field", MMS_OPT_STRING, "source", "field to break accuracy down by data source"},
    {"model_field", MMS_OPT_STRING, "model", "field to break accuracy down by model"},
    {"group_field", MMS_OPT_STRING, "", "field naming the question of each sample (k samples per question); empty = question_id if present"},
    {NULL, 0, NULL, NULL},
};

static const mms_metric_def metrics[] = {
    {"pred", "string", "extracted letter, null when none was found"},
    {"correct", "bool", "pred equals gold; strict: false when unparsed; mmsci: null when unparsed (dropped)"},
    {"extract_path", "string", "rule that decided (docs/metrics-choice.md lists them)"},
    {NULL, NULL, NULL},
};

static const mms_metric_def summary_defs[] = {
    {"extractor", "string", "strict or mmsci"},
    {"n", "int", "records scored (read without error)"},
    {"parsed", "int", "records with an extracted letter"},
    {"unparsed", "int", "records without one"},
    {"correct", "int", "records whose letter equals gold"},
    {"accuracy", "number", "strict: correct/n; mmsci: correct/parsed (MMSci drops unparsed answers)"},
    {"invalid_records", "int", "records that could not be read (missing output, gold or options)"},
    {"by_subject", "object", "{value: {n, parsed, correct, accuracy}} per subject"},
    {"by_category", "object", "the same per category"},
    {"by_source", "object", "the same per source"},
    {"by_model", "object", "the same per model"},
    {"unparsed_ids", "object", "ids of the records without an extracted letter"},
    {"k_groups", "int", "questions with samples (records sharing the group field)"},
    {"k_mean_accuracy", "number", "mean over questions of the accuracy of their samples"},
    {"k_majority_accuracy", "number", "accuracy of the majority letter per question; ties count 1/t when gold is among t tied letters"},
    {"k_majority_ties", "int", "questions whose vote was tied"},
    {"k_gold_conflicts", "int", "questions whose samples disagree on gold (the first gold is used)"},
    {NULL, NULL, NULL},
};

static void state_free(choice_state *s)
{
    if (!s) return;
    for (size_t i = 0; i < sizeof s->owned / sizeof *s->owned; i++) free(s->owned[i]);
    free(s);
}

static int config_string(const cJSON *config, const char *name, char **out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (!s) return mms_error_set(err, MMS_EINVAL, 0, "choice: option %s must be a string", name);
    *out = strdup(s);
    return *out ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
}

static int choice_create(void **state, const cJSON *config, mms_error *err)
{
    choice_state *s = calloc(1, sizeof *s);
    if (!s) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
    static const char *const keys[] = {"question_field", "options_field", "gold_field", "output_field",
                                       "subject_field", "category_field", "source_field", "model_field",
                                       "group_field"};
    int rc = MMS_OK;
    for (size_t i = 0; i < sizeof keys / sizeof *keys && !rc; i++) rc = config_string(config, keys[i], &s->owned[i], err);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(config, "extractor");
    if (!rc && cJSON_IsString(ex) && strcmp(ex->valuestring, "mmsci") == 0) s->mmsci = s->names.options_optional = 1;
    else if (!rc && !(cJSON_IsString(ex) && strcmp(ex->valuestring, "strict") == 0))
        rc = mms_error_set(err, MMS_EINVAL, 0, "choice: --extractor must be strict or mmsci, not \"%s\"",
                           cJSON_IsString(ex) ? ex->valuestring : "?");
    if (rc) {
        state_free(s);
        return rc;
    }
    s->names.question = s->owned[0];
    s->names.options = s->owned[1];
    s->names.gold = s->owned[2];
    s->names.output = s->owned[3];
    for (int d = 0; d < NDIMS; d++) s->dim_field[d] = s->owned[4 + d];
    s->group_field = s->owned[8];
    *state = s;
    return MMS_OK;
}

static void choice_destroy(void *state) { state_free(state); }

/* ------------------------------------------------------------- per record */

static const char *record_id(const mms_record *rec) { return rec->id ? rec->id : "?"; }

/* Reads and extracts one record; on a malformed record the error names the
 * file, line and record id. */
static int read_and_extract(const choice_state *s, const mms_record *rec, choice_item *it,
                            choice_result *r, mms_error *err)
{
    mms_error why;
    mms_error_clear(&why);
    if (choice_item_read(rec->fields, &s->names, it, &why))
        return mms_error_set(err, why.code, rec->line, "%s:%ld: record %s: %s",
                             rec->source ? rec->source : "-", rec->line, record_id(rec), why.message);
    choice_item_extract(it, s->mmsci, r);
    return MMS_OK;
}

static int choice_score(void *state, const mms_record *rec, const mms_values *earlier, mms_values *out,
                        mms_error *err)
{
    (void)earlier;
    const choice_state *s = state;
    choice_item it;
    choice_result r;
    int rc = read_and_extract(s, rec, &it, &r, err);
    if (rc) return rc;
    /* Set them all, check once: the first failure sticks (mms_values_error). */
    char pred[2] = {r.letter, 0};
    if (r.letter) mms_values_set_string(out, "pred", pred);
    else mms_values_set_null(out, "pred");
    if (r.letter) mms_values_set_bool(out, "correct", r.letter == it.gold);
    else if (s->mmsci) mms_values_set_null(out, "correct");
    else mms_values_set_bool(out, "correct", 0);
    mms_values_set_string(out, "extract_path", r.path);
    rc = mms_values_error(out);
    return rc ? mms_error_set(err, rc, rec->line, "choice: record %s: could not store values", record_id(rec))
              : MMS_OK;
}

/* ------------------------------------------------------------ accumulator */

/* Counts of one subject/source/... or of one question's samples. */
typedef struct tally {
    char *key;
    long n, parsed, correct;
    char gold;          /* group: the first gold seen */
    long gold_conflict; /* group: samples whose gold differs from it */
    long votes[CHOICE_MAX_LETTERS];
} tally;

/* String-keyed table keeping first-seen order (so summaries list keys in
 * input order); open addressing over indices into the tally array. */
typedef struct table {
    tally *t;
    size_t n, cap;
    size_t *slot; /* index + 1; 0 = empty */
    size_t nslot;
} table;

typedef struct choice_acc {
    tally total;
    table by[NDIMS];
    table groups;
    char **unparsed;
    size_t n_unparsed, cap_unparsed;
    long invalid;
} choice_acc;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int table_grow(table *tb)
{
    size_t ns = tb->nslot ? 2 * tb->nslot : 64;
    size_t *slot = calloc(ns, sizeof *slot);
    if (!slot) return MMS_ENOMEM;
    for (size_t i = 0; i < tb->n; i++) {
        size_t h = hash_str(tb->t[i].key) & (ns - 1);
        while (slot[h]) h = (h + 1) & (ns - 1);
        slot[h] = i + 1;
    }
    free(tb->slot);
    tb->slot = slot;
    tb->nslot = ns;
    return MMS_OK;
}

/* The tally for key, created zeroed if new; NULL when out of memory. */
static tally *table_get(table *tb, const char *key)
{
    if (2 * (tb->n + 1) > tb->nslot && table_grow(tb)) return NULL;
    size_t h = hash_str(key) & (tb->nslot - 1);
    for (; tb->slot[h]; h = (h + 1) & (tb->nslot - 1))
        if (strcmp(tb->t[tb->slot[h] - 1].key, key) == 0) return &tb->t[tb->slot[h] - 1];
    if (tb->n == tb->cap) {
        size_t nc = tb->cap ? 2 * tb->cap : 16;
        tally *t = realloc(tb->t, nc * sizeof *t);
        if (!t) return NULL;
        tb->t = t;
        tb->cap = nc;
    }
    tally *x = &tb->t[tb->n];
    memset(x, 0, sizeof *x);
    if (!(x->key = strdup(key))) return NULL;
    tb->slot[h] = ++tb->n;
    return x;
}

static void table_free(table *tb)
{
    for (size_t i = 0; i < tb->n; i++) free(tb->t[i].key);
    free(tb->t);
    free(tb->slot);
}

static int push_unparsed(choice_acc *a, const char *id)
{
    if (a->n_unparsed == a->cap_unparsed) {
        size_t nc = a->cap_unparsed ? 2 * a->cap_unparsed : 64;
        char **u = realloc(a->unparsed, nc * sizeof *u);
        if (!u) return MMS_ENOMEM;
        a->unparsed = u;
        a->cap_unparsed = nc;
    }
    if (!(a->unparsed[a->n_unparsed] = strdup(id))) return MMS_ENOMEM;
    a->n_unparsed++;
    return MMS_OK;
}

static int choice_acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    *acc = calloc(1, sizeof(choice_acc));
    return *acc ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
}

static void choice_acc_free(void *state, void *acc)
{
    (void)state;
    choice_acc *a = acc;
    if (!a) return;
    for (int d = 0; d < NDIMS; d++) table_free(&a->by[d]);
    table_free(&a->groups);
    for (size_t i = 0; i < a->n_unparsed; i++) free(a->unparsed[i]);
    free(a->unparsed);
    free(a);
}

/* A breakdown key from a scalar field: strings as they are, numbers and
 * booleans as JSON writes them; NULL for absent/other fields. */
static const char *field_key(const cJSON *fields, const char *name, char *buf, size_t cap)
{
    if (!name[0]) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, name);
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "%.17g", v->valuedouble);
        return buf;
    }
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    return NULL;
}

static void tally_add(tally *t, char pred, char gold)
{
    t->n++;
    if (pred) t->parsed++;
    if (pred && pred == gold) t->correct++;
}

static int choice_acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                          mms_error *err)
{
    (void)values; /* re-extracting is cheaper and surer than reading prefixed value names */
    const choice_state *s = state;
    choice_acc *a = acc;
    choice_item it;
    choice_result r;
    mms_error ignore;
    if (read_and_extract(s, rec, &it, &r, &ignore)) {
        a->invalid++; /* score() reported why */
        return MMS_OK;
    }
    tally_add(&a->total, r.letter, it.gold);
    char buf[64];
    for (int d = 0; d < NDIMS; d++) {
        const char *k = field_key(rec->fields, s->dim_field[d], buf, sizeof buf);
        if (!k) continue;
        tally *t = table_get(&a->by[d], k);
        if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
        tally_add(t, r.letter, it.gold);
    }
    const char *gk = field_key(rec->fields, s->group_field[0] ? s->group_field : "question_id", buf, sizeof buf);
    if (gk) {
        tally *g = table_get(&a->groups, gk);
        if (!g) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
        if (!g->gold) g->gold = it.gold;
        else if (g->gold != it.gold) g->gold_conflict++;
        tally_add(g, r.letter, g->gold);
        if (r.letter) g->votes[r.letter - 'A']++;
    }
    if (!r.letter && push_unparsed(a, record_id(rec)))
        return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
    return MMS_OK;
}

/* ------------------------------------------------------------ save, merge */

static cJSON *counts_json(const tally *t)
{
    double v[3] = {(double)t->n, (double)t->parsed, (double)t->correct};
    return cJSON_CreateDoubleArray(v, 3);
}

static int choice_acc_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    const choice_state *s = state;
    const choice_acc *a = acc;
    cJSON *j = cJSON_CreateObject();
    int ok = j != NULL;
    ok = ok && cJSON_AddStringToObject(j, "format", "mmscore-choice-acc/1");
    ok = ok && cJSON_AddStringToObject(j, "extractor", s->mmsci ? "mmsci" : "strict");
    ok = ok && cJSON_AddNumberToObject(j, "invalid", (double)a->invalid);
    ok = ok && cJSON_AddItemToObject(j, "total", counts_json(&a->total));
    cJSON *by = ok ? cJSON_AddObjectToObject(j, "by") : NULL;
    ok = by != NULL;
    for (int d = 0; d < NDIMS && ok; d++) {
        cJSON *o = cJSON_AddObjectToObject(by, dim_name[d]);
        ok = o != NULL;
        for (size_t i = 0; i < a->by[d].n && ok; i++)
            ok = cJSON_AddItemToObject(o, a->by[d].t[i].key, counts_json(&a->by[d].t[i]));
    }
    cJSON *groups = ok ? cJSON_AddObjectToObject(j, "groups") : NULL;
    ok = groups != NULL;
    for (size_t i = 0; i < a->groups.n && ok; i++) {
        const tally *g = &a->groups.t[i];
        cJSON *o = cJSON_CreateObject();
        char gold[2] = {g->gold, 0};
        double votes[CHOICE_MAX_LETTERS];
        for (int k = 0; k < CHOICE_MAX_LETTERS; k++) votes[k] = (double)g->votes[k];
        ok = o && cJSON_AddItemToObject(groups, g->key, o);
        ok = ok && cJSON_AddItemToObject(o, "counts", counts_json(g));
        ok = ok && cJSON_AddStringToObject(o, "gold", gold);
        ok = ok && cJSON_AddNumberToObject(o, "gold_conflict", (double)g->gold_conflict);
        ok = ok && cJSON_AddItemToObject(o, "votes", cJSON_CreateDoubleArray(votes, CHOICE_MAX_LETTERS));
    }
    cJSON *ids = ok ? cJSON_AddArrayToObject(j, "unparsed_ids") : NULL;
    ok = ids != NULL;
    for (size_t i = 0; i < a->n_unparsed && ok; i++) ok = cJSON_AddItemToArray(ids, cJSON_CreateString(a->unparsed[i]));
    if (!ok) {
        cJSON_Delete(j);
        return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory saving the accumulator");
    }
    *out = j;
    return MMS_OK;
}

/* Adds saved [n, parsed, correct] into t; 0 if malformed. */
static int merge_counts(tally *t, const cJSON *c)
{
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 3) return 0;
    long v[3];
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(c, i);
        if (!cJSON_IsNumber(x) || x->valuedouble < 0) return 0;
        v[i] = (long)x->valuedouble;
    }
    t->n += v[0], t->parsed += v[1], t->correct += v[2];
    return 1;
}

static int merge_group(tally *g, const cJSON *o)
{
    const cJSON *gold = cJSON_GetObjectItemCaseSensitive(o, "gold");
    const cJSON *conflict = cJSON_GetObjectItemCaseSensitive(o, "gold_conflict");
    const cJSON *votes = cJSON_GetObjectItemCaseSensitive(o, "votes");
    if (!cJSON_IsString(gold) || strlen(gold->valuestring) != 1 || !cJSON_IsNumber(conflict) ||
        !cJSON_IsArray(votes) || cJSON_GetArraySize(votes) != CHOICE_MAX_LETTERS)
        return 0;
    tally part = {0};
    if (!merge_counts(&part, cJSON_GetObjectItemCaseSensitive(o, "counts"))) return 0;
    char gl = gold->valuestring[0];
    if (!g->gold) g->gold = gl;
    else if (g->gold != gl) g->gold_conflict += part.n; /* every sample of the shard disagrees */
    g->gold_conflict += (long)conflict->valuedouble;
    g->n += part.n, g->parsed += part.parsed;
    int k = 0;
    for (const cJSON *v = votes->child; v; v = v->next, k++) {
        if (!cJSON_IsNumber(v)) return 0;
        g->votes[k] += (long)v->valuedouble;
    }
    /* Correctness is against the group's gold: recount from the votes. */
    g->correct = g->votes[g->gold - 'A'];
    return 1;
}

static int choice_acc_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    const choice_state *s = state;
    choice_acc *a = acc;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(saved, "format");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(saved, "extractor");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "mmscore-choice-acc/1") != 0)
        return mms_error_set(err, MMS_EPARSE, 0, "choice: saved accumulator is not mmscore-choice-acc/1");
    if (!cJSON_IsString(ex) || strcmp(ex->valuestring, s->mmsci ? "mmsci" : "strict") != 0)
        return mms_error_set(err, MMS_EINVAL, 0, "choice: saved accumulator used extractor %s, this run %s",
                             cJSON_IsString(ex) ? ex->valuestring : "?", s->mmsci ? "mmsci" : "strict");
    const cJSON *inv = cJSON_GetObjectItemCaseSensitive(saved, "invalid");
    int ok = cJSON_IsNumber(inv) && merge_counts(&a->total, cJSON_GetObjectItemCaseSensitive(saved, "total"));
    if (ok) a->invalid += (long)inv->valuedouble;
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(saved, "by");
    for (int d = 0; d < NDIMS && ok; d++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(by, dim_name[d]);
        ok = cJSON_IsObject(o);
        for (const cJSON *c = ok ? o->child : NULL; c && ok; c = c->next) {
            tally *t = table_get(&a->by[d], c->string);
            if (!t) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
            ok = merge_counts(t, c);
        }
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(saved, "groups");
    ok = ok && cJSON_IsObject(groups);
    for (const cJSON *c = ok ? groups->child : NULL; c && ok; c = c->next) {
        tally *g = table_get(&a->groups, c->string);
        if (!g) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
        ok = merge_group(g, c);
    }
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(saved, "unparsed_ids");
    ok = ok && cJSON_IsArray(ids);
    for (const cJSON *c = ok ? ids->child : NULL; c && ok; c = c->next) {
        ok = cJSON_IsString(c);
        if (ok && push_unparsed(a, c->valuestring)) return mms_error_set(err, MMS_ENOMEM, 0, "choice: out of memory");
    }
    return ok ? MMS_OK : mms_error_set(err, MMS_EPARSE, 0, "choice: saved accumulator is malformed");
}

/* ----------------------------------------------------------------- finish */

/* Accuracy of a tally: strict counts every record, MMSci only parsed ones;
 * *den gets the denominator. */
static double tally_accuracy(const tally *t, int mmsci, long *den)
{
    *den = mmsci ? t->parsed : t->n;
    return *den ? (double)t->correct / (double)*den : 0.0;
}

static cJSON *tally_json(const tally *t, int mmsci)
{
    cJSON *o = cJSON_CreateObject();
    long den;
    double acc = tally_accuracy(t, mmsci, &den);
    int ok = o && cJSON_AddNumberToObject(o, "n", (double)t->n) &&
             cJSON_AddNumberToObject(o, "parsed", (double)t->parsed) &&
             cJSON_AddNumberToObject(o, "correct", (double)t->correct) &&
             (den ? cJSON_AddNumberToObject(o, "accuracy", acc) != NULL : cJSON_AddNullToObject(o, "accuracy") != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Majority vote of one question: credit 1 when gold alone has the most
 * votes, 1/t when gold is one of t tied letters (the expected score of a
 * uniformly random tie-break: independent of input order, so shards merge
 * exactly), 0 otherwise or with no parsed sample. */
static double majority_credit(const tally *g, int *tied)
{
    long top = 0;
    int t = 0;
    for (int k = 0; k < CHOICE_MAX_LETTERS; k++) {
        if (g->votes[k] > top) top = g->votes[k], t = 1;
        else if (g->votes[k] == top && top > 0) t++;
    }
    *tied = t > 1;
    if (!top || g->votes[g->gold - 'A'] != top) return 0.0;
    return 1.0 / t;
}

static void set_accuracy(mms_values *out, const char *name, double sum, long den)
{
    if (den) mms_values_set_number(out, name, sum / (double)den);
    else mms_values_set_null(out, name);
}

static int choice_acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    const choice_state *s = state;
    const choice_acc *a = acc;
    long den;
    double accuracy = tally_accuracy(&a->total, s->mmsci, &den);
    /* Set them all, check once (mms_values_error); rc is for what we build. */
    int rc = MMS_OK;
    mms_values_set_string(out, "extractor", s->mmsci ? "mmsci" : "strict");
    mms_values_set_int(out, "n", a->total.n);
    mms_values_set_int(out, "parsed", a->total.parsed);
    mms_values_set_int(out, "unparsed", a->total.n - a->total.parsed);
    mms_values_set_int(out, "correct", a->total.correct);
    if (den) mms_values_set_number(out, "accuracy", accuracy);
    else mms_values_set_null(out, "accuracy");
    mms_values_set_int(out, "invalid_records", a->invalid);
    for (int d = 0; d < NDIMS && !rc; d++) {
        if (!a->by[d].n) continue;
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; o && i < a->by[d].n; i++) {
            cJSON *t = tally_json(&a->by[d].t[i], s->mmsci);
            if (!t || !cJSON_AddItemToObject(o, a->by[d].t[i].key, t)) cJSON_Delete(t), cJSON_Delete(o), o = NULL;
        }
        char name[32];
        snprintf(name, sizeof name, "by_%s", dim_name[d]);
        if (o) mms_values_set_json(out, name, o);
        else rc = MMS_ENOMEM;
    }
    if (!rc) {
        cJSON *ids = cJSON_CreateArray();
        for (size_t i = 0; ids && i < a->n_unparsed; i++)
            if (!cJSON_AddItemToArray(ids, cJSON_CreateString(a->unparsed[i]))) cJSON_Delete(ids), ids = NULL;
        if (ids) mms_values_set_json(out, "unparsed_ids", ids);
        else rc = MMS_ENOMEM;
    }
    if (!rc && a->groups.n) {
        double mean = 0.0, major = 0.0;
        long counted = 0, ties = 0, conflicts = 0;
        for (size_t i = 0; i < a->groups.n; i++) {
            const tally *g = &a->groups.t[i];
            long gden;
            double gacc = tally_accuracy(g, s->mmsci, &gden);
            conflicts += g->gold_conflict > 0;
            if (!gden) continue; /* mmsci: a question with no parsed sample drops out */
            int tied;
            counted++;
            mean += gacc;
            major += majority_credit(g, &tied);
            ties += tied;
        }
        mms_values_set_int(out, "k_groups", (long long)a->groups.n);
        set_accuracy(out, "k_mean_accuracy", mean, counted);
        set_accuracy(out, "k_majority_accuracy", major, counted);
        mms_values_set_int(out, "k_majority_ties", ties);
        mms_values_set_int(out, "k_gold_conflicts", conflicts);
    }
    if (!rc) rc = mms_values_error(out);
    return rc ? mms_error_set(err, rc, 0, "choice: could not store the summary") : MMS_OK;
}

/* ----------------------------------------------------------------- report */

static const char *const dim_plural[NDIMS] = {"subjects", "categories", "sources", "models"};

/* Bars per figure: MMSci has 72 subjects; more keys than this (free-text
 * fields) show the largest, so the report stays small whatever the input. */
#define REPORT_MAX_BARS 100

static int tally_by_n_then_key(const void *x, const void *y)
{
    const tally *a = *(const tally *const *)x, *b = *(const tally *const *)y;
    if (a->n != b->n) return a->n > b->n ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int tally_by_key(const void *x, const void *y)
{
    return strcmp((*(const tally *const *)x)->key, (*(const tally *const *)y)->key);
}

/* The tallies one figure draws, in key order (not first-seen order, which
 * follows the order shards were merged in): those with an accuracy (the
 * mmsci extractor has none without a parsed reply), the REPORT_MAX_BARS
 * with most records when there are more.  *shown gets how many. */
static const tally **pick_bars(const table *tb, int mmsci, size_t *shown, size_t *undefined)
{
    const tally **t = malloc((tb->n ? tb->n : 1) * sizeof *t);
    if (!t) return NULL;
    size_t n = 0;
    *undefined = 0;
    for (size_t i = 0; i < tb->n; i++) {
        long den;
        tally_accuracy(&tb->t[i], mmsci, &den);
        if (den) t[n++] = &tb->t[i];
        else ++*undefined;
    }
    if (n > REPORT_MAX_BARS) {
        qsort(t, n, sizeof *t, tally_by_n_then_key);
        n = REPORT_MAX_BARS;
    }
    qsort(t, n, sizeof *t, tally_by_key);
    *shown = n;
    return t;
}

/* One "bars" figure of accuracy (%) per value of breakdown d; NULL with
 * *rc = MMS_OK when the field never occurred. */
static cJSON *accuracy_figure(const choice_state *s, const choice_acc *a, int d, int *rc)
{
    const table *tb = &a->by[d];
    *rc = MMS_OK;
    if (!tb->n) return NULL;
    size_t n = 0, undefined = 0;
    const tally **t = pick_bars(tb, s->mmsci, &n, &undefined);
    double *v = malloc((n ? n : 1) * sizeof *v);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    cJSON *f = NULL;
    if (t && v && names) {
        for (size_t i = 0; i < n; i++) {
            long den;
            v[i] = 100.0 * tally_accuracy(t[i], s->mmsci, &den);
            names[i] = t[i]->key;
        }
        char id[32], title[64], caption[512];
        snprintf(id, sizeof id, "accuracy_by_%s", dim_name[d]);
        snprintf(title, sizeof title, "Accuracy per %s", dim_name[d]);
        int len = snprintf(caption, sizeof caption, "%s, per value of the field \"%s\" (%s).",
                           s->mmsci ? "Records answered right / records with a parsed reply"
                                    : "Records answered right / records",
                           s->dim_field[d],
                           s->mmsci ? "mmsci extractor: unparsed replies are left out, as MMSci does"
                                    : "strict extractor: an unparsed reply counts as wrong");
        if (n < tb->n - undefined && len > 0 && (size_t)len < sizeof caption)
            len += snprintf(caption + len, sizeof caption - (size_t)len, " The %zu %s with most records of %zu shown.",
                            n, dim_plural[d], tb->n - undefined);
        if (undefined && len > 0 && (size_t)len < sizeof caption)
            snprintf(caption + len, sizeof caption - (size_t)len, " %zu %s without a parsed reply left out.",
                     undefined, undefined == 1 ? dim_name[d] : dim_plural[d]);
        f = mmsc_figure_new(id, "bars", "Accuracy", title, caption, dim_name[d], "accuracy (%)");
        if (f && !(mmsc_figure_set_categories(f, names, n) && mmsc_figure_add_series(f, "accuracy", v, n)))
            cJSON_Delete(f), f = NULL;
    }
    if (!f) *rc = MMS_ENOMEM;
    free(t);
    free(v);
    free((void *)names);
    return f;
}

/* Parsed and unparsed replies per model (one bar group "all records" when
 * there is no model field): where the extractor gave up. */
static cJSON *answers_figure(const choice_state *s, const choice_acc *a)
{
    const table *tb = &a->by[DIM_MODEL];
    size_t n = tb->n ? tb->n : 1;
    const tally **t = malloc(n * sizeof *t);
    const char **names = malloc(n * sizeof *names);
    double *v = malloc(2 * n * sizeof *v);
    cJSON *f = NULL;
    if (t && names && v) {
        if (tb->n) {
            for (size_t i = 0; i < n; i++) t[i] = &tb->t[i];
            qsort(t, n, sizeof *t, tally_by_n_then_key);
            n = n > REPORT_MAX_BARS ? REPORT_MAX_BARS : n;
            qsort(t, n, sizeof *t, tally_by_key);
        } else {
            t[0] = &a->total;
        }
        for (size_t i = 0; i < n; i++) {
            names[i] = tb->n ? t[i]->key : "all records";
            v[i] = (double)t[i]->parsed;
            v[n + i] = (double)(t[i]->n - t[i]->parsed);
        }
        char caption[400], more[80] = "";
        if (n < tb->n)
            snprintf(more, sizeof more, " (the %zu models with most records of %zu)", n, tb->n);
        snprintf(caption, sizeof caption,
                 "Records whose reply gave an option letter (%s extractor) and those that gave none%s%s; "
                 "%ld record%s could not be read and are in neither.",
                 s->mmsci ? "mmsci" : "strict", tb->n ? ", per value of the model field" : "", more, a->invalid,
                 a->invalid == 1 ? "" : "s");
        f = mmsc_figure_new("answers", "bars", "Accuracy", tb->n ? "Parsed and unparsed replies per model"
                                                               : "Parsed and unparsed replies",
                            caption, tb->n ? "model" : "", "records");
        if (f && !(mmsc_figure_set_categories(f, names, n) && mmsc_figure_add_series(f, "parsed", v, n) &&
                   mmsc_figure_add_series(f, "unparsed", v + n, n)))
            cJSON_Delete(f), f = NULL;
    }
    free(t);
    free((void *)names);
    free(v);
    return f;
}

static int choice_acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    const choice_state *s = state;
    const choice_acc *a = acc;
    cJSON *figs = cJSON_CreateArray();
    int rc = figs ? MMS_OK : MMS_ENOMEM;
    /* the order drawn: models first, as papers' tables are */
    static const int order[NDIMS] = {DIM_MODEL, DIM_SUBJECT, DIM_CATEGORY, DIM_SOURCE};
    for (int k = 0; k < NDIMS && !rc; k++) {
        cJSON *f = accuracy_figure(s, a, order[k], &rc);
        if (f && !cJSON_AddItemToArray(figs, f)) cJSON_Delete(f), rc = MMS_ENOMEM;
    }
    if (!rc) {
        cJSON *f = answers_figure(s, a);
        if (!f || !cJSON_AddItemToArray(figs, f)) cJSON_Delete(f), rc = MMS_ENOMEM;
    }
    if (rc) {
        cJSON_Delete(figs);
        return mms_error_set(err, rc, 0, "choice: out of memory building the report figures");
    }
    *out = figs;
    return MMS_OK;
}

/* ------------------------------------------------------------- descriptor */

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"accuracy", "Accuracy", "%", 100, MMS_ROUND_DECIMALS, 2, "MMSci accuracy, %"},
    {"by_model.*.accuracy", "Accuracy", "%", 100, MMS_ROUND_DECIMALS, 2, "MMSci, per model"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "choice",
    .version = "1.0.0",
    .description = "multiple-choice answer extraction (strict or MMSci's rule) and accuracy",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_FIELDS,
    .commands = "",
    .requires = "",
    .options = options,
    .metrics = metrics,
    .summary = summary_defs,
    .headline = headline,
    .create = choice_create,
    .destroy = choice_destroy,
    .score = choice_score,
    .acc_new = choice_acc_new,
    .acc_add = choice_acc_add,
    .acc_save = choice_acc_save,
    .acc_merge = choice_acc_merge,
    .acc_finish = choice_acc_finish,
    .acc_free = choice_acc_free,
    .acc_report = choice_acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &descriptor; }
