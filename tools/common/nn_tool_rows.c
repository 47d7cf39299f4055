/* nn_tool_rows.c — the row tools' openings and endings that die on
 * error (nn-cat, nn-pick, nn-slice). */
#include "nn_tool.h"

nn_reader *nn_reader_open_first(const char *path)
{
    nn_error e;
    const nn_record *r;
    nn_reader *rd = nn_reader_open(path, &e);
    if (!rd || nn_reader_next_raw(rd, &r, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader_unread(rd);
    return rd;
}

void nn_row_sink_open(nn_row_sink *s, const char *out, int store)
{
    nn_error e;
    *s = (nn_row_sink){nn_writer_open(out, 0, &e), store, NULL, 0};
    if (!s->w)
        nn_die("%s", e.msg);
}

void nn_row_sink_finish(nn_row_sink *s, int rc, nn_error *e)
{
    nn_row_sink_free(s);
    if (rc < 0)
        nn_die("%s", e->msg);
    if (nn_writer_close(s->w, 1, e) < 0)
        nn_die("%s", e->msg);
}
