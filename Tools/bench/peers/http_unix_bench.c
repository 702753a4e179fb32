// http_unix_bench: a single-threaded epoll HTTP/1.1 client for a Unix socket, the counterpart of
// redis-benchmark (C, one thread, epoll) for measuring `sessionlog ingress` with the client
// costing as little CPU as the Redis client does. Each connection keeps one request in flight.
//
//   cc -O2 -o http_unix_bench http_unix_bench.c
//   http_unix_bench SOCKET TRAFFIC.ndjson CONNECTIONS SECONDS [single|v1|v3|batch:N] [RATE]
//
// With RATE (requests/s over all connections), each connection sends on a fixed schedule;
// latency is measured from each request's actual send.
//
// `single` and `batch:N` send the traffic file's V2 "start" payloads (valid without session state)
// to /v2/session, or N to a line to /batch; `v1` and `v3` send its V1 or V3 lines to /v1/events or
// /v3/session (every V3 payload is valid on its own: the checkpoint is the producer's count).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct { char *data; size_t len; } buf;
typedef struct {
    int fd; buf req; size_t sent, body; char *in; size_t inlen, incap; double started; int lines;
    double due;      // when the next request may be sent (paced mode); 0 when it is in flight
} conn;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

static char **payloads; static size_t npayloads, next_payload;
static int batch_lines = 1;
static const char *route = "/v2/session";

static void build_request(conn *c) {
    size_t bodylen = 0;
    char *body = NULL;
    if (batch_lines == 1) {
        body = payloads[next_payload++ % npayloads]; bodylen = strlen(body);
    } else {
        size_t cap = 0;
        for (int i = 0; i < batch_lines; i++) cap += strlen(payloads[(next_payload + i) % npayloads]) + 1;
        body = malloc(cap);
        for (int i = 0; i < batch_lines; i++) {
            char *p = payloads[next_payload++ % npayloads]; size_t l = strlen(p);
            memcpy(body + bodylen, p, l); bodylen += l; body[bodylen++] = '\n';
        }
    }
    char head[256];
    int hl = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
                      route, bodylen);
    free(c->req.data);
    c->req.data = malloc(hl + bodylen); memcpy(c->req.data, head, hl); memcpy(c->req.data + hl, body, bodylen);
    c->req.len = hl + bodylen; c->body = bodylen; c->sent = 0; c->inlen = 0; c->lines = batch_lines; c->started = now();
    if (batch_lines != 1) free(body);
}

