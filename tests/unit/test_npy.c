/* test_npy.c — npy headers: what nn_npy_header_format writes parses back
 * to the same dtype and shape for every dtype and rank 0..8, and malformed
 * headers of every kind are refused with a message. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* A version 1.0 header around dict, padded to a multiple of 64. */
static size_t make(unsigned char *buf, const char *dict)
{
    size_t n = strlen(dict), total = (10 + n + 1 + 63) / 64 * 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)((total - 10) & 0xff);
    buf[9] = (unsigned char)((total - 10) >> 8);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', total - 11 - n);
    buf[total - 1] = '\n';
    return total;
}

/* Parses dict; returns 0 or -1 with the message in e. */
static int parse_dict(const char *dict, nn_array_header *h, nn_error *e)
{
    unsigned char buf[4096];
    return nn_npy_header_parse(buf, make(buf, dict), h, e);
}

static void test_round_trip(void)
{
    int bad = 0, n = 0;
    for (int dt = 1; dt <= NN_DTYPE_MAX; dt++)
        for (int rank = 0; rank <= NN_MAX_RANK; rank++)
            for (int variant = 0; variant < 3; variant++, n++) {
                uint64_t dims[NN_MAX_RANK];
                for (int i = 0; i < rank; i++)
                    dims[i] = 1 + (uint64_t)(i * 5 + dt + variant) % 9;
                if (rank && variant == 1)
                    dims[0] = 4000000000u; /* more than 32 bits */
                if (rank && variant == 2)
                    dims[rank - 1] = 0;
                char buf[NN_NPY_HEADER_FORMAT_MAX];
                size_t len = nn_npy_header_format(buf, sizeof buf, dt, rank,
                                                  dims, variant ? 256 : 0);
                nn_array_header h;
                nn_error e;
                int ok = len && (variant ? len == 256 : len % 64 == 0) &&
                         buf[len - 1] == '\n' && buf[6] == 1 &&
                         nn_npy_header_parse(buf, len, &h, &e) == 0 &&
                         h.header_len == len && h.dtype == dt &&
                         h.rank == rank && !h.fortran &&
                         h.swap == (nn_dtype_size(dt) > 1 && !NN_HOST_LE) &&
                         (rank == 0 || !memcmp(h.dims, dims, 8 * rank));
                if (!ok && bad++ < 3)
                    printf("# round trip failed: %s rank %d variant %d\n",
                           nn_dtype_name(dt), rank, variant);
            }
    CHECK(bad == 0, "format -> parse for every dtype, rank 0..8, long dims, "
          "zero dims, padded (%d of %d bad)", bad, n);

    char buf[NN_NPY_HEADER_FORMAT_MAX];
    uint64_t big[NN_MAX_RANK];
    for (int i = 0; i < NN_MAX_RANK; i++)
        big[i] = UINT64_MAX;
    CHECK(nn_npy_header_format(buf, sizeof buf, NN_F64, 8, big, 0) > 0,
          "the longest header fits NN_NPY_HEADER_FORMAT_MAX");
    uint64_t d[2] = {3, 4};
    const char *want = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3, 4), }";
    size_t len = nn_npy_header_format(buf, sizeof buf, NN_F32, 2, d, 0);
    buf[len - 1] = 0;
    CHECK(len == 128 && strncmp(buf + 10, want, strlen(want)) == 0 &&
          buf[10 + strlen(want)] == ' ', "the header NumPy writes");
    len = nn_npy_header_format(buf, sizeof buf, NN_U8, 1, d, 0);
    buf[len - 1] = 0;
    CHECK(len == 128 && strstr(buf + 10, "'|u1'") &&
          strstr(buf + 10, "'shape': (3,), }"), "u8 is '|u1', rank 1 '(3,)'");
    len = nn_npy_header_format(buf, sizeof buf, NN_I8, 0, d, 0);
    buf[len - 1] = 0;
    CHECK(len == 128 && strstr(buf + 10, "'shape': (), }"), "rank 0 is '()'");
    CHECK(nn_npy_header_format(buf, sizeof buf, 0, 1, d, 0) == 0 &&
          nn_npy_header_format(buf, sizeof buf, NN_F32, 9, d, 0) == 0 &&
          nn_npy_header_format(buf, sizeof buf, NN_F32, 2, d, 32) == 0 &&
          nn_npy_header_format(buf, 60, NN_F32, 2, d, 0) == 0,
          "bad dtype, rank, len or cap: 0");
}

