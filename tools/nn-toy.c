/* nn-toy — the toy problems of the texts, seeded: the sine, two spirals and
 * the 8x8 checkerboard, as data sets x, y. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-toy [OPTION]... sine|spirals|checkerboard\n"
    "Write a toy data set (x f32, y) as an NNS stream:\n"
    "  sine          x uniform on [-1,1), y = sin(2 pi x), both (N,1)\n"
    "  spirals       two spirals, 2 classes: t uniform on (0,1], angle\n"
    "                3 pi t, radius t; class 1 is class 0 negated; x (N,2)\n"
    "  checkerboard  x uniform on [-0.5,0.5)^2, the class of an 8x8 board\n"
    "\n"
    "      --samples=N     number of samples (default 5000, at most 2^40)\n"
    "  -s, --seed=S        seed of the draws (default 1)\n"
    "      --noise=SIGMA   Gaussian noise added to the inputs (default 0)\n"
    "      --onehot        labels as one-hot f32 rows, not i32 indices\n"
    "  -o, --output=FILE   write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]  compress records with zstd (default level 3)\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "See nn-toy(1).\n"
    "Exit status: 0 success, 1 write error, 2 usage error.\n"
    "Example: nn-toy --samples 1000 -s 2 spirals > spirals.nns\n";

enum { OPT_SAMPLES = 256, OPT_NOISE, OPT_ONEHOT };
enum { SINE, SPIRALS, CHECKERBOARD };

static const char *const problems[] = {"sine", "spirals", "checkerboard",
                                       NULL};

#define PI 3.14159265358979323846
#define SAMPLES_MAX ((uint64_t)1 << 40)

/* The noise generator's seed: a stream apart from the points' stream. */
#define NOISE_SEED 0x6e6f697365000000ull /* "noise" */

typedef struct options {
    int problem;                /* SINE, SPIRALS or CHECKERBOARD */
    uint64_t samples, seed;
    double noise;
    int noisy;                  /* --noise given: recorded, even if 0 */
    int onehot;
    const char *out;            /* NULL: stdout */
    int level;                  /* zstd level, 0 for none */
} options;

/* Class of an f32 point on the 8x8 board; exact in double. */
static int32_t square(float a, float b)
{
    int i = (int)floor(((double)a + 0.5) * 8), j = (int)floor(((double)b + 0.5) * 8);
    i = i > 7 ? 7 : i;
    j = j > 7 ? 7 : j;
    return (i + j) % 2;
}

