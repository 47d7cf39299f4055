/* nn_output.c — output files that never appear half-written.
 *
 * A regular file is written under a temporary name beside it (beside the
 * file a symbolic link leads to, for a link) and renamed into place only
 * when the tool succeeds.  Anything else given by name (a character device
 * such as /dev/null, a FIFO, /dev/stdout) is written through, as cat would:
 * it cannot be replaced atomically, and replacing it would destroy it.
 *
 * If the process ends first, nn_outputs_abandon (which the tool layer runs
 * at exit, in nn_die and on fatal signals) removes the temporary files
 * and repairs the descriptors written through as far as it can: a regular file on standard output is cut back to where
 * the tool's output began; an NNS stream that already reached a pipe, FIFO
 * or device gets a lone record magic after it (the next tool then sees a
 * truncated stream, not a shorter valid one).  Text and images on a pipe
 * are left as they are. */
#include "stream/nn_stream.h"
#include "base/nn_base_private.h"
#include "stream/nn_stream_private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* ------------------------------------------------- temporary files, exits */

static char **pending;          /* temporary names not yet committed */
static size_t npending, pending_cap;

/* Descriptors written through, and how to repair each one at a failure. */
enum { GUARD_NONE, GUARD_MARK, GUARD_TRUNCATE };
#define NGUARDS 16
static struct guard {
    int kind;
    int fd;
    const uint64_t *flushed;    /* GUARD_MARK: bytes that reached fd */
    off_t start;                /* GUARD_TRUNCATE: where to cut */
} guards[NGUARDS];

static void repair(struct guard *g)
{
    if (g->kind == GUARD_MARK && *g->flushed) {
        ssize_t n = write(g->fd, nn_magic, sizeof nn_magic);
        (void)n;
    } else if (g->kind == GUARD_TRUNCATE) {
        if (ftruncate(g->fd, g->start) == 0)
            lseek(g->fd, g->start, SEEK_SET);
    }
    g->kind = GUARD_NONE;
}

/* Async-signal-safe calls only (unlink, write, ftruncate, lseek): the
 * tool layer runs this at exit and in its signal handlers. */
void nn_outputs_abandon(void)
{
    for (size_t i = 0; i < npending; i++)
        if (pending[i])
            unlink(pending[i]);
    for (int i = 0; i < NGUARDS; i++)
        repair(&guards[i]);
}

static struct guard *guard_find(int fd)
{
    for (int i = 0; i < NGUARDS; i++)
        if (guards[i].kind != GUARD_NONE && guards[i].fd == fd)
            return &guards[i];
    for (int i = 0; i < NGUARDS; i++)
        if (guards[i].kind == GUARD_NONE)
            return &guards[i];
    return NULL; /* more than NGUARDS outputs written through: unguarded */
}

/* Where output to fd begins if fd is a regular file that can be cut back
 * to it, else -1. */
static off_t truncatable_at(int fd)
{
    struct stat st;
    int fl = fcntl(fd, F_GETFL);
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
        !(fl & O_APPEND) && at >= 0)
        return at;
    return -1;
}

off_t nn_guard_output(int fd, const uint64_t *flushed)
{
    struct guard *g = guard_find(fd);
    off_t at = truncatable_at(fd);
    if (!g)
        return at;
    g->fd = fd;
    if (at >= 0) {
        g->kind = GUARD_TRUNCATE;
        g->start = at;
    } else if (flushed) {
        g->kind = GUARD_MARK;
        g->flushed = flushed;
    }
    return at;
}

void nn_guard_release(int fd)
{
    for (int i = 0; i < NGUARDS; i++)
        if (guards[i].kind != GUARD_NONE && guards[i].fd == fd)
            guards[i].kind = GUARD_NONE;
}

void nn_guard_fail(int fd)
{
    for (int i = 0; i < NGUARDS; i++)
        if (guards[i].kind != GUARD_NONE && guards[i].fd == fd)
            repair(&guards[i]);
}

