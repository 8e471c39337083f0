/* Threads racing on one shared store: every contested slot has exactly one
 * winner, the others get BK_ECONFLICT, and idempotent retries never double
 * book.  The store URI is $BK_TEST_SHARED_URI (default a named memory
 * store), so the same test serves every backend. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <booking.h>

#include "harness.h"

#define THREADS 8

static const char *shared_uri(void)
{
    const char *uri = getenv("BK_TEST_SHARED_URI");
    return uri && *uri ? uri : "memory:thread-race";
}

static int rounds(void) { return getenv("BK_UNDER_VALGRIND") ? 40 : 300; }

static bk_time t0(void)
{
    bk_time t;
    ck_assert_int_eq(bk_time_parse_iso("2027-01-04T00:00:00Z", &t), BK_OK);
    return t;
}

/* A provider available around the clock, a 60-minute service on a 5-minute
 * grid: starts 5 minutes apart all overlap. */
static void make_provider(bk_db *db, bk_id *provider, bk_id *service, const char *name)
{
    bk_provider p = BK_PROVIDER_INIT;
    char email[64];
    snprintf(email, sizeof email, "%s@example.com", name);
    p.username = name;
    p.email = email;
    p.full_name = "Race Provider";
    p.timezone = "UTC";
    ck_assert_msg(bk_provider_create(db, &p, provider) == BK_OK, "%s", bk_errmsg(db));
    for (int wd = 0; wd < 7; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = *provider;
        a.weekday = wd;
        a.start_minute = 0;
        a.end_minute = 1440;
        ck_assert_int_eq(bk_availability_add(db, &a, NULL), BK_OK);
    }
    bk_service s = BK_SERVICE_INIT;
    s.provider = *provider;
    s.name = "hour";
    s.duration_minutes = 60;
    s.slot_step_minutes = 5;
    ck_assert_msg(bk_service_create(db, &s, service) == BK_OK, "%s", bk_errmsg(db));
}

typedef struct race {
    pthread_barrier_t *barrier;
    bk_id provider, service;
    int index;
    int same_start;  /* 1: every thread asks for the same start */
    int use_key;     /* 1: every thread uses the same idempotency key per round */
    int ok, conflict, other;
    bk_id first_id[1024];
} race;

static void *racer(void *arg)
{
    race *r = arg;
    bk_db *db = NULL;
    if (bk_open(&db, shared_uri()) != BK_OK) {
        r->other = -1;
        return NULL;
    }
    int n = rounds();
    for (int round = 0; round < n; round++) {
        pthread_barrier_wait(r->barrier);
        bk_book_request req = BK_BOOK_REQUEST_INIT;
        req.provider = r->provider;
        req.service = r->service;
        req.start = t0() + (bk_time)round * 3 * 3600 + (r->same_start ? 0 : r->index * 300);
        req.now = t0() - 86400;
        req.customer_name = "Racer";
        req.customer_email = "racer@example.com";
        char key[32];
        if (r->use_key) {
            snprintf(key, sizeof key, "round-%d", round);
            req.idempotency_key = key;
        }
        bk_booking *b = NULL;
        int rc = bk_book(db, &req, &b);
        if (rc == BK_OK) {
            r->ok++;
            if (round < 1024)
                r->first_id[round] = b->id;
        } else if (rc == BK_ECONFLICT) {
            r->conflict++;
        } else {
            fprintf(stderr, "thread %d round %d: %s (%s)\n", r->index, round, bk_strerror(rc), bk_errmsg(db));
            r->other++;
        }
        bk_booking_free(b);
    }
    bk_close(db);
    return NULL;
}

