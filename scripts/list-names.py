#!/usr/bin/env python3
"""Prints the constant names that this host's socket headers (and its Python) define and that
native/names/constants.txt does not list yet: candidates to review and add to the list by hand,
marking with "all" those that every supported platform defines. Run by a person, never by the
build: `npm run gen` reads only the committed lists, so its output is the same on every machine."""
import pathlib
import re
import socket
import select

PREFIXES = ("AF_", "PF_", "SOCK_", "SOL_", "SO_", "IPPROTO_", "IP_", "IPV6_", "TCP_", "UDP_", "MSG_",
            "SHUT_", "SCM_", "AI_", "NI_", "EAI_", "INADDR_", "ETH_P_", "PACKET_", "POLL", "NETLINK_",
            "NLM_F_", "NLMSG_", "RTM_", "IFF_", "SOMAXCONN", "FD_SETSIZE", "IF_NAMESIZE", "ICMP6_FILTER",
            "IN6ADDR_", "LOCAL_PEER")
HEADERS = ["sys/socket.h", "bits/socket.h", "bits/socket_type.h", "asm-generic/socket.h",
           "bits/socket-constants.h", "netinet/in.h", "bits/in.h", "netinet/tcp.h", "linux/udp.h",
           "netinet/udp.h", "netdb.h", "bits/poll.h", "linux/if_ether.h", "linux/if_packet.h",
           "linux/netlink.h", "linux/rtnetlink.h", "net/if.h", "linux/in6.h", "linux/in.h",
           "bits/typesizes.h", "linux/tcp.h", "sys/select.h", "linux/socket.h"]
# Not constants, or not integers: macros that take arguments or expand to structs/strings.
EXCLUDE = re.compile(r"^(.*_IDN_.*|IN6ADDR_.*_INIT|INADDR_.*_GROUP$|SO_TIMESTAMP_OLD|NLMSG_(ALIGN|HDRLEN|LENGTH|SPACE|DATA|NEXT|OK|PAYLOAD)$|"
                     r"SCM_SRCRT$|RTM_(RTA|PAYLOAD|F|NR_MSGTYPES|NR_FAMILIES|MAX|BASE|FAM)$|IFF_.*_STATE|AF_MAX|PF_MAX)")

def from_headers():
    names = set()
    for inc in ("/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu"):
        for h in HEADERS:
            p = pathlib.Path(inc, h)
            if not p.exists():
                continue
            text = p.read_text(errors="replace")
            names.update(re.findall(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]+)\s+[^(\s]", text, re.M))
            names.update(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*=\s*[^,]+,", text, re.M))
    return names

# Defined as expressions of other constants, so the header scan above misses them.
EXTRA = {"NLM_F_DUMP", "NLM_F_ATOMIC"}
names = {n for n in from_headers() | EXTRA | set(dir(socket)) | set(dir(select)) if n.startswith(PREFIXES)}
names = sorted(n for n in names if not EXCLUDE.match(n) and not n.startswith("__"))
root = pathlib.Path(__file__).resolve().parent.parent
listed = {line.split()[0] for line in root.joinpath("native/names/constants.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")}
for n in names:
    if n not in listed:
        print(n)
