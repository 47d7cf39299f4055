/* test_stream.c — the NNS reader and writer: round trips for every dtype and
 * rank, compression, chunk tracking, the byte layout of formats/nns.md §10,
 * and that every truncation and every flipped bit of a record is an error. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

/* Reads a whole file into memory. */
static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n)
        *n = 0;
    fclose(f);
    return b;
}

/* Reads every record of a memory stream; returns the count, or -1 on error
 * with the message in e. */
static int count_records(const unsigned char *b, size_t n, nn_error *e)
{
    FILE *f = n ? fmemopen((void *)b, n, "rb") : fopen("/dev/null", "rb");
    nn_reader *r = nn_reader_from_file(f, "mem", e);
    const nn_record *rec;
    int rc, k = 0;
    while ((rc = nn_reader_next(r, &rec, e)) == 1)
        k++;
    nn_reader_close(r);
    fclose(f);
    return rc < 0 ? -1 : k;
}

static void fill(void *p, int dt, size_t n, unsigned seed)
{
    nn_rng g;
    nn_rng_seed(&g, seed);
    for (size_t i = 0; i < n; i++) {
        double v = (nn_rng_uniform(&g) - 0.3) * 200;
        nn_convert((char *)p + i * nn_dtype_size(dt), dt, &v, NN_F64, 1);
    }
}

static void test_round_trip(void)
{
    nn_error e = {{0}};
    uint64_t shapes[][3] = {{0, 0, 0}, {7, 0, 0}, {5, 3, 0}, {2, 3, 4}, {0, 5, 0}};
    int ranks[] = {0, 1, 2, 3, 2};
    for (int level = 0; level <= 3; level += 3) {
        nn_writer *w = nn_writer_open(path, 0, &e);
        nn_writer_set_compression(w, level);
        for (int dt = 1; dt <= NN_DTYPE_MAX; dt++)
            for (int s = 0; s < 5; s++) {
                nn_header h = {.name = "t", .dtype = dt, .rank = ranks[s],
                               .attrs = "k=v\nproducer=test\n"};
                memcpy(h.dims, shapes[s], sizeof shapes[s]);
                size_t n = 1;
                for (int i = 0; i < h.rank; i++)
                    n *= h.dims[i];
                char *d = malloc(n * 8 + 1);
                fill(d, dt, n, dt * 10 + s);
                nn_writer_put(w, &h, d, &e);
                free(d);
            }
        CHECK(nn_writer_close(w, 1, &e) == 0, "writer closes (zstd %d)", level);

        nn_reader *r = nn_reader_open(path, &e);
        const nn_record *rec;
        int bad = 0, k = 0;
        for (int dt = 1; dt <= NN_DTYPE_MAX; dt++)
            for (int s = 0; s < 5; s++, k++) {
                if (nn_reader_next(r, &rec, &e) != 1) {
                    bad++;
                    continue;
                }
                size_t n = 1;
                for (int i = 0; i < ranks[s]; i++)
                    n *= shapes[s][i];
                char *d = malloc(n * 8 + 1);
                fill(d, dt, n, dt * 10 + s);
                char v[16];
                if (rec->dtype != dt || rec->rank != ranks[s] ||
                    rec->nelem != n || strcmp(rec->name, "t") ||
                    memcmp(rec->dims, shapes[s], 8 * ranks[s]) ||
                    memcmp(rec->data, d, n * nn_dtype_size(dt)) ||
                    !nn_attrs_get(rec->attrs, "producer", v, sizeof v) ||
                    strcmp(v, "test"))
                    bad++;
                free(d);
            }
        CHECK(bad == 0, "%d records of every dtype and rank read back equal "
              "(zstd %d, %d bad)", k, level, bad);
        CHECK(nn_reader_next(r, &rec, &e) == 0, "clean end of stream");
        nn_reader_close(r);
    }
}

/* Records around and beyond the writer's 1 MiB output buffer, after small
 * ones that sit in the buffer: the bytes must come out in order. */
