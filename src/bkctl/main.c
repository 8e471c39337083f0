/*
 * bkctl: the library from the command line, over scenario files
 * (tests/scenarios/FORMAT.md) loaded into a private memory store.
 *
 * Exit status: 0 ok (explain: offered; check: as expected), 1 not offered /
 * mismatch / the library failed, 2 bad input (usage, unreadable or invalid
 * scenario, bad TIME).  Scripts tell "the file is wrong" from "the answer
 * is no" by that difference, so it must stay stable.
 *
 * The store commands (bkctl --db URI COMMAND ...) are store_cmds.c's, with
 * their own exit statuses (store_cmds.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <booking.h>

#include "scenario.h"
#include "store_cmds.h"

enum { EXIT_OK = 0, EXIT_NO = 1, EXIT_BAD_INPUT = 2 };

static void usage(FILE *to)
{
    fputs("usage: bkctl COMMAND ARGS\n"
          "\n"
          "commands:\n"
          "  scenario FILE        load FILE into a memory store and print its free slots as\n"
          "                       {\"slots\": [[\"START\", \"END\"], ...]} on one line\n"
          "  explain FILE TIME    say whether a slot starting at TIME (UTC, like\n"
          "                       2026-01-05T09:00:00Z) is offered by FILE's query, and why not\n"
          "  check FILE           compare FILE's slots with its \"expected\"\n"
          "  --version            print the versions of bkctl and of the library\n"
          "  --help               print this help\n"
          "\n"
          "FILE is a scenario (see FORMAT.md in the sources), or - for standard input.\n"
          "exit status: 0 ok / offered / as expected; 1 not offered / not as expected /\n"
          "library error; 2 bad input (usage, malformed or invalid scenario, bad TIME)\n",
          to);
    store_usage(to);
}

static int bad_usage(const char *why)
{
    fprintf(stderr, "bkctl: %s\n", why);
    usage(stderr);
    return EXIT_BAD_INPUT;
}

/* What the file got wrong is bad input; the library running out of memory
 * or failing is not the user's file's fault. */
static int exit_for(int status)
{
    return (status == BK_EINVAL || status == BK_ECONFLICT || status == BK_EEXISTS) ? EXIT_BAD_INPUT
                                                                                    : EXIT_NO;
}

/* Both outputs are checked: a full disk or a closed pipe must not look
 * like success to a script. */
static int finish_output(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "bkctl: cannot write the output\n");
        return code == EXIT_OK ? EXIT_NO : code;
    }
    return code;
}

typedef struct session {
    bk_db *db;
    scenario sc;
} session;

static int open_scenario(const char *path, session *s)
{
    char err[1024];
    memset(s, 0, sizeof *s);
    int rc = bk_open(&s->db, "memory:");
    if (rc != BK_OK) {
        fprintf(stderr, "bkctl: cannot open a memory store: %s\n", bk_errmsg(NULL));
        return EXIT_NO;
    }
    rc = scenario_load(path, s->db, &s->sc, err, sizeof err);
    if (rc != BK_OK) {
        fprintf(stderr, "bkctl: %s\n", err);
        bk_close(s->db);
        s->db = NULL;
        return exit_for(rc);
    }
    return EXIT_OK;
}

static void close_scenario(session *s)
{
    scenario_free(&s->sc);
    bk_close(s->db);
    s->db = NULL;
}

static int query_slots(const char *path, session *s, bk_slot **slots, size_t *n)
{
    int rc = bk_slots(s->db, &s->sc.query, slots, n);
    if (rc != BK_OK) {
        fprintf(stderr, "bkctl: %s: query: %s (%s)\n", path, bk_errmsg(s->db), bk_strerror(rc));
        return exit_for(rc);
    }
    return EXIT_OK;
}

static int cmd_scenario(const char *path)
{
    session s;
    bk_slot *slots = NULL;
    size_t n = 0;
    int code = open_scenario(path, &s);
    if (code != EXIT_OK)
        return code;
    code = query_slots(path, &s, &slots, &n);
    if (code == EXIT_OK) {
        char *text = scenario_slots_json(slots, n);
        if (text) {
            puts(text);
            free(text);
        } else {
            fprintf(stderr, "bkctl: %s: cannot format the slots (out of memory)\n", path);
            code = EXIT_NO;
        }
    }
    bk_slots_free(slots);
    close_scenario(&s);
    return finish_output(code);
}

