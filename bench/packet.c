// The C side of bench/packet.js: decode Ethernet + IPv4 + UDP frames and verify the UDP checksum,
// the same fields and checks as the JavaScript side, written by hand. Reads the frames from a file
// (u32 length, then the frame, repeated), decodes them over and over for a fixed number of frames,
// and prints "ns_per_frame <n> checksum_ok <count> sum <s>", the time being this process's CPU time.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct frame { const uint8_t *data; uint32_t length; };

static uint32_t add_words(const uint8_t *p, size_t start, size_t end, uint32_t sum) {
  size_t i = start;
  for (; i + 1 < end; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (i < end) sum += (uint32_t)(p[i] << 8);
  return sum;
}

static uint32_t fold(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// Returns -1 for a malformed frame, else whether the UDP checksum is right; adds the fields to *acc.
static int decode(const uint8_t *f, uint32_t n, uint64_t *acc) {
  if (n < 14) return -1;
  size_t at = 12;
  unsigned type = (unsigned)(f[at] << 8 | f[at + 1]);
  while (type == 0x8100 || type == 0x88a8) {
    at += 4;
    if (at + 2 > n) return -1;
    type = (unsigned)(f[at] << 8 | f[at + 1]);
  }
  size_t ip = at + 2;
  if (type != 0x0800 || ip + 20 > n || f[ip] >> 4 != 4) return -1;
  size_t ihl = (size_t)(f[ip] & 15) * 4;
  size_t total = (size_t)(f[ip + 2] << 8 | f[ip + 3]);
  if (ihl < 20 || ip + ihl > n || total < ihl || ip + total > n) return -1;
  if (f[ip + 9] != 17) return -1;
  size_t udp = ip + ihl, end = ip + total;
  if (udp + 8 > end) return -1;
  size_t ulen = (size_t)(f[udp + 4] << 8 | f[udp + 5]);
  if (ulen < 8 || udp + ulen > end) return -1;
  *acc += f[ip + 8] + (uint64_t)(f[ip + 12] << 24 | f[ip + 13] << 16 | f[ip + 14] << 8 | f[ip + 15]) +
          (uint64_t)(f[udp] << 8 | f[udp + 1]) + (uint64_t)(f[udp + 2] << 8 | f[udp + 3]) + ulen;
  if ((f[udp + 6] | f[udp + 7]) == 0) return 1;
  uint32_t sum = add_words(f, ip + 12, ip + 20, 17 + (uint32_t)ulen);
  return fold(add_words(f, udp, udp + ulen, sum)) == 0xffff;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: packet FRAMES_FILE COUNT\n"); return 2; }
  FILE *file = fopen(argv[1], "rb");
  if (!file) { perror(argv[1]); return 1; }
  static uint8_t store[1 << 20];
  size_t stored = fread(store, 1, sizeof store, file);
  fclose(file);
  struct frame frames[1024];
  size_t count = 0;
  for (size_t at = 0; at + 4 <= stored && count < 1024;) {
    uint32_t length;
    memcpy(&length, store + at, 4);
    if (at + 4 + length > stored) break;
    frames[count++] = (struct frame){ store + at + 4, length };
    at += 4 + length;
  }
  if (count == 0) { fprintf(stderr, "no frames\n"); return 1; }
  long total = atol(argv[2]);
  uint64_t acc = 0;
  long ok = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (long i = 0; i < total; i++) {
    const struct frame *fr = &frames[(size_t)i % count];
    if (decode(fr->data, fr->length, &acc) == 1) ok++;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("ns_per_frame %.2f checksum_ok %ld sum %llu\n", ns / (double)total, ok, (unsigned long long)acc);
  return 0;
}