static void test_large_records(void)
{
    nn_error e;
    size_t sizes[] = {10, 700000, 10, 3000000, 262144, 524288, 1048576, 5};
    size_t total = 0;
    nn_writer *w = nn_writer_open(path, 0, &e);
    for (int i = 0; i < 8; i++) {
        unsigned char *d = malloc(sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            d[j] = (unsigned char)(j * 7 + i);
        nn_header h = {.name = "b", .dtype = NN_U8, .rank = 1,
                       .dims = {sizes[i]}};
        nn_writer_put(w, &h, d, &e);
        free(d);
        total += sizes[i];
    }
    CHECK(nn_writer_close(w, 1, &e) == 0, "large records written");
    nn_reader *r = nn_reader_open(path, &e);
    const nn_record *rec;
    int bad = 0, k = 0;
    while (nn_reader_next(r, &rec, &e) == 1) {
        const unsigned char *d = rec->data;
        for (size_t j = 0; j < rec->nbytes; j++)
            bad += d[j] != (unsigned char)(j * 7 + k);
        bad += rec->nbytes != sizes[k++];
    }
    nn_reader_close(r);
    CHECK(k == 8 && bad == 0, "records of 10 B to 3 MB read back in order "
          "(%d of 8, %d bad bytes)", k, bad);
    (void)total;
}

static void test_compression_used(void)
{
    nn_error e;
    float *z = calloc(100000, sizeof *z);
    nn_header h = {.name = "z", .dtype = NN_F32, .rank = 1, .dims = {100000}};
    nn_writer *w = nn_writer_open(path, 0, &e);
    nn_writer_set_compression(w, 3);
    nn_writer_put(w, &h, z, &e);
    nn_writer_close(w, 1, &e);
    size_t n;
    unsigned char *b = slurp(path, &n);
    CHECK(n < 2000, "400000 zero bytes compress (stream is %zu bytes)", n);
    uint32_t flags;
    memcpy(&flags, b + 12, 4);
    CHECK(flags & NN_FLAG_ZSTD, "ZSTD flag is set");
    free(b);
    free(z);
}

/* formats/nns.md §10: the example record, byte for byte (hashes aside). */
static void test_spec_example(void)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 0, &e);
    uint8_t y[3] = {5, 0, 4};
    nn_header h = {.name = "y", .dtype = NN_U8, .rank = 1, .dims = {3},
                   .attrs = "classes=10\n"};
    nn_writer_put(w, &h, y, &e);
    nn_writer_close(w, 1, &e);
    size_t n;
    unsigned char *b = slurp(path, &n);
    static const unsigned char want[75] = {
        0x89, 0x4e, 0x4e, 0x53, 0x01, 0x00, 0x01, 0x01, 0x48, 0, 0, 0, 0, 0, 0, 0,
        0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x0b, 0, 0, 0,
        0x03, 0, 0, 0, 0, 0, 0, 0, 'y', 'c', 'l', 'a', 's', 's', 'e', 's',
        '=', '1', '0', '\n', 0, 0, 0, 0, 5, 0, 4};
    int same = n == 75;
    for (size_t i = 0; same && i < 75; i++)
        if (!(i >= 24 && i < 40)) /* the two hashes */
            same = b[i] == want[i];
    CHECK(same, "spec example record is byte-exact (%zu bytes)", n);
    free(b);
}

/* Every proper prefix of a stream is an error, except the record
 * boundaries; every single flipped bit is an error. */
static void test_truncation_and_corruption(void)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 0, &e);
    double d[6] = {1, 2, 3, 4, 5, 6};
    nn_header h = {.name = "a", .dtype = NN_F64, .rank = 2, .dims = {2, 3},
                   .attrs = "x=1\n"};
    nn_writer_put(w, &h, d, &e);
    uint64_t first = nn_writer_offset(w);
    nn_writer_set_compression(w, 1);
    double big[512] = {0};
    nn_header h2 = {.name = "b", .dtype = NN_F64, .rank = 1, .dims = {512}};
    nn_writer_put(w, &h2, big, &e);
    nn_writer_close(w, 1, &e);
    size_t n;
    unsigned char *b = slurp(path, &n);

    int wrong = 0;
    for (size_t k = 0; k < n; k++) {
        int c = count_records(b, k, &e);
        int want = k == 0 ? 0 : k == first ? 1 : -1;
        if (c != want)
            wrong++;
        if (c < 0 && k > 0 && k < first && !strstr(e.msg, "truncated"))
            wrong++;
    }
    CHECK(wrong == 0, "every truncation of a %zu-byte stream is reported "
          "(%d wrong)", n, wrong);

    wrong = 0;
    for (size_t k = 0; k < n; k++)
        for (int bit = 0; bit < 8; bit++) {
            b[k] ^= (unsigned char)(1 << bit);
            if (count_records(b, n, &e) != -1)
                wrong++;
            b[k] ^= (unsigned char)(1 << bit);
        }
    CHECK(wrong == 0, "every one of %zu flipped bits is an error (%d missed)",
          8 * n, wrong);
    CHECK(count_records(b, n, &e) == 2, "the intact stream reads");
    free(b);
}

