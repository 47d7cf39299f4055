/* test_rowset.c — row sets: the same rows of several tensors whatever the
 * chunking and order of their records, the records of other names in
 * order, and every way a data set can be inconsistent. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];
static nn_writer *w;

/* The element of tensor `name` at row i, column j: distinct per tensor,
 * exact in every dtype used. */
static double value(const char *name, uint64_t i, size_t j)
{
    return (double)((i * 31 + j * 7 + (unsigned char)name[0] * 3 +
                     (unsigned char)name[strlen(name) - 1]) % 250);
}

/* Writes rows [first, first+rows) of tensor name, (rows, cols), as one
 * record; cont: a chunk continuing the tensor. */
static void put(const char *name, int dtype, size_t cols, uint64_t first,
                uint64_t rows, int cont)
{
    nn_error e;
    size_t n = (size_t)rows * (cols ? cols : 1), es = nn_dtype_size(dtype);
    char *d = malloc(n * es + 1);
    for (uint64_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double v = value(name, first + i, j);
            nn_convert(d + (i * cols + j) * es, dtype, &v, NN_F64, 1);
        }
    /* integer columns are labels, (rows); the rest (rows, cols) */
    nn_header h = {.name = name, .dtype = dtype,
                   .rank = cols == 1 && !nn_dtype_is_float(dtype) ? 1 : 2,
                   .dims = {rows, cols}, .flags = cont ? NN_FLAG_CONT : 0,
                   .attrs = cont ? NULL : "k=v\n"};
    if (nn_writer_put(w, &h, d, &e) < 0)
        printf("# put: %s\n", e.msg);
    free(d);
}

static void start(int level)
{
    nn_error e;
    w = nn_writer_open(path, 0, &e);
    nn_writer_set_compression(w, level);
}

static void finish_file(void)
{
    nn_error e;
    if (nn_writer_close(w, 1, &e) < 0)
        printf("# close: %s\n", e.msg);
}

/* What a read of the file gave. */
typedef struct result {
    int rc;             /* of the last nn_rowset_next */
    uint64_t rows;
    size_t blocks, max_block;
    long bad;           /* elements that differ from value() */
    int bad_meta;
    nn_error e;
    char others[256];   /* names of other records, in order */
    int other_raw_ok;
} result;

static int on_other(const nn_record *r, void *arg, nn_error *e)
{
    (void)e;
    result *res = arg;
    size_t n = strlen(res->others);
    snprintf(res->others + n, sizeof res->others - n, "%s%s", n ? " " : "",
             r->name);
    if (!r->raw_payload || r->data)
        res->other_raw_ok = 0;
    return 0;
}

/* Reads names[0..n-1] (plus pattern, if any) from the file in blocks of at
 * most max_rows and compares every element with value(). */
static result read_set(int n, const char *const *names, const char *pattern,
                       size_t max_rows, size_t limit, int others)
{
    result res = {.other_raw_ok = 1};
    nn_error e;
    nn_reader *r = nn_reader_open(path, &e);
    nn_rowset *s = nn_rowset_open(r, n, names, &res.e);
    if (pattern)
        nn_rowset_add(s, pattern, 1, &res.e);
    if (limit)
        nn_rowset_set_limit(s, limit);
    if (others)
        nn_rowset_set_other(s, on_other, &res);
    nn_rowblock b;
    uint64_t row = 0;
    while ((res.rc = nn_rowset_next(s, max_rows, &b, &res.e)) == 1) {
        res.blocks++;
        if (b.rows > res.max_block)
            res.max_block = b.rows;
        if (b.rows == 0 || b.n != nn_rowset_count(s))
            res.bad_meta++;
        for (int t = 0; t < b.n; t++) {
            const char *name = nn_rowset_name(s, t);
            size_t es = nn_dtype_size(b.dtype[t]);
            if (b.dims[t][0] != b.rows)
                res.bad_meta++;
            for (size_t i = 0; i < b.rows; i++)
                for (size_t j = 0; j < b.cols[t]; j++) {
                    double v;
                    nn_convert(&v, NN_F64, (const char *)b.data[t] +
                               (i * b.cols[t] + j) * es, b.dtype[t], 1);
                    res.bad += v != value(name, row + i, j);
                }
        }
        row += b.rows;
        if (nn_rowset_row(s) != row)
            res.bad_meta++;
    }
    res.rows = row;
    if (res.rc == -1) {
        /* the error sticks */
        nn_error e2;
        if (nn_rowset_next(s, max_rows, &b, &e2) != -1 ||
            strcmp(e2.msg, res.e.msg))
            res.bad_meta++;
    }
    nn_rowset_close(s);
    nn_reader_close(r);
    return res;
}

