/* The input side of the built mmscore, end to end: inputs that would score
 * nothing are refused, stdin and FIFOs are sniffed, gzip is read, folders
 * name what they skip, hostile bytes (NUL, invalid UTF-8, stray quotes,
 * huge JSON) give error records and strict JSON, numeric flags reject
 * overflow, and plugin loading failures are loud.  Every case writes its
 * inputs into a scratch folder, so it needs nothing but the build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#if defined(__SANITIZE_ADDRESS__)
#define TI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TI_ASAN 1
#endif
#endif

static char scratch[256];

#define NACL(name)                                                                             \
    "data_" name "\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"            \
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"                      \
    "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_type_symbol\n_atom_site_label\n" \
    "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"      \
    "Na Na1 0 0 0 1\nCl Cl1 0.5 0.5 0.5 1\n"

#define TEXT_NACL "5.64 5.64 5.64\n90 90 90\nNa\n0 0 0\nCl\n0.5 0.5 0.5\n"
#define TEXT_NACL_JSON "5.64 5.64 5.64\\n90 90 90\\nNa\\n0 0 0\\nCl\\n0.5 0.5 0.5\\n"

/* scratch/name, in a static buffer (one at a time is enough here). */
static const char *at(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", scratch, name);
    return p[k];
}

static void put(const char *name, const char *text, size_t len)
{
    FILE *f = fopen(at(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

#define PUT(name, lit) put(name, lit, sizeof lit - 1)

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *s = NULL;
    size_t n = 0, cap = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + got + 1 > cap) {
            cap = 2 * (n + got + 1);
            s = realloc(s, cap);
            assert_non_null(s);
        }
        memcpy(s + n, buf, got);
        n += got;
    }
    fclose(f);
    if (!s)
        return strdup("");
    s[n] = '\0';
    return s;
}

/* Run `mmscore ARGS` with stdout to scratch/out and stderr to scratch/err;
 * the exit status (-1 for a signal). */
