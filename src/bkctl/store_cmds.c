/*
 * bkctl on a real store: one subcommand per library call (store_cmds.h,
 * README "bkctl on a store").
 *
 * Every command line is read whole and every value checked (ids, instants,
 * dates, times of day, numbers) before the store is opened, so that bad
 * input is exit status 2 without a connection.  What only the library can
 * check (ranges, lengths, zones, rules) comes back from it as BK_EINVAL,
 * also 2, with its message naming the field.
 *
 * Output: by default lines for people (a created record's id; a record as
 * "field: value" lines under the JSON member names; a list as one
 * tab-separated line per record); with --json one JSON document
 * (json_out.h).  Errors: one line "bkctl: WHAT: DETAIL" on stderr, and with
 * --json also {"error": ..., "status": ..., "message": ...} on stdout, so
 * that a script always has one document to parse.
 */
#include "store_cmds.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <booking.h>
#include <jansson.h>

#include "json_out.h"

/* ------------------------------------------------------------------ */
/* Command table                                                       */
/* ------------------------------------------------------------------ */

enum opt_kind {
    O_REQ,  /* --name VALUE, required */
    O_OPT,  /* --name VALUE, optional */
    O_FLAG, /* --name, no value */
    O_MULTI /* --name VALUE, optional, repeatable (at most one per command) */
};

typedef struct opt_spec {
    const char *name;    /* without the dashes */
    const char *metavar; /* NULL for a flag */
    enum opt_kind kind;
} opt_spec;

#define MAX_OPTS 16

struct command;

typedef struct ctx {
    const struct command *cmd;
    const char *uri;
    const char *schema;
    int json;
    bk_db *db;
    const char *val[MAX_OPTS]; /* by index in cmd->opts; "" for a set flag */
    const char **multi;        /* the values of the O_MULTI option, in order */
    size_t n_multi;
    const char *positional;
    int argc;
    char **argv;
} ctx;

typedef int (*command_fn)(ctx *c);

typedef struct command {
    const char *name;
    const char *positional; /* its metavar ("ID"), or NULL when none */
    const char *help;
    command_fn run;
    opt_spec opts[MAX_OPTS]; /* ended by a {NULL} entry */
} command;

/* ------------------------------------------------------------------ */
/* Errors and exit status                                              */
/* ------------------------------------------------------------------ */

static int exit_for(int status)
{
    switch (status) {
    case BK_OK: return STORE_EXIT_OK;
    case BK_ECONFLICT:
    case BK_EEXISTS: return STORE_EXIT_CONFLICT;
    case BK_EINVAL: return STORE_EXIT_BAD_INPUT;
    default: return STORE_EXIT_ERROR;
    }
}

/* Messages quote input: control characters would break the one-line
 * promise of stderr. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* Reports a failure: one line on stderr, and with --json the error object
 * on stdout.  Returns the exit status for it. */
static int report(ctx *c, int status, const char *message)
{
    char msg[1200];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    one_line(msg);
    if (msg[0])
        fprintf(stderr, "bkctl: %s: %s\n", bk_strerror(status), msg);
    else
        fprintf(stderr, "bkctl: %s\n", bk_strerror(status));
    if (c->json)
        jo_print(jo_error(status, msg), stdout);
    return exit_for(status);
}

