/* nn_clock.c — a monotonic clock for rates and progress. */
#include "base/nn_base.h"

#include <time.h>

double nn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
