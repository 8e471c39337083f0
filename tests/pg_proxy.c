#include "pg_proxy.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

struct pg_proxy {
    int listen_fd;
    pthread_t acceptor;
    struct sockaddr_storage upstream;
    socklen_t upstream_len;
    long ready;  /* __atomic */
    int active;  /* relays running, __atomic */
    int stopping;
};

typedef struct relay {
    pg_proxy *p;
    int client, server;
    /* The server's stream: a message is a type byte and a 4-byte length
     * (which counts itself), then the rest. */
    unsigned char head[5];
    int head_n;
    uint32_t skip;
} relay;

static int write_all(int fd, const unsigned char *b, size_t n)
{
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static void count_messages(relay *r, const unsigned char *b, size_t n)
{
    while (n) {
        if (r->skip) {
            size_t k = n < r->skip ? n : r->skip;
            r->skip -= (uint32_t)k;
            b += k;
            n -= k;
            continue;
        }
        r->head[r->head_n++] = *b++;
        n--;
        if (r->head_n < 5)
            continue;
        uint32_t len = ((uint32_t)r->head[1] << 24) | ((uint32_t)r->head[2] << 16) | ((uint32_t)r->head[3] << 8) |
                       (uint32_t)r->head[4];
        if (r->head[0] == 'Z')
            __atomic_add_fetch(&r->p->ready, 1, __ATOMIC_RELAXED);
        r->skip = len >= 4 ? len - 4 : 0;
        r->head_n = 0;
    }
}

static void *relay_main(void *arg)
{
    relay *r = arg;
    unsigned char buf[65536];
    struct pollfd fds[2] = {{r->client, POLLIN, 0}, {r->server, POLLIN, 0}};
    for (;;) {
        int k = poll(fds, 2, -1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        int done = 0;
        for (int i = 0; i < 2 && !done; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = recv(fds[i].fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                done = 1;
                break;
            }
            if (i == 1)
                count_messages(r, buf, (size_t)n);
            if (write_all(i == 0 ? r->server : r->client, buf, (size_t)n) != 0)
                done = 1;
        }
        if (done)
            break;
    }
    close(r->client);
    close(r->server);
    __atomic_sub_fetch(&r->p->active, 1, __ATOMIC_RELEASE);
    free(r);
    return NULL;
}

static void *acceptor_main(void *arg)
{
    pg_proxy *p = arg;
    for (;;) {
        int c = accept(p->listen_fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            if (__atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE))
                return NULL;
            continue;
        }
        int s = socket(p->upstream.ss_family, SOCK_STREAM, 0);
        relay *r = calloc(1, sizeof *r);
        if (s < 0 || !r || connect(s, (struct sockaddr *)&p->upstream, p->upstream_len) != 0) {
            fprintf(stderr, "pg_proxy: cannot reach the server: %s\n", strerror(errno));
            if (s >= 0)
                close(s);
            close(c);
            free(r);
            continue;
        }
        r->p = p;
        r->client = c;
        r->server = s;
        pthread_t t;
        __atomic_add_fetch(&p->active, 1, __ATOMIC_ACQ_REL);
        if (pthread_create(&t, NULL, relay_main, r) != 0) {
            __atomic_sub_fetch(&p->active, 1, __ATOMIC_RELEASE);
            close(c);
            close(s);
            free(r);
            continue;
        }
        pthread_detach(t);
    }
}

/* The server's address from the parsed options (first host of a list;
 * libpq's defaults for what is missing). */
static int upstream_address(PQconninfoOption *opts, pg_proxy *p)
{
    const char *host = NULL, *hostaddr = NULL, *port = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
    }
    char first_host[512], first_port[32];
    if (!host)
        host = getenv("PGHOST");
    if (!host || !*host)
        host = "/var/run/postgresql";
    snprintf(first_host, sizeof first_host, "%.*s", (int)strcspn(hostaddr ? hostaddr : host, ","),
             hostaddr ? hostaddr : host);
    if (!port)
        port = getenv("PGPORT");
    snprintf(first_port, sizeof first_port, "%.*s", (int)strcspn(port && *port ? port : "5432", ","),
             port && *port ? port : "5432");
    if (first_host[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)&p->upstream;
        memset(un, 0, sizeof *un);
        un->sun_family = AF_UNIX;
        if ((size_t)snprintf(un->sun_path, sizeof un->sun_path, "%s/.s.PGSQL.%s", first_host, first_port) >=
            sizeof un->sun_path)
            return -1;
        p->upstream_len = sizeof *un;
        return 0;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(first_host, first_port, &hints, &ai) != 0 || !ai)
        return -1;
    memcpy(&p->upstream, ai->ai_addr, ai->ai_addrlen);
    p->upstream_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* The caller's options but the address and encryption, as key='value'
 * pairs, plus the proxy's. */
static char *proxy_conninfo(PQconninfoOption *opts, int port)
{
    size_t cap = 256;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val)
            cap += strlen(o->keyword) + 2 * strlen(o->val) + 4;
    char *s = malloc(cap), *w = s;
    if (!s)
        return NULL;
    static const char *const dropped[] = {"host", "hostaddr", "port", "sslmode", "gssencmode", NULL};
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        int drop = !o->val;
        for (int i = 0; dropped[i] && !drop; i++)
            drop = strcmp(o->keyword, dropped[i]) == 0;
        if (drop)
            continue;
        w += sprintf(w, "%s='", o->keyword);
        for (const char *v = o->val; *v; v++) {
            if (*v == '\'' || *v == '\\')
                *w++ = '\\';
            *w++ = *v;
        }
        w += sprintf(w, "' ");
    }
    sprintf(w, "host=127.0.0.1 port=%d sslmode=disable gssencmode=disable", port);
    return s;
}