/// Returns 1 when c->in holds a complete response; sets *ok when its status is 200.
static int complete_response(conn *c, int *ok) {
    char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t headlen = end - c->in + 4;
    char *cl = memmem(c->in, headlen, "Content-Length: ", 16);
    if (!cl) cl = memmem(c->in, headlen, "content-length: ", 16);
    size_t bodylen = cl ? strtoul(cl + 16, NULL, 10) : 0;
    if (c->inlen < headlen + bodylen) return 0;
    *ok = c->inlen > 12 && memcmp(c->in + 9, "200", 3) == 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s SOCKET TRAFFIC CONNECTIONS SECONDS [single|v1|v3|batch:N] [RATE]\n", argv[0]); return 2; }
    int connections = atoi(argv[3]); double seconds = atof(argv[4]);
    double rate = argc > 6 ? atof(argv[6]) : 0, interval = rate > 0 ? connections / rate : 0;
    const char *mode = argc > 5 ? argv[5] : "single";
    const char *prefix = "{\"v\":2";  // the lines this mode sends
    if (strncmp(mode, "batch:", 6) == 0) { batch_lines = atoi(mode + 6); route = "/batch"; }
    else if (strcmp(mode, "v1") == 0) { route = "/v1/events"; prefix = "{\"v\":1"; }
    else if (strcmp(mode, "v3") == 0) { route = "/v3/session"; prefix = "{\"v\":3"; }
    else if (strcmp(mode, "single") != 0) { fprintf(stderr, "unknown mode %s\n", mode); return 2; }
    FILE *f = fopen(argv[2], "r"); if (!f) { perror("traffic"); return 1; }
    char *line = NULL; size_t cap = 0; ssize_t n; size_t pcap = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (strncmp(line, prefix, 6) != 0 || strstr(line, "\"kind\":\"renew\"")) continue;
        if (line[n - 1] == '\n') line[--n] = 0;
        if (npayloads == pcap) { pcap = pcap ? pcap * 2 : 1024; payloads = realloc(payloads, pcap * sizeof *payloads); }
        payloads[npayloads++] = strdup(line);
    }
    if (!npayloads) { fprintf(stderr, "no %s payloads in %s\n", mode, argv[2]); return 1; }
    int ep = epoll_create1(0);
    conn *cs = calloc(connections, sizeof *cs);
    for (int i = 0; i < connections; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX}; strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) { perror("connect"); return 1; }
        cs[i].fd = fd; cs[i].incap = 1 << 16; cs[i].in = malloc(cs[i].incap);
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        cs[i].due = now() + interval * i / connections;
    }
    size_t latcap = 1 << 20, nlat = 0; double *lat = malloc(latcap * sizeof *lat);
    long payloads_done = 0, bytes = 0, errors = 0;
    double start = now(), deadline = start + seconds;
    struct epoll_event events[256];
    while (now() < deadline) {
        // Start the requests that are due; sleep until the next one otherwise.
        double t = now(), wake = t + 0.1;
        for (int i = 0; i < connections; i++) {
            if (cs[i].due == 0) continue;
            if (cs[i].due <= t) {
                cs[i].due = 0;
                build_request(&cs[i]);
                struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.u32 = i};
                epoll_ctl(ep, EPOLL_CTL_MOD, cs[i].fd, &e);
            } else if (cs[i].due < wake) wake = cs[i].due;
        }
        int timeout = (int)((wake - now()) * 1000); if (timeout < 0) timeout = 0;
        int k = epoll_wait(ep, events, 256, interval > 0 ? timeout : 100);
        for (int j = 0; j < k; j++) {
            conn *c = &cs[events[j].data.u32];
            if ((events[j].events & EPOLLOUT) && c->sent < c->req.len) {
                ssize_t w = write(c->fd, c->req.data + c->sent, c->req.len - c->sent);
                if (w > 0) c->sent += w;
                if (c->sent == c->req.len) { struct epoll_event e = {.events = EPOLLIN, .data.u32 = events[j].data.u32}; epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e); }
            }
            if (events[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    if (c->incap - c->inlen < 4096) { c->incap *= 2; c->in = realloc(c->in, c->incap); }
                    ssize_t r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
                    if (r > 0) { c->inlen += r; continue; }
                    if (r == 0) { fprintf(stderr, "connection closed by the server\n"); return 1; }
                    break;
                }
                int ok;
                if (complete_response(c, &ok)) {
                    if (!ok) errors++;
                    if (nlat == latcap) { latcap *= 2; lat = realloc(lat, latcap * sizeof *lat); }
                    lat[nlat++] = now() - c->started;
                    payloads_done += c->lines; bytes += c->body;  // payload bytes acknowledged (NDJSON newlines included)
                    c->inlen = 0;
                    if (interval > 0) {
                        c->due = c->started + interval;           // the schedule, not the answer, sets the pace
                        if (c->due <= now()) c->due = now();
                        struct epoll_event e = {.events = EPOLLIN, .data.u32 = events[j].data.u32};
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                    } else {
                        build_request(c);
                        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.u32 = events[j].data.u32};
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                    }
                }
            }
        }
    }
    double elapsed = now() - start;
    qsort(lat, nlat, sizeof *lat, cmp);
    char paced[64] = "";
    if (rate > 0) snprintf(paced, sizeof paced, " at %.0f requests/s", rate);
    printf("%s c=%d%s (C epoll client): %.0f payloads/s, %.1f MB/s, p50 %.2f ms, p99 %.2f ms (requests %zu, errors %ld)\n",
           mode, connections, paced, payloads_done / elapsed, bytes / elapsed / 1e6,
           nlat ? lat[nlat / 2] * 1000 : 0, nlat ? lat[(size_t)(nlat * 0.99)] * 1000 : 0, nlat, errors);
    return errors ? 1 : 0;
}
