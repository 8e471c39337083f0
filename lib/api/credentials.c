/* Provider credentials: Argon2id password hashes (libsodium).  The clear
 * text goes to libsodium and nowhere else: no copy, no message, no log. */
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "util/alloc.h"
#include "util/strutil.h"

/* libsodium's "interactive" limits (2 passes over 64 MiB): what a login
 * can afford, and what a stored hash made with less is upgraded to. */
#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

int api_sodium_ready(bk_db *db)
{
    /* Idempotent and thread-safe; -1 only when the system cannot give it
     * randomness. */
    if (sodium_init() < 0)
        return api_fail(db, BK_ESTORE, "libsodium: cannot initialise (no source of randomness)");
    return BK_OK;
}

/* The password's length and encoding; its bytes never reach a message. */
static int v_password(bk_db *db, const char *password)
{
    if (!password)
        return api_fail(db, BK_EINVAL, "password: NULL");
    size_t n = strnlen(password, PASSWORD_MAX + 1);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return api_fail(db, BK_EINVAL, "password: must be %d to %d bytes", PASSWORD_MIN, PASSWORD_MAX);
    if (!strutil_utf8_valid(password, n))
        return api_fail(db, BK_EINVAL, "password: not valid UTF-8");
    return BK_OK;
}

static int hash_password(bk_db *db, const char *password, char out[crypto_pwhash_STRBYTES])
{
    /* Fails only when the memory for the hash cannot be had. */
    if (crypto_pwhash_str(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT) != 0)
        return api_fail(db, BK_ENOMEM, "password: out of memory hashing it");
    return BK_OK;
}

BK_API int bk_provider_set_password(bk_db *db, const bk_id *provider, const char *password)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_id(db, "provider", provider)) || (rc = v_password(db, password)) || (rc = api_sodium_ready(db)))
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(db, password, hash)))
        return rc;
    rc = db->store->provider_password_set(db->store, provider, hash, NULL, &db->err);
    sodium_memzero(hash, sizeof hash);
    return api_store_result(db, rc);
}

BK_API int bk_provider_set_password_hash(bk_db *db, const bk_id *provider, const char *argon2id_hash)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_id(db, "provider", provider)) || (rc = api_sodium_ready(db)))
        return rc;
    if (!argon2id_hash)
        return api_fail(db, BK_EINVAL, "argon2id_hash: NULL");
    size_t n = strnlen(argon2id_hash, crypto_pwhash_STRBYTES);
    /* needs_rehash parses the whole parameter string: -1 is a string that
     * is not an Argon2id hash. */
    if (n >= crypto_pwhash_STRBYTES || strncmp(argon2id_hash, crypto_pwhash_argon2id_STRPREFIX,
                                               strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0 ||
        crypto_pwhash_str_needs_rehash(argon2id_hash, PW_OPSLIMIT, PW_MEMLIMIT) < 0)
        return api_fail(db, BK_EINVAL, "argon2id_hash: not an Argon2id hash string (\"$argon2id$v=19$m=...,t=...,p=...$...\")");
    return api_store_result(db, db->store->provider_password_set(db->store, provider, argon2id_hash, NULL, &db->err));
}

typedef struct credential {
    int found;
    bk_id provider;
    char hash[crypto_pwhash_STRBYTES];
    int has_hash;
} credential;

static int take_credential(void *ctx, const bk_id *provider, const char *password_hash)
{
    credential *c = ctx;
    c->found = 1;
    c->provider = *provider;
    c->has_hash = password_hash && strlen(password_hash) < sizeof c->hash;
    if (c->has_hash)
        memcpy(c->hash, password_hash, strlen(password_hash) + 1);
    return BK_OK;
}

BK_API int bk_provider_verify_password(bk_db *db, const char *login, const char *password, bk_id *out_provider,
                                       int *out_rehashed)
{
    API_ENTER(db);
    if (out_provider)
        memset(out_provider, 0, sizeof *out_provider);
    if (out_rehashed)
        *out_rehashed = 0;
    int rc;
    char *key = NULL;
    if ((rc = v_password(db, password)) || (rc = api_sodium_ready(db)) || (rc = api_login_key(db, "login", login, &key)))
        return rc;
    credential c;
    memset(&c, 0, sizeof c);
    bk_store_sink sink = {0};
    sink.ctx = &c;
    sink.credential = take_credential;
    rc = db->store->provider_login(db->store, key, &sink, &db->err);
    bki_free(key);
    if (rc == BK_ENOTFOUND || (rc == BK_OK && !c.found))
        return api_fail(db, BK_EDENIED, "login: unknown login or wrong password");
    if (rc)
        return api_store_result(db, rc);
    if (!c.has_hash || crypto_pwhash_str_verify(c.hash, password, strlen(password)) != 0)
        return api_fail(db, BK_EDENIED, "login: unknown login or wrong password");
    if (crypto_pwhash_str_needs_rehash(c.hash, PW_OPSLIMIT, PW_MEMLIMIT) == 1) {
        char fresh[crypto_pwhash_STRBYTES];
        /* The login succeeded either way: an upgrade that fails (memory,
         * or a concurrent password change, BK_ESTALE) is tried again at the
         * next login. */
        if (hash_password(db, password, fresh) == BK_OK &&
            db->store->provider_password_set(db->store, &c.provider, fresh, c.hash, &db->err) == BK_OK &&
            out_rehashed)
            *out_rehashed = 1;
        sodium_memzero(fresh, sizeof fresh);
        api_begin(db);
    }
    if (out_provider)
        *out_provider = c.provider;
    return BK_OK;
}
