/* caption plugin — WordNet lookups as nltk 3.8 does them (see wordnet.h).
 *
 * Reference: nltk/corpus/reader/wordnet.py (3.8): _load_lemma_pos_offset_map,
 * _load_exception_map, _morphy, synsets, _synset_from_pos_and_line.
 * The files are read whole into memory and split in place; lookups go
 * through one open-addressing table keyed by (part of speech, string). */
#include "wordnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { POS_N, POS_V, POS_A, POS_R, NPOS };
static const char *const POS_FILE[NPOS] = {"noun", "verb", "adj", "adv"};

typedef struct wn_slot {
    const char *key; /* NULL = empty */
    uint32_t pos;    /* part of speech; +NPOS for exception entries */
    uint32_t first, count;
} wn_slot;

struct cap_wordnet {
    char *index_buf[NPOS], *exc_buf[NPOS], *data_buf[NPOS];
    size_t data_len[NPOS];
    wn_slot *tab;
    size_t cap, n;
    uint32_t *offsets; /* synset offsets of index entries */
    size_t noffsets, offsets_cap;
    const char **bases; /* base forms of exception entries */
    size_t nbases, bases_cap;
};

static uint64_t hash_key(const char *s, uint32_t pos)
{
    return cap_hash_str(s) ^ (0x9E3779B97F4A7C15ull * (pos + 1));
}

static wn_slot *lookup(const cap_wordnet *wn, const char *key, uint32_t pos)
{
    size_t j = hash_key(key, pos) & (wn->cap - 1);
    while (wn->tab[j].key) {
        if (wn->tab[j].pos == pos && strcmp(wn->tab[j].key, key) == 0)
            return &wn->tab[j];
        j = (j + 1) & (wn->cap - 1);
    }
    return NULL;
}

static int insert(cap_wordnet *wn, const char *key, uint32_t pos, uint32_t first, uint32_t count)
{
    if (2 * (wn->n + 1) > wn->cap) {
        size_t cap = wn->cap ? 2 * wn->cap : 1u << 16;
        wn_slot *t = calloc(cap, sizeof *t);
        if (!t)
            return MMS_ENOMEM;
        for (size_t i = 0; i < wn->cap; i++) {
            if (!wn->tab[i].key)
                continue;
            size_t j = hash_key(wn->tab[i].key, wn->tab[i].pos) & (cap - 1);
            while (t[j].key)
                j = (j + 1) & (cap - 1);
            t[j] = wn->tab[i];
        }
        free(wn->tab);
        wn->tab = t;
        wn->cap = cap;
    }
    size_t j = hash_key(key, pos) & (wn->cap - 1);
    while (wn->tab[j].key) {
        if (wn->tab[j].pos == pos && strcmp(wn->tab[j].key, key) == 0) {
            /* later lines replace earlier ones, as a Python dict assignment */
            wn->tab[j].first = first;
            wn->tab[j].count = count;
            return MMS_OK;
        }
        j = (j + 1) & (wn->cap - 1);
    }
    wn->tab[j] = (wn_slot){key, pos, first, count};
    wn->n++;
    return MMS_OK;
}

static int read_file(const char *dir, const char *name, char **buf, size_t *len, mms_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return mms_error_set(err, MMS_EIO, 0, "wordnet: cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(b, cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
        } else {
            b = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!b)
        return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory reading %s", path);
    if (bad) {
        free(b);
        return mms_error_set(err, MMS_EIO, 0, "wordnet: read error on %s", path);
    }
    b[n] = '\0';
    *buf = b;
    if (len)
        *len = n;
    return MMS_OK;
}