/* Runs THREADS racers and returns the total of successes. */
static void run_race(const char *name, int same_start, int use_key, race *results)
{
    bk_db *setup = NULL;
    ck_assert_int_eq(bk_open(&setup, shared_uri()), BK_OK);
    bk_id provider, service;
    make_provider(setup, &provider, &service, name);

    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].barrier = &barrier;
        results[i].provider = provider;
        results[i].service = service;
        results[i].index = i;
        results[i].same_start = same_start;
        results[i].use_key = use_key;
        ck_assert_int_eq(pthread_create(&tid[i], NULL, racer, &results[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&barrier);

    /* The stored truth: one live booking per round, none overlapping. */
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = provider;
    f.include_cancelled = 0;
    bk_booking **list = NULL;
    size_t n = 0;
    ck_assert_int_eq(bk_booking_list(setup, &f, &list, &n), BK_OK);
    ck_assert_uint_eq(n, (size_t)rounds());
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(list[i - 1]->end <= list[i]->start, "stored bookings %zu and %zu overlap", i - 1, i);
    bk_booking_list_free(list, n);
    ck_assert_int_eq(bk_provider_delete(setup, &provider), BK_OK);
    ck_assert_int_eq(bk_provider_purge(setup, BK_TIME_MAX - 1, NULL), BK_OK);
    bk_close(setup);
}

START_TEST(overlapping_starts_have_exactly_one_winner_per_round)
{
    race results[THREADS];
    run_race("overlap", 0, 0, results);
    int ok = 0, conflict = 0;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(results[i].other, 0);
        ok += results[i].ok;
        conflict += results[i].conflict;
    }
    ck_assert_int_eq(ok, rounds());
    ck_assert_int_eq(conflict, rounds() * (THREADS - 1));
}
END_TEST

START_TEST(same_start_has_exactly_one_winner_per_round)
{
    race results[THREADS];
    run_race("same", 1, 0, results);
    int ok = 0, conflict = 0;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(results[i].other, 0);
        ok += results[i].ok;
        conflict += results[i].conflict;
    }
    ck_assert_int_eq(ok, rounds());
    ck_assert_int_eq(conflict, rounds() * (THREADS - 1));
}
END_TEST

/* With one idempotency key per round, every thread is told BK_OK and gets
 * the same booking: a retry is never a conflict and never a duplicate. */
START_TEST(same_idempotency_key_returns_one_booking_to_every_thread)
{
    race results[THREADS];
    run_race("idem", 1, 1, results);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(results[i].other, 0);
        ck_assert_int_eq(results[i].conflict, 0);
        ck_assert_int_eq(results[i].ok, rounds());
    }
    for (int round = 0; round < rounds() && round < 1024; round++)
        for (int i = 1; i < THREADS; i++)
            ck_assert_str_eq(results[i].first_id[round].s, results[0].first_id[round].s);
}
END_TEST

/* Handles on one named store see each other's writes; a private store
 * sees nothing of them. */
START_TEST(named_store_is_shared_and_private_store_is_not)
{
    bk_db *a = NULL, *b = NULL, *priv = NULL;
    ck_assert_int_eq(bk_open(&a, "memory:visibility"), BK_OK);
    ck_assert_int_eq(bk_open(&b, "memory:visibility"), BK_OK);
    ck_assert_int_eq(bk_open(&priv, "memory:"), BK_OK);
    bk_id provider, service;
    make_provider(a, &provider, &service, "visible");
    bk_provider *seen = NULL;
    ck_assert_int_eq(bk_provider_get(b, &provider, &seen), BK_OK);
    ck_assert_str_eq(seen->username, "visible");
    bk_provider_free(seen);
    ck_assert_int_eq(bk_provider_get(priv, &provider, &seen), BK_ENOTFOUND);
    ck_assert_ptr_null(seen);
    bk_close(a);
    bk_close(b);
    bk_close(priv);
    /* The last handle closed: the named store is gone. */
    ck_assert_int_eq(bk_open(&a, "memory:visibility"), BK_OK);
    ck_assert_int_eq(bk_provider_get(a, &provider, &seen), BK_ENOTFOUND);
    bk_close(a);
}
END_TEST

/* ---- two handles on one booking ---- */

/* Each round a fresh pending booking and a token; every thread, on its own
 * handle, then either cancels it at version 1 or redeems the token. */
typedef struct duel {
    pthread_barrier_t *barrier;
    bk_id booking[1024];
    char token[1024][BK_TOKEN_SIZE];
    int rounds;
    int use_token;
    int ok, lost, other;
} duel;

