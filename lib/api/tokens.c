/* Booking tokens: the secret of a confirm / cancel / reschedule link.
 * 256 random bits, shown once as "bkt1_" + URL-safe base64; the store keeps
 * only BLAKE2b-256 of the bits.  A fast hash is enough: unlike a password,
 * the secret has 256 bits of entropy, so there is nothing to guess from a
 * database dump. */
#include <string.h>

#include <sodium.h>

#include "api/api.h"

#define TOKEN_PREFIX "bkt1_"
#define TOKEN_PREFIX_LEN 5
#define TOKEN_BYTES 32
#define TOKEN_B64_LEN 43 /* 32 bytes, base64 without padding */

static void token_hash(const unsigned char secret[TOKEN_BYTES], unsigned char hash[32])
{
    crypto_generichash(hash, 32, secret, TOKEN_BYTES, NULL, 0);
}

/* The 32 bytes of a well-formed token, else BK_EINVAL.  Only the canonical
 * spelling is accepted (the encoding of the bytes read back is the text). */
static int token_parse(bk_db *db, const char *text, unsigned char secret[TOKEN_BYTES])
{
    if (!text)
        return api_fail(db, BK_EINVAL, "token: NULL");
    size_t n = strnlen(text, BK_TOKEN_SIZE);
    if (n != BK_TOKEN_SIZE - 1 || strncmp(text, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0)
        return api_fail(db, BK_EINVAL, "token: malformed (expected \"bkt1_\" and 43 URL-safe base64 characters)");
    size_t got = 0;
    char again[TOKEN_B64_LEN + 1];
    if (sodium_base642bin(secret, TOKEN_BYTES, text + TOKEN_PREFIX_LEN, TOKEN_B64_LEN, NULL, &got, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got != TOKEN_BYTES ||
        !sodium_bin2base64(again, sizeof again, secret, TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        memcmp(again, text + TOKEN_PREFIX_LEN, TOKEN_B64_LEN) != 0)
        return api_fail(db, BK_EINVAL, "token: malformed (not URL-safe base64 of 32 bytes)");
    return BK_OK;
}

static int action_valid(int a) { return a >= BK_TOKEN_CONFIRM && a <= BK_TOKEN_RESCHEDULE; }

static const char *action_name(bk_token_action a)
{
    return a == BK_TOKEN_CONFIRM ? "confirm" : a == BK_TOKEN_CANCEL ? "cancel" : "reschedule";
}

/* A token for a move the booking can no longer make would only fail when
 * redeemed: refuse it now. */
static int action_possible(bk_booking_status st, bk_token_action a)
{
    if (a == BK_TOKEN_CONFIRM)
        return st == BK_BOOKING_PENDING;
    return st == BK_BOOKING_PENDING || st == BK_BOOKING_CONFIRMED;
}

BK_API int bk_token_issue(bk_db *db, const bk_id *booking, bk_token_action action, bk_time expires_at,
                          char out[BK_TOKEN_SIZE])
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "out", out)))
        return rc;
    out[0] = '\0';
    if ((rc = v_id(db, "booking", booking)))
        return rc;
    if (!action_valid((int)action))
        return api_fail(db, BK_EINVAL, "action: %d is not BK_TOKEN_CONFIRM, _CANCEL or _RESCHEDULE", (int)action);
    bk_time now = api_clock();
    if ((rc = v_time(db, "expires_at", expires_at)))
        return rc;
    if (expires_at <= now)
        return api_fail(db, BK_EINVAL, "expires_at: must be in the future");
    if ((rc = api_sodium_ready(db)))
        return rc;
    bk_booking *b = NULL;
    if ((rc = bk_booking_get(db, booking, &b)))
        return rc;
    bk_store_token t;
    memset(&t, 0, sizeof t);
    t.version = 1;
    t.booking = b->id;
    t.provider = b->provider;
    int possible = action_possible(b->status, action) && b->archived_at == BK_TIME_UNSET;
    bk_booking_status status = b->status;
    bk_booking_free(b);
    if (!possible)
        return api_fail(db, BK_ESTATE, "booking: a %s booking takes no %s token", bk_booking_status_name(status),
                        action_name(action));
    if ((rc = api_new_id(db, &t.id)))
        return rc;
    t.action = action;
    t.expires_at = expires_at;
    t.used_at = BK_TIME_UNSET;
    t.created_at = now;
    unsigned char secret[TOKEN_BYTES];
    randombytes_buf(secret, sizeof secret);
    token_hash(secret, t.hash);
    char text[BK_TOKEN_SIZE];
    /* The prefix only: sodium_bin2base64 writes the rest and the NUL. */
    memcpy(text, TOKEN_PREFIX, TOKEN_PREFIX_LEN); /* NOLINT(bugprone-not-null-terminated-result) */
    sodium_bin2base64(text + TOKEN_PREFIX_LEN, sizeof text - TOKEN_PREFIX_LEN, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof secret);
    rc = api_store_result(db, db->store->token_insert(db->store, &t, &db->err));
    if (rc == BK_OK)
        memcpy(out, text, BK_TOKEN_SIZE);
    sodium_memzero(text, sizeof text);
    return rc;
}

