/*
 * The load generator of the concurrent-server benchmark (bench/README.md, "Concurrent servers").
 *
 *   loadgen rr PORT CONNS WARMUP_MS WINDOW_MS      CONNS connections, each sends 64 bytes and waits
 *                                                  for the 64-byte echo before the next request
 *   loadgen accept PORT CONNS WARMUP_MS WINDOW_MS  keeps CONNS connects in flight; a connect counts
 *                                                  once the server has accepted and closed it
 *
 * One thread, epoll, non-blocking sockets, all on 127.0.0.1. After the warm-up it prints "START",
 * counts completed requests (or connections) during the window, prints "DONE <count> <seconds>" and
 * exits. It stops by itself: after the window, or when the server goes away.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define MAXCONNS 4096

static void die(const char *what) {
  perror(what);
  exit(2);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static struct sockaddr_in target;
static int ep;

/* Starts a non-blocking connect; the descriptor is registered for `events` with itself as data. */
static int open_conn(unsigned events) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) die("connect");
  struct epoll_event ev = { .events = events, .data.fd = s };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl");
  return s;
}

/* Closes with an RST, so that no TIME_WAIT piles up over thousands of connections. */
static void reset_close(int s) {
  struct linger l = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(s);
}

static long run(const char *mode, int conns, double warmup, double window) {
  int rr = !strcmp(mode, "rr");
  static char buf[MSG];
  static int got[MAXCONNS * 8];
  memset(buf, 'x', sizeof buf);
  for (int i = 0; i < conns; i++) {
    int s = open_conn(rr ? EPOLLOUT : EPOLLIN | EPOLLRDHUP);
    (void)s;
  }
  double start = now_ms() + warmup, end = start + window;
  int started = 0;
  long count = 0;
  struct epoll_event events[256];
  for (;;) {
    double t = now_ms();
    if (!started && t >= start) {
      started = 1;
      count = 0;
      printf("START\n");
      fflush(stdout);
    }
    if (t >= end) break;
    int n = epoll_wait(ep, events, 256, 100);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int s = events[i].data.fd;
      if ((size_t)s >= sizeof got / sizeof got[0]) die("descriptor too large");
      if (!rr) {
        /* accept mode: readable means the server closed (EOF or reset) */
        count++;
        reset_close(s);
        open_conn(EPOLLIN | EPOLLRDHUP);
        continue;
      }
      if (events[i].events & EPOLLOUT) {
        /* connected: send the first request, then wait for echoes */
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };
        if (epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) < 0) die("epoll_ctl");
        if (send(s, buf, MSG, MSG_NOSIGNAL) != MSG) die("send");
        got[s] = 0;
        continue;
      }
      ssize_t r = recv(s, buf, MSG - got[s], 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        fprintf(stderr, "loadgen: the server closed a connection\n");
        exit(3);
      }
      got[s] += (int)r;
      if (got[s] < MSG) continue;
      count++;
      got[s] = 0;
      if (send(s, buf, MSG, MSG_NOSIGNAL) != MSG) die("send");
    }
  }
  return count;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: loadgen rr|accept PORT CONNS WARMUP_MS WINDOW_MS\n");
    return 2;
  }
  int conns = atoi(argv[3]);
  if (conns < 1 || conns > MAXCONNS) die("connection count");
  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_port = htons((unsigned short)atoi(argv[2]));
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  alarm(120);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  double window = atof(argv[5]);
  long count = run(argv[1], conns, atof(argv[4]), window);
  printf("DONE %ld %.3f\n", count, window / 1e3);
  return 0;
}
