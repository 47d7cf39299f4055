/* nn-pick — keep (or drop) whole tensors by name pattern, renaming on the
 * way; records are copied, never decoded. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-pick [OPTION]... PATTERN...\n"
    "  or:  nn-pick [OPTION]... -r OLD=NEW [PATTERN]...\n"
    "Keep the tensors of an NNS stream (stdin) whose name matches a shell\n"
    "PATTERN; with no PATTERN (only with -r), every tensor.\n"
    "\n"
    "  -v, --invert         drop the matching tensors, keep the others\n"
    "      --index=N        of the matching tensors take only the N-th (from 0)\n"
    "  -r, --rename=OLD=NEW rename kept tensors named OLD (repeatable)\n"
    "  -i, --input=FILE     read FILE instead of stdin\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress every record (default level 3)\n"
    "  -d, --decompress     store every record uncompressed\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "\n"
    "Records are copied byte for byte (renamed ones get a new header).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "See nn-pick(1) and nns(5).\n";

enum { OPT_INDEX = 256 };

struct rename { const char *old, *new; };

/* The tensor each output name belongs to: a CONT record written under a
 * name must continue the latest output tensor of that name. */
struct latest { char *name; uint64_t tensor; };

static struct rename *renames;
static size_t nrenames;

static const char *renamed(const char *name)
{
    const char *to = name;
    for (size_t i = 0; i < nrenames; i++) /* the last rule wins */
        if (strcmp(renames[i].old, name) == 0)
            to = renames[i].new;
    return to;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-pick");
    static const struct option longopts[] = {
        {"invert", no_argument, 0, 'v'},
        {"index", required_argument, 0, OPT_INDEX},
        {"rename", required_argument, 0, 'r'},
        {"input", required_argument, 0, 'i'},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    const char *in = "-", *out = NULL;
    int store = NN_STORE_KEEP, invert = 0, has_index = 0;
    uint64_t index = 0;
    nn_error e;
    int c;
    renames = calloc((size_t)argc, sizeof *renames);
    if (!renames)
        nn_die("out of memory");
    while ((c = getopt_long(argc, argv, ":vr:i:o:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': invert = 1; break;
        case OPT_INDEX:
            if (nn_parse_u64(optarg, &index) < 0)
                nn_usage_error("invalid --index '%s'", optarg);
            has_index = 1;
            break;
        case 'r': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1] || strchr(eq + 1, '=') ||
                strchr(optarg, '\n') || strlen(eq + 1) > NN_NAME_MAX)
                nn_usage_error("invalid --rename '%s' (OLD=NEW, NEW a valid "
                               "name)", optarg);
            *eq = 0;
            renames[nrenames].old = optarg;
            renames[nrenames++].new = eq + 1;
            break;
        }
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'z': store = nn_zstd_level_arg(optarg); break;
        case 'd': store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    char **patterns = argv + optind;
    size_t npatterns = (size_t)(argc - optind);
    if (!npatterns && !nrenames)
        nn_usage_error("missing PATTERN");

    nn_reader *rd = nn_reader_open_first(in);
    nn_row_sink sink;
    nn_row_sink_open(&sink, out, store);
    const nn_record *r;
    int rc;
    unsigned char *keep = NULL;   /* by tensor number */
    size_t keep_cap = 0;
    struct latest *lat = NULL;
    size_t nlat = 0, lat_cap = 0;
    uint64_t nmatch = 0;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, &e)) == 1) {
        if (pos.first) {
            if (nn_buf_reserve(&keep, &keep_cap, pos.tensor + 1) < 0)
                nn_die("out of memory");
            int m = !npatterns ||
                    nn_name_matches(r->name, patterns, npatterns);
            if (m && has_index)
                m = nmatch++ == index;
            keep[pos.tensor] = (unsigned char)(m != invert);
        }
        if (!keep[pos.tensor])
            continue;
        nn_header h;
        nn_header_from_record(&h, r);
        h.name = renamed(r->name);
        size_t j = 0;
        while (j < nlat && strcmp(lat[j].name, h.name))
            j++;
        if (pos.first) {
            if (j == nlat) {
                if (nlat == lat_cap) {
                    lat_cap = lat_cap ? 2 * lat_cap : 16;
                    if (!(lat = realloc(lat, lat_cap * sizeof *lat)))
                        nn_die("out of memory");
                }
                if (!(lat[nlat++].name = strdup(h.name)))
                    nn_die("out of memory");
            }
            lat[j].tensor = pos.tensor;
        } else if (j == nlat || lat[j].tensor != pos.tensor) {
            rc = nn_fail(&e, "%s: record %llu at byte %llu: renaming '%s' "
                         "to '%s' mixes its chunks with another tensor '%s'",
                         nn_reader_name(rd), (unsigned long long)r->index,
                         (unsigned long long)r->offset, r->name, h.name,
                         h.name);
            break;
        }
        if (nn_row_sink_record(&sink, rd, r, &h, 0, nn_record_rows(r), 1,
                               &e) < 0) {
            rc = -1;
            break;
        }
    }
    for (size_t j = 0; j < nlat; j++)
        free(lat[j].name);
    free(lat);
    free(renames);
    nn_reader_close(rd);
    free(keep);
    nn_row_sink_finish(&sink, rc, &e);
    return 0;
}