static const char *const xy[] = {"x", "y"};

static void test_regular(void)
{
    for (int level = 0; level <= 3; level += 3) {
        start(level);
        for (uint64_t r = 0; r < 1000; r += 100) {
            put("x", NN_F32, 3, r, 100, r > 0);
            put("y", NN_I32, 1, r, 100, r > 0);
        }
        finish_file();
        result a = read_set(2, xy, NULL, 0, 0, 0);
        CHECK(a.rc == 0 && a.rows == 1000 && a.bad == 0 && !a.bad_meta &&
              a.blocks == 10, "regular interleaving (zstd %d): 1000 rows in "
              "10 blocks, every element equal (rc %d, %llu rows, %zu blocks, "
              "%ld bad) %s", level, a.rc, (unsigned long long)a.rows,
              a.blocks, a.bad, a.rc < 0 ? a.e.msg : "");
    }
    /* one chunk of x held at a time: a limit of one chunk is enough */
    result a = read_set(2, xy, NULL, 0, 100 * 3 * 4, 0);
    CHECK(a.rc == 0 && a.rows == 1000 && a.bad == 0,
          "regular interleaving holds at most one chunk (%s)",
          a.rc < 0 ? a.e.msg : "ok");
    a = read_set(2, xy, NULL, 0, 100 * 3 * 4 - 1, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "interleaved"),
          "a limit below one chunk is an error: %s", a.e.msg);
    /* the other order of names */
    static const char *const yx[] = {"y", "x"};
    a = read_set(2, yx, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 1000 && a.bad == 0, "names in another "
          "order than the records");
    a = read_set(1, yx, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 1000 && a.bad == 0 && a.blocks == 10,
          "one tensor alone");
}

static void test_max_rows(void)
{
    size_t limits[] = {1, 7, 64, 100, 150};
    int ok = 1;
    for (int k = 0; k < 5; k++) {
        result a = read_set(2, xy, NULL, limits[k], 0, 0);
        /* blocks end at the records' ends too */
        size_t want = limits[k] >= 100 ? 10 : (100 + limits[k] - 1) / limits[k] * 10;
        ok &= a.rc == 0 && a.rows == 1000 && a.bad == 0 && !a.bad_meta &&
              a.max_block <= limits[k] && a.blocks == want;
        if (!(a.rc == 0 && a.bad == 0 && a.max_block <= limits[k] && a.blocks == want))
            printf("# max_rows %zu: rc %d, %zu blocks, largest %zu, %ld bad\n",
                   limits[k], a.rc, a.blocks, a.max_block, a.bad);
    }
    CHECK(ok, "max_rows 1, 7, 64, 100, 150: blocks never larger, data equal");
}

/* Chunks of irregular sizes, the tensor furthest behind written next. */
static void write_irregular(int ntens, const char *const *names,
                            const int *dtypes, const size_t *cols,
                            uint64_t total, unsigned seed)
{
    nn_rng g;
    nn_rng_seed(&g, seed);
    uint64_t done[4] = {0};
    start(0);
    for (;;) {
        int k = -1;
        for (int i = 0; i < ntens; i++)
            if (done[i] < total && (k < 0 || done[i] < done[k] ||
                                    (done[i] == done[k] && nn_rng_below(&g, 2))))
                k = i;
        if (k < 0)
            break;
        uint64_t n = 1 + nn_rng_below(&g, 97);
        if (n > total - done[k])
            n = total - done[k];
        put(names[k], dtypes[k], cols[k], done[k], n, done[k] > 0);
        done[k] += n;
    }
    finish_file();
}

