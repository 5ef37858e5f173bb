/* Fuzz target: multiple-choice answer extraction (plugins/choice): both
 * extractors on the raw bytes, the option lines of a question, and a whole
 * JSONL record read as the plugin reads it. */
#include <string.h>

#include "fuzz.h"
#include "item.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_letter(const choice_result *r, unsigned mask)
{
    FUZZ_CHECK(r->path != NULL);
    if (!r->letter)
        return;
    FUZZ_CHECK(r->letter >= 'A' && r->letter <= 'Z');
    /* The strict extractor never answers with a letter that is not offered. */
    if (mask)
        FUZZ_CHECK(mask & (1u << (r->letter - 'A')));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    choice_result r;
    choice_extract_mmsci(s, size, &r);
    check_letter(&r, 0);
    choice_options none;
    memset(&none, 0, sizeof none);
    choice_extract_strict(s, size, &none, &r);
    check_letter(&r, 0);
    /* The input as a question with options, then as the answer to it. */
    choice_options opt;
    memset(&opt, 0, sizeof opt);
    int n = choice_options_from_question(s, size, &opt);
    FUZZ_CHECK(n >= 0 && n <= CHOICE_MAX_LETTERS);
    choice_extract_strict(s, size, &opt, &r);
    check_letter(&r, opt.mask);
    if (size) {
        FUZZ_CHECK(choice_py_space_len(s, size) <= size);
        FUZZ_CHECK(choice_py_space_len_back(s, size) <= size);
    }
    cJSON *j = cJSON_ParseWithLength(s, size);
    if (cJSON_IsObject(j)) {
        static const choice_fields names[2] = {{"question", "options", "gold", "raw_output", 0},
                                               {"question", "options", "gold", "raw_output", 1}};
        for (int k = 0; k < 2; k++) {
            choice_item it;
            mms_error e;
            if (choice_item_read(j, &names[k], &it, &e) != MMS_OK) {
                FUZZ_CHECK(e.message[0]);
                continue;
            }
            FUZZ_CHECK(it.gold >= 'A' && it.gold <= 'Z');
            choice_item_extract(&it, 0, &r);
            check_letter(&r, it.options.mask);
            choice_item_extract(&it, 1, &r);
            check_letter(&r, 0);
        }
    }
    cJSON_Delete(j);
    return 0;
}
