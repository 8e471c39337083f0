/*
 * A tiny program that uses libbooking as an application would: built only
 * against the installed headers and library (tests/test_consumer.sh).
 */
#include <booking.h>
#include <booking/sys/store.h> /* installed too, for backend authors */

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int status)
{
    fprintf(stderr, "consumer: %s: %s (%d): %s\n", what, bk_strerror(status), status,
            bk_errmsg(NULL));
    return 1;
}

int main(void)
{
    bk_db *db = NULL;
    bk_provider spec = BK_PROVIDER_INIT;
    bk_provider *got = NULL;
    bk_id id;
    int rc;

    printf("bk_version() = %s, BK_VERSION_STRING = %s\n", bk_version(), BK_VERSION_STRING);
    if (strcmp(bk_version(), BK_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: bk_version() is not BK_VERSION_STRING\n");
        return 1;
    }
    if (bk_version_number() != BK_VERSION_NUMBER) {
        fprintf(stderr, "consumer: bk_version_number() = %d, BK_VERSION_NUMBER = %d\n",
                bk_version_number(), BK_VERSION_NUMBER);
        return 1;
    }

    rc = bk_open(&db, "memory:");
    if (rc != BK_OK)
        return fail("bk_open(\"memory:\")", rc);

    spec.username = "consumer";
    spec.email = "consumer@example.com";
    spec.full_name = "Installed Consumer";
    spec.timezone = "Europe/Berlin";
    rc = bk_provider_create(db, &spec, &id);
    if (rc != BK_OK) {
        fprintf(stderr, "consumer: bk_provider_create: %s (%d): %s\n", bk_strerror(rc), rc,
                bk_errmsg(db));
        bk_close(db);
        return 1;
    }
    rc = bk_provider_get(db, &id, &got);
    if (rc != BK_OK || got == NULL || strcmp(got->username, "consumer") != 0) {
        fprintf(stderr, "consumer: bk_provider_get: %s (%d): %s\n", bk_strerror(rc), rc,
                bk_errmsg(db));
        bk_provider_free(got);
        bk_close(db);
        return 1;
    }
    printf("created provider %s (%s)\n", got->id.s, got->username);
    bk_provider_free(got);
    bk_close(db);
    printf("consumer: ok\n");
    return 0;
}
