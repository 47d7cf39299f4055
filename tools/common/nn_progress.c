/* nn_progress.c — a one-line progress report on stderr. */
#include "nn_tool.h"

#include <unistd.h>

/* Set while a progress line is drawn without its newline, so that a
 * message (nn_warn, nn_die) starts on a line of its own. */
int nn_progress_open;

void nn_progress_init(nn_progress *p, const char *prog, int force)
{
    p->prog = prog;
    p->enabled = force || isatty(fileno(stderr));
    p->start = p->last = nn_now();
    p->drawn = 0;
}

static void draw(nn_progress *p, double now)
{
    uint64_t done = p->done, total = p->total;
    const char *unit = p->unit;
    double rate = now > p->start ? done / (now - p->start) : 0;
    if (total)
        fprintf(stderr, "\r%s: %llu/%llu %s (%.0f%%, %.0f/s)   ", p->prog,
                (unsigned long long)done, (unsigned long long)total, unit,
                100.0 * done / total, rate);
    else
        fprintf(stderr, "\r%s: %llu %s (%.0f/s)   ", p->prog,
                (unsigned long long)done, unit, rate);
}

void nn_progress_update(nn_progress *p, uint64_t done, uint64_t total,
                        const char *unit)
{
    if (!p->enabled)
        return;
    p->done = done;
    p->total = total;
    p->unit = unit;
    double now = nn_now();
    if (p->drawn && now - p->last < 0.25)
        return;
    p->last = now;
    p->drawn = 1;
    draw(p, now);
    nn_progress_open = 1;
}

void nn_progress_end(nn_progress *p)
{
    if (p->enabled && p->drawn) {
        draw(p, nn_now()); /* the final count, not the last one drawn */
        fputc('\n', stderr);
        nn_progress_open = 0;
    }
    p->drawn = 0;
}
