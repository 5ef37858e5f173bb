/* caption — BLEU, sacreBLEU, ROUGE and METEOR of model captions/answers
 * against references, at parity with MMSci's textgen_scores.py (HF evaluate
 * 0.4.2, rouge_score 0.1.2, nltk 3.8, sacreBLEU 2.x).  docs/metrics-caption.md
 * defines every number and lists the reference quirks followed.
 *
 * Per record: every metric of the pair.  Set part: the means over pairs
 * with a non-empty candidate (MMSci skips the others and we count them) and
 * sacreBLEU corpus BLEU over all pairs; sums and counts, so shards merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "figjson.h"
#include "score.h"

#ifndef CAPTION_WORDNET_DIR
#define CAPTION_WORDNET_DIR "/usr/share/wordnet"
#endif

typedef struct caption_state {
    cap_wordnet *wn;
    cap_punkt *pk;
    cap_ctx ctx;
    char *cand_field, *refs_field, *model_field;
    size_t max_text_bytes;
} caption_state;

static const mms_option_def options[] = {
    {"candidate_field", MMS_OPT_STRING, "candidate", "field with the model's caption/answer"},
    {"references_field", MMS_OPT_STRING, "references", "field with the reference text(s): a string or an array of strings"},
    {"model_field", MMS_OPT_STRING, "model", "field naming the model of each pair: the report's histograms have a series per model"},
    {"rouge_stemmer", MMS_OPT_BOOL, "false", "ROUGE with nltk's Porter stemmer (rouge_score use_stemmer=True)"},
    {"mmsci_multiref_quirk", MMS_OPT_BOOL, "false", "score pairs with several references 0 on every metric, as MMSci's own call does"},
    {"wordnet_dir", MMS_OPT_STRING, CAPTION_WORDNET_DIR, "WordNet 3.0 dict folder (Debian wordnet-base) for METEOR's synonym stage"},
    {"max_text_bytes", MMS_OPT_INT, "1000000", "longest candidate or reference accepted (bytes); longer records fail with an error"},
    {"max_lcs_cells", MMS_OPT_INT, "16777216", "largest rougeLsum LCS table (reference line x candidate line tokens; rougeL: 64 x this, whole texts); larger records fail"},
    {NULL, 0, NULL, NULL},
};

static const mms_metric_def metrics[] = {
    {"bleu", "number", "HF evaluate BLEU (TF-NMT, 13a, order 4, no smoothing); null when undefined (empty text after tokenizing)"},
    {"bleu_precision_1", "number", "unigram precision (MMSci's BLEU-1 column)"},
    {"bleu_precision_2", "number", "bigram precision (MMSci's BLEU-2)"},
    {"bleu_precision_3", "number", "trigram precision (MMSci's BLEU-3)"},
    {"bleu_precision_4", "number", "4-gram precision (MMSci's BLEU-4)"},
    {"bleu_brevity_penalty", "number", "exp(1 - 1/ratio) when ratio <= 1, else 1"},
    {"bleu_length_ratio", "number", "candidate tokens / shortest reference's tokens"},
    {"bleu_translation_length", "int", "candidate 13a tokens"},
    {"bleu_reference_length", "int", "shortest reference's 13a tokens"},
    {"sacrebleu", "number", "sacreBLEU sentence_bleu (13a, exp smoothing, effective order), 0..100; null when every reference is empty"},
    {"sacrebleu_precisions", "number[]", "sacreBLEU's smoothed n-gram precisions, 0..100"},
    {"sacrebleu_bp", "number", "sacreBLEU brevity penalty (closest reference length)"},
    {"sacrebleu_counts", "number[]", "sys_len, ref_len, correct[4], total[4]: sufficient statistics of corpus BLEU; null with sacrebleu"},
    {"rouge1", "number", "rouge_score ROUGE-1 F-measure (best reference)"},
    {"rouge2", "number", "rouge_score ROUGE-2 F-measure (best reference)"},
    {"rougeL", "number", "rouge_score ROUGE-L F-measure (best reference)"},
    {"rougeLsum", "number", "rouge_score ROUGE-Lsum F-measure, lines split on newlines (best reference)"},
    {"meteor", "number", "nltk 3.8 METEOR (alpha 0.9, beta 3, gamma 0.5), best reference"},
    {"n_references", "int", "references of the pair"},
    {"empty_candidate", "bool", "candidate is empty or whitespace: left out of the means (as MMSci does)"},
    {NULL, NULL, NULL},
};

/* means over pairs with a non-empty candidate, in this order */
enum { S_BLEU, S_P1, S_P2, S_P3, S_P4, S_R1, S_R2, S_RL, S_RLSUM, S_METEOR, S_SACRE, NSUM };
static const char *const sum_value[NSUM] = {"bleu", "bleu_precision_1", "bleu_precision_2",
                                            "bleu_precision_3", "bleu_precision_4", "rouge1",
                                            "rouge2", "rougeL", "rougeLsum", "meteor", "sacrebleu"};
static const char *const sum_mean[NSUM] = {
    "mean_bleu",   "mean_bleu_precision_1", "mean_bleu_precision_2", "mean_bleu_precision_3",
    "mean_bleu_precision_4", "mean_rouge1", "mean_rouge2", "mean_rougeL", "mean_rougeLsum",
    "mean_meteor", "mean_sacrebleu"};

