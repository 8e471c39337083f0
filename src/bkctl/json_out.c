/*
 * JSON documents of bkctl's store commands (json_out.h).  Builders collect
 * failures instead of checking each member: one NULL anywhere makes the
 * whole record NULL, which the caller reports as out of memory.
 */
#include "json_out.h"

#include <stdint.h>
#include <stdio.h>

void jo_fmt_time(bk_time t, char buf[BK_ISO_SIZE])
{
    if (bk_time_format_iso(t, buf) != BK_OK)
        snprintf(buf, BK_ISO_SIZE, "%lld", (long long)t);
}

void jo_fmt_minute(int minute, char buf[JO_HHMM_SIZE])
{
    if (minute < 0 || minute > 1440) {
        snprintf(buf, JO_HHMM_SIZE, "?");
        return;
    }
    snprintf(buf, JO_HHMM_SIZE, "%02d:%02d", minute / 60, minute % 60);
}

void jo_fmt_date(const bk_date *d, char buf[JO_DATE_SIZE])
{
    if (d->year < 0 || d->year > 9999 || d->month < 0 || d->month > 99 || d->day < 0 || d->day > 99) {
        snprintf(buf, JO_DATE_SIZE, "?");
        return;
    }
    snprintf(buf, JO_DATE_SIZE, "%04d-%02d-%02d", d->year, d->month, d->day);
}

const char *jo_status_name(int status)
{
    switch (status) {
    case BK_OK: return "BK_OK";
    case BK_EINVAL: return "BK_EINVAL";
    case BK_ENOTFOUND: return "BK_ENOTFOUND";
    case BK_ECONFLICT: return "BK_ECONFLICT";
    case BK_EUNAVAILABLE: return "BK_EUNAVAILABLE";
    case BK_ESTALE: return "BK_ESTALE";
    case BK_ESTATE: return "BK_ESTATE";
    case BK_ENOMEM: return "BK_ENOMEM";
    case BK_EEXISTS: return "BK_EEXISTS";
    case BK_ESTORE: return "BK_ESTORE";
    case BK_ECONNECTION: return "BK_ECONNECTION";
    case BK_EUNKNOWN: return "BK_EUNKNOWN";
    case BK_EMISUSE: return "BK_EMISUSE";
    default: return "BK_E?";
    }
}

/* An object under construction; `ok` drops to 0 at the first failure. */
typedef struct builder {
    json_t *obj;
    int ok;
} builder;

static builder start(void)
{
    builder b = {json_object(), 1};
    b.ok = b.obj != NULL;
    return b;
}

static void put(builder *b, const char *key, json_t *value)
{
    if (!value) {
        b->ok = 0;
        return;
    }
    if (!b->ok) {
        json_decref(value);
        return;
    }
    /* json_object_set_new takes the reference even when it fails. */
    if (json_object_set_new(b->obj, key, value) != 0)
        b->ok = 0;
}

static void put_str(builder *b, const char *key, const char *s)
{
    put(b, key, s ? json_string(s) : json_null());
}

static void put_int(builder *b, const char *key, int64_t v)
{
    put(b, key, json_integer((json_int_t)v));
}

static void put_bool(builder *b, const char *key, int v)
{
    put(b, key, json_boolean(v));
}

static void put_time(builder *b, const char *key, bk_time t)
{
    if (t == BK_TIME_UNSET) {
        put(b, key, json_null());
        return;
    }
    char buf[BK_ISO_SIZE];
    jo_fmt_time(t, buf);
    put(b, key, json_string(buf));
}

static void put_id(builder *b, const char *key, const bk_id *id)
{
    put(b, key, id->s[0] ? json_string(id->s) : json_null());
}

static void put_minute(builder *b, const char *key, int minute)
{
    char buf[JO_HHMM_SIZE];
    jo_fmt_minute(minute, buf);
    put(b, key, json_string(buf));
}

static json_t *finish(builder *b)
{
    if (!b->ok) {
        json_decref(b->obj);
        return NULL;
    }
    return b->obj;
}

json_t *jo_provider(const bk_provider *p)
{
    builder b = start();
    put_id(&b, "id", &p->id);
    put_str(&b, "username", p->username);
    put_str(&b, "email", p->email);
    put_str(&b, "full_name", p->full_name);
    put_str(&b, "timezone", p->timezone);
    put_str(&b, "business_name", p->business_name);
    put_str(&b, "description", p->description);
    put_str(&b, "avatar_url", p->avatar_url);
    put_time(&b, "created_at", p->created_at);
    put_time(&b, "updated_at", p->updated_at);
    return finish(&b);
}

