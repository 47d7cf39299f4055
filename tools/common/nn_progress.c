/* nn_progress.c — a one-line progress report on stderr. */
#include "nn_tool.h"

#include <stdarg.h>
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
    p->note[0] = 0;
}

void nn_progress_note(nn_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->note, sizeof p->note, fmt, ap);
    va_end(ap);
}

/* "1h02m", "3m05s", "7s" */
static void span(char *buf, size_t n, double s)
{
    unsigned long t = s > 0 && s < 1e9 ? (unsigned long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%luh%02lum", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, n, "%lum%02lus", t / 60, t % 60);
    else
        snprintf(buf, n, "%lus", t);
}

static void draw(nn_progress *p, double now)
{
    uint64_t done = p->done, total = p->total;
    const char *unit = p->unit, *sep = p->note[0] ? ", " : "";
    double rate = now > p->start ? done / (now - p->start) : 0;
    char left[48] = "", t[24];
    if (total && rate > 0 && done < total) {
        span(t, sizeof t, (double)(total - done) / rate);
        snprintf(left, sizeof left, ", %s left", t);
    }
    if (total)
        fprintf(stderr, "\r%s: %s%s%llu/%llu %s (%.0f%%, %.0f/s%s)   ",
                p->prog, p->note, sep, (unsigned long long)done,
                (unsigned long long)total, unit, 100.0 * done / total, rate,
                left);
    else
        fprintf(stderr, "\r%s: %s%s%llu %s (%.0f/s)   ", p->prog, p->note,
                sep, (unsigned long long)done, unit, rate);
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