static int mm(const char *fmt, ...)
{
    char args[2048], cmd[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s %s >out 2>err", scratch, MMSCORE_CLI, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *err_text(void)
{
    return read_all(at("err"));
}

/* Is s (n bytes) well-formed UTF-8?  Written independently of utf8.c. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                               : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!k || i + k > n)
            return 0;
        unsigned long cp = k == 1 ? c : c & (0x7F >> k);
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

/* scratch/out as record lines: each must be strict JSON (valid UTF-8). */
static size_t records(cJSON **v, size_t cap)
{
    char *text = read_all(at("out"));
    size_t n = 0;
    for (char *s = text, *nl; *s && (nl = strchr(s, '\n')); s = nl + 1) {
        assert_true(utf8_ok((const unsigned char *)s, (size_t)(nl - s)));
        assert_true(n < cap);
        v[n] = cJSON_ParseWithLength(s, (size_t)(nl - s));
        assert_non_null(v[n]);
        n++;
    }
    free(text);
    return n;
}

static void free_records(cJSON **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(v[i]);
}

static const char *s_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double n_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *err_code(const cJSON *rec)
{
    return s_of(cJSON_GetObjectItemCaseSensitive(rec, "error"), "code");
}

static const char *err_msg(const cJSON *rec)
{
    return s_of(cJSON_GetObjectItemCaseSensitive(rec, "error"), "message");
}

static int is_ok(const cJSON *rec)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok"));
}

/* ------------------------------------------------------------------ cases */

static void no_structure_column(void **st)
{
    (void)st;
    PUT("gen.csv", "id,gen_cif\na,\"" NACL("a") "\"\nb,\"" TEXT_NACL "\"\n");
    assert_int_equal(mm("validate -q --records - gen.csv"), 1);
    char *e = err_text();
    assert_non_null(strstr(e, "no structure column"));
    assert_non_null(strstr(e, "\"gen_cif\""));
    free(e);
    cJSON *r[8];
    assert_int_equal(records(r, 8), 0);
    /* eval too, although its set plugins count fields-only records */
    assert_int_equal(mm("eval -q --ref gen.csv gen.csv"), 1);
    e = err_text();
    assert_non_null(strstr(e, "no structure column"));
    free(e);

    /* --column picks it; each cell is read as what it is (CIF, text). */
    assert_int_equal(mm("validate -q --column gen_cif --records - gen.csv"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 2);
    assert_true(is_ok(r[0]) && is_ok(r[1]));
    assert_int_equal(n_of(r[1], "n_sites"), 2);
    /* the structure's column is the record itself, not one of its fields */
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(r[0], "fields");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(fl, "id"));
    assert_null(cJSON_GetObjectItemCaseSensitive(fl, "gen_cif"));
    free_records(r, n);
    assert_int_equal(mm("validate -q --column nope gen.csv"), 1);
    e = err_text();
    assert_non_null(strstr(e, "no column \"nope\""));
    free(e);

    /* JSONL: --column names the field; without it no line has a structure. */
    PUT("gen.jsonl", "{\"id\": \"j\", \"structure\": \"" TEXT_NACL_JSON "\"}\n");
    assert_int_equal(mm("validate -q --records - gen.jsonl"), 1);
    n = records(r, 8);
    assert_int_equal(n, 1);
    assert_string_equal(err_code(r[0]), "parse");
    assert_non_null(strstr(err_msg(r[0]), "\"structure\""));
    free_records(r, n);
    assert_int_equal(mm("validate -q --column structure --records - gen.jsonl"), 0);
    n = records(r, 8);
    assert_int_equal(n, 1);
    assert_true(is_ok(r[0]));
    free_records(r, n);

    /* qa data keep their fields-only records. */
    PUT("qa.csv", "id,question,answer\nq1,What?,B\n");
    assert_int_equal(mm("qa choice -q --records - qa.csv"), 0);
    n = records(r, 8);
    assert_int_equal(n, 1);
    free_records(r, n);
}

static void nothing_scored(void **st)
{
    (void)st;
    mkdir(at("empty"), 0755);
    assert_int_equal(mm("validate -q empty"), 1);
    char *e = err_text();
    assert_non_null(strstr(e, "no records"));
    free(e);
    PUT("header.csv", "material_id,cif\n");
    assert_int_equal(mm("validate -q header.csv"), 1);
}

static void stdin_sniffing(void **st)
{
    (void)st;
    PUT("s.txt", TEXT_NACL);
    cJSON *r[8];
    assert_int_equal(mm("validate -q --records - - < s.txt"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 1); /* was sniffed as a CSV of 5 rows */
    assert_true(is_ok(r[0]));
    assert_int_equal(n_of(r[0], "n_sites"), 2);
    assert_string_equal(s_of(r[0], "source"), "-");
    free_records(r, n);

    /* --format names the table format of stdin. */
    PUT("t.csv", "cif\n\"" NACL("x") "\"\n");
    assert_int_equal(mm("validate -q --format csv --records - - < t.csv"), 0);
    n = records(r, 8);
    assert_int_equal(n, 1);
    assert_true(is_ok(r[0]));
    free_records(r, n);

    /* gzip on stdin */
    assert_int_equal(system("gzip -c < /dev/null > /dev/null"), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && gzip -c t.csv > t.csv.gz", scratch);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mm("validate -q --records - - < t.csv.gz"), 0);
    n = records(r, 8);
    assert_int_equal(n, 1);
    assert_true(is_ok(r[0]));
    free_records(r, n);
}

static void gzip_inputs(void **st)
{
    (void)st;
    mkdir(at("gz"), 0755);
    PUT("gz/a.cif", NACL("a") NACL("b"));
    PUT("gz/c.csv", "id,cif\nc,\"" NACL("c") "\"\n");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s/gz' && gzip a.cif && gzip c.csv && head -c 60 a.cif.gz > ../cut.cif.gz",
             scratch);
    assert_int_equal(system(cmd), 0);
    cJSON *r[8];
    assert_int_equal(mm("validate -q --records - gz"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 3);
    assert_string_equal(s_of(r[0], "id"), "a");
    assert_string_equal(s_of(r[1], "id"), "b");
    assert_string_equal(s_of(r[2], "id"), "c");
    for (size_t i = 0; i < n; i++)
        assert_true(is_ok(r[i]));
    free_records(r, n);

    /* A cut .gz: what was read is on record, the cut block an io error. */
    assert_int_equal(mm("validate -q --records - cut.cif.gz"), 0);
    n = records(r, 8);
    assert_true(n >= 1);
    assert_string_equal(err_code(r[n - 1]), "io");
    /* the reader's words, then the byte reader's own (zlib's) */
    assert_non_null(strstr(err_msg(r[n - 1]), "read error"));
    assert_non_null(strstr(err_msg(r[n - 1]), "unexpected end of file"));
    free_records(r, n);
}

static void folders_name_what_they_skip(void **st)
{
    (void)st;
    mkdir(at("walk"), 0755);
    PUT("walk/a.cif", NACL("a"));
    PUT("walk/README.md", "notes\n");
    PUT("walk/.hidden.cif", NACL("h"));
    assert_int_equal(mkfifo(at("walk/pipe.cif"), 0644), 0);
    /* Opening the FIFO would block forever: timeout says if it did. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 60 %s validate -q --json walk >out 2>err",
             scratch, MMSCORE_CLI);
    int stc = system(cmd);
    assert_true(WIFEXITED(stc) && WEXITSTATUS(stc) == 0);
    char *text = read_all(at("out"));
    cJSON *s = cJSON_Parse(text);
    free(text);
    assert_non_null(s);
    assert_int_equal(n_of(s, "records"), 1);
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(s, "skipped");
    assert_int_equal(n_of(sk, "files"), 3);
    const char *want[] = {"walk/.hidden.cif", "walk/README.md", "walk/pipe.cif"};
    const cJSON *named = cJSON_GetObjectItemCaseSensitive(sk, "named");
    assert_int_equal(cJSON_GetArraySize(named), 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(s_of(cJSON_GetArrayItem(named, i), "path"), want[i]);
    assert_non_null(strstr(s_of(cJSON_GetArrayItem(named, 2), "why"), "FIFO"));
    cJSON_Delete(s);

    /* The table says it too. */
    assert_int_equal(mm("validate walk"), 0);
    text = read_all(at("out"));
    assert_non_null(strstr(text, "walk/pipe.cif: a FIFO"));
    free(text);

    /* A FIFO given as an argument is read (sniffed: it has no extension). */
    assert_int_equal(mkfifo(at("fifo"), 0644), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && (cat walk/a.cif > fifo &) && timeout 60 %s validate -q "
             "--records - fifo >out 2>err", scratch, MMSCORE_CLI);
    stc = system(cmd);
    assert_true(WIFEXITED(stc) && WEXITSTATUS(stc) == 0);
    cJSON *r[4];
    size_t n = records(r, 4);
    assert_int_equal(n, 1);
    assert_true(is_ok(r[0]));
    free_records(r, n);
}

static void nul_led_csv_rows(void **st)
{
    (void)st;
    put("nul.csv", "id,cif\n\0x,\"" NACL("x") "\"\nb,\"" NACL("b") "\"\n\n",
        sizeof "id,cif\n\0x,\"" NACL("x") "\"\nb,\"" NACL("b") "\"\n\n" - 1);
    cJSON *r[8];
    assert_int_equal(mm("validate -q --records - nul.csv"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 2); /* the NUL row is a record, the blank line is not */
    assert_string_equal(err_code(r[0]), "parse");
    assert_non_null(strstr(err_msg(r[0]), "0x00"));
    assert_int_equal(n_of(r[0], "line"), 2);
    assert_true(is_ok(r[1]));
    free_records(r, n);
}

static void invalid_utf8_is_replaced(void **st)
{
    (void)st;
    PUT("u.csv", "id,cif,note\n\xff\xfe" "bad,\"" NACL("k\xc3") "\",\xed\xa0\x80x\n");
    PUT("u.jsonl", "{\"id\": \"j\xc0\xaf\", \"cif\": \"" "data_\xe2\\n" "\"}\n");
    mkdir(at("u"), 0755);
    PUT("u/\xff.cif", NACL("\xf5"));
    cJSON *r[8];
    assert_int_equal(mm("validate -q --records - u.csv u.jsonl u"), 0);
    size_t n = records(r, 8); /* asserts every line is valid UTF-8 */
    assert_int_equal(n, 3);
    assert_string_equal(s_of(r[0], "id"), "\xEF\xBF\xBD\xEF\xBF\xBD" "bad");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r[0], "fields");
    if (f) /* the fields of a row, when the records carry them */
        assert_string_equal(s_of(f, "note"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
    assert_string_equal(s_of(r[1], "id"), "j\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(s_of(r[2], "source"), "u/\xEF\xBF\xBD.cif");
    free_records(r, n);
    /* the summary too */
    assert_int_equal(mm("validate -q --json u.jsonl"), 0);
    char *text = read_all(at("out"));
    assert_true(utf8_ok((const unsigned char *)text, strlen(text)));
    free(text);
}

static void unclosed_quote(void **st)
{
    (void)st;
    PUT("q.csv", "id,cif\na,\"" NACL("a") "\"\nb,\"" NACL("b") "\nc,x\n");
    cJSON *r[8];
    assert_int_equal(mm("validate -q --records - q.csv"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 2);
    assert_true(is_ok(r[0]));
    assert_string_equal(err_code(r[1]), "parse");
    long open_line = 20; /* row a: lines 2-19 (17 CIF lines and the closing quote) */
    /* The line is said once, in the FILE:LINE: prefix the pipeline writes. */
    assert_non_null(strstr(err_msg(r[1]), "q.csv:20: record "));
    assert_non_null(strstr(err_msg(r[1]), "unterminated quoted cell: expected a closing"));
    assert_int_equal(n_of(cJSON_GetObjectItemCaseSensitive(r[1], "error"), "line"), open_line);
    free_records(r, n);

    /* A quote that closes rows later: the column count says where it opened. */
    PUT("q2.csv", "id,cif,note\na,\"oops\nb,y,z\"\nc,d,e\n");
    assert_int_equal(mm("validate -q --records - q2.csv"), 0);
    n = records(r, 8);
    assert_int_equal(n, 2);
    assert_non_null(strstr(err_msg(r[0]), "quoted cell opened on line 2 that spans 2 lines"));
    free_records(r, n);

    /* Cut by the record limit: still named where the quote opened. */
    assert_int_equal(mm("validate -q --max-record-bytes 300 --records - q.csv"), 0);
    n = records(r, 8);
    assert_int_equal(n, 2);
    assert_non_null(strstr(err_msg(r[0]), "q.csv:2: record "));
    assert_non_null(strstr(err_msg(r[0]), "quoted cell opened on this line"));
    free_records(r, n);
}

static void write_zeros(const char *name, size_t n)
{
    FILE *f = fopen(at(name), "wb");
    assert_non_null(f);
    fputs("{\"id\": \"zeros\", \"x\": [0", f);
    for (size_t i = 1; i < n; i++)
        fputs(",0", f);
    fputs("]}\n{\"id\": \"small\", \"raw_output\": \"B\", \"options\": [\"x\", \"y\"], "
          "\"gold\": \"B\"}\n",
          f);
    assert_int_equal(fclose(f), 0);
}

static void json_memory_is_bounded(void **st)
{
    (void)st;
    write_zeros("z.jsonl", 3000000);
    cJSON *r[8];
    /* Over the default of 1e6 values: a limit record, nothing parsed. */
    assert_int_equal(mm("qa choice -q --records - z.jsonl"), 0);
    size_t n = records(r, 8);
    assert_int_equal(n, 2);
    assert_string_equal(err_code(r[0]), "limit");
    assert_non_null(strstr(err_msg(r[0]), "--max-json-values"));
    assert_true(is_ok(r[1]));
    free_records(r, n);
    assert_int_equal(mm("qa choice -q --max-json-values 5 --records - z.jsonl"), 0);
    n = records(r, 8);
    assert_string_equal(err_code(r[1]), "limit");
    free_records(r, n);
#ifndef TI_ASAN /* ASan reserves terabytes of address space */
    /* Out of memory is nomem, not bad JSON: 3e6 cJSON nodes need ~240 MB. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && ulimit -v 150000 && %s qa choice -q -j 1 "
             "--max-json-values 100000000 --records - z.jsonl >out 2>err", scratch, MMSCORE_CLI);
    int stc = system(cmd);
    assert_true(WIFEXITED(stc) && WEXITSTATUS(stc) == 0);
    n = records(r, 8);
    assert_int_equal(n, 2);
    assert_string_equal(err_code(r[0]), "nomem");
    assert_true(is_ok(r[1]));
    free_records(r, n);
#endif
}

static void numeric_flags_reject_overflow(void **st)
{
    (void)st;
    PUT("one.cif", NACL("one"));
    const char *flags[] = {"-j", "--jobs", "--max-atoms", "--max-record-bytes",
                           "--max-json-values"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        assert_int_equal(mm("validate -q %s 99999999999999999999 one.cif", flags[i]), 2);
        char *e = err_text();
        assert_non_null(strstr(e, "too large"));
        free(e);
        assert_int_equal(mm("validate -q %s -3 one.cif", flags[i]), 2);
    }
    assert_int_equal(mm("validate -q -j 18446744073709551615 one.cif"), 0); /* capped at 256 */
}

static void validate_default_is_the_fast_path(void **st)
{
    (void)st;
    PUT("v.cif", NACL("v"));
    cJSON *r[4];
    assert_int_equal(mm("validate -q --records - v.cif"), 0);
    size_t n = records(r, 4);
    assert_int_equal(n, 1);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(r[0], "valid"));
    assert_null(cJSON_GetObjectItemCaseSensitive(r[0], "sg_number"));
    free_records(r, n);
    char so[512];
    snprintf(so, sizeof so, "%s/symmetry.so", MMSCORE_PLUGIN_BUILD_DIR);
    if (access(so, R_OK) != 0)
        return; /* a build without the symmetry plugin */
    assert_int_equal(mm("validate -q --symmetry --records - v.cif"), 0);
    n = records(r, 4);
    assert_int_equal(n, 1);
    assert_int_equal(n_of(r[0], "sg_number"), 221); /* Na at 0, Cl at the body centre: Pm-3m */
    free_records(r, n);
}

/* A copy of the binary with its own plugins/ beside it, one of them junk. */
static void broken_install(const char *junk)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -rf inst && mkdir -p inst/plugins && cp %s inst/mmscore && "
             "cp %s/*.so inst/plugins/ && echo junk > inst/plugins/%s.so",
             scratch, MMSCORE_CLI, MMSCORE_PLUGIN_BUILD_DIR, junk);
    assert_int_equal(system(cmd), 0);
}

static int inst(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && inst/mmscore %s >out 2>err", scratch, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void plugin_loading_is_loud(void **st)
{
    (void)st;
    PUT("p.cif", NACL("p"));
    char so[512];
    snprintf(so, sizeof so, "%s/validity.so", MMSCORE_PLUGIN_BUILD_DIR);
    if (access(so, R_OK) != 0)
        skip();
    /* Two of one name: the later is refused, both files named, even with -q. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/dup' && cp %s '%s/dup/'", scratch, so, scratch);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mm("validate -q --plugin-dir dup p.cif"), 0);
    char *e = err_text();
    assert_non_null(strstr(e, so));
    assert_non_null(strstr(e, "dup/validity.so"));
    assert_non_null(strstr(e, "already loaded"));
    free(e);

    /* A plugin validate runs by default that does not load: exit 1. */
    broken_install("validity");
    assert_int_equal(inst("validate -q p.cif"), 1);
    e = err_text();
    assert_non_null(strstr(e, "validity"));
    assert_non_null(strstr(e, "could not be loaded"));
    free(e);
    assert_int_equal(inst("run -q --plugins structure p.cif"), 0);
    /* A plugin asked for by name, or one required, likewise. */
    assert_int_equal(inst("run -q --plugins validity p.cif"), 1);
    broken_install("structure");
    assert_int_equal(inst("run -q --plugins validity p.cif"), 1);
    e = err_text();
    assert_non_null(strstr(e, "requires plugin structure, which could not be loaded"));
    free(e);
}

static int setup(void **st)
{
    (void)st;
    snprintf(scratch, sizeof scratch, "/tmp/mmscore-inputs-XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[sizeof scratch + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_structure_column),
        cmocka_unit_test(nothing_scored),
        cmocka_unit_test(stdin_sniffing),
        cmocka_unit_test(gzip_inputs),
        cmocka_unit_test(folders_name_what_they_skip),
        cmocka_unit_test(nul_led_csv_rows),
        cmocka_unit_test(invalid_utf8_is_replaced),
        cmocka_unit_test(unclosed_quote),
        cmocka_unit_test(json_memory_is_bounded),
        cmocka_unit_test(numeric_flags_reject_overflow),
        cmocka_unit_test(validate_default_is_the_fast_path),
        cmocka_unit_test(plugin_loading_is_loud),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
