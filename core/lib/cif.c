/* mms_read_cif: CIF 1.1 text -> one structure per data block.
 *
 * The structure a block yields is the one pymatgen 2022.11.7 builds with
 * Structure.from_str(text, fmt="cif") (CifParser.get_structures with
 * primitive=False): same lattice (Lattice.from_parameters, flat cells
 * included), same symmetry expansion and merging of coinciding positions,
 * same element and occupancy rules.  docs/readers.md and docs/cif-parity.md
 * list each rule and where we deliberately differ (we read more: Cartesian
 * coordinates, case-insensitive tags, Hall symbols; we refuse what pymatgen
 * turns into garbage: NaN coordinates, ragged loops). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cif_internal.h"
#include "grow_internal.h"
#include "mmscore/elements.h"
#include "readers_internal.h"

/* ------------------------------------------------------------------ */
/* one data block as tokens                                            */

typedef struct cif_item {
    cif_tok name;
    uint32_t hash;  /* of the normalised name, see name_hash */
    int loop;       /* index into loops, -1 for a single value */
    size_t col;     /* column within the loop */
    cif_tok value;  /* single value */
} cif_item;

typedef struct cif_loop {
    size_t ncols, first, nvals; /* values are vals[first .. first+nvals) row-major */
    long line;
} cif_loop;

typedef struct cif_block {
    cif_item *items;
    size_t n_items, cap_items;
    cif_loop *loops;
    size_t n_loops, cap_loops;
    cif_tok *vals;
    size_t n_vals, cap_vals;
    cif_tok header;
    int magnetic, incommensurate; /* pymatgen's magCIF feature flags */
} cif_block;

/* CIF lists grow from 32 entries */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    return mms_grow(p, cap, need, size, 32);
}

static void block_reset(cif_block *b)
{
    b->n_items = b->n_loops = b->n_vals = 0;
    b->magnetic = b->incommensurate = 0;
}

static void block_free(cif_block *b)
{
    free(b->items);
    free(b->loops);
    free(b->vals);
}

/* FNV-1a of a name as cif_name_eq sees it (lower case, '.' as '_'), so
 * that lookups compare full names only on a hash hit. */
static uint32_t name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        else if (c == '.')
            c = '_';
        h = (h ^ c) * 16777619u;
    }
    return h;
}

/* The last item of that name (a repeated tag keeps its last value, as
 * pymatgen's dict does). */
static const cif_item *find_item(const cif_block *b, const char *name)
{
    uint32_t h = name_hash(name, strlen(name));
    for (size_t i = b->n_items; i-- > 0;)
        if (b->items[i].hash == h && cif_name_eq(b->items[i].name.p, b->items[i].name.len, name))
            return &b->items[i];
    return NULL;
}

static size_t item_rows(const cif_block *b, const cif_item *it)
{
    if (it->loop < 0)
        return 1;
    const cif_loop *l = &b->loops[it->loop];
    return l->nvals / l->ncols;
}

static const cif_tok *item_value(const cif_block *b, const cif_item *it, size_t row)
{
    if (it->loop < 0)
        return &it->value;
    const cif_loop *l = &b->loops[it->loop];
    return &b->vals[l->first + row * l->ncols + it->col];
}

/* The first of several spellings that is present (and not empty). */
static const cif_item *find_any(const cif_block *b, const char *const *names)
{
    for (; *names; names++) {
        const cif_item *it = find_item(b, *names);
        if (it && !(it->loop < 0 && it->value.len == 0))
            return it;
    }
    return NULL;
}

static int tok_is_unknown(const cif_tok *t)
{
    return t->kind == CIF_BARE && t->len == 1 && (t->p[0] == '?' || t->p[0] == '.');
}

/* ------------------------------------------------------------------ */
/* tokens -> block                                                     */

enum { ST_TOP, ST_VALUE, ST_LOOP_NAMES, ST_LOOP_VALUES, ST_SKIP, ST_DONE };

typedef struct parse_state {
    int st;
    cif_tok pending; /* tag waiting for its value */
    int failed;
    mms_error err;
} parse_state;

static int fail(parse_state *ps, int code, long line, const char *msg, const cif_tok *t)
{
    if (!ps->failed) {
        ps->failed = 1;
        if (t)
            mms_error_set(&ps->err, code, line, "%s, got '%.*s'", msg,
                          (int)(t->len > 60 ? 60 : t->len), t->p);
        else
            mms_error_set(&ps->err, code, line, "%s", msg);
    }
    ps->st = ST_SKIP;
    return code;
}

/* A loop ends: its values must fill whole rows. */
static void close_loop(cif_block *b, parse_state *ps)
{
    if (ps->st != ST_LOOP_VALUES && ps->st != ST_LOOP_NAMES)
        return;
    cif_loop *l = &b->loops[b->n_loops - 1];
    if (ps->st == ST_LOOP_NAMES || l->nvals == 0) {
        fail(ps, MMS_EPARSE, l->line, "loop_ has no values: expected a value for each of its tags", NULL);
        return;
    }
    if (l->nvals % l->ncols) {
        const cif_item *first = NULL;
        for (size_t i = 0; i < b->n_items; i++)
            if (b->items[i].loop == (int)(b->n_loops - 1)) {
                first = &b->items[i];
                break;
            }
        const cif_tok *last = &b->vals[l->first + l->nvals - 1];
        char msg[200];
        snprintf(msg, sizeof msg, "expected %zu values in %.*s loop row, got %zu", l->ncols,
                 first ? (int)(first->name.len > 40 ? 40 : first->name.len) : 0,
                 first ? first->name.p : "", l->nvals % l->ncols);
        fail(ps, MMS_EPARSE, last->line, msg, NULL);
        return;
    }
    ps->st = ST_TOP;
}

static int is_reserved(const cif_tok *t)
{
    if (t->kind != CIF_BARE || t->len < 5)
        return 0;
    char c = (char)(t->p[0] | 32); /* quick exit for ordinary values */
    if (c != 'd' && c != 'l' && c != 's' && c != 'g')
        return 0;
    /* CIF 1.1 reserved words: data_ and save_ start names; loop_, global_
     * and stop_ are whole words ("loop_x" is an ordinary value) */
    return cif_tok_has_prefix(t, "data_") || cif_tok_has_prefix(t, "save_") ||
           cif_tok_is(t, "loop_") || cif_tok_is(t, "global_") || cif_tok_is(t, "stop_");
}

static int is_tag(const cif_tok *t)
{
    return t->kind == CIF_BARE && t->len > 1 && t->p[0] == '_';
}

/* Does the slice contain word (case-sensitive, as Python's `in`)? */
static int contains(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (p[i] == word[0] && memcmp(p + i, word, k) == 0)
            return 1;
    return 0;
}