/* Rows [row0, row0+m) into x (m,d) and y (m,yw), y as i32 or f32. */
static void generate(const options *o, nn_rng *g, nn_rng *ng, uint64_t row0,
                     size_t m, float *x, void *y)
{
    size_t d = o->problem == SINE ? 1 : 2;
    for (size_t i = 0; i < m; i++) {
        float *p = x + i * d;
        int32_t cls = 0;
        if (o->problem == SINE) {
            p[0] = (float)(2 * nn_rng_uniform(g) - 1);
            ((float *)y)[i] = (float)nn_sin(2 * PI * (double)p[0]);
        } else if (o->problem == SPIRALS) {
            cls = (int32_t)((row0 + i) % 2);
            double t = 1 - nn_rng_uniform(g), th = 3 * PI * t;
            double s = cls ? -t : t;
            p[0] = (float)(s * nn_cos(th));
            p[1] = (float)(s * nn_sin(th));
        } else {
            p[0] = (float)(nn_rng_uniform(g) - 0.5);
            p[1] = (float)(nn_rng_uniform(g) - 0.5);
            cls = square(p[0], p[1]);
        }
        if (o->problem != SINE) {
            if (o->onehot) {
                float *q = (float *)y + 2 * i;
                q[0] = cls == 0;
                q[1] = cls == 1;
            } else {
                ((int32_t *)y)[i] = cls;
            }
        }
        if (o->noise > 0)
            for (size_t j = 0; j < d; j++)
                p[j] = (float)((double)p[j] + o->noise * nn_rng_normal(ng));
    }
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"samples", required_argument, 0, OPT_SAMPLES},
        {"seed", required_argument, 0, 's'},
        {"noise", required_argument, 0, OPT_NOISE},
        {"onehot", no_argument, 0, OPT_ONEHOT},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    *o = (options){.samples = 5000, .seed = 1};
    int c;
    while ((c = getopt_long(argc, argv, ":s:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SAMPLES:
            o->samples = nn_arg_u64("samples", optarg, 0, SAMPLES_MAX);
            break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case OPT_NOISE:
            o->noise = nn_arg_double("noise", optarg, 0, INFINITY);
            o->noisy = 1;
            break;
        case OPT_ONEHOT: o->onehot = 1; break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (optind >= argc)
        nn_usage_error("missing problem (sine, spirals or checkerboard)");
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    o->problem = -1;
    for (int i = 0; problems[i]; i++)
        if (strcmp(argv[optind], problems[i]) == 0)
            o->problem = i;
    if (o->problem < 0)
        nn_usage_error("unknown problem '%s' (sine, spirals or "
                       "checkerboard)", argv[optind]);
    if (o->onehot && o->problem == SINE)
        nn_usage_error("--onehot needs a classification problem, not sine");
}

/* The attributes of x and y: where they come from, and how to read y. */
static void attributes(const options *o, char *xattrs, char *yattrs,
                       size_t size)
{
    int len = snprintf(xattrs, size, "producer=nn-toy %s\nproblem=%s\n"
                       "seed=%llu\n", NN_VERSION, problems[o->problem],
                       (unsigned long long)o->seed);
    if (o->noisy) {
        /* the fewest digits that read back as the same number */
        int digits = 1;
        char v[32];
        do
            snprintf(v, sizeof v, "%.*g", digits, o->noise);
        while (strtod(v, NULL) != o->noise && ++digits <= 17);
        snprintf(xattrs + len, size - len, "noise=%s\n", v);
    }
    len = snprintf(yattrs, size, "producer=nn-toy %s\nproblem=%s\n"
                   "seed=%llu\n", NN_VERSION, problems[o->problem],
                   (unsigned long long)o->seed);
    if (o->problem != SINE)
        snprintf(yattrs + len, size - len, "classes=2\nencoding=%s\n",
                 o->onehot ? "onehot" : "index");
}

/* The data set, x and y in chunks of about NN_CHUNK_BYTES of x: the
 * blocks x (chunk,d) and y (chunk,2) at most, and the writer w. */
typedef struct toy {
    float *x;
    void *y;
    size_t chunk;
    nn_writer *w;
} toy;

/* Writes o's data set to w; 0, or -1 with the message in e. */
static int toy_write(const options *o, toy *s, nn_error *e)
{
    char xattrs[256], yattrs[256];
    attributes(o, xattrs, yattrs, sizeof xattrs);
    size_t d = o->problem == SINE ? 1 : 2;
    nn_header hx = {.name = "x", .dtype = NN_F32, .rank = 2,
                    .dims = {0, d}, .attrs = xattrs};
    nn_header hy = {.name = "y", .dtype = NN_F32, .rank = 2,
                    .dims = {0, 1}, .attrs = yattrs};
    if (o->problem != SINE && o->onehot)
        hy.dims[1] = 2;
    else if (o->problem != SINE) {
        hy.dtype = NN_I32;
        hy.rank = 1;
    }
    nn_rng g, ng;
    nn_rng_seed(&g, o->seed);
    nn_rng_seed(&ng, o->seed ^ NOISE_SEED);
    uint64_t done = 0;
    do {
        size_t m = o->samples - done < s->chunk ? (size_t)(o->samples - done)
                                                : s->chunk;
        generate(o, &g, &ng, done, m, s->x, s->y);
        hx.dims[0] = hy.dims[0] = m;
        if (nn_writer_rows(s->w, &hx, s->x, e) < 0 ||
            nn_writer_rows(s->w, &hy, s->y, e) < 0)
            return -1;
        done += m;
    } while (done < o->samples);
    return 0;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-toy");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    size_t d = o.problem == SINE ? 1 : 2;
    toy s = {.chunk = nn_chunk_rows(d * sizeof(float))};
    if (!(s.x = nn_alloc(s.chunk, d * sizeof(float), "row block", &e)) ||
        !(s.y = nn_alloc(s.chunk, 2 * sizeof(float), "row block", &e)) ||
        !(s.w = nn_writer_open(o.out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(s.w, o.level);
    if (toy_write(&o, &s, &e) < 0) {
        nn_writer_close(s.w, 0, NULL);
        nn_die("%s", e.msg);
    }
    free(s.x);
    free(s.y);
    if (nn_writer_close(s.w, 1, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}
