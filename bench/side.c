/*
 * The C side of the benchmarks: the same system calls as our Sync API makes for each workload,
 * with nothing else around them. It is the "system-call limit" that the other sides are compared
 * to (bench/README.md).
 *
 *   side <workload> <port> <warmup_ms> <window_ms>
 *
 * With SIDE_LOOP=1 in the environment ("C, event loop"), the descriptor is O_NONBLOCK and a
 * receive or accept that would block waits in epoll_wait() on the descriptor's standing
 * registration, then tries again: the system calls that a Promise form makes on libuv, with
 * nothing else around them (the floor of any event-loop side).
 *
 * Protocol on stdout (the same as bench/side.js): "PORT <n>" when the side is the server,
 * "START" when the measured window begins (after the warm-up), then
 * "DONE {"count":…,"seconds":…}" with what was done inside the window.
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
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 65536
#define DGRAM 64
#define BATCH 64
#define DGRAM_BUF 2048

static void die(const char *what) {
  perror(what);
  exit(2);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void say(const char *line) {
  size_t n = strlen(line);
  if (write(1, line, n) != (ssize_t)n) die("write");
}

static void done(double count, double ms) {
  char line[128];
  snprintf(line, sizeof line, "DONE {\"count\":%.0f,\"seconds\":%.6f}\n", count, ms / 1e3);
  say(line);
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
  snprintf(line, sizeof line, "PORT %d\n", ntohs(a.sin_port));
  say(line);
}

static int tcp_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_in a = loopback(port);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  return s;
}

/*
 * The measuring loop shared by every workload: op() does one unit of work and returns how much it
 * counts (bytes, round trips, datagrams, accepts), or -1 at end of stream. Warm-up first, then the
 * window; the clock is read once per op, as bench/side.js does.
 */
typedef long (*op_fn)(void);

static void measure(op_fn op, double warmup, double window) {
  double t = now_ms(), end = t + warmup;
  while (now_ms() < end) {
    if (op() < 0) die("end of stream during warm-up");
  }
  say("START\n");
  double t0 = now_ms();
  end = t0 + window;
  double count = 0;
  double t1;
  while ((t1 = now_ms()) < end) {
    long n = op();
    if (n < 0) break;
    count += (double)n;
  }
  done(count, t1 - t0);
}

static int fd;
static int ep = -1; /* SIDE_LOOP: the epoll instance the descriptor stays registered in */
static char block[BLOCK];
static char dgram[DGRAM_BUF];
static struct sockaddr_in peer;
static char bufs[BATCH][DGRAM_BUF];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];
static struct sockaddr_storage names[BATCH];

/* A result that says "would block" under SIDE_LOOP: wait for readiness and say to try again. */
static int waited(long r) {
  if (r >= 0 || ep < 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return 0;
  struct epoll_event ev;
  while (epoll_wait(ep, &ev, 1, -1) < 0) {
    if (errno != EINTR) die("epoll_wait");
  }
  return 1;
}

static void event_loop_on(int s) {
  int flags = fcntl(s, F_GETFL);
  if (flags < 0 || fcntl(s, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = s}};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl");
}

static void loop_if_asked(void) {
  const char *loop = getenv("SIDE_LOOP");
  if (loop && !strcmp(loop, "1")) event_loop_on(fd);
}

static long op_recv(void) { /* recvIntoSync(buf): recv(fd, buf, 65536, 0) */
  ssize_t n;
  while (waited(n = recv(fd, block, BLOCK, 0))) {}
  if (n < 0) die("recv");
  return n == 0 ? -1 : n;
}

static long op_sendall(void) { /* sendallSync(buf): send until all of it has gone */
  size_t off = 0;
  while (off < BLOCK) {
    ssize_t n = send(fd, block + off, BLOCK - off, MSG_NOSIGNAL);
    if (n < 0) die("send");
    off += (size_t)n;
  }
  return BLOCK;
}

static long op_tcp_rr(void) { /* sendSync(1 byte), recvIntoSync(1-byte buffer) */
  if (send(fd, block, 1, MSG_NOSIGNAL) < 0) die("send");
  ssize_t n;
  while (waited(n = recv(fd, block, 1, 0))) {}
  if (n < 0) die("recv");
  return n == 0 ? -1 : 1;
}

static long op_udp_rr(void) { /* sendtoSync(64 bytes, address), recvfromIntoSync(2048-byte buffer) */
  if (sendto(fd, block, DGRAM, MSG_NOSIGNAL, (struct sockaddr *)&peer, sizeof peer) < 0) die("sendto");
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  ssize_t n;
  while (waited(n = recvfrom(fd, dgram, sizeof dgram, 0, (struct sockaddr *)&from, &len))) len = sizeof from;
  if (n < 0) die("recvfrom");
  return 1;
}

static long op_recvfrom(void) { /* recvfromIntoSync(2048-byte buffer) */
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  ssize_t n;
  while (waited(n = recvfrom(fd, dgram, sizeof dgram, 0, (struct sockaddr *)&from, &len))) len = sizeof from;
  if (n < 0) die("recvfrom");
  return 1;
}

static long op_recvmmsg(void) { /* recvmmsgSync(64 buffers of 2048 bytes): MSG_WAITFORONE */
  for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr.msg_namelen = sizeof names[i];
  int n;
  while (waited(n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL))) {}
  if (n < 0) die("recvmmsg");
  return n;
}

static long op_accept(void) { /* acceptSync() and close() */
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  int c;
  while (waited(c = accept4(fd, (struct sockaddr *)&from, &len, SOCK_CLOEXEC))) len = sizeof from;
  if (c < 0) die("accept");
  close(c);
  return 1;
}

static int udp_bound(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  int size = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_in a = loopback(0);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  print_port(s);
  return s;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: side <workload> <port> <warmup_ms> <window_ms>\n");
    return 2;
  }
  const char *w = argv[1];
  int port = atoi(argv[2]);
  double warmup = atof(argv[3]), window = atof(argv[4]);
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned)((warmup + window) / 1e3) + 20);
  memset(block, 'x', sizeof block);
  if (!strcmp(w, "tcp-recv")) {
    fd = tcp_connect(port);
    loop_if_asked();
    measure(op_recv, warmup, window);
  } else if (!strcmp(w, "tcp-send")) {
    fd = tcp_connect(port);
    measure(op_sendall, warmup, window);
  } else if (!strcmp(w, "tcp-rr")) {
    fd = tcp_connect(port);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    loop_if_asked();
    measure(op_tcp_rr, warmup, window);
  } else if (!strcmp(w, "udp-rr")) {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    peer = loopback(port);
    loop_if_asked();
    measure(op_udp_rr, warmup, window);
  } else if (!strcmp(w, "udp-recvfrom") || !strcmp(w, "udp-recvmmsg")) {
    fd = udp_bound();
    int batch = !strcmp(w, "udp-recvmmsg");
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = DGRAM_BUF;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &names[i];
    }
    op_recvfrom(); /* the flood has begun */
    loop_if_asked();
    measure(batch ? op_recvmmsg : op_recvfrom, warmup, window);
  } else if (!strcmp(w, "accept")) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = loopback(0);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 1024) < 0) die("listen");
    print_port(fd);
    loop_if_asked();
    measure(op_accept, warmup, window);
  } else {
    fprintf(stderr, "side: unknown workload %s\n", w);
    return 2;
  }
  if (ep >= 0) close(ep);
  close(fd);
  return 0;
}
