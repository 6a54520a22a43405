/*
 * The C reference of the concurrent-server benchmark: one thread, epoll, level-triggered, echoes
 * what each connection sends. Prints "PORT <n>" (127.0.0.1, ephemeral) and serves until killed or
 * until LIMIT seconds have passed.
 *
 *   epoll-server [LIMIT_SECONDS]
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
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int listener(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(s, 511) < 0) die("listen");
  socklen_t len = sizeof a;
  if (getsockname(s, (struct sockaddr *)&a, &len) < 0) die("getsockname");
  printf("PORT %d\n", ntohs(a.sin_port));
  fflush(stdout);
  return s;
}

int main(int argc, char **argv) {
  alarm(argc > 1 ? atoi(argv[1]) : 60);
  int ls = listener();
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) die("epoll_ctl");
  static char buf[4096];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int s = events[i].data.fd;
      if (s == ls) {
        int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) continue;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) die("epoll_ctl");
        continue;
      }
      ssize_t r = recv(s, buf, sizeof buf, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        close(s);
        continue;
      }
      /* 64-byte messages on loopback: the send buffer is never full here */
      if (send(s, buf, (size_t)r, MSG_NOSIGNAL) != r) close(s);
    }
  }
}
