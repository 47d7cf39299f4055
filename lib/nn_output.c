/* nn_output.c — output files that never appear half-written.
 *
 * A file is written under a temporary name beside it and renamed into
 * place only when the tool succeeds.  If the process ends first (nn_die,
 * exit, a fatal signal), nn_exit_cleanup removes the temporary files and
 * repairs standard output as far as it can: an NNS stream that already
 * reached a pipe gets a lone record magic after it (the next tool then sees
 * a truncated stream, not a shorter valid one); a regular file on stdout is
 * cut back to where the tool's output began. */
#include "nn.h"
#include "nn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------- temporary files, exits */

static char **pending;          /* temporary names not yet committed */
static size_t npending, pending_cap;

static enum { GUARD_NONE, GUARD_MARK, GUARD_TRUNCATE } guard;
static const uint64_t *guard_flushed;   /* GUARD_MARK: bytes on the fd */
static int guard_fd;
static off_t guard_start;               /* GUARD_TRUNCATE: where to cut */

/* Runs at exit, from nn_die and in signal handlers: async-signal-safe
 * calls only (unlink, write, ftruncate). */
void nn_exit_cleanup(void)
{
    for (size_t i = 0; i < npending; i++)
        if (pending[i])
            unlink(pending[i]);
    if (guard == GUARD_MARK && *guard_flushed) {
        ssize_t n = write(guard_fd, nn_magic, sizeof nn_magic);
        (void)n;
    } else if (guard == GUARD_TRUNCATE) {
        if (ftruncate(guard_fd, guard_start) == 0)
            lseek(guard_fd, guard_start, SEEK_SET);
    }
    guard = GUARD_NONE;
}

static void on_signal(int sig)
{
    nn_exit_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void hook_exit(void)
{
    static int hooked;
    if (hooked)
        return;
    hooked = 1;
    atexit(nn_exit_cleanup);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++)
        if (signal(sigs[i], SIG_IGN) != SIG_IGN)
            signal(sigs[i], on_signal);
}

void nn_guard_stdout_mark(int fd, const uint64_t *flushed)
{
    hook_exit();
    guard_fd = fd;
    guard_flushed = flushed;
    guard = GUARD_MARK;
}

static void guard_stdout_truncate(int fd, off_t start)
{
    hook_exit();
    guard_fd = fd;
    guard_start = start;
    guard = GUARD_TRUNCATE;
}

void nn_guard_stdout_release(void) { guard = GUARD_NONE; }

int nn_tmp_create(const char *path, char **tmp, nn_error *e)
{
    if (npending == pending_cap) {
        size_t cap = pending_cap ? 2 * pending_cap : 8;
        char **np = realloc(pending, cap * sizeof *np);
        if (!np)
            return nn_fail(e, "out of memory");
        pending = np;
        pending_cap = cap;
    }
    size_t n = strlen(path);
    char *t = malloc(n + 16);
    if (!t)
        return nn_fail(e, "out of memory");
    snprintf(t, n + 16, "%s.tmp.XXXXXX", path);
    hook_exit();
    int fd = mkstemp(t);
    if (fd < 0) {
        nn_fail(e, "%s: cannot create: %s", path, strerror(errno));
        free(t);
        return -1;
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; give the usual mode */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    pending[npending++] = t;
    *tmp = t;
    return fd;
}

static void unregister(char *tmp)
{
    for (size_t i = 0; i < npending; i++)
        if (pending[i] == tmp) {
            pending[i] = pending[--npending];
            break;
        }
    free(tmp);
}

int nn_tmp_commit(char *tmp, const char *path, nn_error *e)
{
    int rc = 0;
    if (rename(tmp, path) != 0) {
        rc = nn_fail(e, "%s: cannot rename into place: %s", path,
                     strerror(errno));
        unlink(tmp);
    }
    unregister(tmp);
    return rc;
}

void nn_tmp_discard(char *tmp)
{
    if (!tmp)
        return;
    unlink(tmp);
    unregister(tmp);
}

/* ------------------------------------------------------------ nn_output */

struct nn_output_priv {
    char *path;     /* NULL: stdout */
    char *tmp;
};

nn_output *nn_output_open(const char *path, int binary, nn_error *e)
{
    nn_output *o = calloc(1, sizeof *o + sizeof(struct nn_output_priv));
    if (!o) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    struct nn_output_priv *p = (struct nn_output_priv *)(o + 1);
    if (!path || strcmp(path, "-") == 0) {
        int fd = fileno(stdout);
        if (binary && isatty(fd)) {
            free(o);
            nn_fail(e, "refusing to write binary data to a terminal "
                    "(redirect stdout or use -o FILE)");
            return NULL;
        }
        struct stat st;
        int fl = fcntl(fd, F_GETFL);
        off_t start = lseek(fd, 0, SEEK_CUR);
        o->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
                      !(fl & O_APPEND) && start >= 0;
        if (o->seekable) {
            o->start = start;
            guard_stdout_truncate(fd, start);
        }
        /* a large buffer: a tool that fails before it fills leaves an
         * empty stdout (nn_die does not flush) */
        setvbuf(stdout, NULL, _IOFBF, 1 << 20);
        o->f = stdout;
        return o;
    }
    int fd = nn_tmp_create(path, &p->tmp, e);
    if (fd < 0 || !(p->path = strdup(path)) || !(o->f = fdopen(fd, "wb"))) {
        if (fd >= 0) {
            nn_fail(e, "%s: %s", path, strerror(errno));
            close(fd);
            nn_tmp_discard(p->tmp);
        }
        free(p->path);
        free(o);
        return NULL;
    }
    o->seekable = 1;
    return o;
}

const char *nn_output_name(const nn_output *o)
{
    const struct nn_output_priv *p = (const struct nn_output_priv *)(o + 1);
    return p->path ? p->path : "standard output";
}

int nn_output_close(nn_output *o, int ok, nn_error *e)
{
    if (!o)
        return 0;
    struct nn_output_priv *p = (struct nn_output_priv *)(o + 1);
    int rc = 0;
    if (ok && (fflush(o->f) != 0 || ferror(o->f)))
        rc = nn_fail(e, "write error on %s: %s", nn_output_name(o),
                     strerror(errno));
    if (p->path) {
        if (fclose(o->f) != 0 && ok && rc == 0)
            rc = nn_fail(e, "write error on %s: %s", p->path, strerror(errno));
        if (ok && rc == 0)
            rc = nn_tmp_commit(p->tmp, p->path, e);
        else
            nn_tmp_discard(p->tmp);
        free(p->path);
    } else if (ok && rc == 0) {
        nn_guard_stdout_release();
        rc = nn_stdout_close(e);
    } else {
        nn_exit_cleanup();
    }
    free(o);
    return rc;
}
