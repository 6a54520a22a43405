// libFuzzer harness for the ancillary-data walker of native/parse.h (ForEachCmsg), which reads the
// control buffer that recvmsg() filled. The input is taken as a raw control buffer (hostile
// lengths, truncation, misalignment) and, in a second pass, as a list of messages that are packed
// with the CMSG_* macros the way sendmsg's PackAncillary does and must be read back unchanged.
#include "../native/parse.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "cmsg_fuzzer: %s\n", what);
  std::abort();
}

struct Item {
  int level;
  int type;
  std::vector<uint8_t> data;
};

// Walks a control buffer of exactly `size` heap bytes, starting `shift` bytes into a block so
// that unaligned buffers are tried too; every yielded byte is read.
void Raw(const uint8_t* input, size_t size, size_t shift) {
  std::unique_ptr<uint8_t[]> block(new uint8_t[size + shift + 1]);
  uint8_t* control = block.get() + shift;
  if (size) std::memcpy(control, input, size);
  msghdr msg{};
  msg.msg_control = size ? control : nullptr;
  msg.msg_controllen = size;
  size_t count = 0;
  unsigned sum = 0;
  bsd::ForEachCmsg(&msg, [&](int, int, const uint8_t* data, size_t length) {
    if (data < control || data + length > control + size) Fail("yielded bytes outside the buffer");
    for (size_t i = 0; i < length; i++) sum += data[i];
    if (++count > size) Fail("more messages than bytes");
  });
  (void)sum;
}

void RoundTrip(const uint8_t* input, size_t size) {
  // [level:1][type:1][len:1][data:len]... -> items
  std::vector<Item> items;
  size_t i = 0;
  while (i + 3 <= size && items.size() < 64) {
    Item item{input[i], input[i + 1], {}};
    size_t len = input[i + 2];
    i += 3;
    len = std::min(len, size - i);
    item.data.assign(input + i, input + i + len);
    i += len;
    items.push_back(std::move(item));
  }
  size_t space = 0;
  for (const Item& item : items) space += CMSG_SPACE(item.data.size());
  if (space == 0) return;
  std::vector<uint8_t> control(space, 0);
  msghdr msg{};
  msg.msg_control = control.data();
  msg.msg_controllen = space;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  for (const Item& item : items) {
    if (cmsg == nullptr) Fail("CMSG_NXTHDR ended early");
    cmsg->cmsg_level = item.level;
    cmsg->cmsg_type = item.type;
    cmsg->cmsg_len = CMSG_LEN(item.data.size());
    if (!item.data.empty()) std::memcpy(CMSG_DATA(cmsg), item.data.data(), item.data.size());
    cmsg = CMSG_NXTHDR(&msg, cmsg);
  }
  size_t n = 0;
  bsd::ForEachCmsg(&msg, [&](int level, int type, const uint8_t* data, size_t length) {
    if (n >= items.size()) Fail("more messages read than packed");
    const Item& item = items[n++];
    if (level != item.level || type != item.type || length != item.data.size() ||
        (length && std::memcmp(data, item.data.data(), length) != 0)) {
      Fail("a packed message read back differently");
    }
  });
  if (n != items.size()) Fail("fewer messages read than packed");
  // Truncated copies (what MSG_CTRUNC leaves) are read without overrun.
  for (size_t cut : {space - 1, space / 2, sizeof(cmsghdr), sizeof(cmsghdr) - 1}) {
    if (cut < space) Raw(control.data(), cut, 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  Raw(input, size, 0);
  Raw(input, size, 1);
  RoundTrip(input, size);
  return 0;
}