static void test_irregular(void)
{
    static const char *const names[] = {"x", "y", "z"};
    static const int dtypes[] = {NN_F32, NN_U8, NN_F64};
    static const size_t cols[] = {5, 1, 2};
    int ok = 1;
    for (unsigned seed = 1; seed <= 20; seed++) {
        write_irregular(3, names, dtypes, cols, 2000, seed);
        result a = read_set(3, names, NULL, seed % 3 ? 0 : 33, 0, 0);
        if (!(a.rc == 0 && a.rows == 2000 && a.bad == 0 && !a.bad_meta)) {
            ok = 0;
            printf("# seed %u: rc %d rows %llu bad %ld %s\n", seed, a.rc,
                   (unsigned long long)a.rows, a.bad, a.e.msg);
        }
    }
    CHECK(ok, "chunks of 1..97 rows, different per tensor, in any order "
          "(20 streams, 3 tensors): every row equal");

    /* fixed, different chunk sizes: x 70 rows, y 110 */
    start(0);
    uint64_t dx = 0, dy = 0;
    while (dx < 1000 || dy < 1000) {
        if (dx < 1000 && dx <= dy) {
            uint64_t n = 1000 - dx < 70 ? 1000 - dx : 70;
            put("x", NN_F32, 4, dx, n, dx > 0);
            dx += n;
        } else {
            uint64_t n = 1000 - dy < 110 ? 1000 - dy : 110;
            put("y", NN_I32, 1, dy, n, dy > 0);
            dy += n;
        }
    }
    finish_file();
    result a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 1000 && a.bad == 0 && !a.bad_meta,
          "x in chunks of 70 rows, y in chunks of 110 (%zu blocks)", a.blocks);
}

static void test_x_then_y(void)
{
    start(3);
    for (uint64_t r = 0; r < 5000; r += 1000)
        put("x", NN_F32, 10, r, 1000, r > 0);
    for (uint64_t r = 0; r < 5000; r += 1000)
        put("y", NN_I32, 1, r, 1000, r > 0);
    finish_file();
    result a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 5000 && a.bad == 0 && !a.bad_meta,
          "all of x, then all of y: every row equal (%s)",
          a.rc < 0 ? a.e.msg : "ok");
    a = read_set(2, xy, NULL, 0, 100000, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "waiting for 'y'") &&
          strstr(a.e.msg, "interleaved"),
          "...past the memory limit, a clear error: %s", a.e.msg);
}

static void test_several_tensors(void)
{
    /* `cat a b` of two data sets: x and y restart at row 300 */
    start(0);
    put("x", NN_F32, 3, 0, 200, 0);
    put("y", NN_I32, 1, 0, 200, 0);
    put("x", NN_F32, 3, 200, 100, 1);
    put("y", NN_I32, 1, 200, 100, 1);
    put("x", NN_F32, 3, 300, 150, 0);
    put("y", NN_I32, 1, 300, 50, 0);
    put("y", NN_I32, 1, 350, 100, 1);
    put("x", NN_F32, 3, 450, 0, 1);
    put("y", NN_I32, 1, 450, 0, 0);
    finish_file();
    result a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 450 && a.bad == 0 && !a.bad_meta,
          "two tensors of each name are one sequence of rows (%llu rows) %s",
          (unsigned long long)a.rows, a.e.msg);

    start(0);
    put("x", NN_F32, 3, 0, 200, 0);
    put("y", NN_I32, 1, 0, 200, 0);
    put("x", NN_F64, 3, 200, 100, 0);
    put("y", NN_I32, 1, 200, 100, 1);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && a.rows == 200 && strstr(a.e.msg, "'x' has rows of f64") &&
          strstr(a.e.msg, "record 2"),
          "a later tensor of another dtype: %s", a.e.msg);

    start(0);
    put("x", NN_F32, 3, 0, 200, 0);
    put("y", NN_I32, 1, 0, 200, 0);
    put("x", NN_F32, 4, 200, 100, 0);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "(4)") && strstr(a.e.msg, "(3)"),
          "a later tensor of another row shape: %s", a.e.msg);
}

static void test_errors(void)
{
    start(0);
    put("x", NN_F32, 2, 0, 600, 0);
    put("y", NN_I32, 1, 0, 500, 0);
    put("x", NN_F32, 2, 600, 400, 1);
    put("y", NN_I32, 1, 500, 499, 1);
    finish_file();
    result a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && a.rows == 999 && a.bad == 0 &&
          strstr(a.e.msg, "'y' ends after 999 rows, 'x' has 1000"),
          "uneven ends, after the common rows: %s", a.e.msg);
    static const char *const yx[] = {"y", "x"};
    a = read_set(2, yx, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "'y' ends after 999 rows, 'x' has 1000"),
          "uneven ends whatever the order of names");

    start(0);
    put("x", NN_F32, 2, 0, 600, 0);
    put("w", NN_I32, 1, 0, 600, 0);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && a.rows == 0 && strstr(a.e.msg, "no tensor named 'y'"),
          "a missing tensor: %s", a.e.msg);

    start(0);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "no tensor named 'x'"),
          "an empty stream: %s", a.e.msg);

    start(0);
    put("x", NN_F32, 2, 0, 10, 0);
    nn_header h = {.name = "y", .dtype = NN_I32, .rank = 0};
    int32_t one = 1;
    nn_error e;
    nn_writer_put(w, &h, &one, &e);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "'y' has rank 0") &&
          strstr(a.e.msg, "record 1"), "a record of rank 0: %s", a.e.msg);

    /* a chunk that continues nothing */
    start(0);
    put("x", NN_F32, 2, 0, 10, 1);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == -1 && strstr(a.e.msg, "continues no tensor"),
          "an orphan chunk: %s", a.e.msg);

    /* a truncated stream */
    start(0);
    put("x", NN_F32, 2, 0, 10, 0);
    put("y", NN_I32, 1, 0, 10, 0);
    finish_file();
    if (truncate(path, 100) == 0) {
        a = read_set(2, xy, NULL, 0, 0, 0);
        CHECK(a.rc == -1 && strstr(a.e.msg, "truncated"),
              "a truncated stream: %s", a.e.msg);
    }
}

