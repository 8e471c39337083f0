/* The public API's behaviour, through the shared library only.  The store
 * is $BK_TEST_URI (default "memory:"), so this suite is the conformance
 * suite every backend must pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <booking.h>
#include <jansson.h>
#include <sodium.h>

#include "harness.h"

static bk_db *db;

static const char *test_uri(void)
{
    const char *uri = getenv("BK_TEST_URI");
    return uri && *uri ? uri : "memory:";
}

/* Each test starts from an empty store, whatever the backend: a database
 * keeps what an earlier (possibly failed, so never torn down) test left. */
/* $BK_TEST_BOOKING_PARTITIONS (PostgreSQL): the bookings table laid out in
 * that many hash partitions when the schema is created. */
static int open_db(bk_db **out)
{
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    const char *parts = getenv("BK_TEST_BOOKING_PARTITIONS");
    o.booking_partitions = parts ? atoi(parts) : 0;
    return bk_open_ext(out, test_uri(), &o);
}

static void setup(void)
{
    ck_assert_msg(open_db(&db) == BK_OK, "%s", bk_errmsg(NULL));
    bk_provider **all = NULL;
    size_t n = 0;
    ck_assert_int_eq(bk_provider_list(db, &all, &n), BK_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(bk_provider_delete(db, &all[i]->id), BK_OK);
    bk_provider_list_free(all, n);
    ck_assert_int_eq(bk_provider_purge(db, BK_TIME_MAX - 1, NULL), BK_OK);
}

static void teardown(void)
{
    bk_close(db);
    db = NULL;
}

#define OK(call) ck_assert_msg((call) == BK_OK, "%s: %s", #call, bk_errmsg(db))

static bk_time T(const char *iso)
{
    bk_time t;
    ck_assert_msg(bk_time_parse_iso(iso, &t) == BK_OK, "%s", iso);
    return t;
}

static bk_id new_provider(const char *username, const char *zone)
{
    bk_provider p = BK_PROVIDER_INIT;
    char email[128];
    snprintf(email, sizeof email, "%s@example.com", username);
    p.username = username;
    p.email = email;
    p.full_name = "Test Provider";
    p.timezone = zone;
    bk_id id;
    OK(bk_provider_create(db, &p, &id));
    return id;
}

static bk_id new_service(bk_id provider, int duration, int before, int after, int step)
{
    bk_service s = BK_SERVICE_INIT;
    s.provider = provider;
    s.name = "Service";
    s.duration_minutes = duration;
    s.buffer_before_minutes = before;
    s.buffer_after_minutes = after;
    s.slot_step_minutes = step;
    bk_id id;
    OK(bk_service_create(db, &s, &id));
    return id;
}

static void add_rule(bk_id provider, int weekday, int start_minute, int end_minute, int available)
{
    bk_availability a = BK_AVAILABILITY_INIT;
    a.provider = provider;
    a.weekday = weekday;
    a.start_minute = start_minute;
    a.end_minute = end_minute;
    a.is_available = available;
    OK(bk_availability_add(db, &a, NULL));
}

static size_t slots_between(bk_id provider, bk_id service, const char *from, const char *to, bk_slot **out)
{
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = provider;
    q.service = service;
    q.from = T(from);
    q.to = T(to);
    q.now = T("2020-01-01T00:00:00Z");
    size_t n = 0;
    OK(bk_slots(db, &q, out, &n));
    return n;
}

static int book(bk_id provider, bk_id service, const char *start, bk_booking **out)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = provider;
    r.service = service;
    r.start = T(start);
    r.now = T("2020-01-01T00:00:00Z");
    r.customer_name = "Customer";
    r.customer_email = "customer@example.com";
    return bk_book(db, &r, out);
}

/* ---- version ---- */

START_TEST(version_matches_header)
{
    ck_assert_str_eq(bk_version(), BK_VERSION_STRING);
    ck_assert_int_eq(bk_version_number(), BK_VERSION_NUMBER);
}
END_TEST

START_TEST(every_status_has_a_distinct_description)
{
    int codes[] = {BK_OK, BK_EINVAL, BK_ENOTFOUND, BK_ECONFLICT, BK_EUNAVAILABLE, BK_ESTALE, BK_ESTATE,
                   BK_ENOMEM, BK_EEXISTS, BK_ESTORE, BK_ECONNECTION, BK_EUNKNOWN, BK_EMISUSE};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            ck_assert_int_ne(codes[i], codes[j]);
            ck_assert_str_ne(bk_strerror(codes[i]), bk_strerror(codes[j]));
        }
    ck_assert_str_eq(bk_strerror(12345), "unknown status");
}
END_TEST

/* ---- providers ---- */

START_TEST(provider_round_trips_every_field)
{
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "anna";
    p.email = "anna@example.com";
    p.full_name = "Anna Schmidt";
    p.timezone = "Europe/Berlin";
    p.business_name = "Praxis";
    p.description = "Allgemeinmedizin";
    p.avatar_url = "https://example.com/a.png";
    bk_id id;
    OK(bk_provider_create(db, &p, &id));
    bk_provider *got = NULL;
    OK(bk_provider_get(db, &id, &got));
    ck_assert_str_eq(got->id.s, id.s);
    ck_assert_str_eq(got->username, "anna");
    ck_assert_str_eq(got->email, "anna@example.com");
    ck_assert_str_eq(got->full_name, "Anna Schmidt");
    ck_assert_str_eq(got->timezone, "Europe/Berlin");
    ck_assert_str_eq(got->business_name, "Praxis");
    ck_assert_str_eq(got->description, "Allgemeinmedizin");
    ck_assert_str_eq(got->avatar_url, "https://example.com/a.png");
    ck_assert_uint_eq(got->version, BK_PROVIDER_VERSION);
    ck_assert(got->created_at != BK_TIME_UNSET && got->updated_at >= got->created_at);
    bk_provider_free(got);
}
END_TEST

START_TEST(provider_username_and_email_unique_case_insensitively)
{
    new_provider("anna", "UTC");
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "ANNA";
    p.email = "other@example.com";
    p.full_name = "x";
    p.timezone = "UTC";
    ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EEXISTS);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "username"));
    p.username = "bob";
    p.email = "Anna@Example.COM";
    ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EEXISTS);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "email"));
    /* Unicode case folding, not ASCII only. */
    new_provider("\xc3\xa9lodie", "UTC"); /* élodie */
    p.username = "\xc3\x89LODIE";         /* ÉLODIE */
    p.email = "e2@example.com";
    ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EEXISTS);
}
END_TEST

START_TEST(provider_update_replaces_fields_and_keeps_uniqueness)
{
    bk_id a = new_provider("anna", "UTC");
    new_provider("bob", "UTC");
    bk_provider *p = NULL;
    OK(bk_provider_get(db, &a, &p));
    p->full_name = "Anna Maria";
    p->timezone = "Asia/Tokyo";
    OK(bk_provider_update(db, p));
    p->username = "Bob";
    ck_assert_int_eq(bk_provider_update(db, p), BK_EEXISTS);
    bk_provider_free(p);
    OK(bk_provider_get(db, &a, &p));
    ck_assert_str_eq(p->full_name, "Anna Maria");
    ck_assert_str_eq(p->timezone, "Asia/Tokyo");
    ck_assert_str_eq(p->username, "anna");
    bk_provider_free(p);
}
END_TEST

