/* compare_full [DIR]: every fixture CSV and the CIF corpus of DIR
 * (../shared/fixtures/crystals) read by mmscore and compared with the
 * pymatgen reference; prints the agreement table and the disagreements. */
#include <stdio.h>
#include <string.h>

#include "compare.h"

/* compare_full --folder DIR REF: CIF files named by REF's "file" fields
 * (relative to DIR) against REF's lines (pymatgen_parity.py writes them). */
static int folder_mode(const char *dir, const char *ref)
{
    cmp_stats st = {0};
    if (cmp_folder(dir, ref, &st, stdout, 200) != 0) {
        fprintf(stderr, "cannot read %s\n", ref);
        return 1;
    }
    cmp_print_header(stdout);
    cmp_print(stdout, "files", &st);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--folder") == 0)
        return folder_mode(argv[2], argv[3]);
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures/crystals";
    static const char *const csvs[] = {"perov_5_test", "perov_5_val", "carbon_24_test",
                                       "llama2_7b_metastable", "perturbed"};
    cmp_stats total = {0};
    char a[4096], b[4096];
    printf("disagreements (up to 20 per input):\n");
    cmp_stats st[6] = {{0}};
    for (int i = 0; i < 6; i++) {
        int rc;
        if (i < 5) {
            snprintf(a, sizeof a, "%s/%s.csv", dir, csvs[i]);
            snprintf(b, sizeof b, "%s/%s.ref.jsonl", dir, csvs[i]);
            printf("%s\n", csvs[i]);
            rc = cmp_csv(a, b, &st[i], stdout, 20);
        } else {
            snprintf(a, sizeof a, "%s/cif_corpus", dir);
            snprintf(b, sizeof b, "%s/cif_corpus.ref.jsonl", dir);
            printf("cif_corpus\n");
            rc = cmp_folder(a, b, &st[i], stdout, 100);
        }
        if (rc != 0) {
            fprintf(stderr, "cannot read %s or %s\n", a, b);
            return 1;
        }
    }
    printf("\nagreement with pymatgen 2022.11.7 (volume: relative 1e-6, or both below 0.1 A^3 for "
           "flat cells; density: relative 1e-9, flat cells left out)\n");
    cmp_print_header(stdout);
    for (int i = 0; i < 6; i++) {
        cmp_print(stdout, i < 5 ? csvs[i] : "cif_corpus", &st[i]);
        cmp_stats *s = &st[i];
        total.rows += s->rows;
        total.ref_ok += s->ref_ok;
        total.ours_ok += s->ours_ok;
        total.parse_agree += s->parse_agree;
        total.both_ok += s->both_ok;
        total.sites_agree += s->sites_agree;
        total.formula_agree += s->formula_agree;
        total.comp_checked += s->comp_checked;
        total.comp_agree += s->comp_agree;
        total.volume_checked += s->volume_checked;
        total.volume_agree += s->volume_agree;
        total.density_checked += s->density_checked;
        total.density_agree += s->density_agree;
        total.flat += s->flat;
        if (s->max_rel_volume > total.max_rel_volume)
            total.max_rel_volume = s->max_rel_volume;
        if (s->max_rel_density > total.max_rel_density)
            total.max_rel_density = s->max_rel_density;
    }
    cmp_print(stdout, "total", &total);
    printf("largest relative difference: volume %.3g, density %.3g\n", total.max_rel_volume,
           total.max_rel_density);
    return 0;
}
