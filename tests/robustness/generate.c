/* Hostile inputs too big to commit, written into a scratch folder at test
 * time.  Every generator is deterministic (a fixed LCG), so a failure can be
 * reproduced by keeping the folder (MMSCORE_ROBUSTNESS_KEEP=1). */
#include "generate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CELL4                                                                                      \
    "_cell_length_a 4.0\n_cell_length_b 4.0\n_cell_length_c 4.0\n"                                 \
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
#define P1_OPS "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n"
#define ATOM_LOOP                                                                                  \
    "loop_\n_atom_site_type_symbol\n_atom_site_label\n_atom_site_fract_x\n"                        \
    "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
#define NACL_BLOCK(name)                                                                           \
    "data_" name "\n" CELL4 P1_OPS ATOM_LOOP "Na Na1 0 0 0 1\nCl Cl1 0.5 0.5 0.5 1\n"

static double lcg01(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void repeat(FILE *f, const char *s, long n)
{
    for (long i = 0; i < n; i++)
        fputs(s, f);
}

/* A P1 cell of n atoms at pseudo-random positions, `edge` Å cubed. */
static void random_cell(FILE *f, const char *name, int n, double edge)
{
    uint64_t s = 12345;
    fprintf(f, "data_%s\n_cell_length_a %g\n_cell_length_b %g\n_cell_length_c %g\n"
               "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n" P1_OPS ATOM_LOOP,
            name, edge, edge, edge);
    for (int i = 0; i < n; i++) {
        double x = lcg01(&s), y = lcg01(&s), z = lcg01(&s);
        fprintf(f, "%s X%d %.6f %.6f %.6f 1\n", i % 2 ? "Na" : "Cl", i, x, y, z);
    }
}

static void gen_long_line(FILE *f)
{
    fputs(NACL_BLOCK("before") "data_long_line\n_note ", f);
    repeat(f, "x", 1100000); /* over the 1 MiB line limit */
    fputs("\n" CELL4 P1_OPS ATOM_LOOP "Na Na1 0 0 0 1\n" NACL_BLOCK("after"), f);
}

static void gen_atoms_10k(FILE *f) { random_cell(f, "atoms_10k", 10000, 50.0); }
static void gen_atoms_300(FILE *f) { random_cell(f, "atoms_300", 300, 15.0); }

/* Fm-3m written out as its 192 general-position operations (48 signed
 * permutations x 4 face centrings) on 100 general-position atoms: 19,200
 * sites, past the default --max-atoms. */
static void gen_blowup(FILE *f)
{
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    static const char *const axis[3] = {"x", "y", "z"};
    static const char *const centre[4][3] = {
        {"", "", ""}, {"", "+1/2", "+1/2"}, {"+1/2", "", "+1/2"}, {"+1/2", "+1/2", ""}};
    fputs("data_blowup_192_ops\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
          "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
          "_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_symmetry_equiv_pos_as_xyz\n",
          f);
    for (int c = 0; c < 4; c++)
        for (int p = 0; p < 6; p++)
            for (int sgn = 0; sgn < 8; sgn++) {
                fputc('\'', f);
                for (int k = 0; k < 3; k++)
                    fprintf(f, "%s%s%s%s", k ? ", " : "", (sgn >> k) & 1 ? "-" : "",
                            axis[perm[p][k]], centre[c][k]);
                fputs("'\n", f);
            }
    fputs(ATOM_LOOP, f);
    uint64_t s = 777;
    for (int i = 0; i < 100; i++) {
        double x = 0.02 + 0.2 * lcg01(&s), y = 0.25 + 0.2 * lcg01(&s), z = 0.05 + 0.4 * lcg01(&s);
        fprintf(f, "C C%d %.5f %.5f %.5f 1\n", i, x, y, z);
    }
}

/* crystal-text-llm text with more atoms than --max-atoms. */
static void gen_text_many_atoms(FILE *f)
{
    uint64_t s = 99;
    fputs("60.0 60.0 60.0\n90 90 90\n", f);
    for (int i = 0; i < 12000; i++) {
        double x = lcg01(&s), y = lcg01(&s), z = lcg01(&s);
        fprintf(f, "Si\n%.3f %.3f %.3f\n", x, y, z);
    }
}

static void gen_deep_jsonl(FILE *f)
{
    fputs("{\"id\": \"before\", \"candidate\": \"a cat\", \"references\": [\"a cat\"]}\n", f);
    repeat(f, "[", 100000);
    repeat(f, "]", 100000);
    fputs("\n{\"id\": \"deep_object\", \"x\": ", f);
    repeat(f, "{\"a\": ", 100000);
    fputs("1", f);
    repeat(f, "}", 100000);
    fputs("}\n{\"id\": \"after\", \"raw_output\": \"The answer is B.\", "
          "\"options\": {\"A\": \"x\", \"B\": \"y\"}, \"gold\": \"B\"}\n",
          f);
}

static void gen_huge_strings(FILE *f)
{
    fputs("{\"id\": \"big_cif\", \"cif\": \"data_big\\n_note ", f);
    repeat(f, "x", 5000000);
    fputs("\\n\"}\n{\"id\": \"big_caption\", \"candidate\": \"", f);
    repeat(f, "word ", 1000000);
    fputs("\", \"references\": [\"", f);
    repeat(f, "other word ", 300000);
    fputs("\"]}\n{\"id\": \"big_output\", \"raw_output\": \"", f);
    repeat(f, "A ", 2000000);
    fputs("\", \"options\": {\"A\": \"x\", \"B\": \"y\"}, \"gold\": \"A\"}\n", f);
}

static void gen_huge_csv_cell(FILE *f)
{
    fputs("material_id,cif\nbig,\"" NACL_BLOCK("big") "_note ", f);
    repeat(f, "y", 2000000);
    fputs("\n\"\nsmall,\"" NACL_BLOCK("small") "\"\n", f);
}

static void gen_wide_csv(FILE *f)
{
    fputs("material_id,cif\nwide,", f);
    repeat(f, ",", 100000);
    fputs("\nok,\"" NACL_BLOCK("ok") "\"\n", f);
}

/* 2x10^6 zeros in one line: over the default --max-json-values, so a limit
 * record without parsing (parsed, cJSON would take ~160 MB). */
static void gen_json_zeros(FILE *f)
{
    fputs("{\"id\": \"zeros\", \"x\": [0", f);
    repeat(f, ",0", 2000000);
    fputs("]}\n{\"id\": \"ok\", \"text\": \"4 4 4\\n90 90 90\\nNa\\n0 0 0\\n\", "
          "\"raw_output\": \"B\", "
          "\"options\": [\"x\", \"y\"], \"gold\": \"B\"}\n",
          f);
}

static const rb_case_gen generated[] = {
    /* name, records, exit, commands, must_codes, extra args, writer */
    {"long_line.cif", 3, 0, "vfcq", "limit", "", gen_long_line},
    {"atoms_10k.cif", 1, 0, "vcq", "", "", gen_atoms_10k},
    {"atoms_10k_limited.cif", 1, 0, "vfcq", "limit", "--max-atoms 5000", gen_atoms_10k},
    {"atoms_300.cif", 1, 0, "vfcq", "", "", gen_atoms_300},
    {"blowup_192_ops.cif", 1, 0, "vfcq", "limit", "", gen_blowup},
    {"many_atoms.txt", 1, 0, "vfcq", "limit", "", gen_text_many_atoms},
    {"deep_nesting.jsonl", 4, 0, "cq", "parse", "", gen_deep_jsonl},
    /* no line holds a structure: every line an error record, and exit 1 */
    {"deep_nesting.jsonl", 4, 1, "vf", "parse", "", gen_deep_jsonl},
    {"huge_strings.jsonl", 3, 0, "vfcq", "limit", "", gen_huge_strings},
    {"huge_cell.csv", 2, 0, "vfcq", "limit", "", gen_huge_csv_cell},
    {"huge_cell_small_limit.csv", 2, 0, "vq", "limit", "--max-record-bytes 1000000",
     gen_huge_csv_cell},
    {"wide_row.csv", 2, 0, "vq", "limit", "", gen_wide_csv},
    {"json_zeros.jsonl", 2, 0, "vcq", "limit", "", gen_json_zeros},
};

const rb_case_gen *rb_generated_cases(size_t *n)
{
    *n = sizeof generated / sizeof generated[0];
    return generated;
}

int rb_generate(const rb_case_gen *g, const char *dir, char *path, size_t n)
{
    if ((size_t)snprintf(path, n, "%s/%s", dir, g->name) >= n)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    g->write(f);
    return fclose(f) == 0 ? 0 : -1;
}
