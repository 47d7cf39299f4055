/* test_helpers.c — small shared helpers: byte swaps, element access,
 * growing buffers, name patterns, "HxW" shape text, and seeking a reader
 * to a record with messages that keep its number. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_bswap_elem(void)
{
    uint16_t a[2] = {0x0102, 0xa0b0};
    uint32_t b[1] = {0x01020304};
    uint64_t c[1] = {0x0102030405060708ull};
    uint8_t d[3] = {1, 2, 3};
    nn_bswap(a, 2, 2);
    nn_bswap(b, 1, 4);
    nn_bswap(c, 1, 8);
    nn_bswap(d, 3, 1);
    CHECK(a[0] == 0x0201 && a[1] == 0xb0a0 && b[0] == 0x04030201 &&
          c[0] == 0x0807060504030201ull && d[0] == 1 && d[2] == 3,
          "nn_bswap of 1, 2, 4 and 8-byte elements");
    uint8_t u8[] = {0, 255};
    int8_t i8[] = {-128, 5};
    uint16_t u16[] = {65535};
    int16_t i16[] = {-32768};
    uint32_t u32[] = {4294967295u};
    int32_t i32[] = {-7};
    uint64_t u64[] = {UINT64_MAX};
    int64_t i64[] = {INT64_MIN};
    float f32[] = {0.1f};
    double f64[] = {-2.5};
    CHECK(nn_elem_f64(u8, NN_U8, 1) == 255 &&
          nn_elem_f64(i8, NN_I8, 0) == -128 &&
          nn_elem_f64(u16, NN_U16, 0) == 65535 &&
          nn_elem_f64(i16, NN_I16, 0) == -32768 &&
          nn_elem_f64(u32, NN_U32, 0) == 4294967295.0 &&
          nn_elem_f64(i32, NN_I32, 0) == -7 &&
          nn_elem_f64(u64, NN_U64, 0) == 18446744073709551616.0 &&
          nn_elem_f64(i64, NN_I64, 0) == -9223372036854775808.0 &&
          nn_elem_f64(f32, NN_F32, 0) == (double)0.1f &&
          nn_elem_f64(f64, NN_F64, 0) == -2.5,
          "nn_elem_f64 of every dtype");
}

static void test_buf(void)
{
    unsigned char *b = NULL;
    size_t cap = 0;
    int ok = nn_buf_reserve(&b, &cap, 0) == 0 && !b && cap == 0 &&
             nn_buf_reserve(&b, &cap, 10) == 0 && b && cap >= 10;
    for (int i = 0; ok && i < 10; i++)
        b[i] = (unsigned char)i;
    unsigned char *was = b;
    ok = ok && nn_buf_reserve(&b, &cap, cap) == 0 && b == was &&
         nn_buf_reserve(&b, &cap, 100000) == 0 && cap >= 100000 &&
         b[9] == 9 && b[0] == 0;
#ifndef __SANITIZE_ADDRESS__ /* ASan aborts on an impossible size */
    size_t c2 = cap;
    ok = ok && nn_buf_reserve(&b, &cap, SIZE_MAX) < 0 && cap == c2 &&
         b[9] == 9;
#endif
    CHECK(ok, "nn_buf_reserve grows, keeps the bytes, fails cleanly");
    free(b);
}

/* nn_buf_grow keeps the bytes asked for, below and across 2 MiB (where
 * blocks are allocated afresh and copied), and nn_buf_reserve all. */
static void test_buf_grow(void)
{
    unsigned char *b = NULL;
    size_t cap = 0, n = (size_t)1 << 20;
    int ok = nn_buf_grow(&b, &cap, 0, n) == 0 && cap >= n;
    for (size_t i = 0; ok && i < cap; i++)
        b[i] = (unsigned char)(i * 7 + 1);
    size_t c0 = cap, keep = 1000;
    ok = ok && nn_buf_grow(&b, &cap, keep, 4 * n) == 0 && cap >= 4 * n;
    for (size_t i = 0; ok && i < keep; i++)
        ok = b[i] == (unsigned char)(i * 7 + 1);
    for (size_t i = 0; ok && i < cap; i++)
        b[i] = (unsigned char)(i * 3 + 2);
    size_t c1 = cap;
    ok = ok && nn_buf_reserve(&b, &cap, 16 * n) == 0 && cap >= 16 * n;
    for (size_t i = 0; ok && i < c1; i++)
        ok = b[i] == (unsigned char)(i * 3 + 2);
    free(b);
    CHECK(ok && c0 < c1, "nn_buf_grow keeps the first bytes asked for "
          "(small and huge-page blocks), nn_buf_reserve all of them");
}