int pg_proxy_start(const char *conninfo, pg_proxy **out, char **proxy_uri)
{
    *out = NULL;
    *proxy_uri = NULL;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    if (!opts) {
        fprintf(stderr, "pg_proxy: %s", msg ? msg : "cannot parse the connection string\n");
        PQfreemem(msg);
        return -1;
    }
    pg_proxy *p = calloc(1, sizeof *p);
    if (!p || upstream_address(opts, p) != 0) {
        fprintf(stderr, "pg_proxy: cannot resolve the server's address\n");
        PQconninfoFree(opts);
        free(p);
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->listen_fd, 64) != 0 || getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "pg_proxy: cannot listen: %s\n", strerror(errno));
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        PQconninfoFree(opts);
        free(p);
        return -1;
    }
    *proxy_uri = proxy_conninfo(opts, ntohs(a.sin_port));
    PQconninfoFree(opts);
    if (!*proxy_uri || pthread_create(&p->acceptor, NULL, acceptor_main, p) != 0) {
        close(p->listen_fd);
        free(*proxy_uri);
        *proxy_uri = NULL;
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

long pg_proxy_ready_count(pg_proxy *p) { return __atomic_load_n(&p->ready, __ATOMIC_RELAXED); }

void pg_proxy_stop(pg_proxy *p)
{
    if (!p)
        return;
    __atomic_store_n(&p->stopping, 1, __ATOMIC_RELEASE);
    /* Wakes the acceptor's accept() (EINVAL); the descriptor is closed
     * only once nothing can use it. */
    shutdown(p->listen_fd, SHUT_RDWR);
    pthread_join(p->acceptor, NULL);
    close(p->listen_fd);
    /* Relays end when their clients hang up (the caller closed them). */
    for (int i = 0; i < 500 && __atomic_load_n(&p->active, __ATOMIC_ACQUIRE) > 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (__atomic_load_n(&p->active, __ATOMIC_ACQUIRE) == 0)
        free(p);
}
