/* Plugin host: find plugin files, dlopen them, check the ABI guard before
 * trusting anything else in the descriptor, keep each plugin's config. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow_internal.h"
#include "isolate_internal.h"
#include "host_internal.h"
#include "input_internal.h"
#include "util_internal.h"

/* Core record keys: a plugin metric of one of these names would be written
 * over the core's value in the records file. */
static const char *const core_keys[] = {
    "id", "index", "source", "line", "set", "ok", "error", "formula", "elements", "counts",
    "n_sites", "volume", "lattice", "disordered", "has_oxidation", "plugin_errors", NULL};

int mms_host_new(mms_host **out, mms_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    return MMS_OK;
}

void mms_host_free(mms_host *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_plugins; i++) {
        cJSON_Delete(h->plugins[i].config);
        free(h->plugins[i].path);
        free((void *)h->plugins[i].desc);
        if (h->plugins[i].dl)
            dlclose(h->plugins[i].dl);
    }
    for (size_t i = 0; i < h->n_failures; i++) {
        free(h->failures[i].path);
        free(h->failures[i].message);
        free(h->failures[i].name);
        free(h->failures[i].commands);
    }
    free(h->plugins);
    free(h->failures);
    free(h);
}

/* d: the descriptor when its guard fields passed (its strings are copied
 * before the library is closed), else NULL. */
static int add_failure(mms_host *h, const char *path, int code, mms_error *err,
                       const mms_plugin *d)
{
    if (!mms_grow((void **)&h->failures, &h->cap_failures, h->n_failures + 1,
                  sizeof *h->failures, 8))
        return MMS_ENOMEM;
    host_failure *f = &h->failures[h->n_failures];
    memset(f, 0, sizeof *f);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t stem = strlen(base) > 3 && !strcmp(base + strlen(base) - 3, ".so") ? strlen(base) - 3
                                                                               : strlen(base);
    f->path = strdup(path);
    f->message = strdup(err->message);
    f->name = d && d->name ? strdup(d->name) : strndup(base, stem);
    f->commands = d ? strdup(d->commands ? d->commands : "") : NULL;
    f->duplicate = d && d->name && mms_host_find(h, d->name) != NULL;
    f->builtin = h->loading_builtin;
    if (!f->path || !f->message || !f->name || (d && !f->commands)) {
        free(f->path);
        free(f->message);
        free(f->name);
        free(f->commands);
        return MMS_ENOMEM;
    }
    h->n_failures++;
    return code;
}

int mms_host_failure_info(const mms_host *h, size_t i, const char **name, int *duplicate)
{
    if (i >= h->n_failures)
        return MMS_ENOTFOUND;
    if (name)
        *name = h->failures[i].name;
    if (duplicate)
        *duplicate = h->failures[i].duplicate;
    return MMS_OK;
}

/* "some-option" and "some_option" name the same option. */
static int option_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int valid_plugin_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Parse option text as its declared type into a new cJSON item. */
static int option_from_text(const mms_option_def *o, const char *text, cJSON **out,
                            mms_error *err)
{
    char *end;
    *out = NULL;
    switch (o->type) {
    case MMS_OPT_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes") || !strcmp(text, "on"))
            *out = cJSON_CreateTrue();
        else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no") || !strcmp(text, "off"))
            *out = cJSON_CreateFalse();
        else
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "option %s: expected true or false, got \"%s\"", o->name, text);
        break;
    case MMS_OPT_INT: {
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (!*text || *end || errno)
            return mms_error_set(err, MMS_EINVAL, 0, "option %s: expected an integer, got \"%s\"",
                                 o->name, text);
        *out = cJSON_CreateNumber((double)v);
        break;
    }
    case MMS_OPT_NUMBER: {
        errno = 0;
        double v = strtod(text, &end);
        if (!*text || *end || errno)
            return mms_error_set(err, MMS_EINVAL, 0, "option %s: expected a number, got \"%s\"",
                                 o->name, text);
        *out = cJSON_CreateNumber(v);
        break;
    }
    case MMS_OPT_STRING:
        *out = cJSON_CreateString(text);
        break;
    default:
        return mms_error_set(err, MMS_EINVAL, 0, "option %s: unknown option type %d", o->name,
                             (int)o->type);
    }
    return *out ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

