/* nn-slice — keep the rows START:STOP:STEP of every tensor, counting rows
 * across chunks, one record at a time. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-slice [OPTION]... RANGE [FILE]\n"
    "  or:  nn-slice [OPTION]... --head=N [FILE]\n"
    "Keep the rows RANGE of every tensor of rank 1 or more of an NNS stream\n"
    "(stdin if no FILE), counting rows across chunks; records of rank 0 pass.\n"
    "RANGE is START:STOP[:STEP] as in Python (STOP exclusive, each part\n"
    "optional), or I for the one row I.\n"
    "\n"
    "      --head=N            keep the first N rows (RANGE :N)\n"
    "      --tensors=PATTERN   slice only the tensors matching the shell\n"
    "                          pattern (repeatable); others pass unchanged\n"
    "  -o, --output=FILE       write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]      compress every record (default level 3)\n"
    "  -d, --decompress        store every record uncompressed\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Records kept whole are copied byte for byte.\n"
    "See nn-slice(1) and nns(5).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-slice :1000 train.nns > head.nns\n";

enum { OPT_HEAD = 256, OPT_TENSORS };

typedef struct options {
    nn_range range;
    char **tensors;         /* --tensors patterns (none: every tensor) */
    size_t ntensors;
    const char *in, *out;
    int store;              /* NN_STORE_KEEP, NN_STORE_RAW or a zstd level */
} options;

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"head", required_argument, 0, OPT_HEAD},
        {"tensors", required_argument, 0, OPT_TENSORS},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    *o = (options){.range = {0, UINT64_MAX, 1}, .store = NN_STORE_KEEP};
    o->tensors = nn_xalloc((size_t)argc, sizeof *o->tensors, "options");
    int c, head = 0;
    while ((c = getopt_long(argc, argv, ":o:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_HEAD:
            o->range.stop = nn_arg_u64("head", optarg, 0, UINT64_MAX);
            head = 1;
            break;
        case OPT_TENSORS: o->tensors[o->ntensors++] = optarg; break;
        case 'o': o->out = optarg; break;
        case 'z': o->store = nn_zstd_level_arg(optarg); break;
        case 'd': o->store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (!head) {
        nn_error e;
        if (optind >= argc)
            nn_usage_error("missing RANGE");
        if (nn_range_parse(argv[optind++], &o->range, &e) < 0)
            nn_usage_error("%s", e.msg);
    }
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    o->in = optind < argc ? argv[optind] : "-";
}

/* Writes the rows of the range of every record of rd to sink. */
static int slice(const options *o, nn_reader *rd, nn_row_sink *sink,
                 nn_error *e)
{
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, e)) == 1) {
        nn_header h;
        nn_header_from_record(&h, r);
        uint64_t first = 0, count = 1, step = 1;
        int sliced = !o->ntensors ||
                     nn_name_matches(r->name, o->tensors, o->ntensors);
        if (r->rank > 0 && sliced) {
            count = nn_range_within(&o->range, pos.row, r->dims[0], &first);
            step = o->range.step;
            if (!count && !pos.first)
                continue; /* a later chunk with none of the rows */
        } else if (r->rank > 0) {
            count = r->dims[0];
        }
        if (nn_row_sink_record(sink, rd, r, &h, first, count, step, e) < 0)
            return -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-slice");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    nn_reader *rd = nn_reader_open(o.in, &e);
    if (!rd)
        nn_die("%s", e.msg);
    nn_row_sink *sink = nn_row_sink_open(o.out, o.store);
    int rc = slice(&o, rd, sink, &e);
    nn_reader_close(rd);
    free(o.tensors);
    nn_row_sink_finish(sink, rc, &e);
    return 0;
}
