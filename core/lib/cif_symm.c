/* Symmetry operations of a CIF block: the listed "x, y, z" strings, parsed
 * exactly as pymatgen 2022.11.7's SymmOp.from_xyz_string reads them, or,
 * when none are listed, the operations of the named space group from
 * spglib's database (spg_get_symmetry_from_database): Hermann-Mauguin
 * symbols through the table of the symbols pymatgen resolves
 * (cif_hm_table.c), Hall symbols and numbers through spg_get_spacegroup_type
 * over spglib's 530 Hall settings, magnetic BNS numbers through
 * spg_get_magnetic_spacegroup_type. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spglib.h>

#include "cif_internal.h"

/* ---- "x, y, z" strings ---- */

static int is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.';
}

static int is_var(char c)
{
    return c >= 'x' && c <= 'z';
}

/* Python float() of a run of digits and dots. */
static int run_value(const char *p, size_t n, double *v)
{
    return n > 0 && cif_parse_number(p, n, v) && !(n == 1 && p[0] == '.');
}

/* pymatgen applies two regexes to each comma-separated part (spaces removed,
 * lower-cased): rotation terms ([+-]?)([\d.]*)/?([\d.]*)([x-z]) and
 * translation terms ([+-]?)([\d.]+)/?([\d.]*)(?![x-z]), each scanned with
 * finditer, the last match of each kind winning.  The translation regex
 * backtracks one character when its lookahead fails, so "1/2x" gives a
 * translation of 1: reproduced on purpose. */
static int parse_part(const char *s, size_t n, double rot[3], double *trans)
{
    for (size_t pos = 0; pos < n;) { /* rotation terms */
        size_t i = pos;
        double f = 1.0;
        if (s[i] == '+' || s[i] == '-')
            f = s[i++] == '-' ? -1.0 : 1.0;
        size_t a = i;
        while (i < n && is_num_char(s[i]))
            i++;
        size_t alen = i - a, b = i, blen = 0;
        if (i < n && s[i] == '/') {
            b = ++i;
            while (i < n && is_num_char(s[i]))
                i++;
            blen = i - b;
        }
        if (i < n && is_var(s[i])) {
            if (alen) {
                double av, bv;
                if (!run_value(s + a, alen, &av))
                    return 0;
                if (blen) {
                    if (!run_value(s + b, blen, &bv) || bv == 0.0)
                        return 0;
                    av /= bv;
                }
                f *= av;
            }
            rot[s[i] - 'x'] = f;
            pos = i + 1;
        } else {
            pos++;
        }
    }
    for (size_t pos = 0; pos < n;) { /* translation terms */
        size_t i = pos;
        double f = 1.0;
        if (s[i] == '+' || s[i] == '-')
            f = s[i++] == '-' ? -1.0 : 1.0;
        size_t a = i;
        while (i < n && is_num_char(s[i]))
            i++;
        size_t alen = i - a, blen = 0, b = i;
        if (alen == 0) {
            pos++;
            continue;
        }
        int slash = i < n && s[i] == '/';
        if (slash) {
            b = ++i;
            while (i < n && is_num_char(s[i]))
                i++;
            blen = i - b;
        }
        if (i < n && is_var(s[i])) { /* lookahead failed: backtrack one step */
            if (slash && blen) {
                blen--;
                i--;
            } else if (slash) {
                slash = 0;
                i--;
            } else if (alen > 1) {
                alen--;
                i--;
            } else {
                pos++;
                continue;
            }
        }
        double av, bv;
        if (!run_value(s + a, alen, &av))
            return 0;
        if (slash && blen) {
            if (!run_value(s + b, blen, &bv) || bv == 0.0)
                return 0;
            av /= bv;
        }
        *trans = f * av;
        pos = i;
    }
    return 1;
}

int cif_op_parse(const char *p, size_t n, int magnetic, cif_op *op, long line, mms_error *err)
{
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (k + 1 >= sizeof buf)
            return mms_error_set(err, MMS_EPARSE, line,
                                 "symmetry operation longer than %zu characters", sizeof buf - 1);
        buf[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    buf[k] = '\0';
    if (magnetic) { /* "x,y,z,+1": the time reversal does not move atoms */
        char *last = strrchr(buf, ',');
        if (!last)
            return mms_error_set(err, MMS_EPARSE, line,
                                 "expected a magnetic operation 'x,y,z,+1', got '%s'", buf);
        *last = '\0';
        k = (size_t)(last - buf);
    }
    memset(op, 0, sizeof *op);
    size_t start = 0;
    int part = 0;
    for (size_t i = 0; i <= k; i++) {
        if (i < k && buf[i] != ',')
            continue;
        if (part >= 3 ||
            !parse_part(buf + start, i - start, op->rot[part], &op->trans[part]))
            return mms_error_set(err, MMS_EPARSE, line,
                                 "expected a symmetry operation like '-y, x-y, "
                                 "z+1/2', got '%s'",
                                 buf);
        part++;
        start = i + 1;
    }
    /* fewer than three parts leave zero rows, as pymatgen's parser does */
    (void)part;
    return MMS_OK;
}

/* ---- spglib's space group database ---- */

typedef struct hall_entry {
    int number;
    char hall[24];
} hall_entry;

static hall_entry hall_table[531];
static pthread_once_t hall_once = PTHREAD_ONCE_INIT;

/* Hermann-Mauguin key: whitespace and '_' removed (pymatgen's sub_spgrp). */
static size_t hm_key(const char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '_' && p[i] != '\n' && p[i] != '\r')
            out[k++] = p[i];
    out[k] = '\0';
    return k;
}

