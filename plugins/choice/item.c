/* choice — reading an item from a record's fields.  See item.h. */
#include "item.h"

#include <string.h>

static int letter_index(const char *key)
{
    if (!key || !key[0] || key[1]) return -1;
    char c = key[0];
    if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    return c >= 'A' && c <= 'Z' ? c - 'A' : -1;
}

static int read_options(const cJSON *fields, const choice_fields *names, choice_options *opt,
                        mms_error *err)
{
    memset(opt, 0, sizeof *opt);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(fields, names->options);
    if (cJSON_IsObject(o)) {
        for (const cJSON *c = o->child; c; c = c->next) {
            int i = letter_index(c->string);
            if (i < 0 || !cJSON_IsString(c))
                return mms_error_set(err, MMS_EPARSE, 0,
                                     "field '%s': expected {\"A\": \"option text\", ...}, got key '%s'",
                                     names->options, c->string ? c->string : "");
            opt->mask |= 1u << i;
            opt->text[i] = c->valuestring;
            opt->len[i] = strlen(c->valuestring);
        }
        if (opt->mask) return MMS_OK;
    } else if (cJSON_IsArray(o)) {
        int i = 0;
        for (const cJSON *c = o->child; c; c = c->next, i++) {
            if (i >= CHOICE_MAX_LETTERS || !cJSON_IsString(c))
                return mms_error_set(err, MMS_EPARSE, 0,
                                     "field '%s': expected an array of at most 26 option texts",
                                     names->options);
            opt->mask |= 1u << i;
            opt->text[i] = c->valuestring;
            opt->len[i] = strlen(c->valuestring);
        }
        if (opt->mask) return MMS_OK;
    } else if (o && !cJSON_IsNull(o)) {
        return mms_error_set(err, MMS_EPARSE, 0, "field '%s': expected an object or an array",
                             names->options);
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(fields, names->question);
    if (cJSON_IsString(q) && choice_options_from_question(q->valuestring, strlen(q->valuestring), opt) > 0)
        return MMS_OK;
    if (names->options_optional) return MMS_OK;
    return mms_error_set(err, MMS_EPARSE, 0,
                         "no options: field '%s' is absent and field '%s' has no option lines "
                         "(\"A. text\", \"(A) text\")",
                         names->options, names->question);
}

/* Gold as a letter of the options: "B", "b", "(B)", "B." or an option text. */
static int read_gold(const cJSON *fields, const choice_fields *names, const choice_options *opt,
                     char *gold, mms_error *err)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(fields, names->gold);
    if (!cJSON_IsString(g))
        return mms_error_set(err, MMS_EPARSE, 0, "field '%s' (gold letter) missing or not a string",
                             names->gold);
    const char *s = g->valuestring;
    size_t b = 0, e = strlen(s);
    while (b < e && (s[b] == ' ' || s[b] == '(')) b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == ')' || s[e - 1] == '.')) e--;
    if (e - b == 1) {
        char one[2] = {s[b], 0};
        int i = letter_index(one);
        if (i >= 0 && (opt->mask == 0 || (opt->mask >> i) & 1u)) {
            *gold = (char)('A' + i);
            return MMS_OK;
        }
    }
    for (int i = 0; i < CHOICE_MAX_LETTERS; i++)
        if (opt->text[i] && opt->len[i] == strlen(s) && memcmp(opt->text[i], s, opt->len[i]) == 0) {
            *gold = (char)('A' + i);
            return MMS_OK;
        }
    return mms_error_set(err, MMS_EPARSE, 0, "field '%s': \"%.40s\" is neither an option letter nor an option text",
                         names->gold, s);
}

int choice_item_read(const cJSON *fields, const choice_fields *names, choice_item *out,
                     mms_error *err)
{
    if (!cJSON_IsObject(fields))
        return mms_error_set(err, MMS_EPARSE, 0, "expected a JSON object with fields '%s', '%s', '%s'",
                             names->output, names->gold, names->options);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(fields, names->output);
    if (!cJSON_IsString(o))
        return mms_error_set(err, MMS_EPARSE, 0, "field '%s' (model output) missing or not a string",
                             names->output);
    out->output = o->valuestring;
    out->output_len = strlen(o->valuestring);
    if (out->output_len > CHOICE_MAX_OUTPUT)
        return mms_error_set(err, MMS_ELIMIT, 0, "field '%s': %zu bytes, more than the %u read",
                             names->output, out->output_len, CHOICE_MAX_OUTPUT);
    int rc = read_options(fields, names, &out->options, err);
    if (rc) return rc;
    return read_gold(fields, names, &out->options, &out->gold, err);
}

void choice_item_extract(const choice_item *it, int mmsci, choice_result *r)
{
    if (mmsci) choice_extract_mmsci(it->output, it->output_len, r);
    else choice_extract_strict(it->output, it->output_len, &it->options, r);
}