/* The report's histograms: one per value above, NBINS equal bins over
 * [0, 1] (sacreBLEU: [0, 100]); the axis title of each. */
#define NBINS 20
static const char *const sum_label[NSUM] = {
    "BLEU", "BLEU-1 (unigram precision)", "BLEU-2 (bigram precision)", "BLEU-3 (trigram precision)",
    "BLEU-4 (4-gram precision)", "ROUGE-1 F", "ROUGE-2 F", "ROUGE-L F", "ROUGE-Lsum F", "METEOR",
    "sacreBLEU sentence BLEU"};
static double sum_top(int i) { return i == S_SACRE ? 100.0 : 1.0; }

static const mms_metric_def summary_defs[] = {
    {"pairs", "int", "records scored"},
    {"failed", "int", "records that could not be scored (their error says why)"},
    {"scored", "int", "pairs in the means (non-empty candidate)"},
    {"skipped_empty", "int", "pairs left out of the means: empty or whitespace candidate"},
    {"bleu_undefined", "int", "scored pairs whose BLEU is undefined; they count 0 in mean_bleu and the precision means, as MMSci maps the error"},
    {"mean_bleu", "number", "mean per-pair BLEU"},
    {"mean_bleu_precision_1", "number", "mean unigram precision (MMSci BLEU-1)"},
    {"mean_bleu_precision_2", "number", "mean bigram precision (MMSci BLEU-2)"},
    {"mean_bleu_precision_3", "number", "mean trigram precision (MMSci BLEU-3)"},
    {"mean_bleu_precision_4", "number", "mean 4-gram precision (MMSci BLEU-4)"},
    {"mean_rouge1", "number", "mean ROUGE-1 F"},
    {"mean_rouge2", "number", "mean ROUGE-2 F"},
    {"mean_rougeL", "number", "mean ROUGE-L F"},
    {"mean_rougeLsum", "number", "mean ROUGE-Lsum F"},
    {"mean_meteor", "number", "mean METEOR"},
    {"mean_sacrebleu", "number", "mean sacreBLEU sentence BLEU (0..100)"},
    {"sacrebleu_corpus", "number", "sacreBLEU corpus BLEU over all pairs with a non-empty reference (13a, exp smoothing), 0..100"},
    {"sacrebleu_corpus_precisions", "number[]", "its n-gram precisions, 0..100"},
    {"sacrebleu_corpus_bp", "number", "its brevity penalty"},
    {"sacrebleu_corpus_sys_len", "int", "candidate tokens over all pairs"},
    {"sacrebleu_corpus_ref_len", "int", "closest-reference tokens over all pairs"},
    {NULL, NULL, NULL},
};

static int opt_string(const cJSON *config, const char *name, char **out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsString(v))
        return mms_error_set(err, MMS_EINVAL, 0, "caption: option %s must be a string", name);
    *out = strdup(v->valuestring);
    return *out ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
}

static int opt_bool(const cJSON *config, const char *name, int *out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsBool(v))
        return mms_error_set(err, MMS_EINVAL, 0, "caption: option %s must be true or false", name);
    *out = cJSON_IsTrue(v);
    return MMS_OK;
}

static int opt_size(const cJSON *config, const char *name, size_t *out, mms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1)
        return mms_error_set(err, MMS_EINVAL, 0, "caption: option %s must be a positive integer", name);
    *out = (size_t)v->valuedouble;
    return MMS_OK;
}

static void caption_destroy(void *state)
{
    caption_state *s = state;
    if (!s)
        return;
    cap_wordnet_free(s->wn);
    cap_punkt_free(s->pk);
    free(s->cand_field);
    free(s->refs_field);
    free(s->model_field);
    free(s);
}

static int caption_create(void **state, const cJSON *config, mms_error *err)
{
    caption_state *s = calloc(1, sizeof *s);
    if (!s)
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    char *wndir = NULL;
    int rc = opt_string(config, "candidate_field", &s->cand_field, err);
    if (!rc) rc = opt_string(config, "references_field", &s->refs_field, err);
    if (!rc) rc = opt_string(config, "model_field", &s->model_field, err);
    if (!rc) rc = opt_string(config, "wordnet_dir", &wndir, err);
    if (!rc) rc = opt_bool(config, "rouge_stemmer", &s->ctx.rouge_stemmer, err);
    if (!rc) rc = opt_bool(config, "mmsci_multiref_quirk", &s->ctx.mmsci_quirk, err);
    if (!rc) rc = opt_size(config, "max_text_bytes", &s->max_text_bytes, err);
    if (!rc) rc = opt_size(config, "max_lcs_cells", &s->ctx.max_cells, err);
    if (!rc) rc = cap_wordnet_open(wndir, &s->wn, err);
    if (!rc) rc = cap_punkt_new(&s->pk, err);
    free(wndir);
    if (rc) {
        caption_destroy(s);
        return rc;
    }
    s->ctx.wn = s->wn;
    s->ctx.pk = s->pk;
    *state = s;
    return MMS_OK;
}

static const char *record_id(const mms_record *rec) { return rec->id ? rec->id : "?"; }

