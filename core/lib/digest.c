/* Content digests of inputs for the provenance of states and caches.
 * XXH3-128 (Debian libxxhash): fast enough to hash every input again before
 * it is read, and 128 bits make an accidental match of two different
 * reference sets out of the question. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "mmscore/mmscore.h"
#include "util_internal.h"

static int hash_file(XXH3_state_t *h, const char *path, mms_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read: %s", path, strerror(errno));
    static _Thread_local unsigned char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        XXH3_128bits_update(h, buf, got);
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    return bad ? mms_error_set(err, MMS_EIO, 0, "%s: read error: %s", path, strerror(e)) : MMS_OK;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* A folder: every regular file below it, sorted, each as its path relative
 * to the folder, then its bytes (so renaming a file changes the digest,
 * moving the whole folder does not).  Other kinds of entry (FIFOs, devices)
 * are never opened. */
/* The folders on the way down, so a link back up is not followed again. */
typedef struct dir_path {
    dev_t dev[65];
    ino_t ino[65];
} dir_path;

static int hash_dir(XXH3_state_t *h, const char *path, const char *rel, int depth, dir_path *up,
                    mms_error *err)
{
    struct stat self;
    if (depth > 64)
        return mms_error_set(err, MMS_ELIMIT, 0, "%s: folders nest deeper than 64", path);
    if (stat(path, &self) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read folder: %s", path, strerror(errno));
    for (int i = 0; i < depth; i++)
        if (up->dev[i] == self.st_dev && up->ino[i] == self.st_ino)
            return MMS_OK; /* a loop: its files are hashed once, where first met */
    up->dev[depth] = self.st_dev;
    up->ino[depth] = self.st_ino;
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, by_name);
    if (n < 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read folder: %s", path, strerror(errno));
    int rc = MMS_OK;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc == MMS_OK && strcmp(name, ".") && strcmp(name, "..")) {
            size_t lp = strlen(path) + strlen(name) + 2, lr = strlen(rel) + strlen(name) + 2;
            char *full = malloc(lp), *r = malloc(lr);
            struct stat st;
            if (!full || !r) {
                rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            } else {
                snprintf(full, lp, "%s/%s", path, name);
                snprintf(r, lr, "%s%s%s", rel, *rel ? "/" : "", name);
                if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                    rc = hash_dir(h, full, r, depth + 1, up, err);
                } else if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
                    XXH3_128bits_update(h, r, strlen(r) + 1);
                    rc = hash_file(h, full, err);
                }
            }
            free(full);
            free(r);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int mms_input_digest(const char *path, char out[MMS_DIGEST_MAX], mms_error *err)
{
    out[0] = '\0';
    if (!strcmp(path, "-"))
        return mms_error_set(err, MMS_EUNSUPPORTED, 0, "stdin cannot be digested");
    struct stat st;
    if (stat(path, &st) != 0)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot read input: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return mms_error_set(err, MMS_EUNSUPPORTED, 0, "%s: not a file or folder", path);
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    XXH3_128bits_reset(h);
    dir_path up;
    int rc = S_ISDIR(st.st_mode) ? hash_dir(h, path, "", 0, &up, err) : hash_file(h, path, err);
    if (rc == MMS_OK)
        mms_digest_hex(XXH3_128bits_digest(h).high64, XXH3_128bits_digest(h).low64, out);
    XXH3_freeState(h);
    return rc;
}

void mms_digest_hex(unsigned long long hi, unsigned long long lo, char out[MMS_DIGEST_MAX])
{
    snprintf(out, MMS_DIGEST_MAX, "xxh128:%016llx%016llx", hi, lo);
}

void mms_digest_text(const char *text, size_t len, char out[MMS_DIGEST_MAX])
{
    XXH128_hash_t d = XXH3_128bits(text, len);
    mms_digest_hex(d.high64, d.low64, out);
}
