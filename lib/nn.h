/* nn.h — the whole of libnn, the library behind the nn tools, one header
 * per layer; dependencies run one way (make check-layers keeps it so):
 *
 *   base     lib/base/nn_base.h       errors, memory, dtypes, statistics,
 *                                     random draws, text
 *   stream   lib/stream/nn_stream.h   records, reader, writer, rows
 *   io       lib/io/nn_io.h           npy, IDX, CSV, gzip input
 *   linalg   lib/linalg/nn_linalg.h   BLAS/LAPACK, Gram, QR, selection, kNN
 *   net      lib/net/nn_net.h         layers, activations, initialisation
 *   methods  lib/methods/nn_methods.h closed-form fits
 *
 * stream, io and linalg rest on base alone; net on those; methods on all.
 * The tool layer (tools/common/nn_tool.h) sits above. */
#ifndef NN_H
#define NN_H

#include "base/nn_base.h"
#include "stream/nn_stream.h"
#include "io/nn_io.h"
#include "linalg/nn_linalg.h"
#include "net/nn_net.h"
#include "methods/nn_methods.h"

#endif
