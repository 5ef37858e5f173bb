/* writer_roundtrip INPUT...          round trips of every record, per format
 * writer_roundtrip --layout CIF...   our CIF vs the pymatgen-written files
 * Prints counts; exit status 1 if anything failed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roundtrip.h"

typedef struct layout_counts {
    long files, unread, ok, failed, exact, close;
} layout_counts;

static void layout_file(const char *path, layout_counts *c)
{
    size_t len;
    char *t = rt_slurp(path, &len);
    c->files++;
    char why[512];
    int r = t ? rt_layout(t, len, &c->exact, &c->close, why, sizeof why) : 0;
    if (r == 1)
        c->ok++;
    else if (r == 0)
        c->unread++;
    else if (c->failed++ < 20)
        fprintf(stderr, "%s: %s\n", path, why);
    free(t);
}

static void layout_path(const char *path, layout_counts *c)
{
    DIR *d = opendir(path);
    if (!d) {
        layout_file(path, c);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".cif")) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            layout_file(p, c);
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--layout")) {
        layout_counts c = {0};
        for (int i = 2; i < argc; i++)
            layout_path(argv[i], &c);
        printf("layout vs pymatgen CifWriter: %ld files, %ld unread, %ld match, %ld differ "
               "(numbers equal at 8 decimals: %ld, within 1e-6 only: %ld)\n",
               c.files, c.unread, c.ok, c.failed, c.exact, c.close);
        return c.failed ? 1 : 0;
    }
    rt_counts c;
    if (rt_run_inputs((const char *const *)argv + 1, (size_t)(argc - 1), &c, 20) != MMS_OK)
        return 2;
    printf("%ld records, %ld not read\n%-10s %8s %8s %8s %9s %8s %8s\n", c.records,
           c.unread, "format", "exact", "snapped", "flat", "reordered", "skipped", "failed");
    long failed = 0;
    for (int f = 0; f < RT_NFMT; f++) {
        printf("%-10s %8ld %8ld %8ld %9ld %8ld %8ld\n", rt_format_names[f], c.exact[f],
               c.snapped[f], c.flat[f], c.reordered[f], c.skipped[f], c.failed[f]);
        failed += c.failed[f];
    }
    return failed ? 1 : 0;
}