static void note_feature(cif_block *b, const cif_tok *name)
{
    /* pymatgen: a key containing one of these marks a magnetic CIF (plain
     * substring test, as CifParser.is_magcif does) */
    static const char *const magn[] = {"_space_group_magn", "_atom_site_moment",
                                       "_space_group_symop_magn"};
    static const char *const incomm[] = {"_cell_modulation_dimension", "_cell_wave_vector"};
    if (name->len < 17 || !memchr(name->p + 1, '_', name->len - 1))
        return;
    for (size_t k = 0; k < 3 && !b->magnetic; k++)
        b->magnetic = contains(name->p, name->len, magn[k]);
    for (size_t k = 0; k < 2 && !b->incommensurate; k++)
        b->incommensurate = contains(name->p, name->len, incomm[k]);
}

/* Feed one token of the current block. */
static int feed(cif_block *b, parse_state *ps, const cif_tok *t)
{
    if (ps->st == ST_SKIP || ps->st == ST_DONE)
        return MMS_OK;
    /* pymatgen stops reading the block at an "_eof" tag */
    if (ps->st != ST_VALUE && cif_tok_is(t, "_eof")) {
        close_loop(b, ps);
        if (ps->st != ST_SKIP)
            ps->st = ST_DONE;
        return MMS_OK;
    }
    if (ps->st == ST_LOOP_NAMES && is_tag(t)) {
        if (!grow((void **)&b->items, &b->cap_items, b->n_items + 1, sizeof *b->items))
            return fail(ps, MMS_ENOMEM, t->line, "out of memory", NULL);
        cif_loop *l = &b->loops[b->n_loops - 1];
        b->items[b->n_items++] =
            (cif_item){*t, name_hash(t->p, t->len), (int)b->n_loops - 1, l->ncols++, {0}};
        note_feature(b, t);
        return MMS_OK;
    }
    if (ps->st == ST_LOOP_NAMES || ps->st == ST_LOOP_VALUES) {
        if (is_tag(t) || is_reserved(t)) {
            close_loop(b, ps);
            if (ps->st == ST_SKIP)
                return MMS_OK;
        } else {
            if (b->loops[b->n_loops - 1].ncols == 0)
                return fail(ps, MMS_EPARSE, t->line, "expected tags after loop_", t);
            if (!grow((void **)&b->vals, &b->cap_vals, b->n_vals + 1, sizeof *b->vals))
                return fail(ps, MMS_ENOMEM, t->line, "out of memory", NULL);
            b->vals[b->n_vals++] = *t;
            b->loops[b->n_loops - 1].nvals++;
            ps->st = ST_LOOP_VALUES;
            return MMS_OK;
        }
    }
    if (ps->st == ST_VALUE) {
        if (is_tag(t) || is_reserved(t)) {
            char msg[120];
            snprintf(msg, sizeof msg, "expected a value after %.*s",
                     (int)(ps->pending.len > 60 ? 60 : ps->pending.len), ps->pending.p);
            return fail(ps, MMS_EPARSE, t->line, msg, t);
        }
        if (!grow((void **)&b->items, &b->cap_items, b->n_items + 1, sizeof *b->items))
            return fail(ps, MMS_ENOMEM, t->line, "out of memory", NULL);
        b->items[b->n_items++] =
            (cif_item){ps->pending, name_hash(ps->pending.p, ps->pending.len), -1, 0, *t};
        note_feature(b, &ps->pending);
        ps->st = ST_TOP;
        return MMS_OK;
    }
    /* ST_TOP */
    if (is_tag(t)) {
        ps->pending = *t;
        ps->st = ST_VALUE;
    } else if (cif_tok_is(t, "loop_")) {
        if (!grow((void **)&b->loops, &b->cap_loops, b->n_loops + 1, sizeof *b->loops))
            return fail(ps, MMS_ENOMEM, t->line, "out of memory", NULL);
        b->loops[b->n_loops++] = (cif_loop){0, b->n_vals, 0, t->line};
        ps->st = ST_LOOP_NAMES;
    } else if (cif_tok_has_prefix(t, "save_") || cif_tok_is(t, "global_") ||
               cif_tok_is(t, "stop_")) {
        return fail(ps, MMS_EPARSE, t->line,
                    "expected a tag or loop_ (save frames and global_ are not CIF 1.1 data)",
                    t);
    }
    /* A stray value outside any loop: pymatgen only warns and goes on; so
     * do we (it carries no structure information). */
    return MMS_OK;
}

static void finish_block(cif_block *b, parse_state *ps)
{
    if (ps->st == ST_VALUE) {
        char msg[120];
        snprintf(msg, sizeof msg, "expected a value after %.*s at the end of the block",
                 (int)(ps->pending.len > 60 ? 60 : ps->pending.len), ps->pending.p);
        fail(ps, MMS_EPARSE, ps->pending.line, msg, NULL);
    }
    close_loop(b, ps);
}

/* ------------------------------------------------------------------ */
/* numbers of a block                                                  */

/* A numeric item; msg names what was expected. */
static int tok_number(const cif_tok *t, const char *what, double *v, mms_error *err)
{
    if (!cif_parse_number(t->p, t->len, v))
        return mms_error_set(err, MMS_EPARSE, t->line, "expected a number for %s, got '%.*s'", what,
                             (int)(t->len > 40 ? 40 : t->len), t->p);
    return MMS_OK;
}

static int finite_number(const cif_tok *t, const char *what, double *v, mms_error *err)
{
    int rc = tok_number(t, what, v, err);
    if (rc == MMS_OK && !isfinite(*v))
        return mms_error_set(err, MMS_EPARSE, t->line,
                             "expected a finite number for %s, got '%.*s'", what,
                             (int)(t->len > 40 ? 40 : t->len), t->p);
    return rc;
}

static int single_number(const cif_block *b, const char *name, double *v, int *missing,
                         mms_error *err)
{
    const cif_item *it = find_item(b, name);
    *missing = !it || item_rows(b, it) != 1;
    if (*missing)
        return MMS_OK;
    return finite_number(item_value(b, it, 0), name, v, err);
}

/* ------------------------------------------------------------------ */
/* lattice                                                             */

/* pymatgen CifParser.get_lattice: the six cell parameters, or, when some
 * are missing, the Lattice constructor named by _symmetry_cell_setting
 * with the parameters it needs. */
