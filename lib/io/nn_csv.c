/* nn_csv.c — numbers in delimited text: the delimiter option, guessing the
 * delimiter, splitting a line into fields, strict number parsing, and a
 * reader of rows of numbers with an optional header line. */
#include "io/nn_io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_delim_parse(const char *s, int *delim, nn_error *e)
{
    unsigned char c = (unsigned char)s[0];
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
        *delim = '\t';
        return 0;
    }
    if (strcmp(s, "space") == 0) {
        *delim = ' ';
        return 0;
    }
    if (c && !s[1] && !strchr("0123456789.+-\"#\r\n", c) &&
        !((c | 32) >= 'a' && (c | 32) <= 'z')) {
        *delim = c;
        return 0;
    }
    return nn_fail(e, "invalid delimiter '%s' (one character that cannot be "
                   "part of a number, not '\"' or '#'; or 'tab' or 'space')",
                   s);
}

int nn_csv_guess_delim(const char *line)
{
    static const char cand[] = ",\t;";
    size_t count[3] = {0, 0, 0};
    int quoted = 0;
    for (; *line; line++) {
        if (*line == '"')
            quoted = !quoted;
        else if (!quoted)
            for (int i = 0; i < 3; i++)
                count[i] += *line == cand[i];
    }
    int best = -1;
    for (int i = 0; i < 3; i++)
        if (count[i] && (best < 0 || count[i] > count[best]))
            best = i;
    return best < 0 ? ' ' : cand[best];
}

size_t nn_csv_split(char *p, int delim, char **fields, size_t cap)
{
    int ws = delim == ' ';
    size_t n = 0;
    for (;;) {
        while (*p == ' ' || (*p == '\t' && delim != '\t'))
            p++;
        if (ws && !*p)
            break;
        char *start = p, *q = p;
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] != '"') {
                    p++;
                    break;
                }
                if (*p == '"')
                    p++;
                *q++ = *p;
            }
        }
        while (*p && !(ws ? *p == ' ' || *p == '\t' : *p == delim))
            *q++ = *p++;
        while (q > start && (q[-1] == ' ' || (q[-1] == '\t' && delim != '\t')))
            q--;
        int more = *p != 0;
        *q = 0;
        if (n < cap)
            fields[n] = start;
        n++;
        if (!more)
            break;
        p++;
    }
    return n;
}

int nn_csv_number(const char *s, double *v, nn_error *e)
{
    char *end;
    if (!*s)
        return nn_fail(e, "empty field is not a number");
    errno = 0;
    *v = strtod(s, &end);
    if (*end)
        return nn_fail(e, "'%.40s' is not a number", s);
    if (errno == ERANGE && isinf(*v))
        return nn_fail(e, "'%.40s' is out of the range of f64", s);
    return 0;
}

/* Whether s is written as a number, in range or not. */
static int numeric(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    strtod(s, &end);
    return !*end;
}

/* ------------------------------------------------------------- the reader */

struct nn_csv {
    nn_source *s;               /* the caller's */
    int delim;
    size_t ncols;
    char **fields;              /* of the row last read, room for ncols+1 */
    size_t fields_cap;
    char *names_text;           /* the header line, split */
    char **names;               /* its fields, or NULL */
    char *first;                /* the first data line, split, or NULL */
    int have_first;             /* ... not handed out yet */
    uint64_t first_line, line;  /* its line; the line of the last row */
    double *values;             /* ncols */
};

/* The next line that is not blank or a comment: 1, 0 at the end, -1. */
static int next_line(nn_csv *c, char **line, nn_error *e)
{
    int rc;
    while ((rc = nn_source_line(c->s, line, e)) == 1) {
        const char *p = *line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#') {
            c->line = nn_source_lines(c->s);
            return 1;
        }
    }
    return rc;
}

/* Splits a copy of line, kept in *copy, into c->fields; *n fields.  The
 * fields have room for every field of the line, so for ncols+1 later. */
static int split_copy(nn_csv *c, const char *line, char **copy, size_t *n,
                      nn_error *e)
{
    size_t need = strlen(line) + 2;
    free(*copy);
    if (!(*copy = strdup(line)))
        return nn_fail(e, "%s: out of memory", nn_source_name(c->s));
    if (need > c->fields_cap) {
        free(c->fields);
        if (!(c->fields = nn_alloc(need, sizeof *c->fields, "CSV fields", e)))
            return -1;
        c->fields_cap = need;
    }
    *n = nn_csv_split(*copy, c->delim, c->fields, c->fields_cap);
    return 0;
}

