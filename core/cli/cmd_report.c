/* mmscore report [--output FILE.html] STATE...: the HTML report of saved
 * states (--save-state), several shards merged exactly as `mmscore merge`
 * merges them, with the same checks and refusals. */
#include <unistd.h>

#include "cli.h"

static const cli_flag report_flags[] = {
    {"output", "FILE.html", "write the report to FILE.html (default: stdout, when it is not a "
                            "terminal)"},
    {"allow-partial", NULL, "report on the shards present even when some of 0..N-1 are missing "
                            "(the page says which)"},
    {NULL, NULL, NULL}};

static int run_report(cli_ctx *c)
{
    const char *out = cli_flag_value(c, "output");
    if (out && !*out)
        return cli_usage_error(c, "--output expects a file name");
    if (!out && isatty(STDOUT_FILENO))
        return cli_usage_error(c, "give --output FILE.html (or redirect stdout)");
    if (c->json || c->summary_path)
        return cli_usage_error(c, "the report is the output: for a summary use mmscore merge");
    c->report_path = out ? out : "-";
    c->no_summary = 1;
    return cli_merge_states(c);
}

const cli_command cli_cmd_report = {
    "report", "[--output FILE.html] STATE...",
    "Write the HTML report (headline, figures, records that did not read) of saved states "
    "(--save-state), shards merged as mmscore merge does.",
    report_flags, run_report};