/* The pair of a record; refs is malloc'd (strings borrowed from fields). */
static int read_pair(const caption_state *s, const mms_record *rec, const char **cand,
                     const char ***refs, size_t *nrefs, mms_error *err)
{
    const cJSON *f = rec->fields;
    const cJSON *c = f ? cJSON_GetObjectItemCaseSensitive(f, s->cand_field) : NULL;
    const cJSON *r = f ? cJSON_GetObjectItemCaseSensitive(f, s->refs_field) : NULL;
    if (!cJSON_IsString(c))
        return mms_error_set(err, MMS_EPARSE, rec->line,
                             "caption: %s: record %s, line %ld: expected a string field \"%s\"",
                             rec->source ? rec->source : "-", record_id(rec), rec->line, s->cand_field);
    size_t n = cJSON_IsArray(r) ? (size_t)cJSON_GetArraySize(r) : cJSON_IsString(r) ? 1 : 0;
    if (n == 0)
        return mms_error_set(err, MMS_EPARSE, rec->line,
                             "caption: %s: record %s, line %ld: expected field \"%s\": a string or a non-empty array of strings",
                             rec->source ? rec->source : "-", record_id(rec), rec->line, s->refs_field);
    *refs = malloc(n * sizeof **refs);
    if (!*refs)
        return mms_error_set(err, MMS_ENOMEM, rec->line, "caption: out of memory");
    size_t k = 0;
    if (cJSON_IsString(r)) {
        (*refs)[k++] = r->valuestring;
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, r)
        {
            if (!cJSON_IsString(e)) {
                free(*refs);
                return mms_error_set(err, MMS_EPARSE, rec->line,
                                     "caption: %s: record %s, line %ld: reference %zu of \"%s\" is not a string",
                                     rec->source ? rec->source : "-", record_id(rec), rec->line, k + 1, s->refs_field);
            }
            (*refs)[k++] = e->valuestring;
        }
    }
    size_t longest = strlen(c->valuestring);
    for (size_t i = 0; i < k; i++)
        if (strlen((*refs)[i]) > longest)
            longest = strlen((*refs)[i]);
    if (longest > s->max_text_bytes) {
        free(*refs);
        return mms_error_set(err, MMS_ELIMIT, rec->line,
                             "caption: %s: record %s, line %ld: a text has %zu bytes, over max_text_bytes %zu",
                             rec->source ? rec->source : "-", record_id(rec), rec->line, longest, s->max_text_bytes);
    }
    *cand = c->valuestring;
    *nrefs = k;
    return MMS_OK;
}

static int put_values(const cap_pair_scores *p, size_t nrefs, mms_values *out)
{
    int rc = MMS_OK;
    const cap_bleu_result *b = &p->bleu;
    if (b->ok) {
        rc = mms_values_set_number(out, "bleu", b->bleu);
        for (int i = 0; i < 4 && !rc; i++) {
            char name[32];
            snprintf(name, sizeof name, "bleu_precision_%d", i + 1);
            rc = mms_values_set_number(out, name, b->precisions[i]);
        }
        if (!rc) rc = mms_values_set_number(out, "bleu_brevity_penalty", b->brevity_penalty);
        if (!rc) rc = mms_values_set_number(out, "bleu_length_ratio", b->length_ratio);
    } else {
        rc = mms_values_set_null(out, "bleu");
        for (int i = 0; i < 4 && !rc; i++) {
            char name[32];
            snprintf(name, sizeof name, "bleu_precision_%d", i + 1);
            rc = mms_values_set_null(out, name);
        }
        if (!rc) rc = mms_values_set_null(out, "bleu_brevity_penalty");
        if (!rc) rc = mms_values_set_null(out, "bleu_length_ratio");
    }
    if (!rc) rc = mms_values_set_int(out, "bleu_translation_length", b->translation_length);
    if (!rc) rc = mms_values_set_int(out, "bleu_reference_length", b->reference_length);
    if (!rc && p->sacre_ok) {
        rc = mms_values_set_number(out, "sacrebleu", p->sacre.score);
        if (!rc) rc = mms_values_set_numbers(out, "sacrebleu_precisions", p->sacre.precisions, 4);
        if (!rc) rc = mms_values_set_number(out, "sacrebleu_bp", p->sacre.bp);
    } else if (!rc) {
        rc = mms_values_set_null(out, "sacrebleu");
        if (!rc) rc = mms_values_set_null(out, "sacrebleu_precisions");
        if (!rc) rc = mms_values_set_null(out, "sacrebleu_bp");
    }
    if (!rc && !p->sacre_ok) {
        rc = mms_values_set_null(out, "sacrebleu_counts");
    } else if (!rc) {
        const cap_bleu_stats *st = &p->sacre_stats;
        double c[10] = {(double)st->hyp_len, (double)st->ref_len_closest};
        for (int i = 0; i < 4; i++) {
            c[2 + i] = (double)st->ng.matches[i];
            c[6 + i] = (double)st->ng.possible[i];
        }
        rc = mms_values_set_numbers(out, "sacrebleu_counts", c, 10);
    }
    if (!rc) rc = mms_values_set_number(out, "rouge1", p->rouge.r1.fmeasure);
    if (!rc) rc = mms_values_set_number(out, "rouge2", p->rouge.r2.fmeasure);
    if (!rc) rc = mms_values_set_number(out, "rougeL", p->rouge.rl.fmeasure);
    if (!rc) rc = mms_values_set_number(out, "rougeLsum", p->rouge.rlsum.fmeasure);
    if (!rc) rc = mms_values_set_number(out, "meteor", p->meteor);
    if (!rc) rc = mms_values_set_int(out, "n_references", (long long)nrefs);
    if (!rc) rc = mms_values_set_bool(out, "empty_candidate", p->skipped);
    return rc;
}

