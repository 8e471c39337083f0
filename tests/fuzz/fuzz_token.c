/* Fuzz target: the secrets and ids that arrive from outside -- booking
 * tokens (bk_token_redeem, the text of a confirm / cancel / reschedule
 * link), record ids (bk_id_parse) and imported password hashes
 * (bk_provider_set_password_hash).
 * Input: byte 1 the token's action, byte 2 a mode (0: redeem the input's
 * text; 1: redeem the real token with one byte replaced, at the position
 * and with the value of bytes 3-4), then the text.
 * Properties:
 *   - a text that is not "bkt1_" + the canonical URL-safe base64 of 32
 *     bytes is BK_EINVAL; a well-formed text that is not the token is
 *     BK_ENOTFOUND; nothing but the token itself is ever BK_OK;
 *   - a failed redeem does not use the token up: the real token then
 *     works once, and a second time is BK_EUSED;
 *   - bk_id_parse accepts exactly the 8-4-4-4-12 hex form, lower-casing it;
 *   - bk_provider_set_password_hash accepts only "$argon2id$..." strings. */
#include <ctype.h>

#include "fuzz.h"

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* 43 characters carry 258 bits for 256: the last one's two low bits must
 * be zero, else two texts would name one secret. */
static int token_well_formed(const char *t)
{
    if (strlen(t) != 48 || strncmp(t, "bkt1_", 5) != 0)
        return 0;
    for (size_t i = 5; i < 48; i++)
        if (b64url_value(t[i]) < 0)
            return 0;
    return (b64url_value(t[47]) & 3) == 0;
}

static int uuid_form(const char *t)
{
    if (strlen(t) != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (t[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)t[i])) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024)
        return 0;
    fz f = {data, size};
    bk_token_action action = (bk_token_action)(1 + fz_u8(&f) % 3);
    int mode = fz_u8(&f) % 2;
    size_t pos = fz_u8(&f) % 48;
    char byte = (char)fz_u8(&f);
    char *text = fz_rest(&f);

    bk_db *db = NULL;
    FUZZ_OK(NULL, bk_open(&db, "memory:"));
    bk_id pid, sid;
    fz_provider(db, "fuzz", "Europe/Berlin", 30, &pid, &sid);
    bk_service *svc = NULL;
    FUZZ_OK(db, bk_service_get(db, &sid, &svc));
    svc->requires_confirmation = 1; /* pending: every action is possible */
    FUZZ_OK(db, bk_service_update(db, svc));
    bk_service_free(svc);

    bk_time now = 1774872000; /* 2026-03-30T12:00:00Z, on the Berlin half-hour grid */
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = pid;
    r.service = sid;
    r.now = now;
    r.start = now + 86400;
    r.customer_name = "Token Holder";
    r.customer_email = "holder@example.org";
    bk_booking *b = NULL;
    FUZZ_OK(db, bk_book(db, &r, &b));
    char token[BK_TOKEN_SIZE];
    FUZZ_OK(db, bk_token_issue(db, &b->id, action, BK_TIME_MAX - 1, token));
    FUZZ_CHECK(token_well_formed(token), "issued token '%s' is not well-formed", token);

    char tried[64];
    const char *attempt = text;
    if (mode == 1) {
        memcpy(tried, token, BK_TOKEN_SIZE);
        tried[pos] = byte; /* a NUL shortens it */
        attempt = tried;
    }
    bk_token_redeem_params params = BK_TOKEN_REDEEM_PARAMS_INIT;
    params.now = now;
    params.new_start = now + 2 * 86400;
    bk_booking *done = NULL;
    bk_token_action got_action = 0;
    int rc = bk_token_redeem(db, attempt, &params, &done, &got_action);
    int is_token = strcmp(attempt, token) == 0;
    if (is_token) {
        FUZZ_CHECK(rc == BK_OK && got_action == action, "the token itself -> %d (%s)", rc, bk_errmsg(db));
    } else if (token_well_formed(attempt)) {
        FUZZ_CHECK(rc == BK_ENOTFOUND && done == NULL, "well-formed '%s' -> %d (%s)", attempt, rc, bk_errmsg(db));
        fz_check_message(bk_errmsg(db), "bk_token_redeem");
    } else {
        FUZZ_CHECK(done == NULL, "a failed redeem returned a booking");
        fz_check_einval(rc, bk_errmsg(db), "bk_token_redeem");
    }
    bk_booking_free(done);

    /* The real token: unused unless the attempt was the token. */
    done = NULL;
    rc = bk_token_redeem(db, token, &params, &done, NULL);
    if (is_token) {
        FUZZ_CHECK(rc == BK_EUSED, "a used token -> %d (%s)", rc, bk_errmsg(db));
    } else {
        FUZZ_CHECK(rc == BK_OK && done && done->lock_version == 2, "the token after a failed redeem -> %d (%s)", rc,
                   bk_errmsg(db));
        FUZZ_CHECK(bk_token_redeem(db, token, &params, NULL, NULL) == BK_EUSED, "the token worked twice");
    }
    bk_booking_free(done);
    bk_booking_free(b);

    bk_id id;
    rc = bk_id_parse(text, &id);
    if (rc == BK_OK) {
        FUZZ_CHECK(uuid_form(text), "bk_id_parse accepted '%s'", text);
        for (size_t i = 0; i < 36; i++)
            FUZZ_CHECK(id.s[i] == (char)tolower((unsigned char)text[i]), "bk_id_parse('%s') -> '%s'", text, id.s);
        FUZZ_CHECK(id.s[36] == '\0', "id not terminated");
    } else {
        FUZZ_CHECK(!uuid_form(text), "bk_id_parse refused '%s'", text);
        fz_check_einval(rc, bk_errmsg(NULL), "bk_id_parse");
    }

    rc = bk_provider_set_password_hash(db, &pid, text);
    if (rc == BK_OK)
        FUZZ_CHECK(strncmp(text, "$argon2id$", 10) == 0, "imported '%s' as an Argon2id hash", text);
    else
        fz_check_einval(rc, bk_errmsg(db), "bk_provider_set_password_hash");

    bk_close(db);
    free(text);
    return 0;
}