/* Whether the directory of path p is in procfs (however p spells it:
 * /dev/stdout, /dev/./fd/1, a relative link to ../proc/self/fd/1). */
static int in_procfs(const char *p)
{
    const char *slash = strrchr(p, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == p ? 1 : (int)(slash - p),
                 p);
    struct statfs fs;
    return statfs(dir, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

/* What path names once symbolic links are followed: the file to replace
 * (it may not exist yet), or, with *through set, the link in procfs at
 * which the chain reached a descriptor (/dev/stdout and the like name a
 * descriptor, not a file to replace).  Malloc'd. */
static char *follow_links(const char *path, int *through, nn_error *e)
{
    char *p = strdup(path);
    *through = 0;
    for (int hops = 0; p; hops++) {
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode))
            return p;
        if (in_procfs(p)) {
            *through = 1;
            return p;
        }
        if (hops == 40) {
            nn_fail(e, "%s: too many levels of symbolic links", path);
            free(p);
            return NULL;
        }
        char to[4096];
        ssize_t n = readlink(p, to, sizeof to - 1);
        if (n < 0) {
            nn_fail(e, "%s: %s", path, strerror(errno));
            free(p);
            return NULL;
        }
        to[n] = 0;
        char *q;
        const char *slash = strrchr(p, '/');
        if (to[0] == '/' || !slash) {
            q = strdup(to);
        } else { /* relative to the link's directory */
            size_t dir = (size_t)(slash - p) + 1;
            q = malloc(dir + (size_t)n + 1);
            if (q) {
                memcpy(q, p, dir);
                memcpy(q + dir, to, (size_t)n + 1);
            }
        }
        free(p);
        p = q;
    }
    nn_fail(e, "out of memory");
    return NULL;
}

/* The descriptor a link in procfs names when it is one of this process's
 * own (/proc/self/fd/N, /proc/PID/fd/N), else -1. */
static int own_fd(const char *link)
{
    const char *slash = strrchr(link, '/');
    if (!slash || slash == link)
        return -1;
    char dir[4096], real[4096], self[64];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - link), link);
    if (!realpath(dir, real))
        return -1;
    snprintf(self, sizeof self, "/proc/%ld/fd", (long)getpid());
    char *end;
    long n = strtol(slash + 1, &end, 10);
    if (strcmp(real, self) != 0 || end == slash + 1 || *end || n < 0 ||
        n > 1 << 20 || fcntl((int)n, F_GETFD) < 0)
        return -1;
    return (int)n;
}

#define TMP_SUFFIX ".tmp.XXXXXX"

