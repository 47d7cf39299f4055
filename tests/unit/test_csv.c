/* test_csv.c — delimited text: the delimiter option, guessing it, field
 * splitting, strict numbers (1e999 is an error), the reader's header rule
 * and its messages; and the byte source under it (gzip, lines, sizes). */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char path[64];

static void put(const char *text, size_t n, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, text, (unsigned)n);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(text, 1, n, f);
        fclose(f);
    }
}

static void test_delim(void)
{
    static const struct { const char *arg; int delim; } good[] = {
        {"tab", '\t'}, {"\\t", '\t'}, {"\t", '\t'}, {"space", ' '},
        {" ", ' '}, {",", ','}, {";", ';'}, {"|", '|'}, {":", ':'},
        {"/", '/'}, {"\x01", 1}};
    int bad = 0;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        int d = 0;
        nn_error e;
        bad += nn_delim_parse(good[i].arg, &d, &e) < 0 || d != good[i].delim;
    }
    CHECK(bad == 0, "delimiters taken: tab, \\t, space, , ; | : / ^A");
    const char *no[] = {"#", "1", "a", "E", "e", "x", ".", "-", "+", "\"",
                        "", "ab", "\n", "\r", "tabs"};
    bad = 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        int d = 0;
        nn_error e = {{0}};
        bad += nn_delim_parse(no[i], &d, &e) == 0 ||
               !strstr(e.msg, "invalid delimiter");
    }
    CHECK(bad == 0, "delimiters refused: # digits letters . - + \" empty "
          "long CR LF (%d accepted)", bad);
}

static void test_guess_split(void)
{
    CHECK(nn_csv_guess_delim("1,2,3") == ',' &&
          nn_csv_guess_delim("1\t2\t3") == '\t' &&
          nn_csv_guess_delim("1;2") == ';' &&
          nn_csv_guess_delim("1  2") == ' ' &&
          nn_csv_guess_delim("\"a,b,c\";x;y") == ';' &&
          nn_csv_guess_delim("a,b;c;d") == ';' &&
          nn_csv_guess_delim("a,b;c") == ',',
          "delimiter guess: most frequent outside quotes, ',' on a tie");
    char line[] = " a , b,\"c, \"\"d\"\"\" ,,e ,";
    char *f[8];
    size_t n = nn_csv_split(line, ',', f, 8);
    CHECK(n == 6 && !strcmp(f[0], "a") && !strcmp(f[1], "b") &&
          !strcmp(f[2], "c, \"d\"") && !strcmp(f[3], "") &&
          !strcmp(f[4], "e") && !strcmp(f[5], ""),
          "split: blanks trimmed, quotes and doubled quotes, empty fields");
    char ws[] = "  1 \t 2\t\t3   ";
    n = nn_csv_split(ws, ' ', f, 8);
    CHECK(n == 3 && !strcmp(f[0], "1") && !strcmp(f[1], "2") &&
          !strcmp(f[2], "3"), "split at runs of blanks");
    char tab[] = " 1 \t\t 2 ";
    n = nn_csv_split(tab, '\t', f, 8);
    CHECK(n == 3 && !strcmp(f[0], "1") && !strcmp(f[1], "") &&
          !strcmp(f[2], "2"), "split at tabs: each tab separates");
    char many[] = "1,2,3,4,5";
    n = nn_csv_split(many, ',', f, 2);
    CHECK(n == 5 && !strcmp(f[1], "2"), "more fields than room: counted");
}

