// Which optional system features this build uses. BSD_FORCE_PORTABLE (binding.gyp portable=1)
// turns the Linux-only fast paths off, so that the code paths other Unixes take are compiled and
// tested on Linux too.
#pragma once

#include <sys/types.h>  // defines __GLIBC__ with glibc, for BSD_HAVE_GLIBC_R

#if defined(__linux__) && !defined(BSD_FORCE_PORTABLE)
#define BSD_HAVE_ACCEPT4 1
#define BSD_HAVE_SOCK_FLAGS 1     // SOCK_NONBLOCK / SOCK_CLOEXEC in socket() and socketpair()
#define BSD_HAVE_MSG_NOSIGNAL 1
#define BSD_HAVE_MMSG 1           // recvmmsg / sendmmsg
#else
#define BSD_HAVE_ACCEPT4 0
#define BSD_HAVE_SOCK_FLAGS 0
#define BSD_HAVE_MSG_NOSIGNAL 0
#define BSD_HAVE_MMSG 0
#endif

#if defined(__linux__)
#define BSD_LINUX 1               // AF_PACKET, AF_NETLINK, abstract Unix names, SO_PEERCRED
#else
#define BSD_LINUX 0
#endif

// The reentrant gethostbyname_r/gethostbyaddr_r/getservby*_r/getprotobyname_r with the glibc
// signatures: glibc only (musl lacks getprotobyname_r). Elsewhere (and with portable=1) the lookups
// fall back to getaddrinfo/getnameinfo and to the plain calls under a lock.
#if defined(__GLIBC__) && !defined(BSD_FORCE_PORTABLE)
#define BSD_HAVE_GLIBC_R 1
#else
#define BSD_HAVE_GLIBC_R 0
#endif

// The kernel readiness set of the poll thread (pollthread.cc, poller.h): epoll on Linux, kqueue on
// macOS and the BSDs, neither elsewhere (then only the libuv backend exists). BSD_POLL_FORCE_KQUEUE
// compiles the kqueue path, to type-check it on Linux.
#if defined(__linux__) && !defined(BSD_POLL_FORCE_KQUEUE)
#define BSD_POLL_EPOLL 1
#define BSD_POLL_KQUEUE 0
#elif defined(BSD_POLL_FORCE_KQUEUE) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#define BSD_POLL_EPOLL 0
#define BSD_POLL_KQUEUE 1
#else
#define BSD_POLL_EPOLL 0
#define BSD_POLL_KQUEUE 0
#endif

// Which sendfile(2) sendfile.cc calls: Linux's or macOS's signature; neither elsewhere and in the
// portable build (lib/socket/sendfile.ts then reads and sends).
#if defined(__linux__) && !defined(BSD_FORCE_PORTABLE)
#define BSD_SENDFILE_LINUX 1
#define BSD_SENDFILE_APPLE 0
#elif defined(__APPLE__) && !defined(BSD_FORCE_PORTABLE)
#define BSD_SENDFILE_LINUX 0
#define BSD_SENDFILE_APPLE 1
#else
#define BSD_SENDFILE_LINUX 0
#define BSD_SENDFILE_APPLE 0
#endif

// The io_uring readiness backend (uring.cc): Linux, with the kernel's io_uring header at build time
// (the kernel itself is probed at run time). Off in the portable build and everywhere else.
#if defined(__linux__) && !defined(BSD_FORCE_PORTABLE) && defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#define BSD_HAVE_IO_URING 1
#endif
#endif
#ifndef BSD_HAVE_IO_URING
#define BSD_HAVE_IO_URING 0
#endif