static int refuse(const nn_record *r, void *arg, nn_error *e)
{
    (void)arg;
    return nn_fail(e, "no '%s' here", r->name);
}

static void test_others(void)
{
    start(0);
    put("a", NN_F32, 2, 0, 5, 0);
    put("x", NN_F32, 3, 0, 100, 0);
    put("b", NN_U8, 1, 0, 5, 0);
    put("y", NN_I32, 1, 0, 100, 0);
    put("a", NN_F32, 2, 5, 5, 1);
    put("x", NN_F32, 3, 100, 100, 1);
    nn_header h = {.name = "c", .dtype = NN_F64, .rank = 0};
    double v = 3;
    nn_error e;
    nn_writer_put(w, &h, &v, &e);
    put("y", NN_I32, 1, 100, 100, 1);
    put("d", NN_F32, 2, 0, 5, 0);
    finish_file();
    result a = read_set(2, xy, NULL, 64, 0, 1);
    CHECK(a.rc == 0 && a.rows == 200 && a.bad == 0 &&
          strcmp(a.others, "a b a c d") == 0 && a.other_raw_ok,
          "other records go to the callback in stream order, stored "
          "(\"%s\")", a.others);
    a = read_set(2, xy, NULL, 64, 0, 0);
    CHECK(a.rc == 0 && a.rows == 200 && a.bad == 0, "...or are skipped");

    /* the callback's error stops the set, with its message */
    nn_error e2;
    nn_reader *r = nn_reader_open(path, &e2);
    nn_rowset *s = nn_rowset_open(r, 2, xy, &e2);
    nn_rowset_set_other(s, refuse, NULL);
    nn_rowblock b;
    int rc;
    uint64_t rows = 0;
    while ((rc = nn_rowset_next(s, 0, &b, &e2)) == 1)
        rows += b.rows;
    CHECK(rc == -1 && rows == 0 && strcmp(e2.msg, "no 'a' here") == 0,
          "an error of the callback ends the set: %s", e2.msg);
    nn_rowset_close(s);
    nn_reader_close(r);
}

