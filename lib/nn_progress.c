/* nn_progress.c — a one-line progress report on stderr. */
#include "nn.h"

#include <unistd.h>

void nn_progress_init(nn_progress *p, const char *prog, int force)
{
    p->prog = prog;
    p->enabled = force || isatty(fileno(stderr));
    p->start = p->last = nn_now();
    p->drawn = 0;
}

void nn_progress_update(nn_progress *p, uint64_t done, uint64_t total,
                        const char *unit)
{
    if (!p->enabled)
        return;
    double now = nn_now();
    if (p->drawn && now - p->last < 0.25)
        return;
    p->last = now;
    p->drawn = 1;
    double rate = now > p->start ? done / (now - p->start) : 0;
    if (total)
        fprintf(stderr, "\r%s: %llu/%llu %s (%.0f%%, %.0f/s)   ", p->prog,
                (unsigned long long)done, (unsigned long long)total, unit,
                100.0 * done / total, rate);
    else
        fprintf(stderr, "\r%s: %llu %s (%.0f/s)   ", p->prog,
                (unsigned long long)done, unit, rate);
}

void nn_progress_end(nn_progress *p)
{
    if (p->enabled && p->drawn)
        fputc('\n', stderr);
    p->drawn = 0;
}