static int cmd_check(const char *path)
{
    session s;
    bk_slot *slots = NULL;
    size_t n = 0;
    char msg[512];
    int code = open_scenario(path, &s);
    if (code != EXIT_OK)
        return code;
    code = query_slots(path, &s, &slots, &n);
    if (code == EXIT_OK) {
        int cmp = scenario_compare(&s.sc, slots, n, msg, sizeof msg);
        if (cmp == 0) {
            printf("%s: ok, %s\n", path, msg);
        } else if (cmp > 0) {
            printf("%s: MISMATCH: %s\n", path, msg);
            code = EXIT_NO;
        } else {
            fprintf(stderr, "bkctl: %s: nothing to check: %s\n", path, msg);
            code = EXIT_BAD_INPUT;
        }
    }
    bk_slots_free(slots);
    close_scenario(&s);
    return finish_output(code);
}

static void iso_or_number(bk_time t, char buf[BK_ISO_SIZE])
{
    if (bk_time_format_iso(t, buf) != BK_OK)
        snprintf(buf, BK_ISO_SIZE, "%lld", (long long)t);
}

/* The verdict's related record, with its index in the file and its times:
 * an id alone means nothing to someone holding only the JSON file. */
static void describe_related(const session *s, const bk_slot_verdict *v, char *dst, size_t size)
{
    const scenario_item *item = NULL;
    const char *section = NULL;
    long i = -1;
    dst[0] = '\0';
    if (!v->related.s[0])
        return;
    if (v->reason == BK_SLOT_BLOCKED && (i = scenario_find_blocked(&s->sc, &v->related)) >= 0) {
        item = &s->sc.blocked[i];
        section = "blocked";
    } else if (v->reason == BK_SLOT_CONFLICT && (i = scenario_find_booking(&s->sc, &v->related)) >= 0) {
        item = &s->sc.bookings[i];
        section = "bookings";
    }
    if (!item) {
        snprintf(dst, size, " [id %.36s]", v->related.s);
        return;
    }
    char a[BK_ISO_SIZE], b[BK_ISO_SIZE];
    iso_or_number(item->start, a);
    iso_or_number(item->end, b);
    snprintf(dst, size, " [%s[%ld]: %s/%s, id %.36s]", section, i, a, b, v->related.s);
}

static int cmd_explain(const char *path, const char *when)
{
    bk_time t;
    if (bk_time_parse_iso(when, &t) != BK_OK) {
        fprintf(stderr, "bkctl: TIME \"%s\": expected a UTC instant like 2026-01-05T09:00:00Z\n", when);
        return EXIT_BAD_INPUT;
    }
    session s;
    int code = open_scenario(path, &s);
    if (code != EXIT_OK)
        return code;
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    int rc = bk_slot_explain(s.db, &s.sc.query, t, &v);
    if (rc != BK_OK) {
        fprintf(stderr, "bkctl: %s: explain: %s (%s)\n", path, bk_errmsg(s.db), bk_strerror(rc));
        code = exit_for(rc);
    } else {
        char a[BK_ISO_SIZE], b[BK_ISO_SIZE], related[256];
        v.message[sizeof v.message - 1] = '\0';
        iso_or_number(t, a);
        iso_or_number(t + (bk_time)s.sc.duration_minutes * 60, b);
        describe_related(&s, &v, related, sizeof related);
        printf("%s: %s/%s: %s%s\n", bk_slot_reason_name(v.reason), a, b,
               v.message[0] ? v.message : "(no message)", related);
        code = v.reason == BK_SLOT_OFFERED ? EXIT_OK : EXIT_NO;
    }
    close_scenario(&s);
    return finish_output(code);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return bad_usage("no command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return finish_output(EXIT_OK);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("bkctl %s (libbooking %s)\n", BK_VERSION_STRING, bk_version());
        return finish_output(EXIT_OK);
    }
    if (strcmp(cmd, "scenario") == 0) {
        if (argc != 3)
            return bad_usage("scenario takes one FILE");
        return cmd_scenario(argv[2]);
    }
    if (strcmp(cmd, "check") == 0) {
        if (argc != 3)
            return bad_usage("check takes one FILE");
        return cmd_check(argv[2]);
    }
    if (strcmp(cmd, "explain") == 0) {
        if (argc != 4)
            return bad_usage("explain takes FILE and TIME");
        return cmd_explain(argv[2], argv[3]);
    }
    if (store_handles(cmd))
        return store_main(argc, argv);
    fprintf(stderr, "bkctl: unknown command \"%.64s\"\n", cmd);
    usage(stderr);
    return EXIT_BAD_INPUT;
}
