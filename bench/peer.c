/*
 * The fixed C peer of the benchmarks (bench/README.md). Every side under test (our Sync API, our
 * Promise API, Node's net/dgram, bench/side.c) talks to this same program, so that only the side
 * under test changes from one column of the table to the next.
 *
 *   peer <mode> [port] [limit_seconds]
 *
 * Modes where the peer is the server print "PORT <n>" on stdout first (an ephemeral port on
 * 127.0.0.1); modes where the side under test is the server take its port as an argument.
 *
 *   stream-src    accept one connection, send 64 KiB blocks until the side closes   (tcp-recv)
 *   stream-sink   accept one connection, read 64 KiB blocks until end of stream     (tcp-send)
 *   tcp-echo      accept one connection, TCP_NODELAY, echo 1 byte at a time         (tcp-rr)
 *   udp-echo      bind, send each 64-byte datagram back to its sender                (udp-rr)
 *   udp-flood P   sendmmsg batches of 64-byte datagrams to 127.0.0.1:P              (udp-recv*)
 *   connector P   keep 32 connects to 127.0.0.1:P in flight; each is closed (with an RST, so that
 *                 no TIME_WAIT piles up) once the side under test has accepted and closed it
 *                                                                                     (accept)
 *
 * Every mode stops by itself: at end of stream, when the side under test goes away
 * (ECONNREFUSED, EPIPE), or after limit_seconds (alarm; default 30). The bench script also sends
 * SIGTERM once the side under test has reported.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK 65536
#define DGRAM 64
#define BATCH 64
#define INFLIGHT 32

static void die(const char *what) {
  perror(what);
  exit(2);
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void print_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
  char line[32];
  int n = snprintf(line, sizeof line, "PORT %d\n", ntohs(a.sin_port));
  if (write(1, line, (size_t)n) != n) die("write");
}

/* A listening TCP socket on 127.0.0.1:0 that has printed its port; returns the accepted one. */
static int accept_one(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_in a = loopback(0);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(s, 16) < 0) die("listen");
  print_port(s);
  int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) die("accept");
  close(s);
  return c;
}

static int stream_src(void) {
  static char buf[BLOCK];
  memset(buf, 'x', sizeof buf);
  int c = accept_one();
  for (;;) {
    ssize_t n = send(c, buf, sizeof buf, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR) break; /* EPIPE / ECONNRESET: the side has closed */
  }
  return 0;
}

static int stream_sink(void) {
  static char buf[BLOCK];
  int c = accept_one();
  for (;;) {
    ssize_t n = recv(c, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0 && errno != EINTR) break;
  }
  return 0;
}

static int tcp_echo(void) {
  char b[1];
  int c = accept_one();
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (;;) {
    ssize_t n = recv(c, b, 1, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (send(c, b, 1, MSG_NOSIGNAL) < 0 && errno != EINTR) break;
  }
  return 0;
}

static int udp_echo(void) {
  char b[2048];
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_in a = loopback(0);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  print_port(s);
  for (;;) {
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&from, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recvfrom");
    }
    sendto(s, b, (size_t)n, 0, (struct sockaddr *)&from, len);
  }
  return 0;
}

static int udp_flood(int port) {
  static char data[BATCH][DGRAM];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    memset(data[i], 'u', DGRAM);
    iov[i].iov_base = data[i];
    iov[i].iov_len = DGRAM;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_in a = loopback(port);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  for (;;) {
    int n = sendmmsg(s, msgs, BATCH, 0);
    if (n < 0 && errno == ECONNREFUSED) {
      /* The receiver is gone, or (rarely) it has not bound yet: give it a moment once. */
      static int refusals = 0;
      if (++refusals > 200) break;
      usleep(5000);
    }
  }
  return 0;
}

/* One non-blocking connect to 127.0.0.1:port, watched for the side's close (EPOLLIN/RDHUP). */
static int start_connect(int ep, const struct sockaddr_in *a) {
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c < 0) die("socket");
  if (connect(c, (const struct sockaddr *)a, sizeof *a) < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(c);
    errno = e;
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0) die("epoll_ctl");
  return c;
}

static int connector(int port) {
  struct sockaddr_in a = loopback(port);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < INFLIGHT; i++) {
    if (start_connect(ep, &a) < 0) return 0;
  }
  struct linger rst = {1, 0};
  struct epoll_event evs[INFLIGHT];
  for (;;) {
    int n = epoll_wait(ep, evs, INFLIGHT, 2000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (n == 0) return 0; /* nobody accepts any more */
    for (int i = 0; i < n; i++) {
      int c = evs[i].data.fd;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
      setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
      close(c); /* the kernel drops it from the epoll set */
      if (err == ECONNREFUSED) return 0;
      if (start_connect(ep, &a) < 0) return 0;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: peer <mode> [port] [limit_seconds]\n");
    return 2;
  }
  const char *mode = argv[1];
  int needsPort = !strcmp(mode, "udp-flood") || !strcmp(mode, "connector");
  int port = needsPort && argc > 2 ? atoi(argv[2]) : 0;
  int limitArg = needsPort ? 3 : 2;
  int limit = argc > limitArg ? atoi(argv[limitArg]) : 30;
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned)(limit > 0 ? limit : 30)); /* SIGALRM ends the process: every run is bounded */
  if (!strcmp(mode, "stream-src")) return stream_src();
  if (!strcmp(mode, "stream-sink")) return stream_sink();
  if (!strcmp(mode, "tcp-echo")) return tcp_echo();
  if (!strcmp(mode, "udp-echo")) return udp_echo();
  if (!strcmp(mode, "udp-flood")) return udp_flood(port);
  if (!strcmp(mode, "connector")) return connector(port);
  fprintf(stderr, "peer: unknown mode %s\n", mode);
  return 2;
}
