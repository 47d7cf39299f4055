/* nn-info — what a stream holds: every tensor (or record) with its dtype,
 * shape, attributes and statistics, after verifying every checksum. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-info [OPTION]... [FILE]...\n"
    "List the tensors of NNS streams (stdin if no FILE) with dtype, shape,\n"
    "attributes and min/max/mean/std and NaN/Inf counts; verify checksums.\n"
    "\n"
    "      --records    one line per record instead of per tensor\n"
    "  -H, --headers    no statistics: headers and checksums only (faster)\n"
    "  -j, --json       JSON Lines: one object per tensor (or record)\n"
    "  -q, --quiet      print nothing; the exit status tells if the stream is valid\n"
    "  -P, --progress   report progress on stderr even when it is not a terminal\n"
    "  -h, --help       show this help and exit\n"
    "  -V, --version    show the version and exit\n"
    "\n"
    "See nn-info(1) and nns(5).\n"
    "Exit status: 0 valid, 1 invalid or unreadable input, 2 usage error.\n"
    "Example: nn-info --records -H train.nns\n";

enum { OPT_RECORDS = 256 };

typedef struct options {
    int records, headers, json, quiet, progress;
    const char *const *files;   /* the operands, or "-" */
    int nfiles;
} options;

/* One line of output: a tensor, or a record with --records.  Without
 * --records, the entries are the tensors in the order of the stream, so
 * entry i is tensor number i of the tracker. */
typedef struct entry {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
    uint64_t records, stored, index, offset;
    uint32_t flags;
    char *attrs;
    nn_summary sum;
} entry;

/* The entries of the stream being read, and how many files were listed. */
typedef struct listing {
    entry *entries;
    size_t n, cap;
    int printed;
} listing;

/* A new entry for record r; NULL, with the message in e, when out of
 * memory. */
static entry *add_entry(listing *l, const nn_record *r, nn_error *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        entry *a = realloc(l->entries, cap * sizeof *a);
        if (!a) {
            nn_fail(e, "out of memory");
            return NULL;
        }
        l->entries = a;
        l->cap = cap;
    }
    entry *t = &l->entries[l->n];
    memset(t, 0, sizeof *t);
    strcpy(t->name, r->name);
    t->dtype = r->dtype;
    t->rank = r->rank;
    memcpy(t->dims, r->dims, sizeof t->dims);
    t->index = r->index;
    t->offset = r->offset;
    t->flags = r->flags;
    if (!(t->attrs = strdup(r->attrs))) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    nn_summary_init(&t->sum);
    l->n++;
    return t;
}

static void json_number(const char *key, double v)
{
    printf(",\"%s\":", key);
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

static void print_json(const options *o, const char *file, const entry *t)
{
    printf("{\"file\":");
    nn_json_string(file);
    printf(",\"name\":");
    nn_json_string(t->name);
    printf(",\"dtype\":\"%s\",\"shape\":[", nn_dtype_name(t->dtype));
    for (int i = 0; i < t->rank; i++)
        printf("%s%llu", i ? "," : "", (unsigned long long)t->dims[i]);
    printf("],\"records\":%llu,\"stored_bytes\":%llu",
           (unsigned long long)t->records, (unsigned long long)t->stored);
    if (o->records)
        printf(",\"index\":%llu,\"offset\":%llu,\"zstd\":%s,\"cont\":%s",
               (unsigned long long)t->index, (unsigned long long)t->offset,
               t->flags & NN_FLAG_ZSTD ? "true" : "false",
               t->flags & NN_FLAG_CONT ? "true" : "false");
    printf(",\"attrs\":{");
    int first = 1;
    for (char *p = t->attrs; *p;) {
        char *nl = strchr(p, '\n'), *eq = strchr(p, '=');
        if (!nl || !eq || eq > nl)
            break;
        *eq = *nl = 0;
        printf("%s", first ? "" : ",");
        nn_json_string(p);
        putchar(':');
        nn_json_string(eq + 1);
        *eq = '=';
        *nl = '\n';
        first = 0;
        p = nl + 1;
    }
    putchar('}');
    if (!o->headers) {
        printf(",\"count\":%llu,\"nan\":%llu,\"inf\":%llu",
               (unsigned long long)t->sum.n, (unsigned long long)t->sum.nan,
               (unsigned long long)t->sum.inf);
        json_number("min", t->sum.n ? t->sum.min : NAN);
        json_number("max", t->sum.n ? t->sum.max : NAN);
        json_number("mean", t->sum.n ? t->sum.mean : NAN);
        json_number("std", nn_summary_std(&t->sum));
    }
    printf("}\n");
}

static void print_text(const options *o, const entry *t, int name_w)
{
    char shape[200];
    nn_shape_str(shape, sizeof shape, t->rank, t->dims);
    if (o->records)
        printf("%6llu %10llu  ", (unsigned long long)t->index,
               (unsigned long long)t->offset);
    printf("%-*s %-4s %-16s", name_w, t->name, nn_dtype_name(t->dtype), shape);
    if (o->records)
        printf(" %-9s", (t->flags & NN_FLAG_CONT) && (t->flags & NN_FLAG_ZSTD)
                            ? "cont,zstd"
                        : t->flags & NN_FLAG_CONT ? "cont"
                        : t->flags & NN_FLAG_ZSTD ? "zstd"
                                                  : "-");
    else
        printf(" %7llu", (unsigned long long)t->records);
    printf(" %11llu", (unsigned long long)t->stored);
    if (!o->headers) {
        const nn_summary *s = &t->sum;
        if (s->n)
            printf("  %11.6g %11.6g %11.6g %11.6g", s->min, s->max, s->mean,
                   nn_summary_std(s));
        else
            printf("  %11s %11s %11s %11s", "-", "-", "-", "-");
        printf(" %5llu %5llu", (unsigned long long)s->nan,
               (unsigned long long)s->inf);
    }
    putchar('\n');
    if (*t->attrs) {
        printf("%*s", o->records ? 19 : 0, "");
        printf("  ");
        for (const char *p = t->attrs; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '\n')
                putchar(p[1] ? ' ' : '\n');
            else if (c < 0x20 || c == 0x7f) /* never raw to a terminal */
                printf("\\x%02x", c);
            else
                putchar(c);
        }
    }
}