static int caption_score(void *state, const mms_record *rec, const mms_values *earlier,
                         mms_values *out, mms_error *err)
{
    (void)earlier;
    const caption_state *s = state;
    const char *cand = NULL, **refs = NULL;
    size_t nrefs = 0;
    int rc = read_pair(s, rec, &cand, &refs, &nrefs, err);
    if (rc)
        return rc;
    cap_pair_scores p;
    rc = cap_score_pair(&s->ctx, cand, refs, nrefs, &p);
    free(refs);
    if (rc == MMS_ELIMIT)
        return mms_error_set(err, rc, rec->line,
                             "caption: %s: record %s, line %ld: a ROUGE LCS table exceeds max_lcs_cells %zu (rougeLsum; 64 x for rougeL)",
                             rec->source ? rec->source : "-", record_id(rec), rec->line, s->ctx.max_cells);
    if (rc)
        return mms_error_set(err, rc, rec->line, "caption: record %s, line %ld: %s", record_id(rec),
                             rec->line, rc == MMS_ENOMEM ? "out of memory" : "could not be scored");
    rc = put_values(&p, nrefs, out);
    return rc ? mms_error_set(err, rc, rec->line, "caption: record %s: could not store values", record_id(rec))
              : MMS_OK;
}

/* ------------------------------------------------------------ accumulator */

/* The per-record values are kept, not only their sums: merged shards then
 * add them in the unsharded order and give its means bit for bit (a sum of
 * per-shard sums rounds differently in the last digit). */
/* The report's binned counts of one model's scored pairs (x above maps an
 * undefined value to 0, as the means do; the histograms keep them apart). */
typedef struct cap_hist {
    char *model;             /* the model field's value; "" = absent */
    long bins[NSUM][NBINS];
    long undefined[NSUM];    /* null (BLEU of an empty text after tokenizing) */
    long outside[NSUM];      /* finite but outside the bins' range: none expected */
} cap_hist;

/* Models with a series of their own; pairs of later models share one
 * "other models" series, so a figure stays readable and small. */
#define MAX_MODELS 16
/* Series a figure draws (the core's limit, docs/report.md): the first
 * FIG_SERIES - 1 models and "other models" when there are more. */
#define FIG_SERIES 8

typedef struct caption_acc {
    long pairs, failed, scored, skipped, bleu_undefined;
    double *x;       /* NSUM values per scored record, in input order */
    size_t cap;      /* records x has room for */
    long corpus[10]; /* sys_len, ref_len, correct[4], total[4] */
    cap_hist *hist[MAX_MODELS + 1]; /* first-seen order; [MAX_MODELS] = other models */
    size_t n_hist;   /* models with their own series */
} caption_acc;

#define ACC_FORMAT "mmscore-caption-acc/3"

static int caption_acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    *acc = calloc(1, sizeof(caption_acc));
    return *acc ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
}

static void caption_acc_free(void *state, void *acc)
{
    (void)state;
    caption_acc *a = acc;
    if (a) {
        free(a->x);
        for (size_t i = 0; i <= MAX_MODELS; i++) {
            if (a->hist[i])
                free(a->hist[i]->model);
            free(a->hist[i]);
        }
    }
    free(a);
}

/* The histograms of a model, made on first sight; the other-models ones
 * once MAX_MODELS have their own.  NULL when out of memory. */
static cap_hist *hist_of(caption_acc *a, const char *model)
{
    for (size_t i = 0; i < a->n_hist; i++)
        if (strcmp(a->hist[i]->model, model) == 0)
            return a->hist[i];
    size_t k = a->n_hist < MAX_MODELS ? a->n_hist : MAX_MODELS;
    if (!a->hist[k]) {
        cap_hist *h = calloc(1, sizeof *h);
        if (!h || !(h->model = strdup(k < MAX_MODELS ? model : ""))) {
            free(h);
            return NULL;
        }
        a->hist[k] = h;
        if (k < MAX_MODELS)
            a->n_hist++;
    }
    return a->hist[k];
}

/* The model of a pair as the histograms name it: a string field as it is,
 * a number as JSON writes it, "" when absent (or of another type). */
static const char *model_key(const caption_state *s, const mms_record *rec, char *buf, size_t cap)
{
    const cJSON *v = rec->fields && s->model_field[0]
                         ? cJSON_GetObjectItemCaseSensitive(rec->fields, s->model_field)
                         : NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "%.17g", v->valuedouble);
        return buf;
    }
    return "";
}

