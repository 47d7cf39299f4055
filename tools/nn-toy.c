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
    "  -n, --samples N     number of samples (default 5000)\n"
    "      --seed S        seed of the draws (default 1)\n"
    "      --noise SIGMA   Gaussian noise added to the inputs (default 0)\n"
    "      --onehot        labels as one-hot f32 rows, not i32 indices\n"
    "  -o, --output FILE   write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]  compress records with zstd (default level 3)\n"
    "  -h, --help          show this help and exit\n"
    "      --version       show the version and exit\n"
    "See nn-toy(1).\n";

enum { OPT_SEED = 256, OPT_NOISE, OPT_ONEHOT };
enum { SINE, SPIRALS, CHECKERBOARD };

static const char *const problems[] = {"sine", "spirals", "checkerboard"};

#define PI 3.14159265358979323846

/* The noise generator's seed: a stream apart from the points' stream. */
#define NOISE_SEED 0x6e6f697365000000ull /* "noise" */

static int problem, opt_onehot;
static double opt_noise;

/* Class of an f32 point on the 8x8 board; exact in double. */
static int32_t square(float a, float b)
{
    int i = (int)floor(((double)a + 0.5) * 8), j = (int)floor(((double)b + 0.5) * 8);
    i = i > 7 ? 7 : i;
    j = j > 7 ? 7 : j;
    return (i + j) % 2;
}

/* Rows [row0, row0+m) into x (m,d) and y (m,yw), y as i32 or f32. */
static void generate(nn_rng *g, nn_rng *ng, uint64_t row0, size_t m,
                     float *x, void *y)
{
    size_t d = problem == SINE ? 1 : 2;
    for (size_t i = 0; i < m; i++) {
        float *p = x + i * d;
        int32_t cls = 0;
        if (problem == SINE) {
            p[0] = (float)(2 * nn_rng_uniform(g) - 1);
            ((float *)y)[i] = (float)nn_sin(2 * PI * (double)p[0]);
        } else if (problem == SPIRALS) {
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
        if (problem != SINE) {
            if (opt_onehot) {
                float *q = (float *)y + 2 * i;
                q[0] = cls == 0;
                q[1] = cls == 1;
            } else {
                ((int32_t *)y)[i] = cls;
            }
        }
        if (opt_noise > 0)
            for (size_t j = 0; j < d; j++)
                p[j] = (float)((double)p[j] + opt_noise * nn_rng_normal(ng));
    }
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-toy");
    static const struct option longopts[] = {
        {"samples", required_argument, 0, 'n'},
        {"seed", required_argument, 0, OPT_SEED},
        {"noise", required_argument, 0, OPT_NOISE},
        {"onehot", no_argument, 0, OPT_ONEHOT},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    uint64_t n = 5000, seed = 1;
    const char *out = NULL;
    int noisy = 0;
    int level = 0, c;
    while ((c = getopt_long(argc, argv, ":n:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (nn_parse_u64(optarg, &n) < 0)
                nn_usage_error("invalid number of samples '%s'", optarg);
            break;
        case OPT_SEED:
            if (nn_parse_u64(optarg, &seed) < 0)
                nn_usage_error("invalid seed '%s'", optarg);
            break;
        case OPT_NOISE:
            if (nn_parse_double(optarg, &opt_noise) < 0 ||
                !(opt_noise >= 0) || isinf(opt_noise))
                nn_usage_error("invalid noise '%s' (a standard deviation "
                               ">= 0)", optarg);
            noisy = 1;
            break;
        case OPT_ONEHOT: opt_onehot = 1; break;
        case 'o': out = optarg; break;
        case 'z': level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (optind >= argc)
        nn_usage_error("missing problem (sine, spirals or checkerboard)");
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    problem = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(argv[optind], problems[i]) == 0)
            problem = i;
    if (problem < 0)
        nn_usage_error("unknown problem '%s' (sine, spirals or "
                       "checkerboard)", argv[optind]);
    if (opt_onehot && problem == SINE)
        nn_usage_error("--onehot needs a classification problem, not sine");
    if (n > ((uint64_t)1 << 40))
        nn_usage_error("%llu samples are too many (at most 2^40)",
                       (unsigned long long)n);

    char xattrs[256], yattrs[256];
    int len = snprintf(xattrs, sizeof xattrs, "producer=nn-toy %s\nproblem=%s\n"
                       "seed=%llu\n", NN_VERSION, problems[problem],
                       (unsigned long long)seed);
    if (noisy) {
        /* the fewest digits that read back as the same number */
        int digits = 1;
        char v[32];
        do
            snprintf(v, sizeof v, "%.*g", digits, opt_noise);
        while (strtod(v, NULL) != opt_noise && ++digits <= 17);
        snprintf(xattrs + len, sizeof xattrs - len, "noise=%s\n", v);
    }
    len = snprintf(yattrs, sizeof yattrs, "producer=nn-toy %s\nproblem=%s\n"
                   "seed=%llu\n", NN_VERSION, problems[problem],
                   (unsigned long long)seed);
    if (problem != SINE)
        snprintf(yattrs + len, sizeof yattrs - len, "classes=2\nencoding=%s\n",
                 opt_onehot ? "onehot" : "index");

    size_t d = problem == SINE ? 1 : 2;
    nn_header hx = {.name = "x", .dtype = NN_F32, .rank = 2,
                    .dims = {0, d}, .attrs = xattrs};
    nn_header hy = {.name = "y", .dtype = NN_F32, .rank = 2,
                    .dims = {0, 1}, .attrs = yattrs};
    if (problem != SINE && opt_onehot)
        hy.dims[1] = 2;
    else if (problem != SINE) {
        hy.dtype = NN_I32;
        hy.rank = 1;
    }
    size_t chunk = nn_chunk_rows(d * sizeof(float));
    nn_error e;
    float *x = nn_alloc(chunk, d * sizeof(float), "row block", &e);
    float *y = x ? nn_alloc(chunk, 2 * sizeof(float), "row block", &e) : NULL;
    if (!y)
        nn_die("%s", e.msg);
    nn_rng g, ng;
    nn_rng_seed(&g, seed);
    nn_rng_seed(&ng, seed ^ NOISE_SEED);

    nn_writer *w = nn_writer_open(out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, level);
    uint64_t done = 0;
    do {
        size_t m = n - done < chunk ? (size_t)(n - done) : chunk;
        generate(&g, &ng, done, m, x, y);
        hx.dims[0] = hy.dims[0] = m;
        if (nn_writer_rows(w, &hx, x, &e) < 0 ||
            nn_writer_rows(w, &hy, y, &e) < 0) {
            nn_writer_close(w, 0, NULL);
            nn_die("%s", e.msg);
        }
        done += m;
    } while (done < n);
    free(x);
    free(y);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}