json_t *jo_service(const bk_service *s)
{
    builder b = start();
    put_id(&b, "id", &s->id);
    put_id(&b, "provider", &s->provider);
    put_str(&b, "name", s->name);
    put_str(&b, "description", s->description);
    put_int(&b, "duration_minutes", s->duration_minutes);
    put_int(&b, "buffer_before_minutes", s->buffer_before_minutes);
    put_int(&b, "buffer_after_minutes", s->buffer_after_minutes);
    put_int(&b, "slot_step_minutes", s->slot_step_minutes);
    put_int(&b, "min_notice_minutes", s->min_notice_minutes);
    put_int(&b, "horizon_days", s->horizon_days);
    put_int(&b, "price_minor", s->price_minor);
    put_str(&b, "currency", s->currency);
    put_bool(&b, "active", s->active);
    put_int(&b, "display_order", s->display_order);
    put_bool(&b, "requires_confirmation", s->requires_confirmation);
    put_time(&b, "created_at", s->created_at);
    put_time(&b, "updated_at", s->updated_at);
    return finish(&b);
}

json_t *jo_availability(const bk_availability *a)
{
    builder b = start();
    put_id(&b, "id", &a->id);
    put_id(&b, "provider", &a->provider);
    put_int(&b, "weekday", a->weekday);
    put_minute(&b, "start", a->start_minute);
    put_minute(&b, "end", a->end_minute);
    put_bool(&b, "is_available", a->is_available);
    return finish(&b);
}

json_t *jo_override(const bk_override *o)
{
    builder b = start();
    char date[JO_DATE_SIZE];
    jo_fmt_date(&o->date, date);
    put_id(&b, "provider", &o->provider);
    put(&b, "date", json_string(date));
    json_t *list = json_array();
    for (size_t i = 0; list && i < o->n_intervals; i++) {
        char s[JO_HHMM_SIZE], e[JO_HHMM_SIZE];
        jo_fmt_minute(o->intervals[i].start_minute, s);
        jo_fmt_minute(o->intervals[i].end_minute, e);
        json_t *pair = json_pack("[ss]", s, e);
        if (!pair || json_array_append_new(list, pair) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    put(&b, "intervals", list);
    return finish(&b);
}

json_t *jo_blocked(const bk_blocked *x)
{
    builder b = start();
    put_id(&b, "id", &x->id);
    put_id(&b, "provider", &x->provider);
    put_time(&b, "start", x->start);
    put_time(&b, "end", x->end);
    put_str(&b, "rrule", x->rrule && x->rrule[0] ? x->rrule : NULL);
    put_str(&b, "reason", x->reason);
    return finish(&b);
}

json_t *jo_booking(const bk_booking *x)
{
    builder b = start();
    put_id(&b, "id", &x->id);
    put_id(&b, "provider", &x->provider);
    put_id(&b, "service", &x->service);
    put_time(&b, "start", x->start);
    put_time(&b, "end", x->end);
    put_int(&b, "buffer_before_minutes", x->buffer_before_minutes);
    put_int(&b, "buffer_after_minutes", x->buffer_after_minutes);
    put_str(&b, "status", bk_booking_status_name(x->status));
    put_int(&b, "lock_version", x->lock_version);
    put_str(&b, "idempotency_key", x->idempotency_key);
    put_str(&b, "customer_name", x->customer_name);
    put_str(&b, "customer_email", x->customer_email);
    put_str(&b, "customer_phone", x->customer_phone);
    put_str(&b, "customer_timezone", x->customer_timezone);
    put_str(&b, "notes", x->notes);
    put_str(&b, "cancellation_reason", x->cancellation_reason);
    put_time(&b, "created_at", x->created_at);
    put_time(&b, "updated_at", x->updated_at);
    put_time(&b, "confirmed_at", x->confirmed_at);
    put_time(&b, "cancelled_at", x->cancelled_at);
    return finish(&b);
}

json_t *jo_slots(const bk_slot *slots, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        char a[BK_ISO_SIZE], e[BK_ISO_SIZE];
        jo_fmt_time(slots[i].start, a);
        jo_fmt_time(slots[i].end, e);
        json_t *pair = json_pack("[ss]", a, e);
        if (!pair || json_array_append_new(list, pair) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

json_t *jo_error(int status, const char *message)
{
    builder b = start();
    put_str(&b, "error", jo_status_name(status));
    put_int(&b, "status", status);
    /* A message quoting bad input may not be UTF-8: never lose the error
     * object over it. */
    json_t *m = json_string(message ? message : "");
    put(&b, "message", m ? m : json_string("(message not UTF-8)"));
    return finish(&b);
}

int jo_print(json_t *doc, FILE *to)
{
    if (!doc)
        return -1;
    /* JSON_INDENT(0): one line with ", " and ": ", as `bkctl scenario`. */
    int rc = json_dumpf(doc, to, JSON_INDENT(0));
    json_decref(doc);
    if (rc != 0 || fputc('\n', to) == EOF)
        return -1;
    return 0;
}
