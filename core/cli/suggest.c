/* "Did you mean": the known flag nearest to a mistyped one.  Edit distance on
 * a few dozen short names; no Debian C library offers it on its own (glib
 * has none; the spell checkers want a dictionary), and it is twenty lines. */
#include <string.h>

#include "cli.h"

/* Edit distance with adjacent transpositions ("lable" is one edit from
 * "label"; optimal string alignment), capped: names over 63 bytes are "far". */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return 1 << 20;
    int d[64][64];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* Plugin options are flags with dashes, as --help and `mmscore plugins` show them. */
static void consider(const char *name, const char *cand, const char **best, int *best_d,
                     char *buf, size_t size)
{
    char flag[64];
    size_t k = 0;
    for (; cand[k] && k + 1 < sizeof flag; k++)
        flag[k] = cand[k] == '_' ? '-' : cand[k];
    flag[k] = '\0';
    int d = distance(name, flag);
    if (d < *best_d) {
        *best_d = d;
        snprintf(buf, size, "%s", flag);
        *best = buf;
    }
}

const char *cli_nearest_flag(const cli_ctx *c, const cli_flag *common, const char *name,
                             char *buf, size_t size)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (const cli_flag *f = common; f && f->name; f++)
        consider(name, f->name, &best, &best_d, buf, size);
    for (const cli_flag *f = c->cmd ? c->cmd->flags : NULL; f && f->name; f++)
        consider(name, f->name, &best, &best_d, buf, size);
    for (size_t i = 0; i < mms_host_plugin_count(c->host); i++) {
        const mms_plugin *d = mms_host_plugin(c->host, i, NULL);
        for (const mms_option_def *o = d ? d->options : NULL; o && o->name; o++)
            consider(name, o->name, &best, &best_d, buf, size);
    }
    /* A third of the name, at least 1 and at most 3 edits: near, not a guess. */
    int limit = (int)strlen(name) / 3;
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    return best && best_d <= limit ? best : NULL;
}