/* The bin edges of value i's histogram. */
static void metric_edges(int i, double edges[NBINS + 1])
{
    mmsc_uniform_edges(0.0, sum_top(i), NBINS, edges);
}

static int reserve_values(caption_acc *a, size_t more)
{
    size_t need = (size_t)a->scored + more;
    if (need <= a->cap)
        return 0;
    size_t cap = a->cap ? 2 * a->cap : 256;
    while (cap < need)
        cap *= 2;
    double *x = realloc(a->x, cap * NSUM * sizeof *x);
    if (!x)
        return -1;
    a->x = x;
    a->cap = cap;
    return 0;
}

static int caption_acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                           mms_error *err)
{
    const caption_state *s = state;
    caption_acc *a = acc;
    double counts[10];
    size_t n = 0;
    int empty = 0;
    /* score() failed for this record when its values are absent */
    if (mms_values_get_bool(values, "empty_candidate", &empty) != MMS_OK) {
        a->failed++;
        return MMS_OK;
    }
    a->pairs++;
    /* sacreBLEU refuses a segment whose references are all empty: left out */
    if (mms_values_get_numbers(values, "sacrebleu_counts", counts, 10, &n) == MMS_OK && n == 10)
        for (int i = 0; i < 10; i++)
            a->corpus[i] += (long)counts[i];
    if (empty) {
        a->skipped++;
        return MMS_OK;
    }
    char buf[32];
    cap_hist *h = hist_of(a, model_key(s, rec, buf, sizeof buf));
    if (!h || reserve_values(a, 1))
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    double *row = a->x + (size_t)a->scored * NSUM;
    a->scored++;
    for (int i = 0; i < NSUM; i++) {
        double x = 0.0, edges[NBINS + 1];
        /* null (undefined) counts 0, as MMSci maps the raised error */
        if (mms_values_get_number(values, sum_value[i], &x) != MMS_OK) {
            x = 0.0;
            h->undefined[i]++;
            if (i == S_BLEU)
                a->bleu_undefined++;
        } else {
            metric_edges(i, edges);
            long b = mmsc_bin_index(edges, NBINS, x);
            /* sacreBLEU's exp of a mean log gives 100.00000000000004 for
             * identical texts (so does sacreBLEU): a perfect score, drawn in
             * the last bin rather than left out */
            if (b < 0 && x > edges[NBINS] && x <= edges[NBINS] * (1.0 + 1e-9))
                b = NBINS - 1;
            if (b < 0)
                h->outside[i]++;
            else
                h->bins[i][b]++;
        }
        row[i] = x;
    }
    return MMS_OK;
}

static cJSON *hist_json(const cap_hist *h)
{
    double b[NSUM * NBINS], u[NSUM], o[NSUM];
    for (int i = 0; i < NSUM; i++) {
        for (int k = 0; k < NBINS; k++)
            b[i * NBINS + k] = (double)h->bins[i][k];
        u[i] = (double)h->undefined[i];
        o[i] = (double)h->outside[i];
    }
    cJSON *j = cJSON_CreateObject();
    int ok = j && cJSON_AddStringToObject(j, "model", h->model) &&
             cJSON_AddItemToObject(j, "bins", cJSON_CreateDoubleArray(b, NSUM * NBINS)) &&
             cJSON_AddItemToObject(j, "undefined", cJSON_CreateDoubleArray(u, NSUM)) &&
             cJSON_AddItemToObject(j, "outside", cJSON_CreateDoubleArray(o, NSUM));
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* {"bins": NBINS, "models": [per model], "other": other models or null} */
static cJSON *hist_save(const caption_acc *a)
{
    cJSON *j = cJSON_CreateObject(), *models = NULL;
    int ok = j && cJSON_AddNumberToObject(j, "bins", NBINS) && (models = cJSON_AddArrayToObject(j, "models"));
    for (size_t i = 0; ok && i < a->n_hist; i++)
        ok = cJSON_AddItemToArray(models, hist_json(a->hist[i]));
    ok = ok && (a->hist[MAX_MODELS] ? cJSON_AddItemToObject(j, "other", hist_json(a->hist[MAX_MODELS]))
                                    : cJSON_AddNullToObject(j, "other") != NULL);
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int caption_acc_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    const caption_state *s = state;
    const caption_acc *a = acc;
    double corpus[10];
    for (int i = 0; i < 10; i++)
        corpus[i] = (double)a->corpus[i];
    cJSON *j = cJSON_CreateObject();
    int ok = j != NULL;
    ok = ok && cJSON_AddStringToObject(j, "format", ACC_FORMAT);
    ok = ok && cJSON_AddBoolToObject(j, "rouge_stemmer", s->ctx.rouge_stemmer);
    ok = ok && cJSON_AddBoolToObject(j, "mmsci_multiref_quirk", s->ctx.mmsci_quirk);
    ok = ok && cJSON_AddNumberToObject(j, "pairs", (double)a->pairs);
    ok = ok && cJSON_AddNumberToObject(j, "failed", (double)a->failed);
    ok = ok && cJSON_AddNumberToObject(j, "scored", (double)a->scored);
    ok = ok && cJSON_AddNumberToObject(j, "skipped", (double)a->skipped);
    ok = ok && cJSON_AddNumberToObject(j, "bleu_undefined", (double)a->bleu_undefined);
    ok = ok && cJSON_AddItemToObject(j, "values",
                                     cJSON_CreateDoubleArray(a->x ? a->x : corpus,
                                                             (int)((size_t)a->scored * NSUM)));
    ok = ok && cJSON_AddItemToObject(j, "corpus", cJSON_CreateDoubleArray(corpus, 10));
    ok = ok && cJSON_AddItemToObject(j, "hist", hist_save(a));
    if (!ok) {
        cJSON_Delete(j);
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    }
    *out = j;
    return MMS_OK;
}

static int get_long(const cJSON *o, const char *k, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        return 0;
    *out = (long)v->valuedouble;
    return 1;
}

static int get_array(const cJSON *o, const char *k, double *x, int n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n)
        return 0;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsNumber(e))
            return 0;
        x[i] = e->valuedouble;
    }
    return 1;
}