static void test_patterns(void)
{
    /* nn-forward --all: z1 z2 z3 y, chunk by chunk, a scalar among them */
    start(0);
    for (uint64_t r = 0; r < 600; r += 200) {
        put("z1", NN_F32, 4, r, 200, r > 0);
        put("z2", NN_F32, 3, r, 200, r > 0);
        if (r == 0) {
            nn_header h = {.name = "zeta", .dtype = NN_F64, .rank = 0};
            double v = 1;
            nn_error e;
            nn_writer_put(w, &h, &v, &e);
        }
        put("z3", NN_F64, 2, r, 200, r > 0);
        put("y", NN_I32, 1, r, 200, r > 0);
    }
    put("z4", NN_F32, 2, 0, 7, 0);   /* after the first round: not followed */
    finish_file();

    nn_error e;
    nn_reader *r = nn_reader_open(path, &e);
    static const char *const y[] = {"y"};
    nn_rowset *s = nn_rowset_open(r, 1, y, &e);
    int ok = nn_rowset_add(s, "z*", 1, &e) == 0 &&
             nn_rowset_add(s, "x", 0, &e) == 0;
    result res = {.other_raw_ok = 1};
    nn_rowset_set_other(s, on_other, &res);
    nn_rowblock b;
    uint64_t rows = 0;
    long bad = 0;
    int rc;
    while ((rc = nn_rowset_next(s, 0, &b, &e)) == 1) {
        for (int t = 0; t < b.n; t++)
            for (size_t i = 0; i < b.rows; i++)
                for (size_t j = 0; j < b.cols[t]; j++) {
                    double v;
                    nn_convert(&v, NN_F64, (const char *)b.data[t] +
                               (i * b.cols[t] + j) * nn_dtype_size(b.dtype[t]),
                               b.dtype[t], 1);
                    bad += v != value(nn_rowset_name(s, t), rows + i, j);
                }
        rows += b.rows;
    }
    CHECK(ok && rc == 0 && rows == 600 && bad == 0 && nn_rowset_count(s) == 4 &&
          !strcmp(nn_rowset_name(s, 0), "y") &&
          !strcmp(nn_rowset_name(s, 1), "z1") &&
          !strcmp(nn_rowset_name(s, 3), "z3") && nn_rowset_find(s, "x") < 0 &&
          nn_rowset_find(s, "z2") == 2 && !strcmp(nn_rowset_attrs(s, 2), "k=v\n"),
          "a glob follows z1 z2 z3 found in the first round, after the named "
          "y (%d tensors, %llu rows, %ld bad) %s", nn_rowset_count(s),
          (unsigned long long)rows, bad, rc < 0 ? e.msg : "");
    CHECK(!strcmp(res.others, "zeta z4"), "a scalar and a late tensor "
          "matching the glob are other records (\"%s\")", res.others);
    CHECK(nn_rowset_add(s, "q", 0, &e) == -1, "no tensor is added after "
          "reading began");
    nn_rowset_close(s);
    nn_reader_close(r);

    /* an optional tensor that is there, with nothing named at open */
    start(0);
    for (uint64_t r0 = 0; r0 < 300; r0 += 100) {
        put("x", NN_F32, 4, r0, 100, r0 > 0);
        put("y", NN_I32, 1, r0, 100, r0 > 0);
    }
    finish_file();
    r = nn_reader_open(path, &e);
    s = nn_rowset_open(r, 0, NULL, &e);
    nn_rowset_add(s, "x", 0, &e);
    nn_rowset_add(s, "[y]", 1, &e);
    rows = 0;
    while ((rc = nn_rowset_next(s, 0, &b, &e)) == 1)
        rows += b.rows;
    CHECK(rc == 0 && rows == 300 && nn_rowset_count(s) == 2 && b.n == 2 &&
          b.rows == 0 && b.cols[0] == 4 && b.dtype[1] == NN_I32,
          "optional names only; at the end the block describes the tensors");
    nn_rowset_close(s);
    nn_reader_close(r);

    /* a glob matching nothing: no tensors, no rows, no error */
    r = nn_reader_open(path, &e);
    s = nn_rowset_open(r, 0, NULL, &e);
    nn_rowset_add(s, "q*", 1, &e);
    rc = nn_rowset_next(s, 0, &b, &e);
    CHECK(rc == 0 && nn_rowset_count(s) == 0, "a glob matching nothing");
    nn_rowset_close(s);
    nn_reader_close(r);
}

static void test_edge(void)
{
    /* one row per record, and zero-row records in between */
    start(0);
    for (uint64_t r = 0; r < 50; r++) {
        put("x", NN_F32, 1, r, 1, r > 0);
        put("x", NN_F32, 1, r + 1, 0, 1);
        put("y", NN_I32, 1, r, 1, r > 0);
    }
    finish_file();
    result a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 50 && a.bad == 0 && a.blocks == 50,
          "records of one row and of none");

    /* tensors with no rows at all */
    start(0);
    put("x", NN_F32, 3, 0, 0, 0);
    put("y", NN_I32, 1, 0, 0, 0);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 0, "an empty data set ends cleanly");

    /* rows of no columns */
    start(0);
    put("x", NN_F32, 0, 0, 40, 0);
    put("y", NN_I32, 1, 0, 30, 0);
    put("x", NN_F32, 0, 40, 10, 1);
    put("y", NN_I32, 1, 30, 20, 1);
    finish_file();
    a = read_set(2, xy, NULL, 0, 0, 0);
    CHECK(a.rc == 0 && a.rows == 50 && a.bad == 0, "rows of zero columns "
          "(%d %s)", a.rc, a.e.msg);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/test_rowset.%d.nns", (int)getpid());
    test_regular();
    test_max_rows();
    test_irregular();
    test_x_then_y();
    test_several_tensors();
    test_errors();
    test_others();
    test_patterns();
    test_edge();
    unlink(path);
    return check_status();
}
