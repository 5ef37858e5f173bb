/* Small utilities of libmmscore with no better home: JSON reading and
 * fixing, word lists, digests (not installed). */
#ifndef MMSCORE_UTIL_INTERNAL_H
#define MMSCORE_UTIL_INTERNAL_H

#include <stddef.h>

#include "mmscore/host.h"

/* cJSON_ParseWithLengthOpts that tells running out of memory (*nomem = 1)
 * from invalid JSON. */
cJSON *mms_json_parse(const char *s, size_t len, const char **end, int *nomem);

/* Replace every invalid UTF-8 sequence in the strings and keys below node
 * by U+FFFD, so that the printed JSON is strict (utf8.c). */
void mms_json_utf8_fix(cJSON *node);

/* Parse a JSON file of at most max bytes; *out owned by the caller. */
int mms_json_read_file(const char *path, size_t max, cJSON **out, mms_error *err);

/* The entries of folder dir but "." and "..", sorted by strcmp (the same
 * walk on every file system): bare names, or with join "dir/name".  *names
 * (array and strings) is the caller's, freed with mms_dir_names_free.
 * MMS_EIO with errno set when the folder cannot be opened; MMS_ENOMEM. */
int mms_dir_names(const char *dir, int join, char ***names, size_t *n);
void mms_dir_names_free(char **names, size_t n);

/* Does the space-separated list contain word? */
int mms_word_in_list(const char *list, const char *word);

/* "xxh128:<hex>" of a 128-bit digest, and of a text in memory. */
void mms_digest_hex(unsigned long long hi, unsigned long long lo, char out[MMS_DIGEST_MAX]);
void mms_digest_text(const char *text, size_t len, char out[MMS_DIGEST_MAX]);

#endif