static void test_chunks(void)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 0, &e);
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    nn_header h = {.name = "x", .dtype = NN_F32, .rank = 2, .dims = {2, 3},
                   .attrs = "a=1\n"};
    nn_header hy = {.name = "y", .dtype = NN_F32, .rank = 1, .dims = {2}};
    nn_writer_rows(w, &h, x, &e);
    nn_writer_rows(w, &hy, x, &e);
    nn_writer_rows(w, &h, x + 6, &e);
    nn_writer_end_tensor(w, "x");
    nn_writer_rows(w, &h, x, &e);
    nn_writer_close(w, 1, &e);

    nn_reader *r = nn_reader_open(path, &e);
    nn_tensor_tracker *t = nn_tensor_tracker_new();
    const nn_record *rec;
    int firsts[4], k = 0;
    nn_row_pos pos;
    uint32_t flags[4];
    while (nn_reader_next(r, &rec, &e) == 1 && k < 4) {
        nn_tensor_track(t, rec, &pos, &e);
        flags[k] = rec->flags;
        firsts[k++] = pos.first;
    }
    CHECK(k == 4 && firsts[0] && firsts[1] && !firsts[2] && firsts[3],
          "tensor starts: x, y, x chunk, new x");
    CHECK(k == 4 && (flags[2] & NN_FLAG_CONT) && !(flags[3] & NN_FLAG_CONT),
          "CONT set on the chunk only");
    nn_reader_close(r);

    /* a CONT record with no open tensor, or another shape, is an error */
    nn_record fake = {.dtype = NN_F32, .rank = 2, .dims = {1, 4},
                      .flags = NN_FLAG_CONT};
    strcpy(fake.name, "x");
    CHECK(nn_tensor_track(t, &fake, &pos, &e) < 0 &&
              strstr(e.msg, "tensor is f32 (2,3)"),
          "chunk of another shape rejected: %s", e.msg);
    strcpy(fake.name, "q");
    CHECK(nn_tensor_track(t, &fake, &pos, &e) < 0,
          "chunk of an unknown tensor rejected: %s", e.msg);
    nn_tensor_tracker_free(t);
}

static void test_attrs(void)
{
    char v[32];
    const char *a = "k=1\nkk=2\nk=3\nempty=\n";
    CHECK(nn_attrs_get(a, "k", v, sizeof v) && strcmp(v, "3") == 0,
          "last value of a repeated key wins");
    CHECK(nn_attrs_get(a, "kk", v, sizeof v) && strcmp(v, "2") == 0,
          "a key that extends another is distinct");
    CHECK(nn_attrs_get(a, "empty", v, sizeof v) && v[0] == 0, "empty value");
    CHECK(!nn_attrs_get(a, "x", v, sizeof v), "absent key");
    char *s = nn_attrs_set(a, "k", "9");
    CHECK(s && strcmp(s, "kk=2\nempty=\nk=9\n") == 0, "set replaces: %s", s);
    free(s);
    CHECK(nn_attrs_set("", "bad key", "1") == NULL, "invalid key refused");
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/nn-test-stream.%d", (int)getpid());
    test_round_trip();
    test_large_records();
    test_compression_used();
    test_spec_example();
    test_truncation_and_corruption();
    test_chunks();
    test_attrs();
    unlink(path);
    return check_status();
}
