/* test_hold.c — nn_writer_hold: held output reaches a FIFO only when
 * released, when the hold overflows, or at a successful close; a writer
 * closed with ok = 0 while holding leaves nothing behind.  Also that two
 * writers to files, one discarded, do not disturb each other. */
#include "nn.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/nn-hold.XXXXXX";

/* Bytes waiting in the FIFO's read end (drained).  The test keeps what is
 * pending below the FIFO's 64 KiB, so that no write blocks. */
static size_t drain(int fd)
{
    unsigned char buf[1 << 16];
    size_t n = 0;
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        n += (size_t)k;
    return n;
}

static int put(nn_writer *w, size_t bytes, nn_error *e)
{
    static unsigned char zero[1 << 20];
    nn_header h = {.name = "x", .dtype = NN_U8, .rank = 1, .dims = {bytes}};
    return nn_writer_put(w, &h, zero, e);
}

int main(void)
{
    nn_error e;
    if (!mkdtemp(dir))
        return 1;
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    if (mkfifo(fifo, 0600) != 0)
        return 1;
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);

    /* held until released */
    nn_writer *w = nn_writer_open(fifo, 0, &e);
    nn_writer_hold(w, 0);
    int rc = put(w, 1000, &e) | put(w, 20000, &e) | put(w, 5, &e);
    CHECK(rc == 0 && nn_writer_holding(w) && drain(rd) == 0,
          "three records held: nothing reaches the FIFO");
    CHECK(nn_writer_release(w, &e) == 0 && !nn_writer_holding(w),
          "release");
    size_t got = drain(rd);
    CHECK(got > 20000, "released: the held records went out (%zu bytes)", got);
    put(w, 10, &e);
    CHECK(nn_writer_close(w, 1, &e) == 0 && drain(rd) > 0,
          "close after release writes the rest");

    /* dropped by a failing close */
    w = nn_writer_open(fifo, 0, &e);
    nn_writer_hold(w, 0);
    put(w, 3000, &e);
    nn_writer_close(w, 0, &e);
    CHECK(drain(rd) == 0, "close(ok=0) while holding: nothing at all, not "
                          "even the truncation mark");

    /* a hold that overflows starts the output */
    w = nn_writer_open(fifo, 0, &e);
    nn_writer_hold(w, 4096);
    put(w, 1000, &e);
    CHECK(drain(rd) == 0 && nn_writer_holding(w), "within the hold: held");
    put(w, 8000, &e);
    got = drain(rd);
    CHECK(!nn_writer_holding(w) && got > 0,
          "past the hold: output begins (%zu bytes)", got);
    CHECK(nn_writer_close(w, 1, &e) == 0, "close");
    drain(rd);

    /* held output of a successful close goes out whole */
    w = nn_writer_open(fifo, 0, &e);
    nn_writer_hold(w, 0);
    put(w, 40000, &e);
    CHECK(nn_writer_close(w, 1, &e) == 0 && drain(rd) > 40000,
          "close(ok=1) while holding writes what was held");
    close(rd);

    /* two writers to files: discarding one keeps the other's file */
    char a[64], b[64];
    snprintf(a, sizeof a, "%s/a.nns", dir);
    snprintf(b, sizeof b, "%s/b.nns", dir);
    nn_writer *wa = nn_writer_open(a, 0, &e), *wb = nn_writer_open(b, 0, &e);
    put(wa, 10, &e);
    put(wb, 10, &e);
    nn_writer_close(wa, 0, &e);
    rc = nn_writer_close(wb, 1, &e);
    struct stat st;
    CHECK(rc == 0 && stat(b, &st) == 0 && st.st_size > 0 && stat(a, &st) != 0,
          "a discarded writer leaves the other writer's file alone%s%s",
          rc ? ": " : "", rc ? e.msg : "");

    unlink(a);
    unlink(b);
    unlink(fifo);
    rmdir(dir);
    return check_status();
}