int nn_tmp_create(const char *path, char **tmp, nn_error *e)
{
    *tmp = NULL;
    int through;
    char *target = follow_links(path, &through, e);
    if (!target)
        return -1;
    struct stat st;
    if (through || (stat(target, &st) == 0 && !S_ISREG(st.st_mode))) {
        int own = through ? own_fd(target) : -1;
        free(target);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return nn_fail(e, "%s: is a directory", path);
        /* one of this process's descriptors (/dev/stdout): that very
         * descriptor, as if writing to it, with its offset and flags;
         * anything else (a device, a FIFO) opened and written through */
        int fd = own >= 0 ? fcntl(own, F_DUPFD_CLOEXEC, 3)
                          : open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0)
            return nn_fail(e, "%s: %s", path, strerror(errno));
        return fd;
    }
    if (npending == pending_cap) {
        /* no signal handler (the tool layer's) may walk the array while
         * it moves */
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        size_t cap = pending_cap ? 2 * pending_cap : 8;
        char **np = realloc(pending, cap * sizeof *np);
        if (np) {
            pending = np;
            pending_cap = cap;
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (!np) {
            free(target);
            return nn_fail(e, "out of memory");
        }
    }
    size_t n = strlen(target);
    char *t = malloc(n + sizeof TMP_SUFFIX);
    if (!t) {
        free(target);
        return nn_fail(e, "out of memory");
    }
    memcpy(t, target, n);
    memcpy(t + n, TMP_SUFFIX, sizeof TMP_SUFFIX);
    free(target);
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
    if (!tmp) /* written through */
        return 0;
    int rc = 0;
    /* the target is the temporary name without its suffix */
    size_t n = strlen(tmp) - (sizeof TMP_SUFFIX - 1);
    char *target = strndup(tmp, n);
    if (!target) {
        rc = nn_fail(e, "out of memory");
        unlink(tmp);
    } else if (rename(tmp, target) != 0) {
        rc = nn_fail(e, "%s: cannot rename into place: %s", path,
                     strerror(errno));
        unlink(tmp);
    }
    free(target);
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

struct nn_output {
    FILE *f;
    int seekable;   /* a regular file the tool may seek in */
    int64_t start;  /* offset in it where this tool's output begins */
    char *path;     /* NULL: stdout */
    char *tmp;      /* NULL: written through */
};

FILE *nn_output_file(const nn_output *o) { return o->f; }
int nn_output_seekable(const nn_output *o) { return o->seekable; }
int64_t nn_output_start(const nn_output *o) { return o->start; }

nn_output *nn_output_open(const char *path, int binary, nn_error *e)
{
    nn_output *o = calloc(1, sizeof *o);
    if (!o) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    if (!path || strcmp(path, "-") == 0) {
        int fd = fileno(stdout);
        if (binary && isatty(fd)) {
            free(o);
            nn_fail(e, "refusing to write binary data to a terminal "
                    "(redirect stdout or use -o FILE)");
            return NULL;
        }
        off_t start = nn_guard_output(fd, NULL);
        o->seekable = start >= 0;
        o->start = start >= 0 ? start : 0;
        /* a large buffer: a tool that fails before it fills leaves an
         * empty stdout (nn_die does not flush) */
        setvbuf(stdout, NULL, _IOFBF, 1 << 20);
        o->f = stdout;
        return o;
    }
    int fd = nn_tmp_create(path, &o->tmp, e);
    if (fd < 0 || !(o->path = strdup(path)) || !(o->f = fdopen(fd, "wb"))) {
        if (fd >= 0) {
            nn_fail(e, "%s: %s", path, strerror(errno));
            close(fd);
            nn_tmp_discard(o->tmp);
        }
        free(o->path);
        free(o);
        return NULL;
    }
    if (o->tmp) {
        o->seekable = 1;
    } else {
        off_t start = nn_guard_output(fd, NULL);
        o->seekable = start >= 0;
        o->start = start >= 0 ? start : 0;
    }
    return o;
}

const char *nn_output_name(const nn_output *o)
{
    return o->path ? o->path : "standard output";
}

int nn_output_close(nn_output *o, int ok, nn_error *e)
{
    if (!o)
        return 0;
    int rc = 0, fd = fileno(o->f);
    if (ok && (fflush(o->f) != 0 || ferror(o->f)))
        rc = nn_fail(e, "write error on %s: %s", nn_output_name(o),
                     strerror(errno));
    if (!(ok && rc == 0))
        nn_guard_fail(fd);
    nn_guard_release(fd);
    if (o->path) {
        if (fclose(o->f) != 0 && ok && rc == 0)
            rc = nn_fail(e, "write error on %s: %s", o->path, strerror(errno));
        if (ok && rc == 0)
            rc = nn_tmp_commit(o->tmp, o->path, e);
        else
            nn_tmp_discard(o->tmp);
        free(o->path);
    } else if (ok && rc == 0) {
        rc = nn_stdout_close(e);
    }
    free(o);
    return rc;
}

int nn_stdout_close(nn_error *e)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return nn_fail(e, "write error on standard output: %s",
                       strerror(errno));
    if (fclose(stdout) != 0)
        return nn_fail(e, "write error on standard output: %s",
                       strerror(errno));
    return 0;
}
