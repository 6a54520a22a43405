// The msghdr of the ring's RECVMSG and SENDMSG (uring_ops.cc), over memory of the operation's own.
// Linux only (platform.h).
#pragma once

#include "common.h"
#include "platform.h"
#include "addresses.h"
#include "parse.h"

#if BSD_HAVE_IO_URING
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <vector>

namespace bsd {

// The msghdr of a RECVMSG or SENDMSG, over memory of the op's own: its data (one iovec into the
// op's bytes), the peer's address and the control buffer.
struct UringMessage {
  msghdr msg{};
  iovec iov{};
  SockAddr addr;
  std::vector<uint8_t> control;

  void Point(uint8_t* data, size_t n, bool named) {
    iov = {data, n};
    msg = msghdr{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (named) {
      msg.msg_name = addr.get();
      msg.msg_namelen = addr.length;
    }
    msg.msg_control = control.empty() ? nullptr : control.data();
    msg.msg_controllen = control.size();
  }

  // Descriptors a receive got (SCM_RIGHTS) that nobody will take: closed, never left open.
  void CloseReceivedFds() {
    ForEachCmsg(&msg, [](int level, int type, uint8_t* data, size_t length) {
      if (level != SOL_SOCKET || type != SCM_RIGHTS) return;
      for (size_t off = 0; off + sizeof(int) <= length; off += sizeof(int)) {
        int fd;
        std::memcpy(&fd, data + off, sizeof fd);
        close(fd);
      }
    });
    msg.msg_controllen = 0;
  }
};

using UringMessagePtr = std::unique_ptr<UringMessage>;

#if defined(MSG_CMSG_CLOEXEC)
constexpr int kCmsgCloexec = MSG_CMSG_CLOEXEC;
#else
constexpr int kCmsgCloexec = 0;
#endif

}  // namespace bsd
#endif