START_TEST(provider_list_is_ordered_and_delete_cascades)
{
    bk_id c = new_provider("carol", "UTC");
    new_provider("alice", "UTC");
    bk_id svc = new_service(c, 30, 0, 0, 0);
    add_rule(c, 1, 540, 600, 1);
    bk_provider **list = NULL;
    size_t n = 0;
    OK(bk_provider_list(db, &list, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0]->username, "alice");
    ck_assert_str_eq(list[1]->username, "carol");
    bk_provider_list_free(list, n);
    OK(bk_provider_delete(db, &c));
    OK(bk_provider_list(db, &list, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(list[0]->username, "alice");
    bk_provider_list_free(list, n);
    /* Soft-deleted: still readable, nothing to book. */
    bk_provider *p = NULL;
    OK(bk_provider_get(db, &c, &p));
    ck_assert(p->deleted_at != BK_TIME_UNSET);
    bk_provider_free(p);
    bk_service *s = NULL;
    OK(bk_service_get(db, &svc, &s));
    bk_service_free(s);
    size_t purged = 0;
    OK(bk_provider_purge(db, BK_TIME_MAX - 1, &purged));
    ck_assert_uint_eq(purged, 1);
    ck_assert_int_eq(bk_service_get(db, &svc, &s), BK_ENOTFOUND);
    ck_assert_int_eq(bk_provider_delete(db, &c), BK_ENOTFOUND);
    OK(bk_provider_list(db, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_provider_list_free(list, n);
}
END_TEST

/* ---- services ---- */

START_TEST(service_round_trips_and_deactivates)
{
    bk_id p = new_provider("anna", "UTC");
    bk_service s = BK_SERVICE_INIT;
    s.provider = p;
    s.name = "Massage";
    s.description = "60 minutes";
    s.duration_minutes = 60;
    s.buffer_before_minutes = 5;
    s.buffer_after_minutes = 15;
    s.slot_step_minutes = 30;
    s.min_notice_minutes = 120;
    s.horizon_days = 30;
    s.price_minor = 4999;
    s.currency = "JPY";
    s.display_order = 3;
    s.requires_confirmation = 1;
    bk_id id;
    OK(bk_service_create(db, &s, &id));
    bk_service *got = NULL;
    OK(bk_service_get(db, &id, &got));
    ck_assert_str_eq(got->name, "Massage");
    ck_assert_str_eq(got->provider.s, p.s);
    ck_assert_int_eq(got->duration_minutes, 60);
    ck_assert_int_eq(got->buffer_before_minutes, 5);
    ck_assert_int_eq(got->buffer_after_minutes, 15);
    ck_assert_int_eq(got->slot_step_minutes, 30);
    ck_assert_int_eq(got->min_notice_minutes, 120);
    ck_assert_int_eq(got->horizon_days, 30);
    ck_assert_int_eq(got->price_minor, 4999);
    ck_assert_str_eq(got->currency, "JPY");
    ck_assert_int_eq(got->active, 1);
    ck_assert_int_eq(got->requires_confirmation, 1);
    bk_service_free(got);
    OK(bk_service_deactivate(db, &id));
    OK(bk_service_get(db, &id, &got));
    ck_assert_int_eq(got->active, 0);
    bk_service_free(got);
}
END_TEST

START_TEST(service_list_orders_by_display_order_then_name)
{
    bk_id p = new_provider("anna", "UTC");
    const char *names[] = {"b", "a", "c"};
    int orders[] = {1, 1, 0};
    for (int i = 0; i < 3; i++) {
        bk_service s = BK_SERVICE_INIT;
        s.provider = p;
        s.name = names[i];
        s.duration_minutes = 30;
        s.display_order = orders[i];
        OK(bk_service_create(db, &s, NULL));
    }
    bk_service **list = NULL;
    size_t n = 0;
    OK(bk_service_list(db, &p, &list, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0]->name, "c");
    ck_assert_str_eq(list[1]->name, "a");
    ck_assert_str_eq(list[2]->name, "b");
    bk_service_list_free(list, n);
}
END_TEST

START_TEST(service_of_unknown_provider_is_not_found)
{
    bk_id ghost;
    OK(bk_id_parse("00000000-0000-4000-8000-000000000000", &ghost));
    bk_service s = BK_SERVICE_INIT;
    s.provider = ghost;
    s.name = "x";
    s.duration_minutes = 30;
    ck_assert_int_eq(bk_service_create(db, &s, NULL), BK_ENOTFOUND);
}
END_TEST

/* ---- calendar ---- */

START_TEST(availability_override_and_blocked_round_trip)
{
    bk_id p = new_provider("anna", "UTC");
    add_rule(p, 2, 600, 700, 1);
    add_rule(p, 1, 540, 1020, 1);
    add_rule(p, 1, 720, 780, 0);
    bk_availability **rules = NULL;
    size_t n = 0;
    OK(bk_availability_list(db, &p, &rules, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(rules[0]->weekday, 1);
    ck_assert_int_eq(rules[0]->start_minute, 540);
    ck_assert_int_eq(rules[1]->is_available, 0);
    ck_assert_int_eq(rules[2]->weekday, 2);
    OK(bk_availability_delete(db, &rules[2]->id));
    ck_assert_int_eq(bk_availability_delete(db, &rules[2]->id), BK_ENOTFOUND);
    bk_availability_list_free(rules, n);

    bk_local_interval iv[] = {{600, 660}, {700, 720}};
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = p;
    o.date = (bk_date){2026, 1, 7};
    o.n_intervals = 2;
    o.intervals = iv;
    OK(bk_override_set(db, &o));
    o.n_intervals = 1; /* replaces */
    OK(bk_override_set(db, &o));
    bk_override **ovs = NULL;
    bk_date from = {2026, 1, 1}, to = {2026, 1, 31};
    OK(bk_override_list(db, &p, &from, &to, &ovs, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(ovs[0]->n_intervals, 1);
    ck_assert_int_eq(ovs[0]->intervals[0].start_minute, 600);
    bk_override_list_free(ovs, n);
    OK(bk_override_delete(db, &p, &o.date));
    OK(bk_override_list(db, &p, &from, &to, &ovs, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(ovs);

    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = p;
    b.start = T("2026-01-05T10:00:00Z");
    b.end = T("2026-01-05T11:00:00Z");
    b.reason = "dentist";
    bk_id bid;
    OK(bk_blocked_add(db, &b, &bid));
    bk_blocked **bl = NULL;
    OK(bk_blocked_list(db, &p, T("2026-01-05T11:00:00Z"), T("2026-01-06T00:00:00Z"), &bl, &n));
    ck_assert_uint_eq(n, 0); /* touching is not overlapping */
    OK(bk_blocked_list(db, &p, T("2026-01-05T10:59:00Z"), T("2026-01-06T00:00:00Z"), &bl, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(bl[0]->reason, "dentist");
    ck_assert_str_eq(bl[0]->id.s, bid.s);
    bk_blocked_list_free(bl, n);
    OK(bk_blocked_delete(db, &bid));
}
END_TEST

/* ---- slots ---- */

/* The issue's example: Berlin, 30 minutes + 10 after, Mon-Fri 9-17 without
 * 12-13, across the spring-forward weekend. */
START_TEST(berlin_week_across_spring_forward)
{
    bk_id p = new_provider("anna", "Europe/Berlin");
    bk_id s = new_service(p, 30, 0, 10, 0);
    for (int wd = 1; wd <= 5; wd++) {
        add_rule(p, wd, 540, 1020, 1);
        add_rule(p, wd, 720, 780, 0);
    }
    bk_slot *slots = NULL;
    size_t n = slots_between(p, s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z", &slots);
    ck_assert_uint_eq(n, 28); /* Friday and Monday, 14 each */
    ck_assert_int_eq(slots[0].start, T("2026-03-27T08:00:00Z"));  /* 09:00 CET */
    ck_assert_int_eq(slots[14].start, T("2026-03-30T07:00:00Z")); /* 09:00 CEST */
    ck_assert_int_eq(slots[13].end, T("2026-03-27T16:00:00Z"));   /* 17:00 CET */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(slots[i].end - slots[i].start, 1800);
    bk_slots_free(slots);
}
END_TEST

START_TEST(slots_of_inactive_service_are_an_error)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 600, 1);
    OK(bk_service_deactivate(db, &s));
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = p;
    q.service = s;
    q.from = T("2026-01-05T00:00:00Z");
    q.to = T("2026-01-06T00:00:00Z");
    bk_slot *out = NULL;
    size_t n = 7;
    ck_assert_int_eq(bk_slots(db, &q, &out, &n), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "inactive"));
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(slots_of_another_providers_service_are_not_found)
{
    bk_id a = new_provider("anna", "UTC");
    bk_id b = new_provider("bob", "UTC");
    bk_id s = new_service(b, 30, 0, 0, 0);
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = a;
    q.service = s;
    q.from = T("2026-01-05T00:00:00Z");
    q.to = T("2026-01-06T00:00:00Z");
    bk_slot *out = NULL;
    size_t n;
    ck_assert_int_eq(bk_slots(db, &q, &out, &n), BK_ENOTFOUND);
}
END_TEST

/* ---- booking ---- */

START_TEST(book_then_same_slot_conflicts_and_slot_disappears)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 10, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    ck_assert_int_eq(b->status, BK_BOOKING_CONFIRMED);
    ck_assert_int_eq(b->lock_version, 1);
    ck_assert_int_eq(b->buffer_after_minutes, 10);
    ck_assert_int_eq(b->end - b->start, 1800);
    ck_assert(b->confirmed_at != BK_TIME_UNSET);
    bk_id id = b->id;
    bk_booking_free(b);
    ck_assert_int_eq(book(p, s, "2026-01-05T09:00:00Z", NULL), BK_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), id.s));
    /* 09:30's range touches the booking, but the booking's 10-minute buffer
     * runs to 09:40. */
    ck_assert_int_eq(book(p, s, "2026-01-05T09:30:00Z", NULL), BK_ECONFLICT);
    bk_slot *slots = NULL;
    size_t n = slots_between(p, s, "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", &slots);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(slots[0].start, T("2026-01-05T10:00:00Z"));
    bk_slots_free(slots);
    OK(bk_booking_get(db, &id, &b));
    ck_assert_str_eq(b->customer_email, "customer@example.com");
    bk_booking_free(b);
}
END_TEST

START_TEST(book_refuses_what_slots_would_not_offer)
{
    bk_id p = new_provider("anna", "UTC");
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = p;
    sv.name = "s";
    sv.duration_minutes = 30;
    sv.min_notice_minutes = 60;
    sv.horizon_days = 10;
    bk_id s;
    OK(bk_service_create(db, &sv, &s));
    add_rule(p, 1, 540, 720, 1);
    bk_blocked bl = BK_BLOCKED_INIT;
    bl.provider = p;
    bl.start = T("2026-01-05T10:10:00Z");
    bl.end = T("2026-01-05T10:20:00Z");
    OK(bk_blocked_add(db, &bl, NULL));

    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = p;
    r.service = s;
    r.customer_name = "C";
    r.customer_email = "c@example.com";
    r.now = T("2026-01-05T08:30:00Z");
    struct {
        const char *start;
        int code;
        const char *why;
    } cases[] = {
        {"2026-01-05T08:30:00Z", BK_EUNAVAILABLE, "working"},  /* before hours */
        {"2026-01-05T09:15:00Z", BK_EUNAVAILABLE, "grid"},     /* off grid */
        {"2026-01-05T10:00:00Z", BK_EUNAVAILABLE, "blocked"},  /* blocked */
        {"2026-01-05T09:00:00Z", BK_EUNAVAILABLE, "notice"},   /* < now + 60 min */
        {"2026-01-19T09:00:00Z", BK_EUNAVAILABLE, "horizon"},  /* > 10 days */
        {"2026-01-05T09:30:00Z", BK_OK, NULL},                 /* now + 60 min exactly */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r.start = T(cases[i].start);
        int rc = bk_book(db, &r, NULL);
        ck_assert_msg(rc == cases[i].code, "%s: got %d (%s)", cases[i].start, rc, bk_errmsg(db));
        if (cases[i].why)
            ck_assert_msg(strstr(bk_errmsg(db), cases[i].why), "%s: '%s' lacks '%s'", cases[i].start,
                          bk_errmsg(db), cases[i].why);
    }
}
END_TEST

START_TEST(idempotency_key_returns_first_booking_and_rejects_other_parameters)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = p;
    r.service = s;
    r.start = T("2026-01-05T09:00:00Z");
    r.now = T("2026-01-01T00:00:00Z");
    r.customer_name = "C";
    r.customer_email = "c@example.com";
    r.idempotency_key = "order-42";
    bk_booking *first = NULL, *again = NULL;
    OK(bk_book(db, &r, &first));
    OK(bk_book(db, &r, &again));
    ck_assert_str_eq(first->id.s, again->id.s);
    bk_booking_free(again);
    r.start = T("2026-01-05T10:00:00Z");
    ck_assert_int_eq(bk_book(db, &r, &again), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "idempotency_key"));
    ck_assert_ptr_null(again);
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = p;
    bk_booking **list = NULL;
    size_t n = 0;
    OK(bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_booking_list_free(list, n);
    bk_booking_free(first);
}
END_TEST

START_TEST(booking_keeps_the_buffers_it_was_committed_with)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 30, 0);
    add_rule(p, 1, 540, 720, 1);
    OK(book(p, s, "2026-01-05T09:00:00Z", NULL));
    bk_service *sv = NULL;
    OK(bk_service_get(db, &s, &sv));
    sv->buffer_after_minutes = 0;
    OK(bk_service_update(db, sv));
    bk_service_free(sv);
    /* The booking still occupies 09:00-10:00. */
    ck_assert_int_eq(book(p, s, "2026-01-05T09:30:00Z", NULL), BK_ECONFLICT);
    OK(book(p, s, "2026-01-05T10:00:00Z", NULL));
}
END_TEST

START_TEST(service_requiring_confirmation_books_pending)
{
    bk_id p = new_provider("anna", "UTC");
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = p;
    sv.name = "s";
    sv.duration_minutes = 30;
    sv.requires_confirmation = 1;
    bk_id s;
    OK(bk_service_create(db, &sv, &s));
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    ck_assert_int_eq(b->status, BK_BOOKING_PENDING);
    ck_assert(b->confirmed_at == BK_TIME_UNSET);
    bk_booking_free(b);
}
END_TEST

START_TEST(cancel_frees_the_slot_and_checks_version_and_state)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    ck_assert_int_eq(bk_booking_cancel(db, &b->id, b->lock_version + 1, "x", NULL), BK_ESTALE);
    bk_booking *c = NULL;
    OK(bk_booking_cancel(db, &b->id, b->lock_version, "customer asked", &c));
    ck_assert_int_eq(c->status, BK_BOOKING_CANCELLED);
    ck_assert_int_eq(c->lock_version, b->lock_version + 1);
    ck_assert_str_eq(c->cancellation_reason, "customer asked");
    ck_assert(c->cancelled_at != BK_TIME_UNSET);
    ck_assert_int_eq(bk_booking_cancel(db, &b->id, c->lock_version, NULL, NULL), BK_ESTATE);
    bk_booking *stored = NULL;
    OK(bk_booking_get(db, &b->id, &stored));
    ck_assert_int_eq(stored->status, BK_BOOKING_CANCELLED);
    ck_assert_int_eq(stored->lock_version, c->lock_version);
    bk_booking_free(stored);
    OK(book(p, s, "2026-01-05T09:00:00Z", NULL));
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = p;
    f.include_cancelled = 0;
    bk_booking **list = NULL;
    size_t n = 0;
    OK(bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_booking_list_free(list, n);
    f.include_cancelled = 1;
    OK(bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_eq(n, 2);
    bk_booking_list_free(list, n);
    bk_booking_free(b);
    bk_booking_free(c);
}
END_TEST

START_TEST(import_keeps_history_off_grid_but_refuses_overlap)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.provider = p;
    b.service = s;
    b.start = T("2026-01-05T03:07:00Z"); /* no working time at all */
    b.end = T("2026-01-05T03:50:00Z");
    b.status = BK_BOOKING_COMPLETED;
    b.customer_name = "Old";
    b.customer_email = "old@example.com";
    b.confirmed_at = b.cancelled_at = BK_TIME_UNSET;
    bk_id id;
    OK(bk_booking_import(db, &b, &id));
    b.start = T("2026-01-05T03:40:00Z");
    b.end = T("2026-01-05T04:00:00Z");
    ck_assert_int_eq(bk_booking_import(db, &b, NULL), BK_ECONFLICT);
    b.status = BK_BOOKING_CANCELLED;
    OK(bk_booking_import(db, &b, NULL));
    bk_booking *got = NULL;
    OK(bk_booking_get(db, &id, &got));
    ck_assert_int_eq(got->status, BK_BOOKING_COMPLETED);
    ck_assert_int_eq(got->start, T("2026-01-05T03:07:00Z"));
    bk_booking_free(got);
}
END_TEST

/* ---- explain ---- */

START_TEST(explain_names_the_blocking_period_and_the_conflicting_booking)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_blocked bl = BK_BLOCKED_INIT;
    bl.provider = p;
    bl.start = T("2026-01-05T10:00:00Z");
    bl.end = T("2026-01-05T10:30:00Z");
    bk_id blocked_id;
    OK(bk_blocked_add(db, &bl, &blocked_id));
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T11:00:00Z", &b));
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = p;
    q.service = s;
    q.from = T("2026-01-05T00:00:00Z");
    q.to = T("2026-01-06T00:00:00Z");
    q.now = T("2020-01-01T00:00:00Z");
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    OK(bk_slot_explain(db, &q, T("2026-01-05T10:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_str_eq(v.related.s, blocked_id.s);
    OK(bk_slot_explain(db, &q, T("2026-01-05T11:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_CONFLICT);
    ck_assert_str_eq(v.related.s, b->id.s);
    ck_assert_ptr_nonnull(strstr(v.message, b->id.s));
    OK(bk_slot_explain(db, &q, T("2026-01-05T09:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OFFERED);
    ck_assert_int_eq(v.end, T("2026-01-05T09:30:00Z"));
    OK(bk_slot_explain(db, &q, T("2026-01-05T09:10:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OFF_GRID);
    OK(bk_slot_explain(db, &q, T("2026-01-05T13:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OUTSIDE_WORKING_TIME);
    OK(bk_slot_explain(db, &q, T("2026-01-12T09:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OUTSIDE_WINDOW);
    ck_assert_str_eq(bk_slot_reason_name(BK_SLOT_CONFLICT), "conflict");
    bk_booking_free(b);
}
END_TEST

/* ---- time helpers ---- */

START_TEST(iso_times_round_trip)
{
    bk_time t;
    OK(bk_time_parse_iso("2026-03-08T07:30:00Z", &t));
    ck_assert_int_eq(t, 1772955000);
    char buf[BK_ISO_SIZE];
    OK(bk_time_format_iso(t, buf));
    ck_assert_str_eq(buf, "2026-03-08T07:30:00Z");
    OK(bk_time_format_iso(BK_TIME_MIN, buf));
    ck_assert_str_eq(buf, "1900-01-01T00:00:00Z");
    OK(bk_time_format_iso(BK_TIME_MAX - 1, buf));
    ck_assert_str_eq(buf, "2199-12-31T23:59:59Z");
}
END_TEST

START_TEST(time_format_uses_zone_and_locale)
{
    char buf[128];
    bk_time t = T("2026-03-30T07:00:00Z");
    OK(bk_time_format(t, "Europe/Berlin", "de_DE", "HHmm", buf, sizeof buf));
    ck_assert_str_eq(buf, "09:00");
    OK(bk_time_format(t, "America/New_York", "en_US", "jmm", buf, sizeof buf));
    ck_assert_ptr_nonnull(strstr(buf, "3:00"));
    OK(bk_time_format(t, "Asia/Kathmandu", "en_US", "HHmm", buf, sizeof buf));
    ck_assert_str_eq(buf, "12:45");
    ck_assert_int_eq(bk_time_format(t, "Europe/Berlin", "de_DE", NULL, buf, 4), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(NULL), "buf_size"));
}
END_TEST

START_TEST(records_outlive_their_handle)
{
    bk_id p = new_provider("anna", "UTC");
    bk_provider *got = NULL;
    OK(bk_provider_get(db, &p, &got));
    bk_close(db);
    db = NULL;
    ck_assert_str_eq(got->username, "anna");
    bk_provider_free(got);
    ck_assert_int_eq(open_db(&db), BK_OK);
}
END_TEST

/* ---- lifecycle ---- */

START_TEST(lifecycle_moves_follow_the_design_table)
{
    bk_id p = new_provider("anna", "UTC");
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = p;
    sv.name = "s";
    sv.duration_minutes = 30;
    sv.requires_confirmation = 1;
    bk_id s;
    OK(bk_service_create(db, &sv, &s));
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL, *c = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    ck_assert_int_eq(b->status, BK_BOOKING_PENDING);
    /* pending cannot complete or be a no-show */
    ck_assert_int_eq(bk_booking_complete(db, &b->id, b->lock_version, NULL), BK_ESTATE);
    ck_assert_int_eq(bk_booking_mark_no_show(db, &b->id, b->lock_version, NULL), BK_ESTATE);
    OK(bk_booking_confirm(db, &b->id, b->lock_version, &c));
    ck_assert_int_eq(c->status, BK_BOOKING_CONFIRMED);
    ck_assert(c->confirmed_at != BK_TIME_UNSET);
    ck_assert_int_eq(c->lock_version, 2);
    ck_assert_int_eq(bk_booking_confirm(db, &b->id, c->lock_version, NULL), BK_ESTATE);
    OK(bk_booking_complete(db, &b->id, c->lock_version, NULL));
    ck_assert_int_eq(bk_booking_cancel(db, &b->id, c->lock_version + 1, NULL, NULL), BK_ESTATE);
    bk_booking_free(b);
    bk_booking_free(c);

    OK(book(p, s, "2026-01-05T10:00:00Z", &b));
    OK(bk_booking_confirm(db, &b->id, 1, NULL));
    OK(bk_booking_mark_no_show(db, &b->id, 2, &c));
    ck_assert_int_eq(c->status, BK_BOOKING_NO_SHOW);
    ck_assert_int_eq(bk_booking_reschedule(db, &b->id, 3, T("2026-01-05T11:00:00Z"), T("2020-01-01T00:00:00Z"),
                                           NULL),
                     BK_ESTATE);
    bk_booking_free(b);
    bk_booking_free(c);
}
END_TEST

START_TEST(stale_version_changes_nothing)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    /* Two handles on one store would race the same way: the second writer
     * holds an old version. */
    OK(bk_booking_cancel(db, &b->id, 1, "first", NULL));
    ck_assert_int_eq(bk_booking_reschedule(db, &b->id, 1, T("2026-01-05T10:00:00Z"), T("2020-01-01T00:00:00Z"), NULL),
                     BK_ESTALE);
    ck_assert_int_eq(bk_booking_cancel(db, &b->id, 1, "second", NULL), BK_ESTALE);
    bk_booking *now = NULL;
    OK(bk_booking_get(db, &b->id, &now));
    ck_assert_int_eq(now->lock_version, 2);
    ck_assert_str_eq(now->cancellation_reason, "first");
    ck_assert_int_eq(now->start, T("2026-01-05T09:00:00Z"));
    bk_booking_free(now);
    bk_booking_free(b);
}
END_TEST

START_TEST(reschedule_moves_ignoring_itself_and_stays_on_conflict)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 60, 0, 0, 30);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *a = NULL, *b = NULL, *moved = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &a));
    OK(book(p, s, "2026-01-05T11:00:00Z", &b));
    /* 09:30 overlaps only the booking being moved. */
    OK(bk_booking_reschedule(db, &a->id, 1, T("2026-01-05T09:30:00Z"), T("2020-01-01T00:00:00Z"), &moved));
    ck_assert_str_eq(moved->id.s, a->id.s);
    ck_assert_int_eq(moved->start, T("2026-01-05T09:30:00Z"));
    ck_assert_int_eq(moved->end, T("2026-01-05T10:30:00Z"));
    ck_assert_int_eq(moved->lock_version, 2);
    ck_assert_int_eq(moved->status, BK_BOOKING_CONFIRMED);
    /* 10:30 overlaps the 11:00 booking: refused, the booking stays. */
    ck_assert_int_eq(bk_booking_reschedule(db, &a->id, 2, T("2026-01-05T10:30:00Z"), T("2020-01-01T00:00:00Z"), NULL),
                     BK_ECONFLICT);
    ck_assert_int_eq(bk_booking_reschedule(db, &a->id, 2, T("2026-01-05T12:00:00Z"), T("2020-01-01T00:00:00Z"), NULL),
                     BK_EUNAVAILABLE);
    bk_booking *stored = NULL;
    OK(bk_booking_get(db, &a->id, &stored));
    ck_assert_int_eq(stored->start, T("2026-01-05T09:30:00Z"));
    ck_assert_int_eq(stored->lock_version, 2);
    bk_booking_free(stored);
    bk_slot *slots = NULL;
    size_t n = slots_between(p, s, "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", &slots);
    int has_nine = 0;
    for (size_t i = 0; i < n; i++)
        has_nine |= slots[i].start == T("2026-01-05T09:00:00Z");
    ck_assert_int_eq(has_nine, 0); /* 09:00-10:00 overlaps 09:30-10:30 */
    bk_slots_free(slots);
    bk_booking_free(a);
    bk_booking_free(b);
    bk_booking_free(moved);
}
END_TEST

/* ---- recurring blocked periods ---- */

START_TEST(recurring_lunch_follows_local_time_across_dst)
{
    bk_id p = new_provider("anna", "America/New_York");
    bk_id s = new_service(p, 60, 0, 0, 0);
    for (int wd = 1; wd <= 5; wd++)
        add_rule(p, wd, 11 * 60, 14 * 60, 1);
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = p;
    b.start = T("2026-03-02T17:00:00Z"); /* Monday 12:00 EST */
    b.end = T("2026-03-02T18:00:00Z");
    b.rrule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
    bk_id lunch;
    OK(bk_blocked_add(db, &b, &lunch));
    bk_slot *slots = NULL;
    /* Friday before the change and Monday after it: 11:00 and 13:00 local. */
    size_t n = slots_between(p, s, "2026-03-06T05:00:00Z", "2026-03-07T05:00:00Z", &slots);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(slots[0].start, T("2026-03-06T16:00:00Z"));
    ck_assert_int_eq(slots[1].start, T("2026-03-06T18:00:00Z"));
    bk_slots_free(slots);
    n = slots_between(p, s, "2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z", &slots);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(slots[0].start, T("2026-03-09T15:00:00Z"));
    ck_assert_int_eq(slots[1].start, T("2026-03-09T17:00:00Z"));
    bk_slots_free(slots);
    /* The occurrence names the period that carries the rule. */
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = p;
    q.service = s;
    q.from = T("2026-03-09T04:00:00Z");
    q.to = T("2026-03-10T04:00:00Z");
    q.now = T("2020-01-01T00:00:00Z");
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    OK(bk_slot_explain(db, &q, T("2026-03-09T16:00:00Z"), &v));
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_str_eq(v.related.s, lunch.s);
    /* A booking in the recurring block is refused. */
    ck_assert_int_eq(book(p, s, "2026-03-09T16:00:00Z", NULL), BK_EUNAVAILABLE);
    bk_blocked **list = NULL;
    OK(bk_blocked_list(db, &p, T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z"), &list, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(list[0]->rrule, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    bk_blocked_list_free(list, n);
}
END_TEST

START_TEST(recurring_rule_must_match_its_first_occurrence)
{
    bk_id p = new_provider("anna", "Europe/Berlin");
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = p;
    b.start = T("2026-01-06T11:00:00Z"); /* a Tuesday */
    b.end = T("2026-01-06T12:00:00Z");
    b.rrule = "FREQ=WEEKLY;BYDAY=MO";
    ck_assert_int_eq(bk_blocked_add(db, &b, NULL), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "rrule"));
    b.rrule = "FREQ=WEEKLY;BYHOUR=9";
    ck_assert_int_eq(bk_blocked_add(db, &b, NULL), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "BYHOUR"));
    b.rrule = "FREQ=WEEKLY;BYDAY=TU;COUNT=3";
    OK(bk_blocked_add(db, &b, NULL));
}
END_TEST

/* ---- issue 4: filters, soft delete, credentials, tokens, customer data ---- */

/* Monday 2027-03-01 onwards: in the future of the wall clock, which token
 * expiry and redeem use. */
static int book_as(bk_id provider, bk_id service, const char *start, const char *email, bk_booking **out)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = provider;
    r.service = service;
    r.start = T(start);
    r.now = T("2020-01-01T00:00:00Z");
    r.customer_name = "Kim Customer";
    r.customer_email = email;
    r.customer_phone = "+49 30 1234";
    r.notes = "window seat";
    return bk_book(db, &r, out);
}

static size_t list_count(bk_id provider, unsigned statuses, const char *email)
{
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = provider;
    f.statuses = statuses;
    f.customer_email = email;
    bk_booking **list = NULL;
    size_t n = 0;
    OK(bk_booking_list(db, &f, &list, &n));
    bk_booking_list_free(list, n);
    return n;
}

START_TEST(list_filters_by_status_and_customer_email)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *a = NULL, *b = NULL;
    /* Stored NFC: "e" + combining acute is stored as one "\u00e9". */
    OK(book_as(p, s, "2027-03-01T09:00:00Z", "Rene\xcc\x81@Example.COM", &a));
    ck_assert_str_eq(a->customer_email, "Ren\xc3\xa9@Example.COM");
    OK(book_as(p, s, "2027-03-01T10:00:00Z", "\xc3\x85sa@example.com", &b)); /* Åsa */
    OK(book_as(p, s, "2027-03-01T11:00:00Z", "other@example.com", NULL));
    OK(bk_booking_cancel(db, &b->id, 1, "ill", NULL));
    ck_assert_uint_eq(list_count(p, 0, NULL), 3);
    ck_assert_uint_eq(list_count(p, BK_STATUS_BIT(BK_BOOKING_CANCELLED), NULL), 1);
    ck_assert_uint_eq(list_count(p, BK_STATUS_BIT(BK_BOOKING_CONFIRMED), NULL), 2);
    /* Unicode case folding and NFC on the caller's side too. */
    ck_assert_uint_eq(list_count(p, 0, "REN\xc3\x89@example.com"), 1);
    ck_assert_uint_eq(list_count(p, 0, "\xc3\xa5SA@EXAMPLE.COM"), 1);
    ck_assert_uint_eq(list_count(p, BK_STATUS_BIT(BK_BOOKING_CONFIRMED), "\xc3\xa5SA@EXAMPLE.COM"), 0);
    ck_assert_uint_eq(list_count(p, 0, "nobody@example.com"), 0);
    /* include_cancelled = 0 still means live ones when statuses is 0. */
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = p;
    f.include_cancelled = 0;
    bk_booking **list = NULL;
    size_t n = 0;
    OK(bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_eq(n, 2);
    bk_booking_list_free(list, n);
    f.statuses = 1u << 9;
    ck_assert_int_eq(bk_booking_list(db, &f, &list, &n), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "statuses"));
    f.statuses = 0;
    f.customer_email = "\xff@example.com";
    ck_assert_int_eq(bk_booking_list(db, &f, &list, &n), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "customer_email"));
    bk_booking_free(a);
    bk_booking_free(b);
}
END_TEST

START_TEST(provider_usernames_and_emails_are_stored_nfc)
{
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "Jose\xcc\x81";
    p.email = "Jose\xcc\x81@example.com";
    p.full_name = "Jos\xc3\xa9";
    p.timezone = "UTC";
    bk_id id;
    OK(bk_provider_create(db, &p, &id));
    bk_provider *got = NULL;
    OK(bk_provider_get(db, &id, &got));
    ck_assert_str_eq(got->username, "Jos\xc3\xa9");
    ck_assert_str_eq(got->email, "Jos\xc3\xa9@example.com");
    bk_provider_free(got);
    /* The composed spelling in another case is the same username. */
    p.username = "JOS\xc3\x89";
    p.email = "x@example.com";
    ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EEXISTS);
    p.username = "bad\xc3";
    ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EINVAL);
}
END_TEST

START_TEST(soft_deleted_provider_is_hidden_restorable_and_purged)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL;
    OK(book(p, s, "2026-01-05T09:00:00Z", &b));
    OK(bk_provider_delete(db, &p));
    ck_assert_uint_eq(list_count(p, 0, NULL), 1); /* its bookings stay readable */
    bk_provider **all = NULL;
    size_t n = 0;
    OK(bk_provider_list(db, &all, &n));
    ck_assert_uint_eq(n, 0);
    bk_provider_list_free(all, n);
    bk_slot *slots = NULL;
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = p;
    q.service = s;
    q.from = T("2026-01-05T00:00:00Z");
    q.to = T("2026-01-06T00:00:00Z");
    q.now = T("2020-01-01T00:00:00Z");
    ck_assert_int_eq(bk_slots(db, &q, &slots, &n), BK_ENOTFOUND);
    ck_assert_int_eq(book(p, s, "2026-01-05T10:00:00Z", NULL), BK_ENOTFOUND);
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = p;
    sv.name = "more";
    sv.duration_minutes = 10;
    ck_assert_int_eq(bk_service_create(db, &sv, NULL), BK_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "deleted"));
    /* A booking of a deleted provider can still be cancelled. */
    OK(bk_booking_cancel(db, &b->id, 1, "provider left", NULL));
    /* A purge cut before the deletion keeps it. */
    size_t purged = 9;
    OK(bk_provider_purge(db, T("2020-01-01T00:00:00Z"), &purged));
    ck_assert_uint_eq(purged, 0);
    OK(bk_provider_restore(db, &p));
    OK(bk_slots(db, &q, &slots, &n));
    ck_assert_uint_gt(n, 0);
    bk_slots_free(slots);
    OK(bk_provider_restore(db, &p)); /* not deleted: nothing to do */
    OK(bk_provider_delete(db, &p));
    OK(bk_provider_purge(db, BK_TIME_MAX - 1, &purged));
    ck_assert_uint_eq(purged, 1);
    bk_booking *gone = NULL;
    ck_assert_int_eq(bk_booking_get(db, &b->id, &gone), BK_ENOTFOUND);
    bk_booking_free(b);
}
END_TEST

START_TEST(passwords_verify_by_username_or_email_and_upgrade_weak_hashes)
{
    ck_assert_int_ge(sodium_init(), 0);
    bk_id p = new_provider("Anna", "UTC");
    bk_id q = new_provider("bob", "UTC");
    bk_id who;
    int rehashed = -1;
    /* No password yet: denied like a wrong one. */
    ck_assert_int_eq(bk_provider_verify_password(db, "anna", "correct horse", &who, NULL), BK_EDENIED);
    OK(bk_provider_set_password(db, &p, "correct horse"));
    OK(bk_provider_verify_password(db, "ANNA", "correct horse", &who, &rehashed));
    ck_assert_str_eq(who.s, p.s);
    ck_assert_int_eq(rehashed, 0);
    OK(bk_provider_verify_password(db, "Anna@Example.com", "correct horse", &who, NULL));
    ck_assert_str_eq(who.s, p.s);
    ck_assert_int_eq(bk_provider_verify_password(db, "anna", "wrong horse", &who, NULL), BK_EDENIED);
    ck_assert_int_eq(bk_provider_verify_password(db, "nobody", "correct horse", &who, NULL), BK_EDENIED);
    /* The clear text is in no message. */
    ck_assert_ptr_null(strstr(bk_errmsg(db), "horse"));
    ck_assert_int_eq(bk_provider_set_password(db, &p, "short"), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "password"));
    ck_assert_int_eq(bk_provider_set_password(db, &p, "bad \xff utf-8"), BK_EINVAL);
    /* An imported hash with weaker limits verifies and is upgraded once. */
    char weak[crypto_pwhash_STRBYTES];
    ck_assert_int_eq(crypto_pwhash_str(weak, "imported pw", 11, crypto_pwhash_OPSLIMIT_MIN, 8192 * 1024), 0);
    OK(bk_provider_set_password_hash(db, &q, weak));
    OK(bk_provider_verify_password(db, "bob", "imported pw", &who, &rehashed));
    ck_assert_int_eq(rehashed, 1);
    OK(bk_provider_verify_password(db, "bob", "imported pw", &who, &rehashed));
    ck_assert_int_eq(rehashed, 0);
    ck_assert_int_eq(bk_provider_set_password_hash(db, &q, "$2b$10$notargon"), BK_EINVAL);
    ck_assert_int_eq(bk_provider_set_password_hash(db, &q, "$argon2id$v=19$m=bogus"), BK_EINVAL);
    /* A deleted provider cannot log in. */
    OK(bk_provider_delete(db, &p));
    ck_assert_int_eq(bk_provider_verify_password(db, "anna", "correct horse", &who, NULL), BK_EDENIED);
    bk_id missing;
    ck_assert_int_eq(bk_id_parse("00000000-0000-4000-8000-000000000000", &missing), BK_OK);
    ck_assert_int_eq(bk_provider_set_password(db, &missing, "correct horse"), BK_ENOTFOUND);
}
END_TEST

static bk_time in_an_hour(void) { return (bk_time)time(NULL) + 3600; }

START_TEST(tokens_confirm_cancel_and_reschedule_once)
{
    bk_id p = new_provider("anna", "UTC");
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = p;
    sv.name = "s";
    sv.duration_minutes = 30;
    sv.requires_confirmation = 1;
    bk_id s;
    OK(bk_service_create(db, &sv, &s));
    add_rule(p, 1, 540, 720, 1);
    bk_booking *b = NULL, *c = NULL;
    OK(book_as(p, s, "2027-03-01T09:00:00Z", "kim@example.com", &b));
    char confirm[BK_TOKEN_SIZE], cancel[BK_TOKEN_SIZE], move[BK_TOKEN_SIZE];
    OK(bk_token_issue(db, &b->id, BK_TOKEN_CONFIRM, in_an_hour(), confirm));
    ck_assert_uint_eq(strlen(confirm), BK_TOKEN_SIZE - 1);
    ck_assert(strncmp(confirm, "bkt1_", 5) == 0);
    OK(bk_token_issue(db, &b->id, BK_TOKEN_CANCEL, in_an_hour(), cancel));
    OK(bk_token_issue(db, &b->id, BK_TOKEN_RESCHEDULE, in_an_hour(), move));
    ck_assert_str_ne(confirm, cancel);

    bk_token_action act = 0;
    OK(bk_token_redeem(db, confirm, NULL, &c, &act));
    ck_assert_int_eq(act, BK_TOKEN_CONFIRM);
    ck_assert_int_eq(c->status, BK_BOOKING_CONFIRMED);
    ck_assert_int_eq(c->lock_version, 2);
    bk_booking_free(c);
    ck_assert_int_eq(bk_token_redeem(db, confirm, NULL, NULL, NULL), BK_EUSED);

    /* A reschedule onto a taken slot fails and leaves the token usable. */
    OK(book_as(p, s, "2027-03-01T10:00:00Z", "other@example.com", NULL));
    bk_token_redeem_params rp = BK_TOKEN_REDEEM_PARAMS_INIT;
    rp.new_start = T("2027-03-01T10:00:00Z");
    ck_assert_int_eq(bk_token_redeem(db, move, &rp, NULL, NULL), BK_ECONFLICT);
    rp.new_start = T("2027-03-01T11:00:00Z");
    OK(bk_token_redeem(db, move, &rp, &c, &act));
    ck_assert_int_eq(act, BK_TOKEN_RESCHEDULE);
    ck_assert_int_eq(c->start, T("2027-03-01T11:00:00Z"));
    ck_assert_int_eq(c->lock_version, 3);
    bk_booking_free(c);

    /* Expired: at a `now` past the expiry. */
    rp = (bk_token_redeem_params)BK_TOKEN_REDEEM_PARAMS_INIT;
    rp.now = in_an_hour() + 60;
    ck_assert_int_eq(bk_token_redeem(db, cancel, &rp, NULL, NULL), BK_EEXPIRED);
    rp.now = BK_TIME_UNSET;
    rp.reason = "changed plans";
    OK(bk_token_redeem(db, cancel, &rp, &c, NULL));
    ck_assert_int_eq(c->status, BK_BOOKING_CANCELLED);
    ck_assert_str_eq(c->cancellation_reason, "changed plans");
    bk_booking_free(c);

    /* Malformed and unknown. */
    ck_assert_int_eq(bk_token_redeem(db, "bkt1_short", NULL, NULL, NULL), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "token"));
    char unknown[BK_TOKEN_SIZE];
    memcpy(unknown, cancel, sizeof unknown);
    unknown[10] = unknown[10] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(bk_token_redeem(db, unknown, NULL, NULL, NULL), BK_ENOTFOUND);
    unknown[BK_TOKEN_SIZE - 2] = '*';
    ck_assert_int_eq(bk_token_redeem(db, unknown, NULL, NULL, NULL), BK_EINVAL);
    /* A final booking takes no token; expiry must be ahead. */
    char t[BK_TOKEN_SIZE];
    ck_assert_int_eq(bk_token_issue(db, &b->id, BK_TOKEN_CANCEL, in_an_hour(), t), BK_ESTATE);
    ck_assert_int_eq(bk_token_issue(db, &b->id, BK_TOKEN_CANCEL, (bk_time)time(NULL) - 1, t), BK_EINVAL);
    ck_assert_int_eq(bk_token_issue(db, &b->id, (bk_token_action)7, in_an_hour(), t), BK_EINVAL);
    bk_booking_free(b);
}
END_TEST

static json_t *export_of(const char *email)
{
    char *text = NULL;
    OK(bk_customer_export(db, email, &text));
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    ck_assert_msg(doc != NULL, "export is not JSON: %s", e.text);
    bk_string_free(text);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "format")), "libbooking.customer-export");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "format_version")), 1);
    return doc;
}

START_TEST(customer_export_erase_and_retention)
{
    bk_id p = new_provider("anna", "UTC"), q = new_provider("bob", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0), t = new_service(q, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    add_rule(q, 1, 540, 720, 1);
    bk_booking *a = NULL, *b = NULL, *o = NULL;
    OK(book_as(p, s, "2027-03-01T09:00:00Z", "Kim@Example.com", &a));
    OK(book_as(q, t, "2027-03-08T09:00:00Z", "kim@example.COM", &b));
    OK(book_as(p, s, "2027-03-01T10:00:00Z", "other@example.com", &o));
    char tok[BK_TOKEN_SIZE];
    OK(bk_token_issue(db, &a->id, BK_TOKEN_CANCEL, in_an_hour(), tok));

    json_t *doc = export_of("KIM@example.com");
    json_t *list = json_object_get(doc, "bookings");
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "id")), a->id.s);
    ck_assert_str_eq(json_string_value(json_object_get(first, "start")), "2027-03-01T09:00:00Z");
    ck_assert_str_eq(json_string_value(json_object_get(first, "customer_phone")), "+49 30 1234");
    ck_assert_str_eq(json_string_value(json_object_get(first, "status")), "confirmed");
    ck_assert(json_is_null(json_object_get(first, "archived_at")));
    json_decref(doc);

    size_t n = 0;
    OK(bk_customer_erase(db, "kim@example.com", &n));
    ck_assert_uint_eq(n, 2);
    OK(bk_customer_erase(db, "kim@example.com", &n));
    ck_assert_uint_eq(n, 0);
    doc = export_of("kim@example.com");
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "bookings")), 0);
    json_decref(doc);
    bk_booking *g = NULL;
    OK(bk_booking_get(db, &a->id, &g));
    ck_assert_str_eq(g->customer_name, "erased");
    char want[80];
    snprintf(want, sizeof want, "erased@%s.invalid", a->id.s);
    ck_assert_str_eq(g->customer_email, want);
    ck_assert_ptr_null(g->customer_phone);
    ck_assert_ptr_null(g->notes);
    ck_assert_int_eq(g->lock_version, a->lock_version + 1);
    ck_assert_int_eq(g->start, a->start); /* the calendar keeps its time */
    ck_assert_int_eq(g->status, BK_BOOKING_CONFIRMED);
    bk_booking_free(g);
    /* The erased customer's link no longer works. */
    ck_assert_int_eq(bk_token_redeem(db, tok, NULL, NULL, NULL), BK_ENOTFOUND);
    OK(bk_booking_get(db, &o->id, &g));
    ck_assert_str_eq(g->customer_email, "other@example.com");
    bk_booking_free(g);

    /* Retention: everything that ended before the cut. */
    OK(bk_bookings_anonymise(db, T("2027-03-02T00:00:00Z"), &n));
    ck_assert_uint_eq(n, 1); /* "other"; a is erased already */
    OK(bk_booking_get(db, &o->id, &g));
    ck_assert_str_eq(g->customer_name, "erased");
    bk_booking_free(g);
    OK(bk_bookings_anonymise(db, T("2027-03-02T00:00:00Z"), &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(bk_customer_export(db, "not an email", &(char *){NULL}), BK_EINVAL);
    bk_booking_free(a);
    bk_booking_free(b);
    bk_booking_free(o);
}
END_TEST

START_TEST(archive_moves_final_bookings_that_stay_readable)
{
    bk_id p = new_provider("anna", "UTC");
    bk_id s = new_service(p, 30, 0, 0, 0);
    add_rule(p, 1, 540, 720, 1);
    bk_booking *a = NULL, *b = NULL, *c = NULL, *live = NULL;
    OK(book_as(p, s, "2027-03-01T09:00:00Z", "kim@example.com", &a));
    OK(book_as(p, s, "2027-03-01T10:00:00Z", "kim@example.com", &b));
    OK(book_as(p, s, "2027-03-01T11:00:00Z", "kim@example.com", &c));
    OK(book_as(p, s, "2027-03-01T11:30:00Z", "kim@example.com", &live));
    OK(bk_booking_complete(db, &a->id, 1, NULL));
    OK(bk_booking_cancel(db, &b->id, 1, NULL, NULL));
    OK(bk_booking_mark_no_show(db, &c->id, 1, NULL));
    size_t n = 0;
    /* Nothing ended before the cut yet. */
    OK(bk_booking_archive(db, T("2027-03-01T09:00:00Z"), 10, &n));
    ck_assert_uint_eq(n, 0);
    OK(bk_booking_archive(db, T("2027-03-02T00:00:00Z"), 1, &n));
    ck_assert_uint_eq(n, 3); /* three batches of one; the live one stays */
    bk_booking *g = NULL;
    OK(bk_booking_get(db, &a->id, &g));
    ck_assert(g->archived_at != BK_TIME_UNSET);
    ck_assert_int_eq(g->status, BK_BOOKING_COMPLETED);
    bk_booking_free(g);
    OK(bk_booking_get(db, &live->id, &g));
    ck_assert(g->archived_at == BK_TIME_UNSET);
    bk_booking_free(g);
    ck_assert_uint_eq(list_count(p, 0, NULL), 4);
    ck_assert_uint_eq(list_count(p, BK_STATUS_BIT(BK_BOOKING_NO_SHOW), "KIM@example.com"), 1);
    /* Archived bookings do not change, but are exported and erased. */
    ck_assert_int_eq(bk_booking_cancel(db, &c->id, 2, NULL, NULL), BK_ESTATE);
    json_t *doc = export_of("kim@example.com");
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "bookings")), 4);
    ck_assert(json_is_string(json_object_get(json_array_get(json_object_get(doc, "bookings"), 0), "archived_at")));
    json_decref(doc);
    OK(bk_customer_erase(db, "kim@example.com", &n));
    ck_assert_uint_eq(n, 4);
    OK(bk_booking_archive(db, T("2027-03-02T00:00:00Z"), 100, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(bk_booking_archive(db, T("2027-03-02T00:00:00Z"), 0, &n), BK_EINVAL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "batch_size"));
    bk_booking_free(a);
    bk_booking_free(b);
    bk_booking_free(c);
    bk_booking_free(live);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    struct {
        const char *name;
        const TTest *tests[16];
    } groups[] = {
        {"basics", {version_matches_header, every_status_has_a_distinct_description, iso_times_round_trip,
                    time_format_uses_zone_and_locale, records_outlive_their_handle}},
        {"providers", {provider_round_trips_every_field, provider_username_and_email_unique_case_insensitively,
                       provider_update_replaces_fields_and_keeps_uniqueness,
                       provider_list_is_ordered_and_delete_cascades}},
        {"services", {service_round_trips_and_deactivates, service_list_orders_by_display_order_then_name,
                      service_of_unknown_provider_is_not_found}},
        {"calendar", {availability_override_and_blocked_round_trip, recurring_lunch_follows_local_time_across_dst,
                      recurring_rule_must_match_its_first_occurrence}},
        {"slots", {berlin_week_across_spring_forward, slots_of_inactive_service_are_an_error,
                   slots_of_another_providers_service_are_not_found,
                   explain_names_the_blocking_period_and_the_conflicting_booking}},
        {"bookings", {book_then_same_slot_conflicts_and_slot_disappears, book_refuses_what_slots_would_not_offer,
                      idempotency_key_returns_first_booking_and_rejects_other_parameters,
                      booking_keeps_the_buffers_it_was_committed_with, service_requiring_confirmation_books_pending,
                      cancel_frees_the_slot_and_checks_version_and_state,
                      import_keeps_history_off_grid_but_refuses_overlap}},
        {"lifecycle", {lifecycle_moves_follow_the_design_table, stale_version_changes_nothing,
                       reschedule_moves_ignoring_itself_and_stays_on_conflict}},
        {"rights", {list_filters_by_status_and_customer_email, provider_usernames_and_emails_are_stored_nfc,
                    soft_deleted_provider_is_hidden_restorable_and_purged,
                    passwords_verify_by_username_or_email_and_upgrade_weak_hashes,
                    tokens_confirm_cancel_and_reschedule_once, customer_export_erase_and_retention,
                    archive_moves_final_bookings_that_stay_readable}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        TCase *tc = tcase_create(groups[g].name);
        /* Argon2id hashes 64 MiB per password on purpose (the rights
         * group makes several); on a loaded machine that outgrows Check's
         * default 4 seconds. */
        tcase_set_timeout(tc, 120);
        tcase_add_checked_fixture(tc, setup, teardown);
        for (size_t i = 0; i < 16 && groups[g].tests[i]; i++)
            tcase_add_test(tc, groups[g].tests[i]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    Suite *suites[] = {api_suite()};
    return harness_run(suites, 1);
}