/* Hall key: runs of whitespace collapse to one space, ends trimmed. */
static size_t hall_key(const char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        char c = p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '_') {
            space = k > 0;
            continue;
        }
        if (space)
            out[k++] = ' ';
        space = 0;
        out[k++] = c;
    }
    out[k] = '\0';
    return k;
}

static void build_hall_table(void)
{
    for (int h = 1; h <= 530; h++) {
        SpglibSpacegroupType t = spg_get_spacegroup_type(h);
        hall_entry *e = &hall_table[h];
        e->number = t.number;
        hall_key(t.hall_symbol, strlen(t.hall_symbol), e->hall, sizeof e->hall);
    }
}

/* spglib's integer rotations and translations -> our operations. */
static size_t copy_ops(cif_op *ops, int (*rot)[3][3], double (*tr)[3], int got, int max)
{
    size_t n = 0;
    for (int i = 0; i < got && i < max && n < CIF_MAX_OPS; i++, n++)
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                ops[n].rot[r][c] = rot[i][r][c];
            ops[n].trans[r] = tr[i][r];
        }
    return n;
}

static size_t ops_of_hall(int hall, cif_op *ops)
{
    int (*rot)[3][3] = malloc(sizeof(int[192][3][3]));
    double (*tr)[3] = malloc(sizeof(double[192][3]));
    size_t n = 0;
    if (rot && tr)
        n = copy_ops(ops, rot, tr, spg_get_symmetry_from_database(rot, tr, hall), 192);
    free(rot);
    free(tr);
    return n;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

size_t cif_ops_from_hall_symbol(const char *p, size_t n, cif_op *ops)
{
    char key[64];
    if (!hall_key(p, n, key, sizeof key))
        return 0;
    pthread_once(&hall_once, build_hall_table);
    for (int h = 1; h <= 530; h++)
        if (ieq(hall_table[h].hall, key))
            return ops_of_hall(h, ops);
    return 0;
}

static int cmp_hm(const void *key, const void *entry)
{
    return strcmp(key, ((const cif_hm_entry *)entry)->key);
}

/* Only the symbols pymatgen 2022.11.7 resolves (its own table, then COD's,
 * spaces and '_' removed, case-sensitive), each to the spglib setting with
 * the same operations (cif_hm_table.c).  pymatgen does not resolve e.g.
 * "P 21/c" or "C m c a"; neither do we, so such a block goes on to the IT
 * number or the P1 default exactly as there. */
size_t cif_ops_from_hm_symbol(const char *p, size_t n, cif_op *ops)
{
    char key[64];
    if (!hm_key(p, n, key, sizeof key))
        return 0;
    const cif_hm_entry *e =
        bsearch(key, cif_hm_table, cif_hm_table_len, sizeof *cif_hm_table, cmp_hm);
    return e ? ops_of_hall(e->hall, ops) : 0;
}

size_t cif_ops_from_it_number(int number, cif_op *ops)
{
    if (number < 1 || number > 230)
        return 0;
    pthread_once(&hall_once, build_hall_table);
    for (int h = 1; h <= 530; h++)
        if (hall_table[h].number == number)
            return ops_of_hall(h, ops);
    return 0;
}

/* ---- magnetic space groups (spglib's database, by BNS number) ---- */

size_t cif_ops_from_bns_number(const char *p, size_t n, cif_op *ops)
{
    char key[16];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof key; i++)
        if (p[i] != ' ' && p[i] != '\t')
            key[k++] = p[i];
    key[k] = '\0';
    if (!k || n >= sizeof key)
        return 0;
    for (int uni = 1; uni <= 1651; uni++) {
        SpglibMagneticSpacegroupType t = spg_get_magnetic_spacegroup_type(uni);
        if (strcmp(t.bns_number, key) != 0)
            continue;
        int (*rot)[3][3] = malloc(sizeof(int[384][3][3]));
        double (*tr)[3] = malloc(sizeof(double[384][3]));
        int *tim = malloc(384 * sizeof *tim);
        size_t m = 0;
        if (rot && tr && tim) /* the time reversal does not move atoms */
            m = copy_ops(ops, rot, tr,
                         spg_get_magnetic_symmetry_from_database(rot, tr, tim, uni, 0), 384);
        free(rot);
        free(tr);
        free(tim);
        return m;
    }
    return 0;
}