static void *dueller(void *arg)
{
    duel *d = arg;
    bk_db *db = NULL;
    if (bk_open(&db, shared_uri()) != BK_OK) {
        d->other = -1;
        return NULL;
    }
    for (int round = 0; round < d->rounds; round++) {
        pthread_barrier_wait(d->barrier);
        int rc = d->use_token ? bk_token_redeem(db, d->token[round], NULL, NULL, NULL)
                              : bk_booking_cancel(db, &d->booking[round], 1, "race", NULL);
        if (rc == BK_OK)
            d->ok++;
        else if (rc == (d->use_token ? BK_EUSED : BK_ESTALE))
            d->lost++;
        else {
            fprintf(stderr, "duel round %d: %s (%s)\n", round, bk_strerror(rc), bk_errmsg(db));
            d->other++;
        }
    }
    bk_close(db);
    return NULL;
}

static void run_duel(const char *name, int use_token)
{
    bk_db *setup = NULL;
    ck_assert_int_eq(bk_open(&setup, shared_uri()), BK_OK);
    bk_id provider, service;
    make_provider(setup, &provider, &service, name);
    static duel d[THREADS];
    int n = rounds() / 3;
    for (int round = 0; round < n; round++) {
        bk_book_request req = BK_BOOK_REQUEST_INIT;
        req.provider = provider;
        req.service = service;
        req.start = t0() + (bk_time)round * 3 * 3600;
        req.now = t0() - 86400;
        req.customer_name = "Duel";
        req.customer_email = "duel@example.com";
        bk_booking *b = NULL;
        ck_assert_msg(bk_book(setup, &req, &b) == BK_OK, "%s", bk_errmsg(setup));
        char token[BK_TOKEN_SIZE] = "";
        if (use_token)
            ck_assert_msg(bk_token_issue(setup, &b->id, BK_TOKEN_CANCEL, (bk_time)time(NULL) + 3600, token) == BK_OK,
                          "%s", bk_errmsg(setup));
        for (int i = 0; i < THREADS; i++) {
            d[i].booking[round] = b->id;
            memcpy(d[i].token[round], token, sizeof token);
        }
        bk_booking_free(b);
    }
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        d[i].barrier = &barrier;
        d[i].rounds = n;
        d[i].use_token = use_token;
        d[i].ok = d[i].lost = d[i].other = 0;
        ck_assert_int_eq(pthread_create(&tid[i], NULL, dueller, &d[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&barrier);
    int ok = 0, lost = 0, other = 0;
    for (int i = 0; i < THREADS; i++) {
        ok += d[i].ok;
        lost += d[i].lost;
        other += d[i].other;
    }
    ck_assert_int_eq(other, 0);
    ck_assert_int_eq(ok, n);
    ck_assert_int_eq(lost, n * (THREADS - 1));
    /* Every booking was changed exactly once: version 2, cancelled. */
    for (int round = 0; round < n; round++) {
        bk_booking *b = NULL;
        ck_assert_int_eq(bk_booking_get(setup, &d[0].booking[round], &b), BK_OK);
        ck_assert_int_eq(b->lock_version, 2);
        ck_assert_int_eq(b->status, BK_BOOKING_CANCELLED);
        bk_booking_free(b);
    }
    ck_assert_int_eq(bk_provider_delete(setup, &provider), BK_OK);
    ck_assert_int_eq(bk_provider_purge(setup, BK_TIME_MAX - 1, NULL), BK_OK);
    bk_close(setup);
}

START_TEST(handles_racing_on_one_booking_one_wins_the_rest_are_stale)
{
    run_duel("duel-version", 0);
}
END_TEST

START_TEST(concurrent_redeems_of_one_token_one_wins_the_rest_see_it_used)
{
    run_duel("duel-token", 1);
}
END_TEST

static Suite *thread_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("race");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, overlapping_starts_have_exactly_one_winner_per_round);
    tcase_add_test(tc, same_start_has_exactly_one_winner_per_round);
    tcase_add_test(tc, same_idempotency_key_returns_one_booking_to_every_thread);
    tcase_add_test(tc, handles_racing_on_one_booking_one_wins_the_rest_are_stale);
    tcase_add_test(tc, concurrent_redeems_of_one_token_one_wins_the_rest_see_it_used);
    if (strncmp(shared_uri(), "memory:", 7) == 0)
        tcase_add_test(tc, named_store_is_shared_and_private_store_is_not);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    Suite *suites[] = {thread_suite()};
    return harness_run(suites, 1);
}
