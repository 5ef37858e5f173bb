/* mmscore man: the manual page (roff), written from the same command table,
 * flags and examples as --help, so the two cannot disagree.  The build runs
 * it to make the installed mmscore.1. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_commands.h" /* generated: cli_commands[], n_cli_commands */

/* roff text: backslashes and dashes escaped, no line starting a request. */
static void roff(const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", stdout);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", stdout);
        else if (*s == '-')
            fputs("\\-", stdout);
        else
            putchar(*s);
    }
}

static void flags(const cli_flag *fl)
{
    for (; fl && fl->name; fl++) {
        printf(fl->arg ? ".TP\n.BI \"\\-\\-" : ".TP\n.B \\-\\-");
        roff(fl->name);
        if (fl->arg) { /* the tag is one line: bold flag, italic argument */
            printf(" \" \"");
            roff(fl->arg);
            putchar('"');
        }
        putchar('\n');
        roff(fl->help);
        putchar('\n');
    }
}

static int run_man(cli_ctx *c)
{
    (void)c;
    printf(".TH MMSCORE 1 \"\" \"mmscore %s\" \"User Commands\"\n", MMSCORE_VERSION);
    printf(".SH NAME\nmmscore \\- score generated crystal structures and figure-QA answers\n");
    printf(".SH SYNOPSIS\n.B mmscore\n.I COMMAND\n[flags] ARGS...\n");
    printf(".SH DESCRIPTION\nmmscore reads records (CIF, CSV/JSONL of CIFs, raw LLM text, QA "
           "JSONL) and hands them to scorer plugins; the summary starts with the values papers "
           "report. Each plugin's options are flags too; see\n.B mmscore plugins\nand\n"
           ".BR \"mmscore COMMAND \\-\\-help\" .\n");
    printf(".SH COMMANDS\n");
    for (size_t i = 0; i < n_cli_commands; i++) {
        const cli_command *cmd = cli_commands[i];
        printf(".SS \"mmscore ");
        roff(cmd->name);
        printf(" ");
        roff(cmd->args);
        printf("\"\n");
        roff(cmd->help);
        putchar('\n');
        flags(cmd->flags);
        const char *const *ex = cli_help_examples(cmd->name);
        if (ex) {
            printf(".PP\nExamples:\n.RS\n.nf\n");
            for (; *ex; ex++) {
                roff(*ex);
                putchar('\n');
            }
            printf(".fi\n.RE\n");
        }
    }
    printf(".SH COMMON FLAGS\n");
    flags(cli_common_flags);
    printf(".SH EXIT STATUS\n");
    roff(cli_exit_status);
    printf(".SH SEE ALSO\nThe docs/ folder of the sources: cli.md, report.md, plugins.md.\n");
    return fflush(stdout) == 0 && !ferror(stdout) ? CLI_OK : CLI_INPUT;
}

const cli_command cli_cmd_man = {
    "man", "", "Print the manual page (roff): mmscore man > mmscore.1 && man -l mmscore.1.",
    NULL, run_man};
