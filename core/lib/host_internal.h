/* The host's loaded plugins (host.c), read by the pipeline and input layer
 * (not installed). */
#ifndef MMSCORE_HOST_INTERNAL_H
#define MMSCORE_HOST_INTERNAL_H

#include <stddef.h>

#include "mmscore/host.h"

/* One loaded plugin. */
typedef struct host_plugin {
    char *path;              /* owned */
    void *dl;                /* dlopen handle */
    const mms_plugin *desc;  /* owned copy, zero past the plugin's struct_size */
    cJSON *config;           /* owned: defaults, then config file, then flags */
    int builtin;             /* from the binary's own plugin folder: trusted to
                                run in-process by default (else isolated) */
} host_plugin;

typedef struct host_failure {
    char *path;
    char *message;
    char *name;      /* the descriptor's name, else the file's stem */
    char *commands;  /* the descriptor's commands; NULL when it could not be trusted */
    int duplicate;   /* refused because a plugin of that name is loaded */
    int builtin;     /* from the binary's own plugin directory */
} host_failure;

struct mms_host {
    host_plugin *plugins;
    size_t n_plugins, cap_plugins;
    host_failure *failures;
    size_t n_failures, cap_failures;
    int loading_builtin;     /* set while the binary's own plugins load */
};

#endif