static int block_lattice(const cif_block *b, double m[3][3], long line, mms_error *err)
{
    static const char *const names[6] = {"_cell_length_a", "_cell_length_b", "_cell_length_c",
                                         "_cell_angle_alpha", "_cell_angle_beta",
                                         "_cell_angle_gamma"};
    double v[6] = {0};
    int missing[6], any_missing = 0, rc;
    for (int i = 0; i < 6; i++) {
        if ((rc = single_number(b, names[i], &v[i], &missing[i], err)) != MMS_OK)
            return rc;
        any_missing |= missing[i];
    }
    if (!any_missing) {
        mms_lattice_from_parameters_capped(m, v, v + 3);
        return MMS_OK;
    }
    const cif_item *setting = find_item(b, "_symmetry_cell_setting");
    const char *need = NULL;
    double abc[3], ang[3] = {90, 90, 90};
    if (setting && setting->loop < 0) {
        const cif_tok *t = &setting->value;
        if (cif_name_eq(t->p, t->len, "cubic") && !missing[0]) {
            memset(m, 0, sizeof(double[3][3])); /* Lattice.cubic: a times identity */
            m[0][0] = m[1][1] = m[2][2] = v[0];
            return MMS_OK;
        }
        if (cif_name_eq(t->p, t->len, "tetragonal") && !missing[0] && !missing[2])
            need = "", abc[0] = abc[1] = v[0], abc[2] = v[2];
        else if (cif_name_eq(t->p, t->len, "orthorhombic") && !missing[0] && !missing[1] &&
                 !missing[2])
            need = "", abc[0] = v[0], abc[1] = v[1], abc[2] = v[2];
        else if (cif_name_eq(t->p, t->len, "hexagonal") && !missing[0] && !missing[2])
            need = "", abc[0] = abc[1] = v[0], abc[2] = v[2], ang[2] = 120;
        else if (cif_name_eq(t->p, t->len, "rhombohedral") && !missing[0] && !missing[3])
            need = "", abc[0] = abc[1] = abc[2] = v[0], ang[0] = ang[1] = ang[2] = v[3];
        else if (cif_name_eq(t->p, t->len, "monoclinic") && !missing[0] && !missing[1] &&
                 !missing[2] && !missing[4])
            need = "", abc[0] = v[0], abc[1] = v[1], abc[2] = v[2], ang[1] = v[4];
    }
    if (need) {
        mms_lattice_from_parameters_capped(m, abc, ang);
        return MMS_OK;
    }
    for (int i = 0; i < 6; i++)
        if (missing[i])
            return mms_error_set(err, MMS_EPARSE, line,
                                 "expected %s (a single number) in the block", names[i]);
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* symmetry operations                                                 */

/* Operations live in a small inline array (a P1 CIF has one) and move to
 * the heap only for more. */
typedef struct ops_buf {
    cif_op *p;
    size_t cap;
    cif_op small[16];
} ops_buf;

static void ops_init(ops_buf *o)
{
    o->p = o->small;
    o->cap = sizeof o->small / sizeof *o->small;
}

static void ops_free(ops_buf *o)
{
    if (o->p != o->small)
        free(o->p);
}

/* Room for n operations (n <= CIF_MAX_OPS), keeping the current ones. */
static int ops_reserve(ops_buf *o, size_t n, long line, mms_error *err)
{
    if (n > CIF_MAX_OPS)
        return mms_error_set(err, MMS_ELIMIT, line,
                             "%zu symmetry operations, more than the %d any "
                             "(magnetic) space group has",
                             n, CIF_MAX_OPS);
    if (n <= o->cap)
        return MMS_OK;
    cif_op *p = malloc(n * sizeof *p);
    if (!p)
        return mms_error_set(err, MMS_ENOMEM, line, "out of memory");
    memcpy(p, o->p, o->cap * sizeof *p);
    ops_free(o);
    o->p = p;
    o->cap = n;
    return MMS_OK;
}

static int ops_from_list(const cif_block *b, const cif_item *it, int magnetic, ops_buf *ops,
                         size_t *n, mms_error *err)
{
    size_t rows = item_rows(b, it);
    int rc = ops_reserve(ops, rows, item_value(b, it, 0)->line, err);
    if (rc != MMS_OK)
        return rc;
    for (size_t r = 0; r < rows; r++) {
        const cif_tok *t = item_value(b, it, r);
        rc = cif_op_parse(t->p, t->len, magnetic, &ops->p[r], t->line, err);
        if (rc != MMS_OK)
            return rc;
    }
    *n = rows;
    return MMS_OK;
}

/* pymatgen CifParser.get_symops / get_magsymops.  The listed operations
 * first (a spelling whose strings do not parse is skipped, as pymatgen
 * does); then the space group by symbol, then by number; else P1. */
static int block_ops(const cif_block *b, ops_buf *ob, size_t *n, long line, mms_error *err)
{
    *n = 0;
    if (b->magnetic) {
        static const char *const mops[] = {"_space_group_symop_magn_operation.xyz", NULL};
        static const char *const mcen[] = {"_space_group_symop_magn_centering.xyz", NULL};
        const cif_item *it = find_any(b, mops);
        if (!it) {
            const cif_item *num = find_item(b, "_space_group_magn.number_BNS");
            const cif_item *tf = find_item(b, "_space_group_magn.transform_BNS_Pp_abc");
            if (!tf) /* the interim magCIF name pymatgen renames to the one above */
                tf = find_item(b, "_magnetic_space_group.transform_to_standard_Pp_abc");
            if (tf && tf->loop < 0 && cif_name_eq(tf->value.p, tf->value.len, "a,b,c;0,0,0"))
                /* pymatgen 2022.11.7 then never builds the group (UnboundLocalError) */
                return mms_error_set(err, MMS_EPARSE, line,
                                     "magnetic CIF with an identity BNS transformation "
                                     "and no listed operations: pymatgen 2022.11.7 cannot read "
                                     "it either; expected "
                                     "_space_group_symop_magn_operation.xyz");
            if (num && num->loop < 0 && !tf) {
                /* pymatgen: MagneticSpaceGroup(BNS) in its standard setting */
                int rc = ops_reserve(ob, 384, line, err);
                if (rc != MMS_OK)
                    return rc;
                if ((*n = cif_ops_from_bns_number(num->value.p, num->value.len, ob->p)) > 0)
                    return MMS_OK;
            }
            if (num || tf || find_item(b, "_space_group_magn.name_BNS"))
                return mms_error_set(err, MMS_EUNSUPPORTED, line,
                                     "magnetic space group given by a BNS name, an "
                                     "unknown BNS number or with a setting transformation; "
                                     "expected listed operations "
                                     "(_space_group_symop_magn_operation.xyz) or a BNS number");
            ob->p[0] = (cif_op){{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {0, 0, 0}};
            *n = 1;
            return MMS_OK;
        }
        int rc = ops_from_list(b, it, 1, ob, n, err);
        if (rc != MMS_OK)
            return rc;
        const cif_item *cen = find_any(b, mcen);
        if (cen) {
            size_t nc = item_rows(b, cen), total = *n * nc;
            if (total > CIF_MAX_OPS)
                return mms_error_set(err, MMS_ELIMIT, line,
                                     "%zu operations times %zu centrings is more "
                                     "than %d",
                                     *n, nc, CIF_MAX_OPS);
            ops_buf cb;
            ops_init(&cb);
            cif_op *ops = ob->p, *all = malloc(total * sizeof *all), *c = NULL;
            rc = all ? ops_from_list(b, cen, 1, &cb, &nc, err)
                     : mms_error_set(err, MMS_ENOMEM, line, "out of memory");
            c = cb.p;
            /* pymatgen keeps each operation's rotation and adds the centring
             * translation, wrapped into [0, 1) */
            for (size_t i = 0; rc == MMS_OK && i < *n; i++)
                for (size_t j = 0; j < nc; j++) {
                    cif_op *o = &all[i * nc + j];
                    *o = ops[i];
                    for (int k = 0; k < 3; k++) {
                        double t = ops[i].trans[k] + c[j].trans[k];
                        o->trans[k] = t - floor(t);
                    }
                }
            if (rc == MMS_OK && (rc = ops_reserve(ob, total, line, err)) == MMS_OK) {
                memcpy(ob->p, all, total * sizeof *all);
                *n = total;
            }
            ops_free(&cb);
            free(all);
            return rc;
        }
        return MMS_OK;
    }

    static const char *const lists[] = {"_symmetry_equiv_pos_as_xyz",
                                        "_space_group_symop_operation_xyz"};
    for (size_t k = 0; k < 2; k++) {
        const cif_item *it = find_item(b, lists[k]);
        if (!it || (it->loop < 0 && it->value.len == 0))
            continue;
        mms_error e;
        int rc = ops_from_list(b, it, 0, ob, n, &e);
        if (rc == MMS_OK)
            return MMS_OK;
        if (rc == MMS_ELIMIT) {
            *err = e;
            return rc;
        }
    }
    static const char *const symbols[] = {"_symmetry_space_group_name_H-M",
                                          "_symmetry_space_group_name_H_M",
                                          "_space_group_name_Hall",
                                          "_space_group_name_H-M_alt",
                                          "_symmetry_space_group_name_Hall"};
    for (size_t k = 0; k < 5; k++) {
        const cif_item *it = find_item(b, symbols[k]);
        if (!it || it->loop >= 0 || it->value.len == 0 || tok_is_unknown(&it->value))
            continue;
        int hall = strstr(symbols[k], "Hall") != NULL;
        int rc = ops_reserve(ob, 192, line, err);
        if (rc != MMS_OK)
            return rc;
        *n = hall ? cif_ops_from_hall_symbol(it->value.p, it->value.len, ob->p)
                  : cif_ops_from_hm_symbol(it->value.p, it->value.len, ob->p);
        if (*n)
            return MMS_OK;
    }
    static const char *const numbers[] = {"_space_group_IT_number", "_symmetry_Int_Tables_number"};
    for (size_t k = 0; k < 2; k++) {
        const cif_item *it = find_item(b, numbers[k]);
        double v;
        if (!it || it->loop >= 0 || !cif_parse_number(it->value.p, it->value.len, &v) ||
            !(v >= 1 && v < 231))
            continue;
        int rc = ops_reserve(ob, 192, line, err);
        if (rc != MMS_OK)
            return rc;
        if ((*n = cif_ops_from_it_number((int)v, ob->p)) > 0)
            return MMS_OK;
    }
    /* Nothing usable: pymatgen 2022.11.7 "defaults to P1" by parsing the
     * three strings "x", "y", "z" as three operations, each with a single
     * part: (x,y,z) -> (x,0,0), (y,0,0), (z,0,0).  Every atom becomes up to
     * three atoms on the a axis.  Reproduced on purpose (parity with the
     * reference's numbers); docs/cif-parity.md says so. */
    static const cif_op pymatgen_p1[3] = {{{{1, 0, 0}, {0, 0, 0}, {0, 0, 0}}, {0, 0, 0}},
                                          {{{0, 1, 0}, {0, 0, 0}, {0, 0, 0}}, {0, 0, 0}},
                                          {{{0, 0, 1}, {0, 0, 0}, {0, 0, 0}}, {0, 0, 0}}};
    memcpy(ob->p, pymatgen_p1, sizeof pymatgen_p1);
    *n = 3;
    return MMS_OK;
}

/* SymmOp.operate: rotation times point plus translation. */
static void op_apply(const cif_op *op, const double in[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = op->rot[i][0] * in[0] + op->rot[i][1] * in[1] + op->rot[i][2] * in[2] +
                 op->trans[i];
}

/* ------------------------------------------------------------------ */
/* a set of periodic positions with pymatgen's coincidence test        */

/* pymatgen's find_in_coord_list_pbc: d = a - b - round(d), every |d| < tol.
 * Positions are binned on a grid of cells at least 4 tol wide, so a query
 * looks at one cell (up to 8 near cell corners) instead of every stored
 * position. */
typedef struct coord_set {
    double tol;
    long nb;           /* cells per axis; 1 = everything in one cell */
    size_t *heads;     /* hash of cell -> entry index + 1 */
    size_t n_heads;    /* power of two */
    struct cs_entry {
        double c[3];
        size_t id, next; /* next: entry index + 1 in the same hash chain */
        long cell[3];
    } *e;
    size_t n, cap;
} coord_set;

/* Below this many positions a plain scan beats the grid. */
#define CS_LINEAR 32

static void cs_init(coord_set *cs, double tol)
{
    memset(cs, 0, sizeof *cs);
    cs->tol = tol;
    double nb = floor(1.0 / (4.0 * tol));
    cs->nb = nb >= 3 ? (nb > 1048576 ? 1048576 : (long)nb) : 1;
}

static void cs_free(coord_set *cs)
{
    free(cs->heads);
    free(cs->e);
}

static long cell_of(const coord_set *cs, double x)
{
    double w = x - floor(x);
    long c = (long)(w * (double)cs->nb);
    return c < 0 ? 0 : (c >= cs->nb ? cs->nb - 1 : c);
}

static size_t cell_hash(const coord_set *cs, long a, long b, long c)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Full ^
                 (uint64_t)c * 0x165667B19E3779F9ull;
    return (size_t)(h ^ (h >> 29)) & (cs->n_heads - 1);
}

static int close_pbc(const double a[3], const double b[3], double tol)
{
    for (int k = 0; k < 3; k++) {
        double d = a[k] - b[k];
        d -= nearbyint(d); /* np.round: half to even */
        if (!(fabs(d) < tol))
            return 0;
    }
    return 1;
}

/* Smallest id of a stored position coinciding with c; SIZE_MAX if none. */
static size_t cs_find(const coord_set *cs, const double c[3])
{
    size_t best = SIZE_MAX;
    if (!cs->heads) {
        for (size_t i = 0; i < cs->n; i++)
            if (cs->e[i].id < best && close_pbc(cs->e[i].c, c, cs->tol))
                best = cs->e[i].id;
        return best;
    }
    /* a match lies in this cell or, when c is within tol of a cell wall,
     * in the neighbour across it (cells are at least 4 tol wide) */
    long cc[3];
    int lo[3], hi[3];
    double g = cs->tol * (double)cs->nb * (1 + 1e-9) + 1e-12;
    for (int k = 0; k < 3; k++) {
        cc[k] = cell_of(cs, c[k]);
        double f = (c[k] - floor(c[k])) * (double)cs->nb - (double)cc[k];
        lo[k] = cs->nb >= 3 && f < g ? -1 : 0;
        hi[k] = cs->nb >= 3 && 1 - f < g ? 1 : 0;
    }
    for (int dx = lo[0]; dx <= hi[0]; dx++)
        for (int dy = lo[1]; dy <= hi[1]; dy++)
            for (int dz = lo[2]; dz <= hi[2]; dz++) {
                long x = (cc[0] + dx + cs->nb) % cs->nb, y = (cc[1] + dy + cs->nb) % cs->nb,
                     z = (cc[2] + dz + cs->nb) % cs->nb;
                for (size_t k = cs->heads[cell_hash(cs, x, y, z)]; k; k = cs->e[k - 1].next) {
                    const struct cs_entry *e = &cs->e[k - 1];
                    if (e->cell[0] == x && e->cell[1] == y && e->cell[2] == z &&
                        e->id < best && close_pbc(e->c, c, cs->tol))
                        best = e->id;
                }
            }
    return best;
}

/* Id of a stored position exactly equal to c (Python tuple equality);
 * SIZE_MAX if none. */
static size_t cs_find_exact(const coord_set *cs, const double c[3])
{
    if (!cs->heads) {
        for (size_t i = 0; i < cs->n; i++)
            if (cs->e[i].c[0] == c[0] && cs->e[i].c[1] == c[1] && cs->e[i].c[2] == c[2])
                return cs->e[i].id;
        return SIZE_MAX;
    }
    long x = cell_of(cs, c[0]), y = cell_of(cs, c[1]), z = cell_of(cs, c[2]);
    for (size_t k = cs->heads[cell_hash(cs, x, y, z)]; k; k = cs->e[k - 1].next) {
        const struct cs_entry *e = &cs->e[k - 1];
        if (e->c[0] == c[0] && e->c[1] == c[1] && e->c[2] == c[2])
            return e->id;
    }
    return SIZE_MAX;
}

static void cs_link(coord_set *cs, size_t i)
{
    struct cs_entry *e = &cs->e[i];
    size_t h = cell_hash(cs, e->cell[0], e->cell[1], e->cell[2]);
    e->next = cs->heads[h];
    cs->heads[h] = i + 1;
}

/* Rebuild the grid's hash when the load passes one half. */
static int cs_rehash(coord_set *cs)
{
    size_t h = cs->n_heads ? cs->n_heads * 2 : 128;
    size_t *heads = calloc(h, sizeof *heads);
    if (!heads)
        return MMS_ENOMEM;
    free(cs->heads);
    cs->heads = heads;
    cs->n_heads = h;
    for (size_t i = 0; i < cs->n; i++)
        cs_link(cs, i);
    return MMS_OK;
}

static int cs_add(coord_set *cs, const double c[3], size_t id)
{
    if (!grow((void **)&cs->e, &cs->cap, cs->n + 1, sizeof *cs->e))
        return MMS_ENOMEM;
    struct cs_entry *e = &cs->e[cs->n++];
    memcpy(e->c, c, sizeof e->c);
    e->id = id;
    for (int k = 0; k < 3; k++)
        e->cell[k] = cell_of(cs, c[k]);
    if (cs->n == CS_LINEAR || (cs->heads && cs->n * 2 > cs->n_heads))
        return cs_rehash(cs);
    if (cs->heads)
        cs_link(cs, cs->n - 1);
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* atoms                                                               */

/* pymatgen CifParser._parse_symbol: the water/hydroxide specials (matched
 * as prefixes, in this order), else the first two letters title-cased if
 * they are an element, else the first letter upper-cased, else the leading
 * "w?[A-Z][a-z]*".  Returns Z, 0 for "no atom" (OH, OH2, '?'), -1 for a
 * symbol that is not an element (pymatgen then fails the structure). */
static int parse_symbol(const char *s, size_t n)
{
    static const struct { const char *pre; int z; } special[] = {
        {"Hw", 1}, {"Ow", 8}, {"Wat", 8}, {"wat", 8}, {"OH", 0}, {"OH2", 0}, {"NO3", 7}};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++) {
        size_t l = strlen(special[k].pre);
        if (n >= l && memcmp(s, special[k].pre, l) == 0)
            return special[k].z;
    }
    if (n == 0)
        return 0;
    char two[2];
    /* str.title(): a letter after a non-letter is upper-cased, else lower */
    two[0] = (s[0] >= 'a' && s[0] <= 'z') ? (char)(s[0] - 32) : s[0];
    int z;
    if (n >= 2) {
        int first_alpha = (s[0] | 32) >= 'a' && (s[0] | 32) <= 'z';
        char c = s[1];
        if (first_alpha)
            c = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        else
            c = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        two[1] = c;
        if ((z = mms_element_z_n(two, 2)) > 0)
            return z;
    } else if ((z = mms_element_z_n(two, 1)) > 0) {
        return z;
    }
    if ((z = mms_element_z_n(two, 1)) > 0)
        return z;
    size_t i = 0;
    if (s[0] == 'w')
        i = 1;
    if (i < n && s[i] >= 'A' && s[i] <= 'Z') {
        size_t j = i + 1;
        while (j < n && s[j] >= 'a' && s[j] <= 'z')
            j++;
        z = mms_element_z_n(s + i, j - i);
        return z > 0 && i == 0 ? z : -1; /* "wX..." is never an element */
    }
    return 0;
}

/* pymatgen's _atom_type oxidation table: each symbol, then each symbol with
 * a trailing "\d?[+,-]?" removed; later entries win. */
typedef struct oxi_entry {
    const char *p;
    size_t n;
    double ox;
} oxi_entry;

static size_t strip_charge(const char *p, size_t n)
{
    if (n && (p[n - 1] == '+' || p[n - 1] == '-' || p[n - 1] == ','))
        n--;
    if (n && p[n - 1] >= '0' && p[n - 1] <= '9')
        n--;
    return n;
}

static int oxi_lookup(const oxi_entry *t, size_t n, const char *p, size_t len, double *ox)
{
    for (size_t i = n; i-- > 0;)
        if (t[i].n == len && memcmp(t[i].p, p, len) == 0) {
            *ox = t[i].ox;
            return 1;
        }
    return 0;
}

/* NULL table (*n = 0, returns MMS_OK) when the block has none or any number
 * in it does not parse (pymatgen then ignores the whole table). */
static int block_oxi(const cif_block *b, oxi_entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const cif_item *sym = find_item(b, "_atom_type_symbol");
    const cif_item *num = find_item(b, "_atom_type_oxidation_number");
    if (!sym || !num)
        return MMS_OK;
    size_t rows = item_rows(b, sym);
    if (item_rows(b, num) < rows)
        return MMS_OK;
    oxi_entry *t = malloc(2 * rows * sizeof *t + 1);
    if (!t)
        return MMS_ENOMEM;
    for (size_t r = 0; r < rows; r++) {
        const cif_tok *s = item_value(b, sym, r), *v = item_value(b, num, r);
        double ox;
        if (!cif_parse_number(v->p, v->len, &ox)) {
            free(t);
            return MMS_OK;
        }
        t[r] = (oxi_entry){s->p, s->len, ox};
        t[rows + r] = (oxi_entry){s->p, strip_charge(s->p, s->len), ox};
    }
    *out = t;
    *n = 2 * rows;
    return MMS_OK;
}

/* One position of the asymmetric unit with everything merged onto it. */
typedef struct asym_site {
    double xyz[3];
    mms_site site; /* species and occupancies; frac unused */
    size_t group;
} asym_site;

static int same_species(const mms_species *a, const mms_species *b)
{
    return a->z == b->z && a->has_oxidation == b->has_oxidation &&
           (!a->has_oxidation || a->oxidation == b->oxidation);
}

/* Composition += species, as pymatgen's Composition.__add__. */
static int site_add_species(mms_site *s, const mms_species *sp)
{
    for (int k = 0; k < s->n_species; k++)
        if (same_species(&s->species[k], sp)) {
            s->species[k].occupancy += sp->occupancy;
            return 1;
        }
    if (s->n_species >= MMS_MAX_SITE_SPECIES)
        return 0;
    s->species[s->n_species++] = *sp;
    return 1;
}

/* Composition.__eq__: same species, amounts within 1e-8. */
static int same_composition(const mms_site *a, const mms_site *b)
{
    if (a->n_species != b->n_species)
        return 0;
    for (int i = 0; i < a->n_species; i++) {
        int found = 0;
        for (int j = 0; j < b->n_species && !found; j++)
            found = same_species(&a->species[i], &b->species[j]) &&
                    fabs(a->species[i].occupancy - b->species[j].occupancy) <= 1e-8;
        if (!found)
            return 0;
    }
    return 1;
}

typedef struct site_cols {
    const cif_item *label, *type, *occ, *frac[3], *cart[3];
    size_t rows;
} site_cols;

static int site_columns(const cif_block *b, site_cols *c, long line, mms_error *err)
{
    static const char *const fn[3] = {"_atom_site_fract_x", "_atom_site_fract_y",
                                      "_atom_site_fract_z"};
    static const char *const cn[3] = {"_atom_site_Cartn_x", "_atom_site_Cartn_y",
                                      "_atom_site_Cartn_z"};
    memset(c, 0, sizeof *c);
    c->label = find_item(b, "_atom_site_label");
    c->type = find_item(b, "_atom_site_type_symbol");
    c->occ = find_item(b, "_atom_site_occupancy");
    int nf = 0, nc = 0;
    for (int k = 0; k < 3; k++) {
        nf += (c->frac[k] = find_item(b, fn[k])) != NULL;
        nc += (c->cart[k] = find_item(b, cn[k])) != NULL;
    }
    if (nf < 3 && nc == 3) {
        for (int k = 0; k < 3; k++)
            c->frac[k] = NULL;
    } else if (nf < 3) {
        return mms_error_set(err, MMS_EPARSE, line,
                             "expected _atom_site_fract_x/y/z (or _atom_site_Cartn_x/y/z)"
                             " columns: the block has no atoms");
    } else {
        for (int k = 0; k < 3; k++)
            c->cart[k] = NULL;
    }
    const cif_item *ref = c->label ? c->label : c->type ? c->type : c->frac[0] ? c->frac[0] : c->cart[0];
    if (!c->label && !c->type)
        return mms_error_set(err, MMS_EPARSE, line,
                             "expected _atom_site_type_symbol or _atom_site_label");
    c->rows = item_rows(b, ref);
    const cif_item *all[] = {c->label, c->type, c->occ, c->frac[0], c->frac[1], c->frac[2],
                             c->cart[0], c->cart[1], c->cart[2]};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        if (all[k] && item_rows(b, all[k]) != c->rows)
            return mms_error_set(err, MMS_EPARSE, item_value(b, all[k], 0)->line,
                                 "%.*s has %zu values but %.*s has %zu: expected "
                                 "one _atom_site loop",
                                 (int)all[k]->name.len, all[k]->name.p, item_rows(b, all[k]),
                                 (int)ref->name.len, ref->name.p, c->rows);
    return MMS_OK;
}

/* CifParser._sanitize_data: coordinates within 1e-4 (relative) of 1/3 or
 * 2/3 become exactly 1/3.0 or 2/3.0. */
double cif_ideal_fraction(double x)
{
    const double third = 1 / 3.0, two_thirds = 2 / 3.0;
    if (fabs(1 - x / third) < 1e-4)
        return third;
    if (fabs(1 - x / two_thirds) < 1e-4)
        return two_thirds;
    return x;
}

static void invert3(const double m[3][3], double inv[3][3], int *ok)
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    *ok = det != 0.0 && isfinite(det);
    if (!*ok)
        return;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
            inv[i][j] = (m[i1][j1] * m[i2][j2] - m[i1][j2] * m[i2][j1]) / det;
        }
}