/* Check a JSON value against the declared type; on success *out is a copy. */
static int option_from_json(const mms_option_def *o, const cJSON *v, cJSON **out, mms_error *err)
{
    int ok = 0;
    switch (o->type) {
    case MMS_OPT_BOOL: ok = cJSON_IsBool(v); break;
    case MMS_OPT_INT:
        ok = cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
        break;
    case MMS_OPT_NUMBER: ok = cJSON_IsNumber(v); break;
    case MMS_OPT_STRING: ok = cJSON_IsString(v); break;
    }
    if (!ok) {
        static const char *const names[] = {"?", "a boolean", "an integer", "a number", "a string"};
        int t = o->type >= 1 && o->type <= 4 ? (int)o->type : 0;
        return mms_error_set(err, MMS_EINVAL, 0, "option %s: expected %s", o->name, names[t]);
    }
    *out = cJSON_Duplicate(v, 1);
    return *out ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

static int set_config_item(cJSON *config, const char *name, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(config, name))
        return cJSON_ReplaceItemInObjectCaseSensitive(config, name, item) ? MMS_OK : MMS_ENOMEM;
    return cJSON_AddItemToObject(config, name, item) ? MMS_OK : MMS_ENOMEM;
}

/* Every declared option present with its default (null when none). */
static int default_config(const mms_plugin *d, cJSON **out, mms_error *err)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    for (const mms_option_def *o = d->options; o && o->name; o++) {
        cJSON *item = NULL;
        int rc = o->default_value ? option_from_text(o, o->default_value, &item, err) : MMS_OK;
        if (rc == MMS_OK && !item)
            item = cJSON_CreateNull();
        if (rc == MMS_OK)
            rc = item ? set_config_item(c, o->name, item) : MMS_ENOMEM;
        if (rc != MMS_OK) {
            cJSON_Delete(c);
            if (rc == MMS_ENOMEM)
                mms_error_set(err, rc, 0, "out of memory");
            return mms_error_set(err, MMS_EPLUGIN, 0, "default of %s", err->message);
        }
    }
    *out = c;
    return MMS_OK;
}

static int check_metric_clash(const mms_host *h, const mms_plugin *d, mms_error *err)
{
    for (const mms_metric_def *m = d->metrics; m && m->name; m++) {
        for (const char *const *k = core_keys; *k; k++)
            if (!strcmp(*k, m->name))
                return mms_error_set(err, MMS_EPLUGIN, 0,
                                     "plugin %s: metric name \"%s\" is a core record field",
                                     d->name, m->name);
        for (size_t i = 0; i < h->n_plugins; i++)
            for (const mms_metric_def *o = h->plugins[i].desc->metrics; o && o->name; o++)
                if (!strcmp(o->name, m->name))
                    return mms_error_set(err, MMS_EPLUGIN, 0,
                                         "plugin %s: metric \"%s\" is already produced by "
                                         "plugin %s (%s)",
                                         d->name, m->name, h->plugins[i].desc->name,
                                         h->plugins[i].path);
    }
    return MMS_OK;
}

static int check_descriptor(const mms_host *h, const mms_plugin *d, mms_error *err)
{
    if (!valid_plugin_name(d->name))
        return mms_error_set(err, MMS_EPLUGIN, 0, "plugin name \"%s\" is not [a-z0-9_]+",
                             d->name ? d->name : "(null)");
    const mms_plugin *other = mms_host_find(h, d->name);
    if (other) {
        for (size_t i = 0; i < h->n_plugins; i++)
            if (h->plugins[i].desc == other)
                return mms_error_set(err, MMS_EPLUGIN, 0,
                                     "plugin %s already loaded from %s (first in discovery "
                                     "order wins)",
                                     d->name, h->plugins[i].path);
    }
    if (d->kind == MMS_PLUGIN_READER) {
        if (!d->read || !d->formats || !*d->formats)
            return mms_error_set(err, MMS_EPLUGIN, 0, "reader %s has no read function or formats",
                                 d->name);
    } else if (d->kind == MMS_PLUGIN_SCORER) {
        int set_part = d->acc_new || d->acc_add || d->acc_finish || d->acc_free;
        if (set_part && !(d->acc_new && d->acc_add && d->acc_finish && d->acc_free))
            return mms_error_set(err, MMS_EPLUGIN, 0,
                                 "scorer %s: acc_new, acc_add, acc_finish and acc_free go together",
                                 d->name);
        if (!d->score && !set_part)
            return mms_error_set(err, MMS_EPLUGIN, 0, "scorer %s has neither score nor acc_*",
                                 d->name);
    } else {
        return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: unknown kind %d", d->name,
                             (int)d->kind);
    }
    for (const mms_option_def *o = d->options; o && o->name; o++)
        if (o->type < MMS_OPT_BOOL || o->type > MMS_OPT_STRING)
            return mms_error_set(err, MMS_EPLUGIN, 0, "plugin %s: option %s has unknown type %d",
                                 d->name, o->name, (int)o->type);
    /* A headline names a declared summary value and rounds sanely, so a
     * table never shows a column that cannot be filled or a silly number. */
    for (const mms_headline_def *hd = d->headline; hd && hd->value; hd++) {
        /* "X.*.Y": field Y of every member of the object value X. */
        const char *star = strstr(hd->value, ".*.");
        size_t len = star ? (size_t)(star - hd->value) : strlen(hd->value);
        const mms_metric_def *m = d->summary;
        while (m && m->name && (strlen(m->name) != len || strncmp(m->name, hd->value, len)))
            m++;
        if (!m || !m->name || !hd->label ||
            (hd->round != MMS_ROUND_DECIMALS && hd->round != MMS_ROUND_SIGNIFICANT) ||
            hd->digits < 0 || hd->digits > 12 || hd->scale < 0 || !isfinite(hd->scale))
            return mms_error_set(err, MMS_EPLUGIN, 0,
                                 "plugin %s: headline %s is not a declared summary value (or "
                                 "X.*.Y of one) with a label, a known rounding and 0..12 digits",
                                 d->name, hd->value);
    }
    return check_metric_clash(h, d, err);
}

