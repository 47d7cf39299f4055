/* nn-slice — keep the rows START:STOP:STEP of every tensor, counting rows
 * across chunks, one record at a time. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-slice [OPTION]... RANGE [FILE]\n"
    "  or:  nn-slice [OPTION]... -n N [FILE]\n"
    "Keep the rows RANGE of every tensor of rank 1 or more of an NNS stream\n"
    "(stdin if no FILE), counting rows across chunks; records of rank 0 pass.\n"
    "RANGE is START:STOP[:STEP] as in Python (STOP exclusive, each part\n"
    "optional), or I for the one row I.\n"
    "\n"
    "  -n, --head=N         keep the first N rows (RANGE 0:N)\n"
    "      --name=NAME      slice only tensors matching the shell pattern NAME\n"
    "                       (repeatable); others pass unchanged\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress every record (default level 3)\n"
    "  -d, --decompress     store every record uncompressed\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "\n"
    "Records kept whole are copied byte for byte.\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "See nn-slice(1) and nns(5).\n";

enum { OPT_NAME = 256 };

static char **names;        /* --name patterns */
static size_t nnames;

int main(int argc, char **argv)
{
    nn_tool_init("nn-slice");
    static const struct option longopts[] = {
        {"head", required_argument, 0, 'n'},
        {"name", required_argument, 0, OPT_NAME},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    const char *out = NULL;
    int store = NN_STORE_KEEP, head = 0;
    nn_range rg = {0, UINT64_MAX, 1};
    nn_error e;
    int c;
    names = calloc((size_t)argc, sizeof *names);
    if (!names)
        nn_die("out of memory");
    while ((c = getopt_long(argc, argv, ":n:o:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (nn_parse_u64(optarg, &rg.stop) < 0)
                nn_usage_error("invalid row count '%s'", optarg);
            head = 1;
            break;
        case OPT_NAME: names[nnames++] = optarg; break;
        case 'o': out = optarg; break;
        case 'z': store = nn_zstd_level_arg(optarg); break;
        case 'd': store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (!head) {
        if (optind >= argc)
            nn_usage_error("missing RANGE");
        if (nn_range_parse(argv[optind++], &rg, &e) < 0)
            nn_usage_error("%s", e.msg);
    }
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    const char *in = optind < argc ? argv[optind] : "-";

    nn_reader *rd = nn_reader_open_first(in);
    nn_row_sink sink;
    nn_row_sink_open(&sink, out, store);
    const nn_record *r;
    int rc;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, &e)) == 1) {
        nn_header h;
        nn_header_from_record(&h, r);
        uint64_t first = 0, count = 1, step = 1;
        if (r->rank > 0 &&
            (!nnames || nn_name_matches(r->name, names, nnames))) {
            count = nn_range_within(&rg, pos.row, r->dims[0], &first);
            step = rg.step;
            if (!count && !pos.first)
                continue;
        } else if (r->rank > 0) {
            count = r->dims[0];
        }
        if (nn_row_sink_record(&sink, rd, r, &h, first, count, step, &e) < 0) {
            rc = -1;
            break;
        }
    }
    nn_reader_close(rd);
    free(names);
    nn_row_sink_finish(&sink, rc, &e);
    return 0;
}
