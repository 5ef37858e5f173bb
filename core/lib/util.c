/* Small utilities of libmmscore (util_internal.h): JSON reading, word
 * lists, sorted folder listings. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow_internal.h"
#include "input_internal.h"
#include "util_internal.h"

int mms_word_in_list(const char *list, const char *word)
{
    if (!list || !word)
        return 0;
    size_t n = strlen(word);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t' && *q != ',')
            q++;
        if ((size_t)(q - p) == n && n && memcmp(p, word, n) == 0)
            return 1;
        p = q;
    }
    return 0;
}

/* cJSON says only "invalid JSON" when an allocation fails; the hook below
 * tells the two apart, so running out of memory is never reported as bad
 * input.  It wraps malloc and nothing else, so memory from it is freed by
 * free as before (plugins share cJSON with the core). */
static _Thread_local int json_nomem;

static void *json_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        json_nomem = 1;
    return p;
}

static void json_hooks_install(void)
{
    cJSON_Hooks h = {json_malloc, free};
    cJSON_InitHooks(&h);
}

cJSON *mms_json_parse(const char *s, size_t len, const char **end, int *nomem)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, json_hooks_install);
    json_nomem = 0;
    cJSON *v = cJSON_ParseWithLengthOpts(s, len, end, 0);
    *nomem = json_nomem;
    if (v && json_nomem) {
        /* cannot happen with cJSON 1.7 (a failed allocation fails the parse), but be sure */
        cJSON_Delete(v);
        v = NULL;
    }
    return v;
}

int mms_json_read_file(const char *path, size_t max, cJSON **out, mms_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot open: %s", path, strerror(errno));
    strbuf text = {0};
    char chunk[65536];
    size_t got;
    int rc = MMS_OK;
    while (rc == MMS_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (text.len + got > max)
            rc = mms_error_set(err, MMS_ELIMIT, 0, "%s: larger than %zu bytes", path, max);
        else if (strbuf_put(&text, chunk, got))
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    if (rc == MMS_OK && ferror(f))
        rc = mms_error_set(err, MMS_EIO, 0, "%s: read error", path);
    fclose(f);
    if (rc == MMS_OK) {
        const char *end = NULL;
        int nomem = 0;
        *out = mms_json_parse(text.s ? text.s : "", text.len, &end, &nomem);
        if (!*out && nomem) {
            rc = mms_error_set(err, MMS_ENOMEM, 0, "%s: out of memory reading its JSON", path);
        } else if (!*out) {
            long line = 1;
            for (const char *q = text.s; q && end && q < end; q++)
                line += *q == '\n';
            rc = mms_error_set(err, MMS_EPARSE, line, "%s:%ld: not valid JSON", path, line);
        }
    }
    strbuf_free(&text);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int mms_dir_names(const char *dir, int join, char ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return MMS_EIO;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = MMS_OK;
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!mms_grow((void **)&names, &cap, n + 1, sizeof *names, 64)) {
            rc = MMS_ENOMEM;
            break;
        }
        size_t len = (join ? strlen(dir) + 1 : 0) + strlen(e->d_name) + 1;
        if (!(names[n] = malloc(len))) {
            rc = MMS_ENOMEM;
            break;
        }
        if (join)
            snprintf(names[n], len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                     e->d_name);
        else
            memcpy(names[n], e->d_name, len);
        n++;
    }
    closedir(dp);
    if (rc != MMS_OK) {
        mms_dir_names_free(names, n);
        return rc;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return MMS_OK;
}

void mms_dir_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