static int builtin_dirs(char dirs[][PATH_MAX + 64], int with_build);

/* Is path's folder (the same inode) one of the binary's own plugin folders? */
static int in_builtin_dir(const char *path)
{
    char folder[PATH_MAX + 64];
    char dirs[4][PATH_MAX + 64];
    const char *slash = strrchr(path, '/');
    snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - path) + 1 : 1,
             slash ? path : ".");
    struct stat a, b;
    if (stat(folder, &a) != 0)
        return 0;
    int n = builtin_dirs(dirs, 1);
    for (int i = 0; i < n; i++)
        if (stat(dirs[i], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return 1;
    return 0;
}

int mms_host_load_file(mms_host *h, const char *path, mms_error *err)
{
    mms_error local;
    if (!err)
        err = &local;
    mms_error_clear(err);
    /* A plugin of unknown origin is first loaded in a throw-away child: a
     * constructor that crashes there is named instead of killing us. */
    int builtin = in_builtin_dir(path);
    if (!builtin && mms_isolate_probe_load(path, MMS_PLUGIN_ENTRY_SYMBOL, err) != MMS_OK)
        return add_failure(h, path, MMS_EPLUGIN, err, NULL);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        mms_error_set(err, MMS_EPLUGIN, 0, "%s: cannot load: %s", path, why ? why : "?");
        return add_failure(h, path, MMS_EPLUGIN, err, NULL);
    }
    mms_plugin_entry_fn entry;
    /* POSIX's sanctioned way to turn dlsym's object pointer into a function pointer. */
    *(void **)(&entry) = dlsym(dl, MMS_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        mms_error_set(err, MMS_EPLUGIN, 0, "%s: no %s symbol: not an mmscore plugin", path,
                      MMS_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        return add_failure(h, path, MMS_EPLUGIN, err, NULL);
    }
    const mms_plugin *pd = entry();
    mms_plugin *d = NULL;
    int rc = MMS_OK;
    /* Only the two guard fields may be read before they are checked: a
     * plugin of another major ABI may be laid out differently, and an older
     * one's descriptor ends at its struct_size. */
    if (!pd)
        rc = mms_error_set(err, MMS_EPLUGIN, 0, "%s: %s returned NULL", path,
                           MMS_PLUGIN_ENTRY_SYMBOL);
    else if (pd->abi_version != MMS_PLUGIN_ABI_VERSION)
        rc = mms_error_set(err, MMS_EABI, 0, "%s: ABI version %u, this mmscore speaks %u", path,
                           (unsigned)pd->abi_version, (unsigned)MMS_PLUGIN_ABI_VERSION);
    else if (pd->struct_size > sizeof(mms_plugin))
        rc = mms_error_set(err, MMS_EABI, 0,
                           "%s: descriptor of %u bytes is newer than this mmscore's (%zu bytes, "
                           "plugin ABI %u revision %u): upgrade mmscore or build the plugin "
                           "against this one's headers",
                           path, (unsigned)pd->struct_size, sizeof(mms_plugin),
                           (unsigned)MMS_PLUGIN_ABI_VERSION, (unsigned)MMS_PLUGIN_ABI_REVISION);
    else if (pd->struct_size < MMS_PLUGIN_SIZE_V1)
        rc = mms_error_set(err, MMS_EABI, 0,
                           "%s: descriptor of %u bytes is smaller than any plugin ABI %u "
                           "descriptor (%zu bytes at least)",
                           path, (unsigned)pd->struct_size, (unsigned)MMS_PLUGIN_ABI_VERSION,
                           (size_t)MMS_PLUGIN_SIZE_V1);
    else if (!(d = calloc(1, sizeof *d)))
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    else {
        /* The host's own copy: fields past the plugin's size stay zero (absent). */
        memcpy(d, pd, pd->struct_size);
        rc = check_descriptor(h, d, err);
        if (rc != MMS_OK) {
            char msg[MMS_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            mms_error_set(err, rc, 0, "%s: %s", path, msg);
        }
    }
    cJSON *config = NULL;
    if (rc == MMS_OK) {
        rc = default_config(d, &config, err);
        if (rc != MMS_OK) {
            char msg[MMS_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            mms_error_set(err, rc, 0, "%s: %s", path, msg);
        }
    }
    if (rc == MMS_OK && !mms_grow((void **)&h->plugins, &h->cap_plugins, h->n_plugins + 1,
                                  sizeof *h->plugins, 16))
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    char *pcopy = rc == MMS_OK ? strdup(path) : NULL;
    if (rc == MMS_OK && !pcopy)
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    if (rc != MMS_OK) {
        /* The descriptor's strings are trusted only past the ABI guard. */
        int trusted = d && rc != MMS_EABI;
        rc = add_failure(h, path, rc, err, trusted ? d : NULL);
        cJSON_Delete(config);
        free(d);
        dlclose(dl);
        return rc;
    }
    h->plugins[h->n_plugins++] = (host_plugin){pcopy, dl, d, config, builtin};
    return MMS_OK;
}

int mms_host_load_dir(mms_host *h, const char *dir, mms_error *err)
{
    char **names;
    size_t n;
    int rc = mms_dir_names(dir, 0, &names, &n);
    if (rc == MMS_EIO)
        return mms_error_set(err, MMS_EIO, 0, "%s: cannot open plugin directory: %s", dir,
                             strerror(errno));
    if (rc != MMS_OK)
        return mms_error_set(err, rc, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (rc == MMS_OK && nl >= 4 && strcmp(names[i] + nl - 3, ".so") == 0) {
            size_t len = strlen(dir) + nl + 2;
            char *p = malloc(len);
            if (!p)
                rc = MMS_ENOMEM;
            else {
                snprintf(p, len, "%s/%s", dir, names[i]);
                mms_host_load_file(h, p, NULL); /* failures are recorded in h */
                free(p);
            }
        }
        free(names[i]);
    }
    free(names);
    if (rc == MMS_ENOMEM)
        return mms_error_set(err, rc, 0, "out of memory");
    return MMS_OK;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int mms_host_load_default(mms_host *h, mms_error *err)
{
    const char *env = getenv("MMSCORE_PLUGIN_PATH");
    if (env && *env) {
        char *copy = strdup(env);
        if (!copy)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (is_dir(d))
                mms_host_load_dir(h, d, NULL);
        free(copy);
    }
    /* The binary's own plugins: those of its build tree, else of its
     * (possibly relocated) install, else of the configured prefix.  Only the
     * first that exists: the same folder reached twice, or a build tree
     * beside an installed copy, would otherwise load every plugin twice. */
    char dirs[4][PATH_MAX + 64];
    int n_dirs = builtin_dirs(dirs, 0);
    for (int i = 0; i < n_dirs; i++) {
        if (is_dir(dirs[i])) {
            h->loading_builtin = 1;
            mms_host_load_dir(h, dirs[i], NULL);
            h->loading_builtin = 0;
            break;
        }
    }
    return MMS_OK;
}

/* The folders the binary's own plugins may be in, in discovery order, and
 * with_build the build tree's (for test programs, which are not next to it:
 * trusted, never searched). */
static int builtin_dirs(char dirs[][PATH_MAX + 64], int with_build)
{
    int n_dirs = 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[n_dirs++], sizeof dirs[0], "%s/plugins", exe);
#ifdef MMSCORE_PLUGIN_INSTALL_RELDIR
            snprintf(dirs[n_dirs++], sizeof dirs[0], "%s/../%s", exe,
                     MMSCORE_PLUGIN_INSTALL_RELDIR);
#endif
        }
    }
#ifdef MMSCORE_PLUGIN_INSTALL_DIR
    snprintf(dirs[n_dirs++], sizeof dirs[0], "%s", MMSCORE_PLUGIN_INSTALL_DIR);
#endif
#ifdef MMSCORE_PLUGIN_BUILD_DIR
    if (with_build)
        snprintf(dirs[n_dirs++], sizeof dirs[0], "%s", MMSCORE_PLUGIN_BUILD_DIR);
#else
    (void)with_build;
#endif
    return n_dirs;
}

size_t mms_host_plugin_count(const mms_host *h)
{
    return h->n_plugins;
}

const mms_plugin *mms_host_plugin(const mms_host *h, size_t i, const char **path)
{
    if (i >= h->n_plugins)
        return NULL;
    if (path)
        *path = h->plugins[i].path;
    return h->plugins[i].desc;
}

const mms_plugin *mms_host_find(const mms_host *h, const char *name)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        if (!strcmp(h->plugins[i].desc->name, name))
            return h->plugins[i].desc;
    return NULL;
}

