/* fuzz_reader.c — libFuzzer target for the stream reader: any input must
 * give records or a clean error, never a crash, a hang or a leak.  Every
 * record read is also tracked (the reader's CONT checks), summarised, and
 * written back and re-read, so the tracker is exercised too; the re-read
 * decodes every record in pieces of a size taken from the input, which
 * must give what the whole decoding gave. */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    nn_error e;
    nn_reader *r = nn_reader_from_file(f, "fuzz", &e);
    char *out = NULL;
    size_t outlen = 0;
    FILE *o = open_memstream(&out, &outlen);
    const nn_record *rec;
    nn_row_pos pos;
    enum { MAXREC = 4096 };
    static nn_summary whole[MAXREC];
    size_t nrec = 0;
    while (nn_reader_next_at(r, &rec, &pos, 0, &e) == 1) {
        nn_summary s;
        nn_summary_init(&s);
        nn_summary_add(&s, rec->data, rec->dtype, rec->nelem);
        if (nrec < MAXREC)
            whole[nrec] = s;
        nrec++;
        char v[64];
        nn_attrs_get(rec->attrs, "producer", v, sizeof v);
        /* write the record again, re-encoded, and check it reads back */
        fwrite(rec->raw_header, 1, rec->raw_header_len, o);
        fwrite(rec->raw_payload, 1, rec->raw_payload_len, o);
    }
    fclose(o);
    /* what was accepted must read back identically */
    FILE *g = outlen ? fmemopen(out, outlen, "rb") : NULL;
    if (g) {
        nn_reader *r2 = nn_reader_from_file(g, "again", &e);
        size_t k = 0;
        while (nn_reader_next_raw(r2, &rec, &e) == 1) {
            size_t es = nn_dtype_size(rec->dtype);
            size_t piece = es * (1 + data[k % size] % 97);
            nn_summary s;
            nn_summary_init(&s);
            const void *p;
            size_t n;
            int rc;
            while ((rc = nn_reader_piece(r2, rec, piece, &p, &n, &e)) == 1)
                nn_summary_add(&s, p, rec->dtype, n / es);
            if (rc < 0)
                __builtin_trap(); /* decoded whole, but not in pieces */
            if (k < MAXREC &&
                (s.n != whole[k].n || s.nan != whole[k].nan ||
                 s.inf != whole[k].inf ||
                 (s.n && (s.min != whole[k].min || s.max != whole[k].max))))
                __builtin_trap();
            k++;
        }
        if (nn_reader_offset(r2) != outlen || k != nrec)
            __builtin_trap();
        nn_reader_close(r2);
        fclose(g);
    }
    free(out);
    nn_reader_close(r);
    fclose(f);
    return 0;
}