static void test_accepted(void)
{
    nn_array_header h;
    nn_error e;
    CHECK(parse_dict("{'descr': '>i4', 'fortran_order': True, 'shape': "
                     "(2, 3), }", &h, &e) == 0 &&
          h.dtype == NN_I32 && h.fortran && h.swap == NN_HOST_LE &&
          h.rank == 2 && h.dims[0] == 2 && h.dims[1] == 3,
          "big-endian, Fortran order");
    CHECK(parse_dict("{\"shape\":(7L,),\"fortran_order\":False,\"descr\":"
                     "\"=u8\"}", &h, &e) == 0 && h.dtype == NN_U64 &&
          !h.swap && h.rank == 1 && h.dims[0] == 7,
          "keys in any order, double quotes, '=', a Python 2 long");
    CHECK(parse_dict("{'descr': '|i1', 'fortran_order': False, 'shape': ()}",
                     &h, &e) == 0 && h.dtype == NN_I8 && h.rank == 0,
          "'|i1', rank 0, no trailing comma");
    /* version 2.0: a 4-byte length */
    unsigned char buf[256];
    size_t n = make(buf, "{'descr': '<f8', 'fortran_order': False, "
                    "'shape': (5,), }");
    unsigned char v2[260];
    memcpy(v2, "\x93NUMPY\x02\x00", 8);
    v2[8] = (unsigned char)(n - 10);
    v2[9] = v2[10] = v2[11] = 0;
    memcpy(v2 + 12, buf + 10, n - 10);
    size_t len;
    CHECK(nn_npy_header_size(v2, 12, &len, &e) == 0 && len == n + 2 &&
          nn_npy_header_parse(v2, n + 2, &h, &e) == 0 &&
          h.header_len == n + 2 && h.dtype == NN_F64 && h.dims[0] == 5,
          "version 2.0");
}

/* dict must be refused with a message containing want. */
static void refused(const char *what, const char *dict, const char *want)
{
    nn_array_header h;
    nn_error e = {{0}};
    int rc = parse_dict(dict, &h, &e);
    CHECK(rc < 0 && strstr(e.msg, want), "refused: %s (%s)", what,
          rc < 0 ? e.msg : "accepted");
}

static void test_refused(void)
{
    refused("unterminated dict", "{'descr': '<f4', 'fortran_order': False, "
            "'shape': (3,), ", "malformed npy header");
    refused("unterminated string", "{'descr': '<f4", "malformed npy header");
    refused("unterminated shape", "{'descr': '<f4', 'fortran_order': False, "
            "'shape': (3, 4", "malformed npy header (shape)");
    refused("no '{'", "'descr': '<f4'", "no '{'");
    refused("shape not a tuple", "{'descr': '<f4', 'fortran_order': False, "
            "'shape': 3}", "(shape)");
    refused("negative dimension", "{'descr': '<f4', 'fortran_order': False, "
            "'shape': (-1, 3)}", "(shape)");
    refused("dimension beyond 64 bits", "{'descr': '<f4', 'fortran_order': "
            "False, 'shape': (99999999999999999999999,)}", "too large");
    refused("shape of more than 2^64 bytes", "{'descr': '<f8', "
            "'fortran_order': False, 'shape': (4294967296, 4294967296)}",
            "too large");
    refused("2^64-1 rows of 2 bytes", "{'descr': '<u2', 'fortran_order': "
            "False, 'shape': (18446744073709551615,)}", "too large");
    refused("rank 9", "{'descr': '<f4', 'fortran_order': False, 'shape': "
            "(1,1,1,1,1,1,1,1,1)}", "rank over 8");
    refused("missing shape", "{'descr': '<f4', 'fortran_order': False}",
            "lacks");
    refused("missing descr", "{'fortran_order': False, 'shape': (2,)}",
            "lacks");
    refused("missing fortran_order", "{'descr': '<f4', 'shape': (2,)}",
            "lacks");
    refused("unknown key", "{'descr': '<f4', 'fortran_order': False, "
            "'shape': (2,), 'x': 1}", "unknown key 'x'");
    refused("fortran_order not a bool", "{'descr': '<f4', 'fortran_order': "
            "0, 'shape': (2,)}", "(fortran_order)");
    refused("structured", "{'descr': [('a', '<i4')], 'fortran_order': False, "
            "'shape': (2,)}", "structured");
    const char *types[] = {"<f2", "<c8", "|b1", "<U3", "|f4", "<i16", "f4"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        char dict[128], want[64];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, "
                 "'shape': (2,)}", types[i]);
        snprintf(want, sizeof want, "'%s' is not supported", types[i]);
        refused(types[i], dict, want);
    }

    unsigned char buf[256];
    nn_array_header h;
    nn_error e = {{0}};
    size_t n = make(buf, "{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (2,)}"), len;
    buf[5] = 'X';
    CHECK(nn_npy_header_parse(buf, n, &h, &e) < 0 &&
          strstr(e.msg, "bad magic"), "refused: bad magic (%s)", e.msg);
    buf[5] = 'Y';
    buf[6] = 4;
    CHECK(nn_npy_header_parse(buf, n, &h, &e) < 0 &&
          strstr(e.msg, "version 4.0 is not supported"),
          "refused: version 4.0 (%s)", e.msg);
    buf[6] = 1;
    CHECK(nn_npy_header_parse(buf, n - 1, &h, &e) < 0 &&
          strstr(e.msg, "truncated"), "refused: one byte short (%s)", e.msg);
    CHECK(nn_npy_header_size(buf, 9, &len, &e) < 0 &&
          strstr(e.msg, "truncated"), "refused: 9 bytes (%s)", e.msg);
    buf[6] = 2;
    CHECK(nn_npy_header_size(buf, 11, &len, &e) < 0 &&
          strstr(e.msg, "truncated"), "refused: version 2.0 in 11 bytes");
    buf[8] = buf[9] = 0;
    buf[10] = 0x20; /* 2 MiB */
    buf[11] = 0;
    CHECK(nn_npy_header_size(buf, 12, &len, &e) < 0 &&
          strstr(e.msg, "too long"), "refused: a 2 MiB header (%s)", e.msg);
}

int main(void)
{
    test_round_trip();
    test_accepted();
    test_refused();
    return check_status();
}