/* Splits the line at *p (up to '\n') into NUL-terminated fields. */
static size_t split_line(char **p, char **field, size_t maxf)
{
    char *s = *p;
    size_t nf = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s == '\0' || *s == '\n')
            break;
        char *st = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            s++;
        int end_line = *s == '\n' || *s == '\0';
        int at_nul = *s == '\0';
        if (!at_nul)
            *s++ = '\0';
        if (nf < maxf)
            field[nf++] = st;
        if (end_line) {
            *p = at_nul ? s : s;
            return nf;
        }
    }
    if (*s == '\n')
        s++;
    *p = s;
    return nf;
}

static int push_offset(cap_wordnet *wn, uint32_t off)
{
    if (cap_grow((void **)&wn->offsets, &wn->offsets_cap, wn->noffsets + 1, sizeof *wn->offsets,
                 1u << 16) != MMS_OK)
        return MMS_ENOMEM;
    wn->offsets[wn->noffsets++] = off;
    return MMS_OK;
}

static int push_base(cap_wordnet *wn, const char *b)
{
    if (cap_grow((void **)&wn->bases, &wn->bases_cap, wn->nbases + 1, sizeof *wn->bases, 1u << 12) !=
        MMS_OK)
        return MMS_ENOMEM;
    wn->bases[wn->nbases++] = b;
    return MMS_OK;
}

static int load_index(cap_wordnet *wn, int pos, const char *dir, mms_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "index.%s", POS_FILE[pos]);
    int rc = read_file(dir, name, &wn->index_buf[pos], NULL, err);
    if (rc != MMS_OK)
        return rc;
    char *p = wn->index_buf[pos];
    long line = 0;
    char *f[1024];
    while (*p) {
        line++;
        if (*p == ' ') { /* licence header */
            char *e = strchr(p, '\n');
            p = e ? e + 1 : p + strlen(p);
            continue;
        }
        size_t nf = split_line(&p, f, 1024);
        if (nf == 0)
            continue;
        /* lemma pos n_synsets n_pointers ptr... n_senses tagsense offsets... */
        long nsyn = nf > 2 ? strtol(f[2], NULL, 10) : 0;
        long nptr = nf > 3 ? strtol(f[3], NULL, 10) : -1;
        size_t first_off = (size_t)(4 + (nptr > 0 ? nptr : 0) + 2);
        if (nsyn <= 0 || nptr < 0 || first_off + (size_t)nsyn > nf)
            return mms_error_set(err, MMS_EPARSE, line, "wordnet: %s/%s line %ld: malformed entry",
                                 dir, name, line);
        uint32_t first = (uint32_t)wn->noffsets;
        for (long k = 0; k < nsyn; k++)
            if (push_offset(wn, (uint32_t)strtoul(f[first_off + (size_t)k], NULL, 10)) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory");
        if (insert(wn, f[0], (uint32_t)pos, first, (uint32_t)nsyn) != MMS_OK)
            return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory");
    }
    return MMS_OK;
}

static int load_exc(cap_wordnet *wn, int pos, const char *dir, mms_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "%s.exc", POS_FILE[pos]);
    int rc = read_file(dir, name, &wn->exc_buf[pos], NULL, err);
    if (rc != MMS_OK)
        return rc;
    char *p = wn->exc_buf[pos];
    char *f[64];
    while (*p) {
        size_t nf = split_line(&p, f, 64);
        if (nf == 0)
            continue;
        uint32_t first = (uint32_t)wn->nbases;
        for (size_t k = 1; k < nf; k++)
            if (push_base(wn, f[k]) != MMS_OK)
                return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory");
        if (insert(wn, f[0], (uint32_t)(NPOS + pos), first, (uint32_t)(nf - 1)) != MMS_OK)
            return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory");
    }
    return MMS_OK;
}