/* A saved count: a whole number from 0 to 2^40 (checked before the cast,
 * which is undefined for doubles out of range); 0 otherwise. */
static int count_from(double x, long *out)
{
    if (!(x >= 0.0 && x <= 1099511627776.0) || x != (double)(long)x)
        return 0;
    *out = (long)x;
    return 1;
}

/* Reads one saved model's counts into h (model borrowed from the JSON);
 * 0 if malformed. */
static int hist_read(const cJSON *j, cap_hist *h)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
    double b[NSUM * NBINS], u[NSUM], o[NSUM];
    if (!cJSON_IsString(m) || !get_array(j, "bins", b, NSUM * NBINS) || !get_array(j, "undefined", u, NSUM) ||
        !get_array(j, "outside", o, NSUM))
        return 0;
    h->model = m->valuestring;
    for (int i = 0; i < NSUM; i++) {
        for (int k = 0; k < NBINS; k++)
            if (!count_from(b[i * NBINS + k], &h->bins[i][k]))
                return 0;
        if (!count_from(u[i], &h->undefined[i]) || !count_from(o[i], &h->outside[i]))
            return 0;
    }
    return 1;
}

/* The saved histograms, checked whole before anything is added: parts[]
 * (calloc'd, MAX_MODELS + 1) gets the models in order, the other models
 * last (model NULL when absent).  0 if malformed or if they do not count
 * `scored` pairs. */
static int hist_parse(const cJSON *saved, long scored, cap_hist *parts, size_t *n)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(saved, "hist");
    const cJSON *bins = cJSON_GetObjectItemCaseSensitive(j, "bins");
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(j, "models");
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(j, "other");
    if (!cJSON_IsNumber(bins) || bins->valuedouble != NBINS || !cJSON_IsArray(models) ||
        cJSON_GetArraySize(models) > MAX_MODELS || !(cJSON_IsNull(other) || cJSON_IsObject(other)))
        return 0;
    *n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, models) {
        if (!hist_read(m, &parts[*n]))
            return 0;
        ++*n;
    }
    if (cJSON_IsObject(other) && !hist_read(other, &parts[MAX_MODELS]))
        return 0;
    for (int i = 0; i < NSUM; i++) { /* every scored pair is in each metric's counts once */
        long total = 0;
        for (size_t k = 0; k <= MAX_MODELS; k++) {
            if (k >= *n && k < MAX_MODELS)
                continue;
            for (int b = 0; b < NBINS; b++)
                total += parts[k].bins[i][b];
            total += parts[k].undefined[i] + parts[k].outside[i];
        }
        if (total != scored)
            return 0;
    }
    return 1;
}

static void hist_add(cap_hist *to, const cap_hist *from)
{
    for (int i = 0; i < NSUM; i++) {
        for (int k = 0; k < NBINS; k++)
            to->bins[i][k] += from->bins[i][k];
        to->undefined[i] += from->undefined[i];
        to->outside[i] += from->outside[i];
    }
}

/* Adds parsed parts: each saved model into its own series (or, past
 * MAX_MODELS, other models, as an unsharded run would), the saved other
 * models into ours; 0 when out of memory. */
static int hist_merge(caption_acc *a, const cap_hist *parts, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        cap_hist *h = hist_of(a, parts[k].model);
        if (!h)
            return 0;
        hist_add(h, &parts[k]);
    }
    if (parts[MAX_MODELS].model) {
        if (!a->hist[MAX_MODELS]) {
            if (!(a->hist[MAX_MODELS] = calloc(1, sizeof(cap_hist))))
                return 0;
            if (!(a->hist[MAX_MODELS]->model = strdup("")))
                return 0;
        }
        hist_add(a->hist[MAX_MODELS], &parts[MAX_MODELS]);
    }
    return 1;
}