static int reportf(ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int reportf(ctx *c, int status, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(c, status, msg);
}

/* A library call failed on the open handle. */
static int lib_fail(ctx *c, int status)
{
    return report(c, status, bk_errmsg(c->db));
}

static int oom(ctx *c)
{
    return report(c, BK_ENOMEM, "cannot build the output");
}

/* Quotes at most 80 bytes of a user's value in a message, cut before a
 * UTF-8 character rather than inside one. */
static const char *clip(const char *s, char buf[96])
{
    size_t n = strlen(s);
    if (n <= 80) {
        snprintf(buf, 96, "%s", s);
        return buf;
    }
    int cut = 77;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    snprintf(buf, 96, "%.*s...", cut, s);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Usage                                                               */
/* ------------------------------------------------------------------ */

/* Text wrapped at 79 columns: lines after the first indented. */
typedef struct wrapper {
    FILE *to;
    int col;    /* columns written on the current line */
    int indent; /* of continuation lines */
    int fresh;  /* nothing but the indent on the current line yet */
} wrapper;

static void wrap_word(wrapper *w, const char *word, size_t len)
{
    if (!w->fresh && w->col + 1 + (int)len > 79) {
        fprintf(w->to, "\n%*s", w->indent, "");
        w->col = w->indent;
        w->fresh = 1;
    }
    if (!w->fresh) {
        fputc(' ', w->to);
        w->col++;
    }
    fwrite(word, 1, len, w->to);
    w->col += (int)len;
    w->fresh = 0;
}

static void wrap_text(wrapper *w, const char *text)
{
    while (*text) {
        while (*text == ' ')
            text++;
        size_t len = strcspn(text, " ");
        if (len)
            wrap_word(w, text, len);
        text += len;
    }
}

static void synopsis(wrapper *w, const command *cmd)
{
    char word[128];
    wrap_text(w, cmd->name);
    if (cmd->positional)
        wrap_text(w, cmd->positional);
    for (const opt_spec *o = cmd->opts; o->name; o++) {
        switch (o->kind) {
        case O_REQ: snprintf(word, sizeof word, "--%s %s", o->name, o->metavar); break;
        case O_OPT: snprintf(word, sizeof word, "[--%s %s]", o->name, o->metavar); break;
        case O_FLAG: snprintf(word, sizeof word, "[--%s]", o->name); break;
        case O_MULTI: snprintf(word, sizeof word, "[--%s %s ...]", o->name, o->metavar); break;
        }
        wrap_word(w, word, strlen(word));
    }
    fputc('\n', w->to);
}

/* The help line of a command, wrapped, indented by `indent`. */
static void help_text(FILE *to, const command *cmd, int indent)
{
    wrapper w = {to, indent, indent, 1};
    fprintf(to, "%*s", indent, "");
    wrap_text(&w, cmd->help);
    fputc('\n', to);
}

static void command_usage(FILE *to, const command *cmd)
{
    static const char prefix[] = "usage: bkctl [--db URI] [--schema NAME] [--json]";
    wrapper w = {to, (int)strlen(prefix), 8, 0};
    fputs(prefix, to);
    synopsis(&w, cmd);
    help_text(to, cmd, 2);
}

/* A usage error: the reason, then the command's synopsis, on stderr. */
static int usage_error(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(ctx *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* --json anywhere on the line asks for the error as JSON too, even
     * when the line broke off before it was read. */
    for (int i = 1; i < c->argc; i++)
        if (strcmp(c->argv[i], "--json") == 0)
            c->json = 1;
    int code = report(c, BK_EINVAL, msg);
    if (c->cmd)
        command_usage(stderr, c->cmd);
    else
        fputs("usage: bkctl [--db URI] [--schema NAME] [--json] COMMAND [ARGS]"
              " (bkctl --help lists the commands)\n",
              stderr);
    return code;
}

/* ------------------------------------------------------------------ */
/* Reading option values                                               */
/* ------------------------------------------------------------------ */

static int opt_index(const command *cmd, const char *name)
{
    for (int i = 0; cmd->opts[i].name; i++)
        if (strcmp(cmd->opts[i].name, name) == 0)
            return i;
    return -1;
}

/* The value of option `name` of the running command, or NULL if absent.
 * `name` must be one of its options (a programming error otherwise). */
static const char *opt(const ctx *c, const char *name)
{
    int i = opt_index(c->cmd, name);
    if (i < 0) {
        fprintf(stderr, "bkctl: internal error: %s has no option --%s\n", c->cmd->name, name);
        abort();
    }
    return c->val[i];
}

static int flag(const ctx *c, const char *name) { return opt(c, name) != NULL; }

static int bad_value(ctx *c, const char *what, const char *text, const char *expected)
{
    char q[96];
    return reportf(c, BK_EINVAL, "%s: '%s': expected %s", what, clip(text, q), expected);
}

static int parse_id_text(ctx *c, const char *what, const char *text, bk_id *out)
{
    if (bk_id_parse(text, out) != BK_OK)
        return bad_value(c, what, text, "an id (a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e)");
    return 0;
}

/* --name ID, or the positional ID when name is NULL. */
static int get_id(ctx *c, const char *name, bk_id *out)
{
    char what[64];
    snprintf(what, sizeof what, "--%s", name ? name : "");
    return name ? parse_id_text(c, what, opt(c, name), out) : parse_id_text(c, c->cmd->positional, c->positional, out);
}

/* --name INSTANT; absent: *out = dflt. */
static int get_time(ctx *c, const char *name, bk_time dflt, bk_time *out)
{
    const char *text = opt(c, name);
    char what[64];
    *out = dflt;
    if (!text)
        return 0;
    snprintf(what, sizeof what, "--%s", name);
    if (bk_time_parse_iso(text, out) != BK_OK)
        return bad_value(c, what, text, "a UTC instant like 2026-01-05T09:00:00Z");
    return 0;
}

/* A decimal integer in [lo, hi], nothing else. */
static int parse_integer(const char *text, long long lo, long long hi, long long *out)
{
    const char *p = text;
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* --name N in [lo, hi] (described as `expected` in a message); absent:
 * *out = dflt. */
static int get_int64(ctx *c, const char *name, long long lo, long long hi, const char *expected, int64_t dflt,
                     int64_t *out)
{
    const char *text = opt(c, name);
    long long v;
    *out = dflt;
    if (!text)
        return 0;
    if (parse_integer(text, lo, hi, &v) != 0) {
        char what[64];
        snprintf(what, sizeof what, "--%s", name);
        return bad_value(c, what, text, expected);
    }
    *out = (int64_t)v;
    return 0;
}

/* Ranges of int options are the library's to check (its message names the
 * field); here only that the number fits. */
static int get_int(ctx *c, const char *name, int dflt, int *out)
{
    int64_t v;
    int rc = get_int64(c, name, INT_MIN, INT_MAX, "an integer", dflt, &v);
    *out = (int)v;
    return rc;
}

/* --version N: a booking's lock_version (>= 1). */
static int get_version(ctx *c, int64_t *out)
{
    return get_int64(c, "version", 1, INT64_MAX, "the booking's lock_version, a positive integer", 0, out);
}

static int two_digits(const char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "HH:MM", 00:00..24:00, as minutes after midnight; -1 if malformed. */
static int parse_hhmm(const char *p, size_t len)
{
    if (len != 5 || p[2] != ':')
        return -1;
    int h = two_digits(p), m = two_digits(p + 3);
    if (h < 0 || m < 0 || h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static int get_minute(ctx *c, const char *name, int *out)
{
    const char *text = opt(c, name);
    char what[64];
    snprintf(what, sizeof what, "--%s", name);
    if ((*out = parse_hhmm(text, strlen(text))) < 0)
        return bad_value(c, what, text, "a time of day HH:MM (00:00..24:00)");
    return 0;
}

/* "YYYY-MM-DD"; whether the date exists is the library's to say. */
static int get_date(ctx *c, const char *name, bk_date *out)
{
    const char *t = opt(c, name);
    char what[64];
    snprintf(what, sizeof what, "--%s", name);
    int y1 = -1, y2 = -1, mo = -1, d = -1;
    if (strlen(t) == 10 && t[4] == '-' && t[7] == '-') {
        y1 = two_digits(t);
        y2 = two_digits(t + 2);
        mo = two_digits(t + 5);
        d = two_digits(t + 8);
    }
    if (y1 < 0 || y2 < 0 || mo < 0 || d < 0)
        return bad_value(c, what, t, "a date YYYY-MM-DD");
    out->year = y1 * 100 + y2;
    out->month = mo;
    out->day = d;
    return 0;
}

static const char *const weekday_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const weekday_long[7] = {"sunday", "monday", "tuesday", "wednesday",
                                            "thursday", "friday", "saturday"};

static int get_weekday(ctx *c, int *out)
{
    const char *t = opt(c, "weekday");
    long long v;
    if (parse_integer(t, 0, 6, &v) == 0 && t[0] != '+' && t[0] != '-') {
        *out = (int)v;
        return 0;
    }
    for (int i = 0; i < 7; i++) {
        if (strcasecmp(t, weekday_names[i]) == 0 || strcasecmp(t, weekday_long[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return bad_value(c, "--weekday", t, "0-6 (0 = Sunday) or a day name (sun..sat)");
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Stored text on one line: backslash, tab, newline and other control
 * characters escaped, so that a list keeps one record per line. */
static void put_text(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                printf("\\x%02x", ch);
            else
                putchar(ch);
        }
    }
}

/* A column of a list line: the text, "-" when absent, a tab before all
 * but the first. */
static void col(int first, const char *s)
{
    if (!first)
        putchar('\t');
    put_text(s && s[0] ? s : "-");
}

/* A record (a JSON object from json_out.c) as "member: value" lines;
 * null members are left out. */
static void print_record(json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (json_is_null(v))
            continue;
        printf("%s: ", key);
        if (json_is_string(v)) {
            put_text(json_string_value(v));
        } else if (json_is_integer(v)) {
            printf("%lld", (long long)json_integer_value(v));
        } else if (json_is_boolean(v)) {
            fputs(json_is_true(v) ? "true" : "false", stdout);
        } else if (json_is_array(v)) { /* an override's intervals */
            size_t i;
            json_t *pair;
            if (json_array_size(v) == 0)
                fputs("(none)", stdout);
            json_array_foreach(v, i, pair) {
                printf("%s%s-%s", i ? ", " : "", json_string_value(json_array_get(pair, 0)),
                       json_string_value(json_array_get(pair, 1)));
            }
        }
        putchar('\n');
    }
}

/* Prints `doc` (a new reference, NULL = out of memory): as JSON with
 * --json, else through `text` (NULL = print_record). */
static int emit(ctx *c, json_t *doc, void (*text)(json_t *))
{
    if (!doc)
        return oom(c);
    if (c->json) {
        jo_print(doc, stdout);
    } else {
        (text ? text : print_record)(doc);
        json_decref(doc);
    }
    return STORE_EXIT_OK;
}

static void print_id_only(json_t *obj) { printf("%s\n", json_string_value(json_object_get(obj, "id"))); }

/* ------------------------------------------------------------------ */
/* Opening the store                                                   */
/* ------------------------------------------------------------------ */

static int is_memory(const char *uri) { return strncmp(uri, "memory:", 7) == 0; }

static int open_store(ctx *c, int migrate, int partitions)
{
    bk_open_options o;
    bk_open_options_init(&o);
    o.schema = c->schema;
    o.migrate = migrate;
    o.booking_partitions = partitions;
    int rc = bk_open_ext(&c->db, c->uri, &o);
    if (rc != BK_OK)
        return report(c, rc, bk_errmsg(NULL));
    return STORE_EXIT_OK;
}

#define OPEN(c)                                             \
    do {                                                    \
        int open_rc_ = open_store((c), 0, 0);               \
        if (open_rc_ != STORE_EXIT_OK)                      \
            return open_rc_;                                \
    } while (0)

#define CHECK(expr)                                         \
    do {                                                    \
        int check_rc_ = (expr);                             \
        if (check_rc_ != 0)                                 \
            return check_rc_;                               \
    } while (0)

/* ------------------------------------------------------------------ */
/* migrate                                                             */
/* ------------------------------------------------------------------ */

static int cmd_migrate(ctx *c)
{
    int partitions;
    CHECK(get_int(c, "booking-partitions", 0, &partitions));
    CHECK(open_store(c, 1, partitions));
    int memory = is_memory(c->uri);
    const char *schema = c->schema ? c->schema : "public";
    if (c->json) {
        json_t *doc = json_pack("{s:b, s:s, s:s?, s:s}", "migrated", 1, "backend", memory ? "memory" : "postgresql",
                                "schema", memory ? NULL : schema, "library", bk_version());
        return emit(c, doc, NULL);
    }
    if (memory)
        printf("memory store: nothing to migrate (libbooking %s)\n", bk_version());
    else
        printf("schema %s: ready for libbooking %s\n", schema, bk_version());
    return STORE_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Providers                                                           */
/* ------------------------------------------------------------------ */

static int print_provider(ctx *c, const bk_id *id, void (*text)(json_t *))
{
    bk_provider *p = NULL;
    int rc = bk_provider_get(c->db, id, &p);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = jo_provider(p);
    bk_provider_free(p);
    return emit(c, doc, text);
}

static int cmd_provider_create(ctx *c)
{
    bk_provider spec;
    bk_provider_init(&spec);
    spec.username = opt(c, "username");
    spec.email = opt(c, "email");
    spec.full_name = opt(c, "full-name");
    spec.timezone = opt(c, "timezone");
    spec.business_name = opt(c, "business-name");
    spec.description = opt(c, "description");
    spec.avatar_url = opt(c, "avatar-url");
    OPEN(c);
    bk_id id;
    int rc = bk_provider_create(c->db, &spec, &id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return print_provider(c, &id, print_id_only);
}

static void provider_line(json_t *p)
{
    static const char *const keys[] = {"id", "username", "email", "timezone", "full_name"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        col(i == 0, json_string_value(json_object_get(p, keys[i])));
    putchar('\n');
}

/* A list: the records' JSON objects in an array; printed as an array or
 * one line per record. */
static void print_lines(json_t *list, void (*line)(json_t *))
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) line(v);
}

static void provider_lines(json_t *list) { print_lines(list, provider_line); }

static int cmd_provider_list(ctx *c)
{
    OPEN(c);
    bk_provider **list = NULL;
    size_t n = 0;
    int rc = bk_provider_list(c->db, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_provider(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_provider_list_free(list, n);
    return emit(c, doc, provider_lines);
}

static int cmd_provider_get(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    return print_provider(c, &id, NULL);
}

static int deleted(ctx *c, const bk_id *id)
{
    if (c->json)
        return emit(c, json_pack("{s:b, s:s}", "deleted", 1, "id", id->s), NULL);
    printf("deleted %s\n", id->s);
    return STORE_EXIT_OK;
}

static int cmd_provider_delete(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    int rc = bk_provider_delete(c->db, &id);
    return rc != BK_OK ? lib_fail(c, rc) : deleted(c, &id);
}

static int cmd_provider_restore(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    int rc = bk_provider_restore(c->db, &id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    if (c->json)
        return emit(c, json_pack("{s:b, s:s}", "restored", 1, "id", id.s), NULL);
    printf("restored %s\n", id.s);
    return STORE_EXIT_OK;
}

/* "VERB N" (text) or {"VERB": N} (--json): what a bulk call did. */
static int counted(ctx *c, int rc, const char *verb, size_t n)
{
    if (rc != BK_OK)
        return lib_fail(c, rc);
    if (c->json)
        return emit(c, json_pack("{s:I}", verb, (json_int_t)n), NULL);
    printf("%s %zu\n", verb, n);
    return STORE_EXIT_OK;
}

static int cmd_provider_purge(ctx *c)
{
    bk_time before;
    CHECK(get_time(c, "before", BK_TIME_UNSET, &before));
    OPEN(c);
    size_t n = 0;
    int rc = bk_provider_purge(c->db, before, &n);
    return counted(c, rc, "purged", n);
}

/* ------------------------------------------------------------------ */
/* Services                                                            */
/* ------------------------------------------------------------------ */

static int print_service(ctx *c, const bk_id *id, void (*text)(json_t *))
{
    bk_service *s = NULL;
    int rc = bk_service_get(c->db, id, &s);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = jo_service(s);
    bk_service_free(s);
    return emit(c, doc, text);
}

static int cmd_service_create(ctx *c)
{
    bk_service spec;
    bk_service_init(&spec);
    int64_t price;
    CHECK(get_id(c, "provider", &spec.provider));
    spec.name = opt(c, "name");
    spec.description = opt(c, "description");
    CHECK(get_int(c, "duration", 0, &spec.duration_minutes));
    CHECK(get_int(c, "buffer-before", 0, &spec.buffer_before_minutes));
    CHECK(get_int(c, "buffer-after", 0, &spec.buffer_after_minutes));
    CHECK(get_int(c, "step", 0, &spec.slot_step_minutes));
    CHECK(get_int(c, "notice", 0, &spec.min_notice_minutes));
    CHECK(get_int(c, "horizon-days", 0, &spec.horizon_days));
    CHECK(get_int64(c, "price-minor", INT64_MIN, INT64_MAX, "an integer (minor units)", 0, &price));
    spec.price_minor = price;
    if (opt(c, "currency"))
        spec.currency = opt(c, "currency");
    CHECK(get_int(c, "display-order", 0, &spec.display_order));
    spec.requires_confirmation = flag(c, "requires-confirmation");
    OPEN(c);
    bk_id id;
    int rc = bk_service_create(c->db, &spec, &id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return print_service(c, &id, print_id_only);
}

static void service_line(json_t *s)
{
    char buf[64];
    col(1, json_string_value(json_object_get(s, "id")));
    col(0, json_string_value(json_object_get(s, "name")));
    snprintf(buf, sizeof buf, "%lld min", (long long)json_integer_value(json_object_get(s, "duration_minutes")));
    col(0, buf);
    snprintf(buf, sizeof buf, "%lld %s", (long long)json_integer_value(json_object_get(s, "price_minor")),
             json_string_value(json_object_get(s, "currency")));
    col(0, buf);
    col(0, json_is_true(json_object_get(s, "active")) ? "active" : "inactive");
    putchar('\n');
}

static void service_lines(json_t *list) { print_lines(list, service_line); }

static int cmd_service_list(ctx *c)
{
    bk_id provider;
    CHECK(get_id(c, "provider", &provider));
    OPEN(c);
    bk_service **list = NULL;
    size_t n = 0;
    int rc = bk_service_list(c->db, &provider, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_service(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_service_list_free(list, n);
    return emit(c, doc, service_lines);
}

static int cmd_service_get(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    return print_service(c, &id, NULL);
}

static void deactivated_line(json_t *s)
{
    printf("deactivated %s\n", json_string_value(json_object_get(s, "id")));
}

static int cmd_service_deactivate(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    int rc = bk_service_deactivate(c->db, &id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return print_service(c, &id, deactivated_line);
}

/* ------------------------------------------------------------------ */
/* Weekly rules                                                        */
/* ------------------------------------------------------------------ */

static int cmd_rule_add(ctx *c)
{
    bk_availability spec;
    bk_availability_init(&spec);
    CHECK(get_id(c, "provider", &spec.provider));
    CHECK(get_weekday(c, &spec.weekday));
    CHECK(get_minute(c, "start", &spec.start_minute));
    CHECK(get_minute(c, "end", &spec.end_minute));
    spec.is_available = !flag(c, "unavailable");
    OPEN(c);
    int rc = bk_availability_add(c->db, &spec, &spec.id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    /* There is no bk_availability_get: the row is what was stored. */
    return emit(c, jo_availability(&spec), print_id_only);
}

static void rule_line(json_t *a)
{
    json_int_t wd = json_integer_value(json_object_get(a, "weekday"));
    char span[16];
    snprintf(span, sizeof span, "%s-%s", json_string_value(json_object_get(a, "start")),
             json_string_value(json_object_get(a, "end")));
    col(1, json_string_value(json_object_get(a, "id")));
    col(0, wd >= 0 && wd < 7 ? weekday_names[wd] : "?");
    col(0, span);
    col(0, json_is_true(json_object_get(a, "is_available")) ? "available" : "unavailable");
    putchar('\n');
}

static void rule_lines(json_t *list) { print_lines(list, rule_line); }

static int cmd_rule_list(ctx *c)
{
    bk_id provider;
    CHECK(get_id(c, "provider", &provider));
    OPEN(c);
    bk_availability **list = NULL;
    size_t n = 0;
    int rc = bk_availability_list(c->db, &provider, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_availability(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_availability_list_free(list, n);
    return emit(c, doc, rule_lines);
}

static int cmd_rule_delete(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    int rc = bk_availability_delete(c->db, &id);
    return rc != BK_OK ? lib_fail(c, rc) : deleted(c, &id);
}

/* ------------------------------------------------------------------ */
/* Date overrides                                                      */
/* ------------------------------------------------------------------ */

static void override_line(json_t *o)
{
    json_t *list = json_object_get(o, "intervals");
    size_t i;
    json_t *pair;
    col(1, json_string_value(json_object_get(o, "date")));
    putchar('\t');
    if (json_array_size(list) == 0)
        fputs("day off", stdout);
    json_array_foreach(list, i, pair) {
        printf("%s%s-%s", i ? "," : "", json_string_value(json_array_get(pair, 0)),
               json_string_value(json_array_get(pair, 1)));
    }
    putchar('\n');
}

static void override_lines(json_t *list) { print_lines(list, override_line); }

static int cmd_override_set(ctx *c)
{
    bk_override spec;
    bk_override_init(&spec);
    CHECK(get_id(c, "provider", &spec.provider));
    CHECK(get_date(c, "date", &spec.date));
    if (c->n_multi > BK_OVERRIDE_MAX_INTERVALS)
        return reportf(c, BK_EINVAL, "--interval: %zu given, at most %d", c->n_multi, BK_OVERRIDE_MAX_INTERVALS);
    bk_local_interval iv[BK_OVERRIDE_MAX_INTERVALS];
    for (size_t i = 0; i < c->n_multi; i++) {
        const char *t = c->multi[i];
        const char *dash = strchr(t, '-');
        iv[i].start_minute = dash ? parse_hhmm(t, (size_t)(dash - t)) : -1;
        iv[i].end_minute = dash ? parse_hhmm(dash + 1, strlen(dash + 1)) : -1;
        if (iv[i].start_minute < 0 || iv[i].end_minute < 0)
            return bad_value(c, "--interval", t, "HH:MM-HH:MM, like 09:00-12:30");
    }
    spec.n_intervals = c->n_multi;
    spec.intervals = c->n_multi ? iv : NULL;
    OPEN(c);
    int rc = bk_override_set(c->db, &spec);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    /* Read back as stored (the library may merge or order the intervals). */
    bk_override **list = NULL;
    size_t n = 0;
    rc = bk_override_list(c->db, &spec.provider, &spec.date, &spec.date, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = n == 1 ? jo_override(list[0]) : NULL;
    bk_override_list_free(list, n);
    if (n != 1)
        return reportf(c, BK_ESTORE, "override: %zu overrides read back for that date, expected 1", n);
    return emit(c, doc, override_line);
}

static int cmd_override_list(ctx *c)
{
    bk_id provider;
    bk_date from, to;
    CHECK(get_id(c, "provider", &provider));
    CHECK(get_date(c, "from", &from));
    CHECK(get_date(c, "to", &to));
    OPEN(c);
    bk_override **list = NULL;
    size_t n = 0;
    int rc = bk_override_list(c->db, &provider, &from, &to, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_override(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_override_list_free(list, n);
    return emit(c, doc, override_lines);
}

static int cmd_override_delete(ctx *c)
{
    bk_id provider;
    bk_date date;
    CHECK(get_id(c, "provider", &provider));
    CHECK(get_date(c, "date", &date));
    OPEN(c);
    int rc = bk_override_delete(c->db, &provider, &date);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    char d[JO_DATE_SIZE];
    jo_fmt_date(&date, d);
    if (c->json)
        return emit(c, json_pack("{s:b, s:s, s:s}", "deleted", 1, "provider", provider.s, "date", d), NULL);
    printf("deleted override %s %s\n", provider.s, d);
    return STORE_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Blocked periods                                                     */
/* ------------------------------------------------------------------ */

static int cmd_blocked_add(ctx *c)
{
    bk_blocked spec;
    bk_blocked_init(&spec);
    CHECK(get_id(c, "provider", &spec.provider));
    CHECK(get_time(c, "start", 0, &spec.start));
    CHECK(get_time(c, "end", 0, &spec.end));
    spec.rrule = opt(c, "rrule");
    spec.reason = opt(c, "reason");
    OPEN(c);
    int rc = bk_blocked_add(c->db, &spec, &spec.id);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    /* There is no bk_blocked_get: the period is what was stored. */
    return emit(c, jo_blocked(&spec), print_id_only);
}

static void blocked_line(json_t *b)
{
    col(1, json_string_value(json_object_get(b, "id")));
    col(0, json_string_value(json_object_get(b, "start")));
    col(0, json_string_value(json_object_get(b, "end")));
    col(0, json_string_value(json_object_get(b, "rrule")));
    col(0, json_string_value(json_object_get(b, "reason")));
    putchar('\n');
}

static void blocked_lines(json_t *list) { print_lines(list, blocked_line); }

static int cmd_blocked_list(ctx *c)
{
    bk_id provider;
    bk_time from, to;
    CHECK(get_id(c, "provider", &provider));
    CHECK(get_time(c, "from", 0, &from));
    CHECK(get_time(c, "to", 0, &to));
    OPEN(c);
    bk_blocked **list = NULL;
    size_t n = 0;
    int rc = bk_blocked_list(c->db, &provider, from, to, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_blocked(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_blocked_list_free(list, n);
    return emit(c, doc, blocked_lines);
}

static int cmd_blocked_delete(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    int rc = bk_blocked_delete(c->db, &id);
    return rc != BK_OK ? lib_fail(c, rc) : deleted(c, &id);
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */
/* ------------------------------------------------------------------ */

static void slot_lines(json_t *list)
{
    size_t i;
    json_t *pair;
    json_array_foreach(list, i, pair) {
        printf("%s\t%s\n", json_string_value(json_array_get(pair, 0)), json_string_value(json_array_get(pair, 1)));
    }
}

static int cmd_slots(ctx *c)
{
    bk_slot_query q;
    bk_slot_query_init(&q);
    CHECK(get_id(c, "provider", &q.provider));
    CHECK(get_id(c, "service", &q.service));
    CHECK(get_time(c, "from", 0, &q.from));
    CHECK(get_time(c, "to", 0, &q.to));
    CHECK(get_time(c, "now", BK_TIME_UNSET, &q.now));
    OPEN(c);
    bk_slot *slots = NULL;
    size_t n = 0;
    int rc = bk_slots(c->db, &q, &slots, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = jo_slots(slots, n);
    bk_slots_free(slots);
    return emit(c, doc, slot_lines);
}

/* ------------------------------------------------------------------ */
/* Bookings                                                            */
/* ------------------------------------------------------------------ */

/* Prints a booking the library handed out, and frees it. */
static int emit_booking(ctx *c, bk_booking *b)
{
    json_t *doc = jo_booking(b);
    bk_booking_free(b);
    return emit(c, doc, NULL);
}

static int cmd_book(ctx *c)
{
    bk_book_request r;
    bk_book_request_init(&r);
    CHECK(get_id(c, "provider", &r.provider));
    CHECK(get_id(c, "service", &r.service));
    CHECK(get_time(c, "start", 0, &r.start));
    CHECK(get_time(c, "now", BK_TIME_UNSET, &r.now));
    r.customer_name = opt(c, "name");
    r.customer_email = opt(c, "email");
    r.customer_phone = opt(c, "phone");
    r.customer_timezone = opt(c, "customer-timezone");
    r.notes = opt(c, "notes");
    r.idempotency_key = opt(c, "idempotency-key");
    OPEN(c);
    bk_booking *b = NULL;
    int rc = bk_book(c->db, &r, &b);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return emit_booking(c, b);
}

static int cmd_booking_get(ctx *c)
{
    bk_id id;
    CHECK(get_id(c, NULL, &id));
    OPEN(c);
    bk_booking *b = NULL;
    int rc = bk_booking_get(c->db, &id, &b);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return emit_booking(c, b);
}

static void booking_line(json_t *b)
{
    char who[600];
    col(1, json_string_value(json_object_get(b, "id")));
    col(0, json_string_value(json_object_get(b, "start")));
    col(0, json_string_value(json_object_get(b, "end")));
    col(0, json_string_value(json_object_get(b, "status")));
    snprintf(who, sizeof who, "%lld", (long long)json_integer_value(json_object_get(b, "lock_version")));
    col(0, who);
    snprintf(who, sizeof who, "%s <%s>", json_string_value(json_object_get(b, "customer_name")),
             json_string_value(json_object_get(b, "customer_email")));
    col(0, who);
    putchar('\n');
}

static void booking_lines(json_t *list) { print_lines(list, booking_line); }

static int cmd_booking_list(ctx *c)
{
    bk_booking_filter f;
    bk_booking_filter_init(&f);
    CHECK(get_id(c, "provider", &f.provider));
    CHECK(get_time(c, "from", BK_TIME_MIN, &f.from));
    CHECK(get_time(c, "to", BK_TIME_MAX, &f.to));
    f.include_cancelled = flag(c, "include-cancelled");
    for (size_t i = 0; i < c->n_multi; i++) {
        bk_booking_status st;
        if (bk_booking_status_parse(c->multi[i], &st) != BK_OK)
            return bad_value(c, "--status", c->multi[i], "pending, confirmed, cancelled, completed or no_show");
        f.statuses |= BK_STATUS_BIT(st);
    }
    f.customer_email = opt(c, "customer-email");
    OPEN(c);
    bk_booking **list = NULL;
    size_t n = 0;
    int rc = bk_booking_list(c->db, &f, &list, &n);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < n; i++) {
        if (json_array_append_new(doc, jo_booking(list[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    bk_booking_list_free(list, n);
    return emit(c, doc, booking_lines);
}

/* ------------------------------------------------------------------ */
/* Customer data and retention                                         */
/* ------------------------------------------------------------------ */

static int cmd_customer_export(ctx *c)
{
    OPEN(c);
    char *text = NULL;
    int rc = bk_customer_export(c->db, opt(c, "email"), &text);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    /* JSON either way: as the library wrote it (indented), or with
     * --json on one line like every other --json output. */
    if (!c->json) {
        printf("%s\n", text);
        bk_string_free(text);
        return STORE_EXIT_OK;
    }
    json_t *doc = json_loads(text, 0, NULL);
    bk_string_free(text);
    return emit(c, doc, NULL);
}

static int cmd_customer_erase(ctx *c)
{
    OPEN(c);
    size_t n = 0;
    int rc = bk_customer_erase(c->db, opt(c, "email"), &n);
    return counted(c, rc, "erased", n);
}

static int cmd_anonymise(ctx *c)
{
    bk_time before;
    CHECK(get_time(c, "before", BK_TIME_UNSET, &before));
    OPEN(c);
    size_t n = 0;
    int rc = bk_bookings_anonymise(c->db, before, &n);
    return counted(c, rc, "anonymised", n);
}

static int cmd_archive(ctx *c)
{
    bk_time before;
    int64_t batch;
    CHECK(get_time(c, "before", BK_TIME_UNSET, &before));
    CHECK(get_int64(c, "batch", 1, 100000, "a batch size in 1..100000", 1000, &batch));
    OPEN(c);
    size_t n = 0;
    int rc = bk_booking_archive(c->db, before, (size_t)batch, &n);
    return counted(c, rc, "archived", n);
}

typedef int (*move_fn)(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out);

static int lifecycle(ctx *c, move_fn move)
{
    bk_id id;
    int64_t version;
    CHECK(get_id(c, NULL, &id));
    CHECK(get_version(c, &version));
    OPEN(c);
    bk_booking *b = NULL;
    int rc = move(c->db, &id, version, &b);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return emit_booking(c, b);
}

static int cmd_cancel(ctx *c)
{
    bk_id id;
    int64_t version;
    CHECK(get_id(c, NULL, &id));
    CHECK(get_version(c, &version));
    OPEN(c);
    bk_booking *b = NULL;
    int rc = bk_booking_cancel(c->db, &id, version, opt(c, "reason"), &b);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return emit_booking(c, b);
}

static int cmd_confirm(ctx *c) { return lifecycle(c, bk_booking_confirm); }
static int cmd_complete(ctx *c) { return lifecycle(c, bk_booking_complete); }
static int cmd_no_show(ctx *c) { return lifecycle(c, bk_booking_mark_no_show); }

static int cmd_reschedule(ctx *c)
{
    bk_id id;
    int64_t version;
    bk_time start, now;
    CHECK(get_id(c, NULL, &id));
    CHECK(get_version(c, &version));
    CHECK(get_time(c, "start", 0, &start));
    CHECK(get_time(c, "now", BK_TIME_UNSET, &now));
    OPEN(c);
    bk_booking *b = NULL;
    int rc = bk_booking_reschedule(c->db, &id, version, start, now, &b);
    if (rc != BK_OK)
        return lib_fail(c, rc);
    return emit_booking(c, b);
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

#define END_OPTS {NULL, NULL, O_REQ}
#define PROVIDER_OPT {"provider", "ID", O_REQ}

static const command commands[] = {
    {"migrate", NULL, "create or upgrade the library's tables (with N > 1 on a new schema: bookings "
                      "hash-partitioned into N partitions)",
     cmd_migrate, {{"booking-partitions", "N", O_OPT}, END_OPTS}},

    {"provider-create", NULL, "create a provider; prints its id", cmd_provider_create,
     {{"username", "NAME", O_REQ}, {"email", "ADDRESS", O_REQ}, {"full-name", "TEXT", O_REQ},
      {"timezone", "ZONE", O_REQ}, {"business-name", "TEXT", O_OPT}, {"description", "TEXT", O_OPT},
      {"avatar-url", "URL", O_OPT}, END_OPTS}},
    {"provider-list", NULL, "list the providers (id, username, email, zone, name)", cmd_provider_list, {END_OPTS}},
    {"provider-get", "ID", "print a provider", cmd_provider_get, {END_OPTS}},
    {"provider-delete", "ID", "soft-delete a provider: hidden from lists and slot queries, restorable", cmd_provider_delete,
     {END_OPTS}},
    {"provider-restore", "ID", "undo provider-delete", cmd_provider_restore, {END_OPTS}},
    {"provider-purge", NULL, "remove for good the providers deleted before INSTANT, with all they own",
     cmd_provider_purge, {{"before", "INSTANT", O_REQ}, END_OPTS}},

    {"service-create", NULL, "create a service (minutes; --step 0 = the duration); prints its id",
     cmd_service_create,
     {PROVIDER_OPT, {"name", "TEXT", O_REQ}, {"duration", "MIN", O_REQ}, {"description", "TEXT", O_OPT},
      {"buffer-before", "MIN", O_OPT}, {"buffer-after", "MIN", O_OPT}, {"step", "MIN", O_OPT},
      {"notice", "MIN", O_OPT}, {"horizon-days", "DAYS", O_OPT}, {"price-minor", "N", O_OPT},
      {"currency", "CODE", O_OPT}, {"display-order", "N", O_OPT}, {"requires-confirmation", NULL, O_FLAG},
      END_OPTS}},
    {"service-list", NULL, "list a provider's services, inactive ones included", cmd_service_list,
     {PROVIDER_OPT, END_OPTS}},
    {"service-get", "ID", "print a service", cmd_service_get, {END_OPTS}},
    {"service-deactivate", "ID", "stop offering a service (its bookings stay)", cmd_service_deactivate, {END_OPTS}},

    {"rule-add", NULL, "add a weekly working-time row (--unavailable: cut it out instead); prints its id",
     cmd_rule_add,
     {PROVIDER_OPT, {"weekday", "WEEKDAY", O_REQ}, {"start", "HH:MM", O_REQ}, {"end", "HH:MM", O_REQ},
      {"unavailable", NULL, O_FLAG}, END_OPTS}},
    {"rule-list", NULL, "list a provider's weekly rows", cmd_rule_list, {PROVIDER_OPT, END_OPTS}},
    {"rule-delete", "ID", "delete a weekly row", cmd_rule_delete, {END_OPTS}},

    {"override-set", NULL, "set a date's working time (no --interval: a day off)", cmd_override_set,
     {PROVIDER_OPT, {"date", "DATE", O_REQ}, {"interval", "HH:MM-HH:MM", O_MULTI}, END_OPTS}},
    {"override-list", NULL, "list a provider's overrides on dates FROM..TO (inclusive)", cmd_override_list,
     {PROVIDER_OPT, {"from", "DATE", O_REQ}, {"to", "DATE", O_REQ}, END_OPTS}},
    {"override-delete", NULL, "remove a date's override: the weekly rows apply again", cmd_override_delete,
     {PROVIDER_OPT, {"date", "DATE", O_REQ}, END_OPTS}},

    {"blocked-add", NULL, "block [START, END), once or recurring by an RFC 5545 RRULE; prints its id",
     cmd_blocked_add,
     {PROVIDER_OPT, {"start", "INSTANT", O_REQ}, {"end", "INSTANT", O_REQ}, {"rrule", "RULE", O_OPT},
      {"reason", "TEXT", O_OPT}, END_OPTS}},
    {"blocked-list", NULL, "list the blocked periods overlapping [FROM, TO)", cmd_blocked_list,
     {PROVIDER_OPT, {"from", "INSTANT", O_REQ}, {"to", "INSTANT", O_REQ}, END_OPTS}},
    {"blocked-delete", "ID", "delete a blocked period", cmd_blocked_delete, {END_OPTS}},

    {"slots", NULL, "list the free slots starting in [FROM, TO) (--now: instead of the clock)", cmd_slots,
     {PROVIDER_OPT, {"service", "ID", O_REQ}, {"from", "INSTANT", O_REQ}, {"to", "INSTANT", O_REQ},
      {"now", "INSTANT", O_OPT}, END_OPTS}},

    {"book", NULL, "book the slot starting at START; prints the booking", cmd_book,
     {PROVIDER_OPT, {"service", "ID", O_REQ}, {"start", "INSTANT", O_REQ}, {"name", "TEXT", O_REQ},
      {"email", "ADDRESS", O_REQ}, {"phone", "TEXT", O_OPT}, {"customer-timezone", "ZONE", O_OPT},
      {"notes", "TEXT", O_OPT}, {"idempotency-key", "KEY", O_OPT}, {"now", "INSTANT", O_OPT}, END_OPTS}},
    {"booking-get", "ID", "print a booking", cmd_booking_get, {END_OPTS}},
    {"booking-list", NULL, "list a provider's bookings overlapping [FROM, TO) (default: all), live ones unless "
                           "--include-cancelled or --status; --customer-email compares case-insensitively",
     cmd_booking_list,
     {PROVIDER_OPT, {"from", "INSTANT", O_OPT}, {"to", "INSTANT", O_OPT}, {"include-cancelled", NULL, O_FLAG},
      {"status", "STATUS", O_MULTI}, {"customer-email", "ADDRESS", O_OPT}, END_OPTS}},
    {"customer-export", NULL, "print every booking of a customer email as the JSON export (README)",
     cmd_customer_export, {{"email", "ADDRESS", O_REQ}, END_OPTS}},
    {"customer-erase", NULL, "erase a customer's personal fields from all their bookings", cmd_customer_erase,
     {{"email", "ADDRESS", O_REQ}, END_OPTS}},
    {"anonymise", NULL, "erase the personal fields of every booking that ended before INSTANT", cmd_anonymise,
     {{"before", "INSTANT", O_REQ}, END_OPTS}},
    {"archive", NULL, "move final bookings that ended before INSTANT to the archive, N per transaction",
     cmd_archive, {{"before", "INSTANT", O_REQ}, {"batch", "N", O_OPT}, END_OPTS}},
    {"cancel", "ID", "cancel a booking whose lock_version is N", cmd_cancel,
     {{"version", "N", O_REQ}, {"reason", "TEXT", O_OPT}, END_OPTS}},
    {"confirm", "ID", "confirm a pending booking whose lock_version is N", cmd_confirm,
     {{"version", "N", O_REQ}, END_OPTS}},
    {"complete", "ID", "mark a confirmed booking completed", cmd_complete, {{"version", "N", O_REQ}, END_OPTS}},
    {"no-show", "ID", "mark a confirmed booking a no-show", cmd_no_show, {{"version", "N", O_REQ}, END_OPTS}},
    {"reschedule", "ID", "move a live booking to START (--now: instead of the clock)", cmd_reschedule,
     {{"version", "N", O_REQ}, {"start", "INSTANT", O_REQ}, {"now", "INSTANT", O_OPT}, END_OPTS}},
};

static const size_t n_commands = sizeof commands / sizeof commands[0];

void store_usage(FILE *to)
{
    fputs("\n"
          "store commands: bkctl [--db URI] [--schema NAME] [--json] COMMAND [ARGS]\n"
          "  --db URI       the store: postgresql://... (or a libpq conninfo), or memory:\n"
          "                 (a private store, gone when bkctl exits); default $BKCTL_DB\n"
          "  --schema NAME  PostgreSQL schema of the tables (default $BKCTL_SCHEMA, else\n"
          "                 public)\n"
          "  --json         print one JSON document: the record, an array for a list,\n"
          "                 [[\"START\", \"END\"], ...] for slots, or on failure\n"
          "                 {\"error\": \"BK_E...\", \"status\": N, \"message\": \"...\"}\n"
          "  Only migrate creates or upgrades tables; the other commands need them.\n"
          "  Instants are UTC, like 2026-01-05T09:00:00Z; DATE is YYYY-MM-DD; times of\n"
          "  day are HH:MM (24:00 ends a day); WEEKDAY is 0-6 (0 = Sunday) or sun..sat.\n"
          "  `bkctl COMMAND --help` describes one command.\n"
          "\n",
          to);
    for (size_t i = 0; i < n_commands; i++) {
        wrapper w = {to, 2, 6, 1};
        fputs("  ", to);
        synopsis(&w, &commands[i]);
        help_text(to, &commands[i], 6);
    }
    fputs("\n"
          "exit status of store commands:\n"
          "  0  ok\n"
          "  3  conflict: the time overlaps a live booking (BK_ECONFLICT), or a\n"
          "     provider's username or email is taken (BK_EEXISTS)\n"
          "  2  bad input: usage, a malformed value, or refused by the library as\n"
          "     invalid (BK_EINVAL)\n"
          "  1  any other error: not found (BK_ENOTFOUND), the start is not offered\n"
          "     (BK_EUNAVAILABLE), --version is not the booking's current one\n"
          "     (BK_ESTALE), the status does not allow the move (BK_ESTATE), the\n"
          "     store or its connection failed; the --json error names the code\n"
          "  Errors are one line on stderr: \"bkctl: WHAT: DETAIL\".\n",
          to);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static int is_global(const char *arg)
{
    static const char *const names[] = {"--db", "--schema", "--json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(arg, names[i], n) == 0 && (arg[n] == '\0' || arg[n] == '='))
            return 1;
    }
    return 0;
}

int store_handles(const char *arg) { return is_global(arg) || find_command(arg) != NULL; }

typedef struct globals_seen {
    int db, schema, json;
} globals_seen;

/* Takes the value of option argv[*i] ("--name=VALUE" or "--name VALUE");
 * NULL when there is none. */
static const char *option_value(int argc, char **argv, int *i, const char *eq)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* A global option at argv[*i] (is_global said so).  0, or an exit status. */
static int take_global(ctx *c, globals_seen *seen, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (strncmp(arg, "--json", 6) == 0) {
        if (eq)
            return usage_error(c, "--json takes no value");
        if (seen->json++)
            return usage_error(c, "--json given twice");
        c->json = 1;
        return 0;
    }
    int is_db = strncmp(arg, "--db", 4) == 0;
    const char *v = option_value(argc, argv, i, eq);
    if (!v)
        return usage_error(c, "%s needs a value", is_db ? "--db" : "--schema");
    if (is_db) {
        if (seen->db++)
            return usage_error(c, "--db given twice");
        c->uri = v;
    } else {
        if (seen->schema++)
            return usage_error(c, "--schema given twice");
        c->schema = v;
    }
    return 0;
}

static int parse_command_line(ctx *c, int argc, char **argv, int *help)
{
    globals_seen seen = {0, 0, 0};
    int i = 1, rc;
    *help = 0;
    for (; i < argc && is_global(argv[i]); i++)
        if ((rc = take_global(c, &seen, argc, argv, &i)) != 0)
            return rc;
    if (i >= argc)
        return usage_error(c, "no command");
    const char *name = argv[i++];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        *help = 1;
        return 0;
    }
    if (!(c->cmd = find_command(name))) {
        char q[96];
        if (strcmp(name, "scenario") == 0 || strcmp(name, "explain") == 0 || strcmp(name, "check") == 0)
            return usage_error(c, "%s works on a scenario file: it takes no --db, --schema or --json", name);
        return usage_error(c, "unknown command '%s'", clip(name, q));
    }
    int only_positional = 0;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        char q[96];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            *help = 1;
            return 0;
        }
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (!c->cmd->positional || c->positional)
                return usage_error(c, "unexpected argument '%s'", clip(arg, q));
            c->positional = arg;
            continue;
        }
        if (is_global(arg)) {
            if ((rc = take_global(c, &seen, argc, argv, &i)) != 0)
                return rc;
            continue;
        }
        const char *eq = strchr(arg, '=');
        char oname[64];
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        int k = -1;
        if (arg[1] == '-' && len - 2 < sizeof oname) {
            memcpy(oname, arg + 2, len - 2);
            oname[len - 2] = '\0';
            k = opt_index(c->cmd, oname);
        }
        if (k < 0)
            return usage_error(c, "%s has no option '%s'", c->cmd->name, clip(arg, q));
        const opt_spec *o = &c->cmd->opts[k];
        if (o->kind == O_FLAG) {
            if (eq)
                return usage_error(c, "--%s takes no value", o->name);
            if (c->val[k])
                return usage_error(c, "--%s given twice", o->name);
            c->val[k] = "";
            continue;
        }
        const char *v = option_value(argc, argv, &i, eq);
        if (!v)
            return usage_error(c, "--%s needs a value (%s)", o->name, o->metavar);
        if (o->kind == O_MULTI) {
            c->multi[c->n_multi++] = v;
            c->val[k] = v;
            continue;
        }
        if (c->val[k])
            return usage_error(c, "--%s given twice", o->name);
        c->val[k] = v;
    }
    if (c->cmd->positional && !c->positional)
        return usage_error(c, "%s needs %s", c->cmd->name, c->cmd->positional);
    for (int k = 0; c->cmd->opts[k].name; k++)
        if (c->cmd->opts[k].kind == O_REQ && !c->val[k])
            return usage_error(c, "%s needs --%s %s", c->cmd->name, c->cmd->opts[k].name, c->cmd->opts[k].metavar);
    if (!c->uri || !c->uri[0])
        return usage_error(c, "no store: give --db URI or set BKCTL_DB");
    return 0;
}

/* Both outputs are checked: a full disk or a closed pipe must not look
 * like success to a script. */
static int finish_output(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "bkctl: cannot write the output\n");
        return code == STORE_EXIT_OK ? STORE_EXIT_ERROR : code;
    }
    return code;
}

int store_main(int argc, char **argv)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.argc = argc;
    c.argv = argv;
    /* The environment's defaults; set but empty counts as unset. */
    c.uri = getenv("BKCTL_DB");
    c.schema = getenv("BKCTL_SCHEMA");
    if (c.schema && !c.schema[0])
        c.schema = NULL;
    /* Room for every argument as an --interval value: nothing to fail. */
    c.multi = calloc((size_t)argc, sizeof *c.multi);
    if (!c.multi) {
        fprintf(stderr, "bkctl: %s\n", bk_strerror(BK_ENOMEM));
        return STORE_EXIT_ERROR;
    }
    int help = 0;
    int code = parse_command_line(&c, argc, argv, &help);
    if (code == 0 && help && !c.cmd) {
        store_usage(stdout);
    } else if (code == 0 && help) {
        command_usage(stdout, c.cmd);
    } else if (code == 0) {
        code = c.cmd->run(&c);
    }
    bk_close(c.db);
    free(c.multi);
    return finish_output(code);
}
