/* nn_tool_rows.c — the row tools' output, opened and closed dying on
 * error (nn-cat, nn-pick, nn-slice). */
#include "nn_tool.h"

nn_row_sink *nn_row_sink_open(const char *out, int store)
{
    nn_error e;
    nn_writer *w = nn_writer_open(out, 0, &e);
    nn_row_sink *s = w ? nn_row_sink_new(w, store, &e) : NULL;
    if (!s)
        nn_die("%s", e.msg);
    nn_writer_hold(w, 0);
    return s;
}

void nn_row_sink_finish(nn_row_sink *s, int rc, nn_error *e)
{
    nn_writer *w = nn_row_sink_writer(s);
    nn_row_sink_free(s);
    if (rc < 0)
        nn_die("%s", e->msg);
    if (nn_writer_close(w, 1, e) < 0)
        nn_die("%s", e->msg);
}