static int caption_acc_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    const caption_state *s = state;
    caption_acc *a = acc, b = {0};
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(saved, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, ACC_FORMAT) != 0)
        return mms_error_set(err, MMS_EPARSE, 0, "caption: saved accumulator is not " ACC_FORMAT);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(saved, "rouge_stemmer");
    const cJSON *qk = cJSON_GetObjectItemCaseSensitive(saved, "mmsci_multiref_quirk");
    if (!cJSON_IsBool(st) || !cJSON_IsBool(qk) || cJSON_IsTrue(st) != s->ctx.rouge_stemmer ||
        cJSON_IsTrue(qk) != s->ctx.mmsci_quirk)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "caption: saved accumulator was made with other rouge_stemmer/mmsci_multiref_quirk options");
    double corpus[10];
    if (!get_long(saved, "pairs", &b.pairs) || !get_long(saved, "failed", &b.failed) ||
        !get_long(saved, "scored", &b.scored) || !get_long(saved, "skipped", &b.skipped) ||
        !get_long(saved, "bleu_undefined", &b.bleu_undefined) || !get_array(saved, "corpus", corpus, 10))
        return mms_error_set(err, MMS_EPARSE, 0, "caption: saved accumulator lacks counts or corpus");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(saved, "values");
    if (b.scored < 0 || b.scored > (1L << 40) || !cJSON_IsArray(vals) ||
        (size_t)cJSON_GetArraySize(vals) != (size_t)b.scored * NSUM)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "caption: saved accumulator: \"values\" is not %d numbers per scored pair",
                             NSUM);
    size_t nparts = 0;
    cap_hist *parts = calloc(MAX_MODELS + 1, sizeof *parts);
    if (!parts)
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    if (!hist_parse(saved, b.scored, parts, &nparts)) {
        free(parts);
        return mms_error_set(err, MMS_EPARSE, 0,
                             "caption: saved accumulator: \"hist\" is not %d bins of %d values per model, at most %d models, counting every scored pair",
                             NBINS, NSUM, MAX_MODELS);
    }
    if (reserve_values(a, (size_t)b.scored)) {
        free(parts);
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    }
    double *dst = a->x + (size_t)a->scored * NSUM;
    size_t k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, vals) {
        if (!cJSON_IsNumber(v)) {
            free(parts);
            return mms_error_set(err, MMS_EPARSE, 0, "caption: saved accumulator: a value is not a number");
        }
        dst[k++] = v->valuedouble;
    }
    int merged = hist_merge(a, parts, nparts);
    free(parts);
    if (!merged)
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory");
    a->pairs += b.pairs;
    a->failed += b.failed;
    a->scored += b.scored;
    a->skipped += b.skipped;
    a->bleu_undefined += b.bleu_undefined;
    for (int i = 0; i < 10; i++)
        a->corpus[i] += (long)corpus[i];
    return MMS_OK;
}

static int caption_acc_finish(void *state, void *acc, mms_values *summary, mms_error *err)
{
    (void)state;
    const caption_acc *a = acc;
    int rc = mms_values_set_int(summary, "pairs", a->pairs);
    if (!rc) rc = mms_values_set_int(summary, "failed", a->failed);
    if (!rc) rc = mms_values_set_int(summary, "scored", a->scored);
    if (!rc) rc = mms_values_set_int(summary, "skipped_empty", a->skipped);
    if (!rc) rc = mms_values_set_int(summary, "bleu_undefined", a->bleu_undefined);
    double sum[NSUM] = {0};
    for (size_t r = 0; r < (size_t)a->scored; r++) /* in input order, one running sum each */
        for (int i = 0; i < NSUM; i++)
            sum[i] += a->x[r * NSUM + i];
    for (int i = 0; i < NSUM && !rc; i++)
        rc = a->scored ? mms_values_set_number(summary, sum_mean[i], sum[i] / (double)a->scored)
                       : mms_values_set_null(summary, sum_mean[i]);
    cap_bleu_stats st = {0};
    st.hyp_len = a->corpus[0];
    st.ref_len_closest = a->corpus[1];
    for (int i = 0; i < 4; i++) {
        st.ng.matches[i] = a->corpus[2 + i];
        st.ng.possible[i] = a->corpus[6 + i];
    }
    cap_sacre_result cs;
    cap_bleu_sacre(&st, 0, &cs);
    if (!rc) rc = a->pairs ? mms_values_set_number(summary, "sacrebleu_corpus", cs.score)
                           : mms_values_set_null(summary, "sacrebleu_corpus");
    if (!rc) rc = mms_values_set_numbers(summary, "sacrebleu_corpus_precisions", cs.precisions, 4);
    if (!rc) rc = mms_values_set_number(summary, "sacrebleu_corpus_bp", cs.bp);
    if (!rc) rc = mms_values_set_int(summary, "sacrebleu_corpus_sys_len", cs.sys_len);
    if (!rc) rc = mms_values_set_int(summary, "sacrebleu_corpus_ref_len", cs.ref_len);
    return rc ? mms_error_set(err, rc, 0, "caption: could not store the summary") : MMS_OK;
}

/* The name of series k: the model, "other models" past MAX_MODELS; pairs
 * without the model field are "all pairs" when no pair has one. */
static const char *series_name(const caption_acc *a, size_t k)
{
    if (k == MAX_MODELS)
        return "other models";
    if (a->hist[k]->model[0])
        return a->hist[k]->model;
    return a->n_hist == 1 && !a->hist[MAX_MODELS] ? "all pairs" : "(no model field)";
}