static void test_number(void)
{
    static const struct { const char *s; double v; } good[] = {
        {"1.5", 1.5}, {"-2e3", -2000}, {"inf", INFINITY},
        {"-inf", -INFINITY}, {"0x10", 16}, {"1e-320", 1e-320},
        {"1.7976931348623157e308", 1.7976931348623157e308}, {"-0", 0}};
    int bad = 0;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        double v;
        nn_error e;
        bad += nn_csv_number(good[i].s, &v, &e) < 0 || v != good[i].v;
    }
    double v;
    nn_error e = {{0}};
    CHECK(bad == 0 && nn_csv_number("nan", &v, &e) == 0 && isnan(v),
          "numbers: decimal, exponent, inf, nan, hex, subnormal, largest");
    CHECK(nn_csv_number("1e999", &v, &e) < 0 &&
          !strcmp(e.msg, "'1e999' is out of the range of f64") &&
          nn_csv_number("-1e400", &v, &e) < 0 && strstr(e.msg, "range") &&
          nn_csv_number("1.8e308", &v, &e) < 0,
          "1e999, -1e400, 1.8e308: errors, not inf (%s)", e.msg);
    CHECK(nn_csv_number("", &v, &e) < 0 &&
          !strcmp(e.msg, "empty field is not a number") &&
          nn_csv_number("1.5x", &v, &e) < 0 &&
          !strcmp(e.msg, "'1.5x' is not a number") &&
          nn_csv_number("x", &v, &e) < 0, "empty and text: errors");
}

/* Reads the CSV file at path whole: rows and columns, the sum of its
 * values; -1 with the message in e. */
static int read_all(int delim, int header, size_t *rows, size_t *cols,
                    double *sum, nn_error *e)
{
    nn_source *s = nn_source_open(path, e);
    if (!s)
        return -1;
    nn_csv *c = nn_csv_open(s, delim, header, e);
    int rc = c ? 0 : -1;
    const double *v;
    *rows = *sum = 0;
    *cols = c ? nn_csv_columns(c) : 0;
    while (c && (rc = nn_csv_next(c, &v, e)) == 1) {
        ++*rows;
        for (size_t j = 0; j < *cols; j++)
            *sum += v[j];
    }
    nn_csv_close(c);
    nn_source_close(s);
    return rc;
}

#define TEXT(t) put(t, sizeof t - 1, 0)

static void test_reader(void)
{
    size_t rows, cols;
    double sum;
    nn_error e = {{0}};
    TEXT("\xEF\xBB\xBF# comment\r\n\r\na;b ; \"c\"\r\n1;2;3\r\n  \r\n"
         "# more\n4;5;6");
    nn_source *s = nn_source_open(path, &e);
    nn_csv *c = nn_csv_open(s, 0, NN_CSV_HEADER_AUTO, &e);
    const double *v;
    int ok = c && nn_csv_columns(c) == 3 && !strcmp(nn_csv_name(c, 0), "a") &&
             !strcmp(nn_csv_name(c, 1), "b") &&
             !strcmp(nn_csv_name(c, 2), "c") && !nn_csv_name(c, 3) &&
             nn_csv_next(c, &v, &e) == 1 && v[0] == 1 && v[2] == 3 &&
             nn_csv_line(c) == 4 && !strcmp(nn_csv_field(c, 1), "2") &&
             nn_csv_next(c, &v, &e) == 1 && v[1] == 5 &&
             nn_csv_line(c) == 7 && !strcmp(nn_csv_field(c, 2), "6") &&
             nn_csv_next(c, &v, &e) == 0;
    CHECK(ok, "BOM, comments, blank lines, CRLF, ';' guessed, header names, "
          "line numbers, fields");
    nn_csv_close(c);
    nn_source_close(s);

    TEXT("1,2\n3,4\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) == 0 &&
          rows == 2 && cols == 2 && sum == 10, "numbers first: no header");
    CHECK(read_all(0, NN_CSV_HEADER_YES, &rows, &cols, &sum, &e) == 0 &&
          rows == 1 && sum == 7, "--header: the first line is a header");
    TEXT("x,y\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) == 0 &&
          rows == 0 && cols == 2, "a header alone: no rows, its columns");
    CHECK(read_all(0, NN_CSV_HEADER_NO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, ": line 1, field 1: 'x' is not a number"),
          "--no-header: a text line is a bad row (%s)", e.msg);
    TEXT("1,,3\n4,5,6\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, ": line 1, field 2: empty field is not a number"),
          "a first line with numbers and a hole is data, an error (%s)",
          e.msg);
    TEXT("a,2\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 1, field 1: 'a'"), "'a,2' is data: an error");
    TEXT("1e999,2\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 1, field 1: '1e999' is out of the range"),
          "1e999 in the first line (%s)", e.msg);
    TEXT("1e999\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0,
          "a lone 1e999 is not taken for a header");
    TEXT("a,b\n1,2\n3,4,5\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 3 has 3 fields, expected 2"),
          "ragged row (%s)", e.msg);
    TEXT("a,b\n# c\n1,2,3\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 3 has 3 fields, but the header (line 1) has 2"),
          "row and header disagree (%s)", e.msg);
    TEXT("# nothing\n\n");
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "no data (empty CSV file)"), "no data (%s)", e.msg);
    TEXT("1 2\n3 4\n");
    CHECK(read_all(';', NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 2, field 1: '3 4' is not a number"),
          "a delimiter given is used (%s)", e.msg);
    put("1,2\n3\0004\n", 8, 0);
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) < 0 &&
          strstr(e.msg, "line 2 contains a NUL byte"), "NUL byte (%s)",
          e.msg);
    TEXT("7;8\n9;10");
    put("7;8\n9;10", 8, 1);
    CHECK(read_all(0, NN_CSV_HEADER_AUTO, &rows, &cols, &sum, &e) == 0 &&
          rows == 2 && sum == 34, "gzip text, no final newline");
}

