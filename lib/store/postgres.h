/* The PostgreSQL backend, over libpq. */
#ifndef BK_STORE_POSTGRES_H
#define BK_STORE_POSTGRES_H

#include "booking/sys/store.h"

/* 1 if uri is for this backend: "postgresql://", "postgres://", or a
 * key=value conninfo. */
int pg_store_accepts(const char *uri);

/* Connects, then creates or upgrades the schema when options->migrate (see
 * bk_open_options).  options is never NULL here.  BK_OK, BK_ECONNECTION,
 * BK_ESTORE, BK_EINVAL (bad schema name), BK_ENOMEM; the message in err never
 * contains the password. */
int pg_store_open(const char *conninfo, const bk_open_options *options, bk_store **out, bk_store_err *err);

#endif