static void test_names_dims(void)
{
    char *pats[] = {"x*", "y", "[ab]?"};
    CHECK(nn_name_matches("x1", pats, 3) && nn_name_matches("y", pats, 3) &&
          nn_name_matches("b7", pats, 3) && !nn_name_matches("yy", pats, 3) &&
          !nn_name_matches("c1", pats, 3) && !nn_name_matches("x1", pats, 0),
          "nn_name_matches: any pattern, none of no patterns");
    uint64_t d[4];
    CHECK(nn_dims_parse("28x28", 3, 1000000, d) == 2 && d[0] == 28 &&
          d[1] == 28 && nn_dims_parse("32x16x3", 3, 1000000, d) == 3 &&
          d[2] == 3 && nn_dims_parse("7", 3, 10, d) == 1 && d[0] == 7 &&
          nn_dims_parse("1000000x1", 2, 1000000, d) == 2 &&
          nn_dims_parse("18446744073709551615x2", 2, UINT64_MAX, d) == 2 &&
          d[0] == UINT64_MAX, "nn_dims_parse: 1 to max parts");
    const char *no[] = {"", "x", "28x", "x28", "0x3", "28x028", "2x2x2x2",
                        "28x28 ", " 28x28", "28X28", "1000001x1", "-1x2",
                        "18446744073709551616x1", "2x+3", "12x10"};
    int bad = 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        bad += nn_dims_parse(no[i], 3, i == 14 ? 11 : 1000000, d) != 0;
    CHECK(bad == 0, "nn_dims_parse refuses malformed, zero, too many, over "
          "the limit (%d accepted)", bad);
    char buf[64];
    uint64_t img[3] = {28, 28, 3};
    CHECK(!strcmp(nn_dims_format(buf, sizeof buf, 3, img), "28x28x3") &&
          !strcmp(nn_dims_format(buf, sizeof buf, 1, img), "28") &&
          !strcmp(nn_dims_format(buf, sizeof buf, 0, img), "") &&
          !strcmp(nn_dims_format(buf, 4, 2, img), "28x"),
          "nn_dims_format, and truncated to its buffer");
}

static void test_seek(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/nn-test-helpers.%d", (int)getpid());
    nn_error e = {{0}};
    FILE *f;
    /* a stream of 5 records written after the prefix */
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.s", path);
    nn_writer *w = nn_writer_open(tmp, 1, &e);
    for (int i = 0; i < 5; i++) {
        int32_t v[3] = {i, i + 1, i + 2};
        nn_header h = {.name = "v", .dtype = NN_I32, .rank = 1, .dims = {3}};
        nn_writer_put(w, &h, v, &e);
    }
    nn_writer_close(w, 1, &e);
    FILE *in = fopen(tmp, "rb"), *out = fopen(path, "wb");
    fputs("PREFIX", out); /* the stream starts 6 bytes into the file */
    int ch;
    while ((ch = getc(in)) != EOF)
        putc(ch, out);
    fclose(in);
    fclose(out);

    f = fopen(path, "r+b");
    fseek(f, 6, SEEK_SET);
    nn_reader *r = nn_reader_from_file(f, "s", &e);
    const nn_record *rec;
    uint64_t off[5];
    for (int i = 0; i < 5; i++) {
        nn_reader_next(r, &rec, &e);
        off[i] = rec->offset;
    }
    int ok = nn_reader_seek(r, off[3], 3, &e) == 0 &&
             nn_reader_next(r, &rec, &e) == 1 && rec->index == 3 &&
             rec->offset == off[3] && ((const int32_t *)rec->data)[0] == 3 &&
             nn_reader_offset(r) == off[4] &&
             nn_reader_seek(r, off[1], 1, &e) == 0 &&
             nn_reader_next(r, &rec, &e) == 1 && rec->index == 1 &&
             ((const int32_t *)rec->data)[0] == 1 &&
             nn_reader_next(r, &rec, &e) == 1 && rec->index == 2;
    CHECK(ok, "nn_reader_seek: the record, its number and offset, then on");
    /* corrupt record 4's payload: the message gives its number and offset */
    fseek(f, 6 + (long)off[4] + 64 + 1, SEEK_SET);
    putc(0x55, f);
    fflush(f);
    char want[64];
    snprintf(want, sizeof want, "s: record 4 at byte %llu: payload",
             (unsigned long long)off[4]);
    ok = nn_reader_seek(r, off[4], 4, &e) == 0 &&
         nn_reader_next(r, &rec, &e) < 0 && strstr(e.msg, want);
    CHECK(ok, "a record read after a seek is named right (%s)", e.msg);
    nn_reader_close(r);
    fclose(f);

    int fds[2];
    if (pipe(fds) == 0) {
        FILE *p = fdopen(fds[0], "rb");
        r = nn_reader_from_file(p, "pipe", &e);
        CHECK(nn_reader_seek(r, 0, 0, &e) < 0 && strstr(e.msg, "pipe: cannot "
              "seek"), "no seek in a pipe (%s)", e.msg);
        nn_reader_close(r);
        fclose(p);
        close(fds[1]);
    }
    unlink(path);
    unlink(tmp);
}

int main(void)
{
    test_bswap_elem();
    test_buf();
    test_buf_grow();
    test_names_dims();
    test_seek();
    return check_status();
}