size_t mms_host_failure_count(const mms_host *h)
{
    return h->n_failures;
}

const char *mms_host_failure(const mms_host *h, size_t i, const char **path)
{
    if (i >= h->n_failures)
        return NULL;
    if (path)
        *path = h->failures[i].path;
    return h->failures[i].message;
}

static host_plugin *find_hp(const mms_host *h, const char *name)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        if (!strcmp(h->plugins[i].desc->name, name))
            return &h->plugins[i];
    return NULL;
}

const cJSON *mms_host_config(const mms_host *h, const char *plugin)
{
    host_plugin *hp = find_hp(h, plugin);
    return hp ? hp->config : NULL;
}

static const mms_option_def *find_option(const mms_plugin *d, const char *name)
{
    for (const mms_option_def *o = d->options; o && o->name; o++)
        if (option_name_eq(o->name, name))
            return o;
    return NULL;
}

int mms_host_apply_config(mms_host *h, const cJSON *config, mms_error *err)
{
    if (!cJSON_IsObject(config))
        return mms_error_set(err, MMS_EPARSE, 0,
                             "config: expected an object {\"plugin\": {\"option\": value}}");
    const cJSON *pl;
    cJSON_ArrayForEach(pl, config) {
        host_plugin *hp = find_hp(h, pl->string);
        if (!hp)
            return mms_error_set(err, MMS_ENOTFOUND, 0, "config: no plugin named \"%s\" is loaded",
                                 pl->string);
        if (!cJSON_IsObject(pl))
            return mms_error_set(err, MMS_EPARSE, 0, "config: \"%s\" must be an object of options",
                                 pl->string);
        const cJSON *opt;
        cJSON_ArrayForEach(opt, pl) {
            const mms_option_def *o = find_option(hp->desc, opt->string);
            if (!o)
                return mms_error_set(err, MMS_ENOTFOUND, 0,
                                     "config: plugin %s has no option \"%s\"", pl->string,
                                     opt->string);
            cJSON *item;
            int rc = option_from_json(o, opt, &item, err);
            if (rc != MMS_OK) {
                char msg[MMS_ERROR_MESSAGE_MAX];
                snprintf(msg, sizeof msg, "%s", err->message);
                return mms_error_set(err, rc, 0, "config: plugin %s: %s", pl->string, msg);
            }
            if (set_config_item(hp->config, o->name, item) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
    }
    return MMS_OK;
}

int mms_host_load_config(mms_host *h, const char *path, mms_error *err)
{
    cJSON *c;
    int rc = mms_json_read_file(path, 16u << 20, &c, err);
    if (rc != MMS_OK)
        return rc;
    rc = mms_host_apply_config(h, c, err);
    cJSON_Delete(c);
    if (rc != MMS_OK) {
        char msg[MMS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        mms_error_set(err, rc, 0, "%s: %s", path, msg);
    }
    return rc;
}

int mms_host_set_option(mms_host *h, const char *name, const char *text, mms_error *err)
{
    int found = 0;
    for (size_t i = 0; i < h->n_plugins; i++) {
        const mms_option_def *o = find_option(h->plugins[i].desc, name);
        if (!o)
            continue;
        found = 1;
        cJSON *item;
        int rc = option_from_text(o, text, &item, err);
        if (rc != MMS_OK)
            return rc;
        if (set_config_item(h->plugins[i].config, o->name, item) != MMS_OK)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    if (!found)
        return mms_error_set(err, MMS_ENOTFOUND, 0, "no loaded plugin has an option \"%s\"", name);
    return MMS_OK;
}

int mms_host_option_type(const mms_host *h, const char *name)
{
    for (size_t i = 0; i < h->n_plugins; i++) {
        const mms_option_def *o = find_option(h->plugins[i].desc, name);
        if (o)
            return (int)o->type;
    }
    return 0;
}