typedef struct build_ctx {
    const cif_block *b;
    const mms_read_options *opt;
    size_t max_sites;
    double tol;
    long line;
} build_ctx;

/* Rows of the _atom_site loop -> merged asymmetric positions
 * (CifParser._get_structure up to coord_to_species). */
static int read_atoms(const build_ctx *bc, const double lattice[3][3], const cif_op *ops,
                      size_t n_ops, asym_site **out, size_t *n_out, mms_error *err)
{
    const cif_block *b = bc->b;
    site_cols c;
    int rc = site_columns(b, &c, bc->line, err);
    if (rc != MMS_OK)
        return rc;
    /* bound the work before allocating: at most 64 images per allowed site */
    if ((double)c.rows * (double)n_ops > 64.0 * (double)bc->max_sites)
        return mms_error_set(err, MMS_ELIMIT, bc->line,
                             "%zu atoms times %zu symmetry operations could "
                             "give more sites than the limit (max_sites %zu)",
                             c.rows, n_ops, bc->max_sites);
    oxi_entry *oxi = NULL;
    size_t n_oxi = 0;
    if (block_oxi(b, &oxi, &n_oxi) != MMS_OK)
        return mms_error_set(err, MMS_ENOMEM, bc->line, "out of memory");
    int has_table = oxi != NULL;
    static const cif_op identity_op = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {0, 0, 0}};
    int identity = 0;
    for (size_t o = 0; o < n_ops && !identity; o++)
        identity = memcmp(&ops[o], &identity_op, sizeof identity_op) == 0;
    double inv[3][3];
    int inv_ok = 1;
    if (c.cart[0])
        invert3(lattice, inv, &inv_ok);

    asym_site *as = malloc((c.rows ? c.rows : 1) * sizeof *as);
    coord_set keys;
    cs_init(&keys, bc->tol);
    if (!as) {
        free(as);
        free(oxi);
        return mms_error_set(err, MMS_ENOMEM, bc->line, "out of memory");
    }
    size_t n = 0;
    rc = MMS_OK;
    for (size_t r = 0; r < c.rows && rc == MMS_OK; r++) {
        const cif_tok *sym = item_value(b, c.type ? c.type : c.label, r);
        const cif_tok *lab = c.label ? item_value(b, c.label, r) : sym;
        long line = lab->line;
        int z = parse_symbol(sym->p, sym->len);
        if (z == 0)
            continue; /* pymatgen: no symbol, no atom */
        if (z < 0) {
            rc = mms_error_set(err, MMS_EPARSE, line,
                               "atom %.*s: expected an element symbol, got '%.*s'", (int)lab->len,
                               lab->p, (int)sym->len, sym->p);
            break;
        }
        mms_species sp = {.z = z, .occupancy = 1.0};
        if (has_table) {
            /* pymatgen makes every species of such a block a Species, with
             * oxidation state 0 when its symbol is not in the table */
            const char *es = mms_element_symbol(z);
            sp.has_oxidation = 1;
            sp.oxidation = 0.0;
            oxi_lookup(oxi, n_oxi, es, strlen(es), &sp.oxidation);
            if (c.type)
                oxi_lookup(oxi, n_oxi, sym->p, sym->len, &sp.oxidation);
        }
        double xyz[3];
        for (int k = 0; k < 3 && rc == MMS_OK; k++) {
            const cif_item *col = c.frac[k] ? c.frac[k] : c.cart[k];
            rc = finite_number(item_value(b, col, r), col->name.p[col->name.len - 1] == 'x' ? "x"
                               : col->name.p[col->name.len - 1] == 'y' ? "y" : "z",
                               &xyz[k], err);
        }
        if (rc != MMS_OK) {
            /* say which atom */
            if (err) {
                size_t used = strlen(err->message);
                snprintf(err->message + used, sizeof err->message - used, " (atom %.*s)",
                         (int)(lab->len > 32 ? 32 : lab->len), lab->p);
            }
            break;
        }
        if (c.cart[0]) {
            if (!inv_ok) {
                rc = mms_error_set(err, MMS_ECOMPUTE, line,
                                   "Cartesian coordinates in a cell of zero volume");
                break;
            }
            double f[3];
            for (int k = 0; k < 3; k++)
                f[k] = xyz[0] * inv[0][k] + xyz[1] * inv[1][k] + xyz[2] * inv[2][k];
            memcpy(xyz, f, sizeof f);
        } else {
            for (int k = 0; k < 3; k++)
                xyz[k] = cif_ideal_fraction(xyz[k]);
        }
        if (c.occ) {
            double o;
            const cif_tok *t = item_value(b, c.occ, r);
            if (cif_parse_number(t->p, t->len, &o))
                sp.occupancy = o; /* pymatgen: unreadable occupancy means 1 */
        }
        if (!(sp.occupancy > 0))
            continue; /* pymatgen drops atoms of zero (or NaN) occupancy */

        /* get_matching_coord: an image of this atom under any operation
         * (in order) that falls on an earlier position joins it */
        size_t match = SIZE_MAX;
        for (size_t o = 0; o < n_ops && match == SIZE_MAX; o++) {
            double img[3];
            op_apply(&ops[o], xyz, img);
            match = cs_find(&keys, img);
        }
        if (match != SIZE_MAX) {
            if (bc->b->magnetic) {
                rc = mms_error_set(err, MMS_EUNSUPPORTED, line,
                                   "atom %.*s shares its position with another: "
                                   "disordered magnetic structures are not supported "
                                   "(as in pymatgen)",
                                   (int)lab->len, lab->p);
                break;
            }
            if (!site_add_species(&as[match].site, &sp))
                rc = mms_error_set(err, MMS_ELIMIT, line,
                                   "more than %d species share the position of %s",
                                   MMS_MAX_SITE_SPECIES, as[match].site.label);
            continue;
        }
        /* pymatgen keys positions by the coordinate tuple: when no operation
         * maps the atom onto an earlier one (possible only without an
         * identity operation, i.e. under its broken P1 default) but the
         * tuple is the same, the new atom replaces the old one */
        size_t same = identity ? SIZE_MAX : cs_find_exact(&keys, xyz);
        if (same != SIZE_MAX) {
            as[same].site.n_species = 1;
            as[same].site.species[0] = sp;
            continue;
        }
        asym_site *a = &as[n];
        memset(a, 0, sizeof *a);
        memcpy(a->xyz, xyz, sizeof xyz);
        a->site.n_species = 1;
        a->site.species[0] = sp;
        a->site.line = line;
        size_t ll = lab->len < MMS_SITE_LABEL_MAX - 1 ? lab->len : MMS_SITE_LABEL_MAX - 1;
        memcpy(a->site.label, lab->p, ll);
        a->site.label[ll] = '\0';
        if (cs_add(&keys, xyz, n) != MMS_OK)
            rc = mms_error_set(err, MMS_ENOMEM, line, "out of memory");
        n++;
    }
    cs_free(&keys);
    free(oxi);
    if (rc == MMS_OK && n == 0)
        rc = mms_error_set(err, MMS_EPARSE, bc->line,
                           "expected at least one atom with an element symbol and "
                           "positive occupancy");
    if (rc != MMS_OK) {
        free(as);
        return rc;
    }
    *out = as;
    *n_out = n;
    return MMS_OK;
}