/* The values of the n fields just split. */
static int parse_row(nn_csv *c, size_t n, nn_error *e)
{
    const char *name = nn_source_name(c->s);
    if (n != c->ncols)
        return nn_fail(e, "%s: line %llu has %zu field%s, expected %zu", name,
                       (unsigned long long)c->line, n, n == 1 ? "" : "s",
                       c->ncols);
    for (size_t j = 0; j < n; j++)
        if (nn_csv_number(c->fields[j], &c->values[j], e) < 0)
            return nn_error_wrap(e, "%s: line %llu, field %zu", name,
                                 (unsigned long long)c->line, j + 1);
    return 0;
}

nn_csv *nn_csv_open(nn_source *s, int delim, int header, nn_error *e)
{
    nn_csv *c = calloc(1, sizeof *c);
    const unsigned char *p;
    size_t n;
    char *l;
    int rc;
    if (!c) {
        nn_fail(e, "%s: out of memory", nn_source_name(s));
        return NULL;
    }
    c->s = s;
    if (!(p = nn_source_peek(s, 3, &n, e)))
        goto fail;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        nn_source_skip(s, 3); /* a UTF-8 byte order mark */
    if ((rc = next_line(c, &l, e)) <= 0) {
        if (rc == 0)
            nn_fail(e, "%s: no data (empty CSV file)", nn_source_name(s));
        goto fail;
    }
    c->delim = delim ? delim : nn_csv_guess_delim(l);
    if (split_copy(c, l, &c->first, &n, e) < 0)
        goto fail;
    if (header == NN_CSV_HEADER_AUTO) { /* a header has no number */
        header = NN_CSV_HEADER_YES;
        for (size_t j = 0; j < n; j++)
            if (numeric(c->fields[j]))
                header = NN_CSV_HEADER_NO;
    }
    c->ncols = n;
    c->first_line = c->line;
    if (header == NN_CSV_HEADER_YES) {
        uint64_t header_line = c->line;
        c->names_text = c->first;
        c->first = NULL;
        if (!(c->names = nn_alloc(n, sizeof *c->names, "CSV header", e)))
            goto fail;
        memcpy(c->names, c->fields, n * sizeof *c->names);
        if ((rc = next_line(c, &l, e)) < 0)
            goto fail;
        if (rc == 1 && split_copy(c, l, &c->first, &n, e) < 0)
            goto fail;
        if (rc == 1 && n != c->ncols) {
            nn_fail(e, "%s: line %llu has %zu field%s, but the header (line "
                    "%llu) has %zu", nn_source_name(s),
                    (unsigned long long)c->line, n, n == 1 ? "" : "s",
                    (unsigned long long)header_line, c->ncols);
            goto fail;
        }
        c->first_line = c->line;
    }
    if (!(c->values = nn_alloc(c->ncols, sizeof *c->values, "CSV row", e)))
        goto fail;
    if (c->first) { /* values now, so that errors come before any output */
        if (parse_row(c, c->ncols, e) < 0)
            goto fail;
        c->have_first = 1;
    }
    return c;
fail:
    nn_csv_close(c);
    return NULL;
}

int nn_csv_next(nn_csv *c, const double **values, nn_error *e)
{
    if (c->have_first) {
        c->have_first = 0;
        c->line = c->first_line;
        *values = c->values;
        return 1;
    }
    char *l;
    int rc = next_line(c, &l, e);
    if (rc <= 0)
        return rc;
    size_t n = nn_csv_split(l, c->delim, c->fields, c->fields_cap);
    if (parse_row(c, n, e) < 0)
        return -1;
    *values = c->values;
    return 1;
}

size_t nn_csv_columns(const nn_csv *c) { return c->ncols; }

const char *nn_csv_name(const nn_csv *c, size_t j)
{
    return c->names && j < c->ncols ? c->names[j] : NULL;
}

const char *nn_csv_field(const nn_csv *c, size_t j)
{
    return j < c->ncols ? c->fields[j] : NULL;
}

uint64_t nn_csv_line(const nn_csv *c) { return c->line; }

void nn_csv_close(nn_csv *c)
{
    if (!c)
        return;
    free(c->fields);
    free(c->names_text);
    free(c->names);
    free(c->first);
    free(c->values);
    free(c);
}