static void test_source(void)
{
    nn_error e = {{0}};
    unsigned char data[300000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 31 + i / 251);
    for (int gz = 0; gz < 2; gz++) {
        put((const char *)data, sizeof data, gz);
        nn_source *s = nn_source_open(path, &e);
        size_t n, got;
        const unsigned char *p = nn_source_peek(s, 10, &n, &e);
        int ok = p && n >= 10 && !memcmp(p, data, 10) &&
                 nn_source_left(s) == (gz ? -1 : (int64_t)sizeof data) &&
                 nn_source_reopenable(s);
        nn_source_skip(s, 7);
        static unsigned char back[300000];
        ok = ok && nn_source_read(s, back, 200000, &got, &e) == 0 &&
             got == 200000 && !memcmp(back, data + 7, got) &&
             nn_source_left(s) == (gz ? -1 : (int64_t)sizeof data - 200007);
        p = nn_source_peek(s, 5, &n, &e);
        ok = ok && p && !memcmp(p, data + 200007, 5) &&
             nn_source_read(s, back, 200000, &got, &e) == 0 &&
             got == sizeof data - 200007 &&
             !memcmp(back, data + 200007, got) &&
             nn_source_peek(s, 1, &n, &e) && n == 0;
        CHECK(ok, "%s: peek, skip, read across the buffer, sizes, the end",
              gz ? "gzip" : "plain");
        nn_source_close(s);
    }
    /* a gzip file cut short */
    put((const char *)data, sizeof data, 1);
    FILE *f = fopen(path, "rb");
    static unsigned char z[400000];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    put((const char *)z, zn - 100, 0);
    nn_source *s = nn_source_open(path, &e);
    size_t got;
    static unsigned char back[300000];
    CHECK(s && nn_source_read(s, back, sizeof back, &got, &e) < 0 &&
          strstr(e.msg, "truncated gzip data"), "truncated gzip (%s)", e.msg);
    nn_source_close(s);
    CHECK(!nn_source_open("/", &e) && strstr(e.msg, "is a directory"),
          "a directory (%s)", e.msg);
    CHECK(!nn_source_open("/nonexistent/x", &e) &&
          strstr(e.msg, "No such file"), "a missing file (%s)", e.msg);
    TEXT("a\nb\r\n\nlast");
    s = nn_source_open(path, &e);
    char *l;
    int ok = nn_source_line(s, &l, &e) == 1 && !strcmp(l, "a") &&
             nn_source_line(s, &l, &e) == 1 && !strcmp(l, "b") &&
             nn_source_line(s, &l, &e) == 1 && !strcmp(l, "") &&
             nn_source_line(s, &l, &e) == 1 && !strcmp(l, "last") &&
             nn_source_lines(s) == 4 && nn_source_line(s, &l, &e) == 0;
    CHECK(ok, "lines: LF, CRLF, empty, last without newline");
    nn_source_close(s);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/nn-test-csv.%d", (int)getpid());
    test_delim();
    test_guess_split();
    test_number();
    test_reader();
    test_source();
    unlink(path);
    return check_status();
}