static void print_all(const options *o, listing *l, const char *file,
                      uint64_t records, uint64_t bytes)
{
    if (o->quiet)
        return;
    if (!o->json && o->nfiles > 1)
        printf("%s==> %s <==\n", l->printed++ ? "\n" : "", file);
    if (o->json) {
        for (size_t i = 0; i < l->n; i++)
            print_json(o, file, &l->entries[i]);
        return;
    }
    int w = 4;
    for (size_t i = 0; i < l->n; i++)
        if ((int)strlen(l->entries[i].name) > w)
            w = (int)strlen(l->entries[i].name);
    if (o->records)
        printf("%6s %10s  ", "record", "offset");
    printf("%-*s %-4s %-16s %s %11s", w, "name", "type", "shape",
           o->records ? "flags    " : "records", "stored");
    if (!o->headers)
        printf("  %11s %11s %11s %11s %5s %5s", "min", "max", "mean", "std",
               "nan", "inf");
    putchar('\n');
    for (size_t i = 0; i < l->n; i++)
        print_text(o, &l->entries[i], w);
    printf("# %s: %llu record%s, %llu bytes, checksums verified\n", file,
           (unsigned long long)records, records == 1 ? "" : "s",
           (unsigned long long)bytes);
}

/* Reads one stream into l and lists it; returns 0 or -1 with the message
 * in e. */
static int info(const options *o, listing *l, const char *path, nn_error *e)
{
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, o->progress);
    const nn_record *rec;
    uint64_t records = 0;
    int rc;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(r, &rec, &pos, 1, e)) == 1) {
        entry *t;
        if (o->records || pos.first) {
            if (!(t = add_entry(l, rec, e))) {
                rc = -1;
                break;
            }
        } else {
            t = &l->entries[pos.tensor];
            t->dims[0] += rec->dims[0];
        }
        t->records++;
        t->stored += rec->raw_header_len + rec->raw_payload_len;
        if (!o->headers) { /* decoded in pieces: any record in 1 MiB */
            const void *p;
            size_t n;
            size_t es = nn_dtype_size(rec->dtype);
            while ((rc = nn_reader_piece(r, rec, NN_CHUNK_BYTES, &p, &n,
                                         e)) == 1)
                nn_summary_add(&t->sum, p, rec->dtype, n / es);
            if (rc < 0)
                break;
        }
        records++;
        nn_progress_update(&prog, nn_reader_offset(r) >> 20, 0, "MiB");
    }
    nn_progress_end(&prog);
    uint64_t bytes = nn_reader_offset(r);
    nn_reader_close(r);
    if (rc == 0)
        print_all(o, l, path && strcmp(path, "-") ? path : "stdin", records,
                  bytes);
    for (size_t i = 0; i < l->n; i++)
        free(l->entries[i].attrs);
    l->n = 0;
    return rc;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"records", no_argument, 0, OPT_RECORDS},
        {"headers", no_argument, 0, 'H'},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    static const char *const stdin_only[] = {"-"};
    *o = (options){0};
    int c;
    while ((c = getopt_long(argc, argv, ":HjqPhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_RECORDS: o->records = 1; break;
        case 'H': o->headers = 1; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    o->files = (const char *const *)argv + optind;
    o->nfiles = argc - optind;
    if (o->nfiles == 0) {
        o->files = stdin_only;
        o->nfiles = 1;
    }
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-info");
    options o;
    parse(argc, argv, &o);

    /* Text goes out only after a whole stream verified, so a corrupt
     * stream leaves stdout empty. */
    listing l = {0};
    nn_error e;
    int status = 0;
    for (int i = 0; i < o.nfiles; i++)
        if (info(&o, &l, o.files[i], &e) < 0) {
            nn_warn("%s", e.msg);
            status = 1;
        }
    free(l.entries);
    if (nn_stdout_close(&e) < 0)
        nn_die("%s", e.msg);
    return status;
}