/* One histogram of value i, a series per model. */
static cJSON *metric_figure(const caption_acc *a, int i)
{
    long undefined = 0, outside = 0;
    for (size_t k = 0; k <= MAX_MODELS; k++)
        if (a->hist[k]) {
            undefined += a->hist[k]->undefined[i];
            outside += a->hist[k]->outside[i];
        }
    char id[48], title[96], x_label[96], caption[640];
    snprintf(id, sizeof id, "hist_%s", sum_value[i]);
    for (char *c = id; *c; c++) /* ids are [a-z0-9_]: rougeL -> rougel */
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    snprintf(title, sizeof title, "%s per pair", sum_label[i]);
    snprintf(x_label, sizeof x_label, "%s (%s)", sum_label[i], i == S_SACRE ? "0 to 100" : "0 to 1");
    int len = snprintf(caption, sizeof caption,
                       "The %ld pairs with a non-empty candidate (those in mean_%s), in %d bins of %g; "
                       "%ld pair%s with an empty candidate and %ld that could not be scored are not counted.",
                       a->scored, sum_value[i], NBINS, sum_top(i) / NBINS, a->skipped,
                       a->skipped == 1 ? "" : "s", a->failed);
    if (undefined && len > 0 && (size_t)len < sizeof caption)
        len += snprintf(caption + len, sizeof caption - (size_t)len,
                        " %ld pair%s with an undefined value (empty text after tokenizing) not drawn: "
                        "mean_%s counts %s as 0.",
                        undefined, undefined == 1 ? "" : "s", sum_value[i], undefined == 1 ? "it" : "them");
    if (outside && len > 0 && (size_t)len < sizeof caption)
        snprintf(caption + len, sizeof caption - (size_t)len, " %ld value%s outside the range not drawn.",
                 outside, outside == 1 ? "" : "s");
    double edges[NBINS + 1];
    metric_edges(i, edges);
    cJSON *f = mmsc_figure_new(id, "histogram", "Captions", title, caption, x_label, "pairs");
    int ok = f && mmsc_figure_set_edges(f, edges, NBINS);
    /* A report draws at most FIG_SERIES series (beyond that colours are no
     * longer told apart): past it, the first FIG_SERIES - 1 models keep
     * theirs and the rest are summed into "other models". */
    size_t own = a->n_hist + (a->hist[MAX_MODELS] != NULL) <= FIG_SERIES ? a->n_hist : FIG_SERIES - 1;
    double other[NBINS] = {0};
    for (size_t k = 0; ok && k <= MAX_MODELS; k++) {
        if (!a->hist[k] || (k >= a->n_hist && k < MAX_MODELS))
            continue;
        double v[NBINS];
        for (int b = 0; b < NBINS; b++)
            v[b] = (double)a->hist[k]->bins[i][b];
        if (k < own)
            ok = mmsc_figure_add_series(f, series_name(a, k), v, NBINS);
        else
            for (int b = 0; b < NBINS; b++)
                other[b] += v[b];
    }
    if (ok && own < a->n_hist + (a->hist[MAX_MODELS] != NULL))
        ok = mmsc_figure_add_series(f, "other models", other, NBINS);
    if (ok && !a->n_hist) { /* nothing scored: an empty series, so the figure says so */
        double v[NBINS] = {0};
        ok = mmsc_figure_add_series(f, "all pairs", v, NBINS);
    }
    if (!ok) {
        cJSON_Delete(f);
        return NULL;
    }
    return f;
}

static int caption_acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const caption_acc *a = acc;
    /* in the order papers' tables show them: BLEU, its n-gram precisions,
     * ROUGE, METEOR, then sacreBLEU */
    cJSON *figs = cJSON_CreateArray();
    int ok = figs != NULL;
    for (int i = 0; ok && i < NSUM; i++)
        ok = cJSON_AddItemToArray(figs, metric_figure(a, i));
    if (!ok) {
        cJSON_Delete(figs);
        return mms_error_set(err, MMS_ENOMEM, 0, "caption: out of memory building the report figures");
    }
    *out = figs;
    return MMS_OK;
}

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"mean_bleu", "BLEU", "x100", 100, MMS_ROUND_DECIMALS, 2, "caption scores x100, 2 decimals"},
    {"mean_rouge1", "ROUGE-1", "x100", 100, MMS_ROUND_DECIMALS, 2, "caption scores x100, 2 decimals"},
    {"mean_rougeL", "ROUGE-L", "x100", 100, MMS_ROUND_DECIMALS, 2, "caption scores x100, 2 decimals"},
    {"mean_meteor", "METEOR", "x100", 100, MMS_ROUND_DECIMALS, 2, "caption scores x100, 2 decimals"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "caption",
    .version = "1.0.0",
    .description = "BLEU, sacreBLEU, ROUGE and METEOR of captions/answers at parity with MMSci (HF evaluate)",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_FIELDS,
    .commands = "",
    .requires = "",
    .options = options,
    .metrics = metrics,
    .summary = summary_defs,
    .headline = headline,
    .create = caption_create,
    .destroy = caption_destroy,
    .score = caption_score,
    .acc_new = caption_acc_new,
    .acc_add = caption_acc_add,
    .acc_save = caption_acc_save,
    .acc_merge = caption_acc_merge,
    .acc_finish = caption_acc_finish,
    .acc_free = caption_acc_free,
    .acc_report = caption_acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &descriptor; }
