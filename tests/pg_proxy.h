/* A counting TCP proxy in front of a PostgreSQL server, for measuring round
 * trips on the wire (tests/bench_pg.c, tests/test_pg_round_trips.c).
 *
 * Every connection made to the proxy is relayed to the server untouched;
 * the server's messages are parsed only to count ReadyForQuery ('Z'): the
 * server sends exactly one per simple Query and one per Sync, so the count
 * over a call is the number of times the client waited for the server.
 * The proxy's connection string turns TLS and GSS encryption off (the
 * stream must be readable). */
#ifndef BK_TESTS_PG_PROXY_H
#define BK_TESTS_PG_PROXY_H

typedef struct pg_proxy pg_proxy;

/* Starts a proxy on 127.0.0.1 in front of the server `conninfo` names (a
 * URI or key=value string; host may be a socket directory).  *proxy_conninfo
 * (free() it) reaches the same database through the proxy.  0, or -1 with
 * a message on stderr. */
int pg_proxy_start(const char *conninfo, pg_proxy **out, char **proxy_conninfo);

/* ReadyForQuery messages relayed so far, over all connections. */
long pg_proxy_ready_count(pg_proxy *p);

/* Closes the listening socket; relays end with their connections. */
void pg_proxy_stop(pg_proxy *p);

#endif
