/* test_idx.c — IDX headers: every type byte and rank, big-endian
 * dimensions, and truncated, malformed and absurd headers refused. */
#include "nn.h"
#include "check.h"

#include <string.h>

/* An IDX header of type byte type, rank rank and dims; returns its size. */
static size_t make(unsigned char *buf, int type, int rank,
                   const uint32_t *dims)
{
    buf[0] = buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)rank;
    for (int i = 0; i < rank; i++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
    return 4 + 4 * (size_t)rank;
}

static void test_accepted(void)
{
    static const struct { int type, dtype; } types[] = {
        {0x08, NN_U8}, {0x09, NN_I8}, {0x0B, NN_I16}, {0x0C, NN_I32},
        {0x0D, NN_F32}, {0x0E, NN_F64}};
    int bad = 0;
    for (size_t t = 0; t < 6; t++)
        for (int rank = 1; rank <= NN_MAX_RANK; rank++) {
            uint32_t dims[NN_MAX_RANK];
            for (int i = 0; i < rank; i++)
                dims[i] = (uint32_t)(i * 3 + t + 1);
            dims[0] = 60000 + (uint32_t)t;
            unsigned char buf[NN_IDX_HEADER_MAX + 8];
            size_t n = make(buf, types[t].type, rank, dims);
            nn_array_header h;
            nn_error e;
            /* more bytes than the header (the data) change nothing */
            int ok = nn_idx_header_parse(buf, n + 8, &h, &e) == 0 &&
                     h.dtype == types[t].dtype && h.rank == rank &&
                     h.header_len == n && !h.fortran &&
                     h.swap == (nn_dtype_size(h.dtype) > 1 && NN_HOST_LE);
            for (int i = 0; ok && i < rank; i++)
                ok = h.dims[i] == dims[i];
            bad += !ok;
        }
    CHECK(bad == 0, "every type byte, ranks 1..8 (%d bad)", bad);
    unsigned char buf[16];
    uint32_t d[2] = {0xffffffffu, 0};
    nn_array_header h;
    nn_error e;
    CHECK(nn_idx_header_parse(buf, make(buf, 0x08, 2, d), &h, &e) == 0 &&
          h.dims[0] == 0xffffffffu && h.dims[1] == 0,
          "dimensions of 2^32-1 and 0 (MNIST's (60000,28,28) read as is)");
}

static void refused(const char *what, const unsigned char *buf, size_t n,
                    const char *want)
{
    nn_array_header h;
    nn_error e = {{0}};
    int rc = nn_idx_header_parse(buf, n, &h, &e);
    CHECK(rc < 0 && strstr(e.msg, want), "refused: %s (%s)", what,
          rc < 0 ? e.msg : "accepted");
}

static void test_refused(void)
{
    unsigned char buf[64];
    uint32_t d[NN_MAX_RANK + 1] = {10, 28, 28};
    size_t n = make(buf, 0x08, 3, d);
    for (size_t k = 0; k < n; k++) {
        char what[64];
        snprintf(what, sizeof what, "%zu of %zu bytes", k, n);
        refused(what, buf, k, "truncated IDX header");
    }
    buf[1] = 1;
    refused("bad magic", buf, n, "bad magic 00 01");
    buf[1] = 0;
    buf[2] = 0x0A;
    refused("type byte 0x0a", buf, n, "unknown IDX type byte 0x0a");
    buf[2] = 0x08;
    buf[3] = 0;
    refused("rank 0", buf, n, "IDX rank 0 is not supported");
    for (int i = 0; i <= NN_MAX_RANK; i++)
        d[i] = 1;
    n = make(buf, 0x08, NN_MAX_RANK + 1, d);
    refused("rank 9", buf, n, "IDX rank 9 is not supported");
    for (int i = 0; i < NN_MAX_RANK; i++)
        d[i] = 0xffffffffu;
    refused("(2^32-1)^3 f64", buf, make(buf, 0x0E, 3, d), "too large");
    refused("(2^32-1)^8 u8", buf, make(buf, 0x08, 8, d), "too large");
    d[0] = 0;
    refused("(0, (2^32-1)^3) holds nothing but is absurd", buf,
            make(buf, 0x08, 4, d), "too large");
}

int main(void)
{
    test_accepted();
    test_refused();
    return check_status();
}