BK_API void bk_token_redeem_params_init(bk_token_redeem_params *p)
{
    if (p) {
        bk_token_redeem_params init = BK_TOKEN_REDEEM_PARAMS_INIT;
        *p = init;
    }
}

static int take_token(void *ctx, const bk_store_token *t)
{
    *(bk_store_token *)ctx = *t;
    return BK_OK;
}

BK_API int bk_token_redeem(bk_db *db, const char *token, const bk_token_redeem_params *params, bk_booking **out,
                           bk_token_action *out_action)
{
    API_ENTER(db);
    if (out)
        *out = NULL;
    if (out_action)
        *out_action = 0;
    bk_token_redeem_params defaults = BK_TOKEN_REDEEM_PARAMS_INIT;
    if (!params)
        params = &defaults;
    int rc;
    unsigned char secret[TOKEN_BYTES], hash[32];
    if ((rc = v_version(db, "params", params->version, BK_TOKEN_REDEEM_PARAMS_VERSION)) ||
        (rc = v_text(db, "params.reason", params->reason, 0, 1000)) || (rc = api_sodium_ready(db)) ||
        (rc = token_parse(db, token, secret)))
        return rc;
    bk_time now = params->now == BK_TIME_UNSET ? api_clock() : params->now;
    if ((rc = v_time(db, "params.now", now)))
        return rc;
    token_hash(secret, hash);
    sodium_memzero(secret, sizeof secret);
    bk_store_token t;
    memset(&t, 0, sizeof t);
    bk_store_sink sink = {0};
    sink.ctx = &t;
    sink.token = take_token;
    rc = db->store->token_get(db->store, hash, &sink, &db->err);
    if (rc == BK_ENOTFOUND || (rc == BK_OK && t.version == 0))
        return api_fail(db, BK_ENOTFOUND, "token: unknown");
    if (rc)
        return api_store_result(db, rc);
    if (t.used_at != BK_TIME_UNSET)
        return api_fail(db, BK_EUSED, "token: already used");
    if (t.expires_at <= now)
        return api_fail(db, BK_EEXPIRED, "token: expired");
    if (!action_valid((int)t.action))
        return api_fail(db, BK_ESTORE, "token: stored action %d is unknown", (int)t.action);
    if (t.action == BK_TOKEN_RESCHEDULE && (rc = v_time(db, "params.new_start", params->new_start)))
        return rc;
    rc = api_booking_token_action(db, &t.booking, t.action, hash, params, now, out);
    if ((rc == BK_ESTATE || rc == BK_ESTALE) && db->store->token_get(db->store, hash, &sink, &db->err) == BK_OK &&
        t.used_at != BK_TIME_UNSET)
        /* A concurrent redeem of this token won; the booking's new state
         * is its doing, so say what happened to the token. */
        rc = api_fail(db, BK_EUSED, "token: already used");
    if (rc == BK_OK && out_action)
        *out_action = t.action;
    return rc;
}