int cap_wordnet_open(const char *dir, cap_wordnet **out, mms_error *err)
{
    *out = NULL;
    cap_wordnet *wn = calloc(1, sizeof *wn);
    if (!wn)
        return mms_error_set(err, MMS_ENOMEM, 0, "wordnet: out of memory");
    int rc = MMS_OK;
    for (int pos = 0; pos < NPOS && rc == MMS_OK; pos++) {
        rc = load_index(wn, pos, dir, err);
        if (rc == MMS_OK)
            rc = load_exc(wn, pos, dir, err);
        if (rc == MMS_OK) {
            char name[32];
            snprintf(name, sizeof name, "data.%s", POS_FILE[pos]);
            rc = read_file(dir, name, &wn->data_buf[pos], &wn->data_len[pos], err);
        }
    }
    if (rc != MMS_OK) {
        cap_wordnet_free(wn);
        return rc;
    }
    *out = wn;
    return MMS_OK;
}

void cap_wordnet_free(cap_wordnet *wn)
{
    if (!wn)
        return;
    for (int i = 0; i < NPOS; i++) {
        free(wn->index_buf[i]);
        free(wn->exc_buf[i]);
        free(wn->data_buf[i]);
    }
    free(wn->tab);
    free(wn->offsets);
    free(wn->bases);
    free(wn);
}

typedef struct subst {
    const char *old, *new_;
} subst;

static const subst SUB_N[] = {{"s", ""},     {"ses", "s"},   {"ves", "f"},
                              {"xes", "x"},  {"zes", "z"},   {"ches", "ch"},
                              {"shes", "sh"}, {"men", "man"}, {"ies", "y"}};
static const subst SUB_V[] = {{"s", ""},   {"ies", "y"}, {"es", "e"},  {"es", ""},
                              {"ed", "e"}, {"ed", ""},   {"ing", "e"}, {"ing", ""}};
static const subst SUB_A[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};

static int has_form(const cap_toks *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], s) == 0)
            return 1;
    return 0;
}

/* apply_rules(): every substitution on every form.  Forms are deduplicated
 * (nltk keeps duplicates; filter_forms deduplicates in first-seen order, so
 * the outcome is the same and the work stays linear). */
static int apply_rules(const cap_toks *in, int pos, cap_toks *out)
{
    const subst *s = pos == POS_N ? SUB_N : pos == POS_V ? SUB_V : SUB_A;
    size_t ns = pos == POS_N   ? sizeof SUB_N / sizeof *SUB_N
                : pos == POS_V ? sizeof SUB_V / sizeof *SUB_V
                : pos == POS_A ? sizeof SUB_A / sizeof *SUB_A
                               : 0;
    char buf[512];
    for (size_t i = 0; i < in->n; i++) {
        size_t lf = strlen(in->v[i]);
        for (size_t k = 0; k < ns; k++) {
            size_t lo = strlen(s[k].old), ln = strlen(s[k].new_);
            if (lf < lo || memcmp(in->v[i] + lf - lo, s[k].old, lo) != 0)
                continue;
            if (lf - lo + ln >= sizeof buf)
                continue;
            memcpy(buf, in->v[i], lf - lo);
            memcpy(buf + lf - lo, s[k].new_, ln);
            buf[lf - lo + ln] = '\0';
            if (!has_form(out, buf) && cap_toks_push(out, buf, lf - lo + ln) != MMS_OK)
                return MMS_ENOMEM;
        }
    }
    return MMS_OK;
}

/* filter_forms(): those with an index entry for pos, first occurrence order. */
static int filter_forms(const cap_wordnet *wn, const cap_toks *forms, int pos, cap_toks *res)
{
    for (size_t i = 0; i < forms->n; i++)
        if (lookup(wn, forms->v[i], (uint32_t)pos) && !has_form(res, forms->v[i]) &&
            cap_toks_push(res, forms->v[i], strlen(forms->v[i])) != MMS_OK)
            return MMS_ENOMEM;
    return MMS_OK;
}

