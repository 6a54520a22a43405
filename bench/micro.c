/*
 * Per-call cost of the bare system calls, in one process and on one core, for bench/micro.js
 * (which measures the same loops through our API): the difference is what our layers cost.
 *
 *   micro <case> <iterations>      prints "<ns per iteration>"
 *
 *   udp-self   sendto(64 B) to its own address, then recvfrom() it back (one UDP socket)
 *   tcp-pair   send(1 B) on one end of a loopback TCP connection, recv(1 B) on the other
 *   accept     connect() a new socket to a listener, accept4() it, close both
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(2);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct sockaddr_in bound(int fd, int type) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  if (type == SOCK_STREAM && listen(fd, 1024) < 0) die("listen");
  return a;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: micro <udp-self|tcp-pair|accept> <iterations>\n");
    return 2;
  }
  long iterations = atol(argv[2]);
  char buf[2048];
  memset(buf, 'x', sizeof buf);
  double t0 = 0, t1 = 0;
  if (!strcmp(argv[1], "udp-self")) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = bound(s, SOCK_DGRAM);
    t0 = now_ns();
    for (long i = 0; i < iterations; i++) {
      if (sendto(s, buf, 64, MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof a) < 0) die("sendto");
      struct sockaddr_storage from;
      socklen_t len = sizeof from;
      if (recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) < 0) die("recvfrom");
    }
    t1 = now_ns();
  } else if (!strcmp(argv[1], "tcp-pair") || !strcmp(argv[1], "accept")) {
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = bound(l, SOCK_STREAM);
    if (!strcmp(argv[1], "tcp-pair")) {
      int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
      int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
      int one = 1;
      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      t0 = now_ns();
      for (long i = 0; i < iterations; i++) {
        if (send(c, buf, 1, MSG_NOSIGNAL) < 0) die("send");
        if (recv(s, buf, 1, 0) < 0) die("recv");
      }
      t1 = now_ns();
    } else {
      struct linger rst = {1, 0};
      t0 = now_ns();
      for (long i = 0; i < iterations; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        int s = accept4(l, (struct sockaddr *)&from, &len, SOCK_CLOEXEC);
        if (s < 0) die("accept");
        close(s);
        setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
        close(c);
      }
      t1 = now_ns();
    }
  } else {
    fprintf(stderr, "micro: unknown case %s\n", argv[1]);
    return 2;
  }
  printf("%.1f\n", (t1 - t0) / (double)iterations);
  return 0;
}