/* Expand each merged position by the operations, keeping one copy of
 * coinciding images among positions of equal composition
 * (CifParser._unique_coords per composition group). */
static int expand(const build_ctx *bc, asym_site *as, size_t n, const cif_op *ops, size_t n_ops,
                  mms_structure *s, mms_error *err)
{
    /* pymatgen: a site whose occupancies sum to more than 1 fails Structure() */
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (int k = 0; k < as[i].site.n_species; k++)
            sum += as[i].site.species[k].occupancy;
        if (sum > 1 + 1e-8)
            return mms_error_set(err, MMS_EPARSE, as[i].site.line,
                                 "occupancies at the position of %s sum to %.6g, "
                                 "expected at most 1 (atoms closer than %g in fractional "
                                 "coordinates are one site)",
                                 as[i].site.label, sum, bc->tol);
    }
    size_t n_groups = 0;
    for (size_t i = 0; i < n; i++) {
        as[i].group = n_groups;
        for (size_t j = 0; j < i; j++)
            if (same_composition(&as[i].site, &as[j].site)) {
                as[i].group = as[j].group;
                break;
            }
        if (as[i].group == n_groups)
            n_groups++;
    }
    static const cif_op identity = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {0, 0, 0}};
    int identity_only = n_ops == 1 && memcmp(&ops[0], &identity, sizeof identity) == 0;
    int rc = MMS_OK;
    for (size_t g = 0; g < n_groups && rc == MMS_OK; g++) {
        coord_set seen;
        cs_init(&seen, bc->tol);
        for (size_t i = 0; i < n && rc == MMS_OK; i++) {
            if (as[i].group != g)
                continue;
            for (size_t o = 0; o < n_ops && rc == MMS_OK; o++) {
                mms_site site = as[i].site;
                double img[3];
                op_apply(&ops[o], as[i].xyz, img);
                for (int k = 0; k < 3; k++)
                    site.frac[k] = img[k] - floor(img[k]);
                /* one identity operation: positions were already merged */
                if (!identity_only) {
                    if (cs_find(&seen, site.frac) != SIZE_MAX)
                        continue;
                    rc = cs_add(&seen, site.frac, seen.n);
                }
                if (rc != MMS_OK) {
                    rc = mms_error_set(err, MMS_ENOMEM, bc->line, "out of memory");
                    break;
                }
                if (s->n_sites >= bc->max_sites) {
                    rc = mms_error_set(err, MMS_ELIMIT, site.line,
                                       "symmetry expansion gives more than %zu sites "
                                       "(limit max_sites)",
                                       bc->max_sites);
                    break;
                }
                rc = mms_structure_add_site(s, &site, 0, err);
            }
        }
        cs_free(&seen);
    }
    return rc;
}

