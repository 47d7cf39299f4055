/* nn-pick — keep (or drop) whole tensors by name pattern, renaming on the
 * way; records are copied, never decoded. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-pick [OPTION]... PATTERN... < FILE\n"
    "  or:  nn-pick [OPTION]... -r OLD=NEW [PATTERN]... < FILE\n"
    "Keep the tensors of an NNS stream (stdin) whose name matches a shell\n"
    "PATTERN; with no PATTERN (only with -r), every tensor.\n"
    "\n"
    "      --invert            drop the matching tensors, keep the others\n"
    "      --nth=N             of the matching tensors take only the N-th\n"
    "                          (from 0)\n"
    "  -r, --rename=OLD=NEW    rename kept tensors named OLD (repeatable)\n"
    "  -o, --output=FILE       write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]      compress every record (default level 3)\n"
    "  -d, --decompress        store every record uncompressed\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Records are copied byte for byte (renamed ones get a new header).\n"
    "See nn-pick(1) and nns(5).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-pick x y < train.nns > xy.nns\n";

enum { OPT_INVERT = 256, OPT_NTH };

struct rename { const char *old, *new; };

typedef struct options {
    int invert, has_nth;
    uint64_t nth;
    struct rename *renames;
    size_t nrenames;
    char **patterns;            /* none: every tensor */
    size_t npatterns;
    const char *out;
    int store;                  /* NN_STORE_KEEP, NN_STORE_RAW or a level */
} options;

/* The tensor each output name belongs to: a CONT record written under a
 * name must continue the latest output tensor of that name. */
struct latest { char *name; uint64_t tensor; };

typedef struct state {
    unsigned char *keep;        /* by tensor number */
    size_t keep_cap;
    uint64_t nmatch;            /* matching tensors so far (--nth) */
    struct latest *lat;
    size_t nlat, lat_cap;
} state;

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"invert", no_argument, 0, OPT_INVERT},
        {"nth", required_argument, 0, OPT_NTH},
        {"rename", required_argument, 0, 'r'},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    *o = (options){.store = NN_STORE_KEEP};
    o->renames = nn_xalloc((size_t)argc, sizeof *o->renames, "options");
    int c;
    while ((c = getopt_long(argc, argv, ":r:o:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_INVERT: o->invert = 1; break;
        case OPT_NTH:
            o->nth = nn_arg_u64("nth", optarg, 0, UINT64_MAX);
            o->has_nth = 1;
            break;
        case 'r': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1] || strchr(eq + 1, '=') ||
                strchr(optarg, '\n') || strlen(eq + 1) > NN_NAME_MAX)
                nn_usage_error("invalid --rename '%s': expected OLD=NEW, "
                               "NEW a valid name", optarg);
            *eq = 0;
            o->renames[o->nrenames].old = optarg;
            o->renames[o->nrenames++].new = eq + 1;
            break;
        }
        case 'o': o->out = optarg; break;
        case 'z': o->store = nn_zstd_level_arg(optarg); break;
        case 'd': o->store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    o->patterns = argv + optind;
    o->npatterns = (size_t)(argc - optind);
    if (!o->npatterns && !o->nrenames)
        nn_usage_error("missing PATTERN");
}

static const char *renamed(const options *o, const char *name)
{
    const char *to = name;
    for (size_t i = 0; i < o->nrenames; i++) /* the last rule wins */
        if (strcmp(o->renames[i].old, name) == 0)
            to = o->renames[i].new;
    return to;
}

/* Whether tensor pos.tensor, which r starts or continues, is kept. */
static int kept(const options *o, state *s, const nn_record *r,
                const nn_row_pos *pos)
{
    if (pos->first) {
        if (nn_buf_reserve(&s->keep, &s->keep_cap, pos->tensor + 1) < 0)
            nn_die("out of memory");
        int m = !o->npatterns ||
                nn_name_matches(r->name, o->patterns, o->npatterns);
        if (m && o->has_nth)
            m = s->nmatch++ == o->nth;
        s->keep[pos->tensor] = (unsigned char)(m != o->invert);
    }
    return s->keep[pos->tensor];
}

/* Notes that tensor pos.tensor is written under name; a chunk must go
 * under the name of its own tensor's latest output. */
static int written_as(state *s, const char *name, const nn_record *r,
                      const nn_row_pos *pos, nn_reader *rd, nn_error *e)
{
    size_t j = 0;
    while (j < s->nlat && strcmp(s->lat[j].name, name))
        j++;
    if (pos->first) {
        if (j == s->nlat) {
            if (s->nlat == s->lat_cap) {
                s->lat_cap = s->lat_cap ? 2 * s->lat_cap : 16;
                if (!(s->lat = realloc(s->lat, s->lat_cap * sizeof *s->lat)))
                    nn_die("out of memory");
            }
            if (!(s->lat[s->nlat++].name = strdup(name)))
                nn_die("out of memory");
        }
        s->lat[j].tensor = pos->tensor;
    } else if (j == s->nlat || s->lat[j].tensor != pos->tensor) {
        return nn_fail(e, "%s: record %llu at byte %llu: renaming '%s' to "
                       "'%s' mixes its chunks with another tensor '%s'",
                       nn_reader_name(rd), (unsigned long long)r->index,
                       (unsigned long long)r->offset, r->name, name, name);
    }
    return 0;
}

/* Copies the kept tensors of rd to sink. */
static int pick(const options *o, state *s, nn_reader *rd, nn_row_sink *sink,
                nn_error *e)
{
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, e)) == 1) {
        if (!kept(o, s, r, &pos))
            continue;
        nn_header h;
        nn_header_from_record(&h, r);
        h.name = renamed(o, r->name);
        if (written_as(s, h.name, r, &pos, rd, e) < 0 ||
            nn_row_sink_record(sink, rd, r, &h, 0, nn_record_rows(r), 1,
                               e) < 0)
            return -1;
    }
    return rc;
}

static void state_free(state *s)
{
    for (size_t j = 0; j < s->nlat; j++)
        free(s->lat[j].name);
    free(s->lat);
    free(s->keep);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-pick");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    nn_reader *rd = nn_reader_open("-", &e);
    if (!rd)
        nn_die("%s", e.msg);
    nn_row_sink *sink = nn_row_sink_open(o.out, o.store);
    state s = {0};
    int rc = pick(&o, &s, rd, sink, &e);
    nn_reader_close(rd);
    state_free(&s);
    free(o.renames);
    nn_row_sink_finish(sink, rc, &e);
    return 0;
}