static int morphy(const cap_wordnet *wn, const char *form, int pos, cap_toks *res)
{
    cap_toks forms = {0}, next = {0};
    int rc = cap_toks_push(&forms, form, strlen(form));
    const wn_slot *exc = lookup(wn, form, (uint32_t)(NPOS + pos));
    if (rc == MMS_OK && exc) {
        for (uint32_t k = 0; k < exc->count && rc == MMS_OK; k++)
            rc = cap_toks_push(&forms, wn->bases[exc->first + k], strlen(wn->bases[exc->first + k]));
        if (rc == MMS_OK)
            rc = filter_forms(wn, &forms, pos, res);
        cap_toks_free(&forms);
        return rc;
    }
    /* rules once; the original and its variants */
    if (rc == MMS_OK)
        rc = apply_rules(&forms, pos, &next);
    if (rc == MMS_OK) {
        cap_toks both = {0};
        rc = cap_toks_push(&both, form, strlen(form));
        for (size_t i = 0; i < next.n && rc == MMS_OK; i++)
            rc = cap_toks_push(&both, next.v[i], strlen(next.v[i]));
        if (rc == MMS_OK)
            rc = filter_forms(wn, &both, pos, res);
        cap_toks_free(&both);
    }
    /* then keep applying the rules until something is in the database */
    while (rc == MMS_OK && res->n == 0 && next.n > 0) {
        cap_toks_free(&forms);
        forms = next;
        memset(&next, 0, sizeof next);
        rc = apply_rules(&forms, pos, &next);
        if (rc == MMS_OK)
            rc = filter_forms(wn, &next, pos, res);
    }
    cap_toks_free(&forms);
    cap_toks_free(&next);
    return rc;
}

/* Lemma names of the synset at byte offset off of data.<pos>. */
static int synset_names(const cap_wordnet *wn, int pos, uint32_t off, cap_toks *out)
{
    if (off >= wn->data_len[pos])
        return MMS_OK;
    const char *p = wn->data_buf[pos] + off;
    const char *end = strchr(p, '\n');
    if (!end)
        end = p + strlen(p);
    const char *tok[4];
    size_t len[4];
    size_t k = 0;
    /* offset lex_filenum ss_type w_cnt */
    while (k < 4 && p < end) {
        while (p < end && *p == ' ')
            p++;
        tok[k] = p;
        while (p < end && *p != ' ')
            p++;
        len[k] = (size_t)(p - tok[k]);
        k++;
    }
    if (k < 4)
        return MMS_OK;
    char hex[8] = {0};
    memcpy(hex, tok[3], len[3] < 7 ? len[3] : 7);
    long nw = strtol(hex, NULL, 16);
    for (long w = 0; w < nw && p < end; w++) {
        while (p < end && *p == ' ')
            p++;
        const char *name = p;
        while (p < end && *p != ' ')
            p++;
        size_t ln = (size_t)(p - name);
        while (p < end && *p == ' ')
            p++;
        while (p < end && *p != ' ') /* lex_id */
            p++;
        /* adjective markers "(a)", "(p)", "(ip)" are not part of the name */
        if (ln && name[ln - 1] == ')') {
            const char *par = memchr(name, '(', ln);
            if (par)
                ln = (size_t)(par - name);
        }
        if (memchr(name, '_', ln))
            continue;
        int rc = cap_toks_push(out, name, ln);
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}

int cap_wordnet_lemma_names(const cap_wordnet *wn, const char *word, cap_toks *out)
{
    if (strlen(word) > 200) /* no WordNet lemma is this long; keeps morphy bounded */
        return MMS_OK;
    for (int pos = 0; pos < NPOS; pos++) {
        cap_toks forms = {0};
        int rc = morphy(wn, word, pos, &forms);
        for (size_t i = 0; i < forms.n && rc == MMS_OK; i++) {
            const wn_slot *s = lookup(wn, forms.v[i], (uint32_t)pos);
            for (uint32_t k = 0; s && k < s->count && rc == MMS_OK; k++)
                rc = synset_names(wn, pos, wn->offsets[s->first + k], out);
        }
        cap_toks_free(&forms);
        if (rc != MMS_OK)
            return rc;
    }
    return MMS_OK;
}