/* Every single item and loop column as a tag. */
static int record_tags(const cif_block *b, mms_structure *s, mms_error *err)
{
    if (!s->tags && !(s->tags = mms_tags_new()))
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for tags");
    for (size_t i = 0; i < b->n_items; i++) {
        const cif_item *it = &b->items[i];
        if (it->loop < 0) {
            if (mms_tags_set_n(s->tags, it->name.p, it->name.len, it->value.p, it->value.len) !=
                MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for tags");
            continue;
        }
        size_t rows = item_rows(b, it);
        const char **v = mms_tags_loop_begin(s->tags, it->name.p, it->name.len, rows);
        if (!v)
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for tags");
        for (size_t r = 0; r < rows; r++) {
            const cif_tok *t = item_value(b, it, r);
            if (!(v[r] = mms_tags_strndup(s->tags, t->p, t->len)))
                return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for tags");
        }
    }
    return MMS_OK;
}

static int build_structure(const build_ctx *bc, mms_structure **out, mms_error *err)
{
    const cif_block *b = bc->b;
    *out = NULL;
    if (b->incommensurate)
        return mms_error_set(err, MMS_EUNSUPPORTED, bc->line,
                             "incommensurate magnetic structure (modulation or wave "
                             "vector given): not supported, as in pymatgen");
    double lattice[3][3];
    int rc = block_lattice(b, lattice, bc->line, err);
    if (rc != MMS_OK)
        return rc;
    ops_buf ob;
    ops_init(&ob);
    size_t n_ops = 0;
    asym_site *as = NULL;
    size_t n_as = 0;
    mms_structure *s = NULL;
    rc = block_ops(b, &ob, &n_ops, bc->line, err);
    const cif_op *ops = ob.p;
    if (rc == MMS_OK)
        rc = read_atoms(bc, lattice, ops, n_ops, &as, &n_as, err);
    if (rc == MMS_OK)
        rc = mms_structure_create(&s, lattice, err);
    if (rc == MMS_OK)
        rc = expand(bc, as, n_as, ops, n_ops, s, err);
    if (rc == MMS_OK)
        rc = mms_structure_sort_sites_pymatgen(s, err);
    if (rc == MMS_OK)
        rc = mms_structure_finalize(s, err);
    if (rc == MMS_OK)
        rc = record_tags(b, s, err);
    if (rc == MMS_OK && b->header.len > 5) {
        if (!(s->name = malloc(b->header.len - 4)))
            rc = mms_error_set(err, MMS_ENOMEM, bc->line, "out of memory");
        else {
            memcpy(s->name, b->header.p + 5, b->header.len - 5);
            s->name[b->header.len - 5] = '\0';
        }
    }
    ops_free(&ob);
    free(as);
    if (rc != MMS_OK) {
        mms_structure_free(s);
        return rc;
    }
    s->format = "cif";
    s->line = bc->line;
    *out = s;
    return MMS_OK;
}

/* ------------------------------------------------------------------ */
/* the text                                                            */

/* pymatgen's CifFile skips a block whose data_ line names a powder pattern. */
static int is_powder_block(const cif_tok *header, const char *text_end)
{
    const char *p = header->p, *q = p;
    while (q < text_end && *q != '\n')
        q++;
    for (const char *s = p; s + 14 <= q; s++)
        if (memcmp(s, "powder_pattern", 14) == 0)
            return 1;
    return 0;
}

typedef struct reader {
    const mms_read_options *opt;
    mms_structure_cb cb;
    void *ctx;
    size_t block;
    int stop; /* callback asked to stop */
} reader;

static void emit(reader *rd, cif_block *b, parse_state *ps, long line, const char *text_end)
{
    finish_block(b, ps);
    mms_structure *s = NULL;
    mms_error e;
    mms_error_clear(&e);
    int rc;
    if (ps->failed) {
        e = ps->err;
        rc = e.code;
    } else if (is_powder_block(&b->header, text_end)) {
        rc = mms_error_set(&e, MMS_EUNSUPPORTED, line,
                           "powder pattern block, no structure (skipped, as pymatgen "
                           "does)");
    } else {
        size_t max_sites = rd->opt && rd->opt->max_sites ? rd->opt->max_sites
                                                         : MMS_DEFAULT_MAX_SITES;
        double tol = rd->opt && rd->opt->merge_tol > 0 ? rd->opt->merge_tol : 1e-4;
        build_ctx bc = {b, rd->opt, max_sites, tol, line};
        rc = build_structure(&bc, &s, &e);
    }
    if (rc == MMS_OK)
        rc = rd->cb(rd->ctx, rd->block, s, NULL);
    else
        rc = rd->cb(rd->ctx, rd->block, NULL, &e);
    rd->block++;
    if (rc != MMS_OK)
        rd->stop = 1;
}

int mms_read_cif(const char *text, size_t len, const mms_read_options *opt, mms_structure_cb cb,
                 void *ctx, mms_error *err)
{
    mms_error_clear(err);
    if ((!text && len) || !cb)
        return mms_error_set(err, MMS_EINVAL, 0, "read_cif: NULL text or callback");
    size_t max_line = opt && opt->max_line_len ? opt->max_line_len : MMS_DEFAULT_MAX_LINE;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* UTF-8 byte order mark */
        text += 3;
        len -= 3;
    }
    cif_lex lx;
    cif_lex_init(&lx, text ? text : "", len, max_line, opt ? opt->line_offset : 0);
    reader rd = {opt, cb, ctx, 0, 0};
    cif_block b = {0};
    parse_state ps = {0};
    int in_block = 0;
    long block_line = 0;
    cif_tok t;
    int rc = MMS_OK;
    while (!rd.stop) {
        mms_error le;
        int got = cif_lex_next(&lx, &t, &le);
        if (got == 0)
            break;
        if (got < 0) {
            if (!in_block) {
                rc = mms_error_set(err, le.code, le.line, "%s (before any data_ block)",
                                   le.message);
                break;
            }
            if (!ps.failed) {
                ps.failed = 1;
                ps.err = le;
            }
            ps.st = ST_SKIP;
            /* resynchronise at the next line */
            const char *nl = memchr(lx.p, '\n', (size_t)(lx.end - lx.p));
            if (!nl)
                break;
            lx.p = nl + 1;
            lx.line++;
            lx.line_start = lx.p;
            continue;
        }
        if (t.kind == CIF_BARE && t.len >= 5 && (t.p[0] | 32) == 'd' &&
            cif_tok_has_prefix(&t, "data_")) {
            if (in_block)
                emit(&rd, &b, &ps, block_line, lx.end);
            block_reset(&b);
            ps = (parse_state){0};
            b.header = t;
            block_line = t.line;
            in_block = 1;
            continue;
        }
        if (in_block)
            feed(&b, &ps, &t);
        /* tokens before the first data_ are ignored, as pymatgen does */
    }
    if (rc == MMS_OK && in_block && !rd.stop)
        emit(&rd, &b, &ps, block_line, lx.end);
    block_free(&b);
    if (rc == MMS_OK && !in_block)
        rc = mms_error_set(err, MMS_EPARSE, lx.line, "expected a data_ block, found none%s",
                           len == 0 ? " (empty text)" : "");
    return rc;
}
