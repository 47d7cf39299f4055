/* nn_stream_private.h — private to the stream layer: the magic and
 * version, temporary files and guarded outputs (nn_output.c). */
#ifndef NN_STREAM_PRIVATE_H
#define NN_STREAM_PRIVATE_H

#include <stdint.h>
#include <sys/types.h>

#include "stream/nn_stream.h"

static const unsigned char nn_magic[4] = {0x89, 'N', 'N', 'S'};
#define NN_MAJOR 1
#define NN_MINOR 0
static inline size_t nn_round8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Creates a temporary file beside path (beside the file a symbolic link
 * leads to), removed by nn_outputs_abandon unless committed; returns its descriptor and
 * sets *tmp (freed by commit or discard).  A path that names something
 * other than a regular file (a device, a FIFO, /dev/stdout) is opened for
 * writing through instead: *tmp is NULL, and commit and discard do
 * nothing. */
int nn_tmp_create(const char *path, char **tmp, nn_error *e);
int nn_tmp_commit(char *tmp, const char *path, nn_error *e);
void nn_tmp_discard(char *tmp);
/* Guards a descriptor written through: if the tool fails (nn_guard_fail,
 * or nn_outputs_abandon as the process dies), a regular file is cut back to where the output
 * began, and anything else gets a lone record magic after the bytes that
 * went out when flushed is given and *flushed is non-zero (NNS streams).
 * Returns the offset output begins at in a regular file it can cut, else
 * -1. */
off_t nn_guard_output(int fd, const uint64_t *flushed);
void nn_guard_fail(int fd);
void nn_guard_release(int fd);

#endif
