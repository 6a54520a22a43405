// Kernel uapi values the package's constants cannot carry: the members of enums (IFLA_*, IFA_*,
// RTA_*, NDA_*, CTRL_*, RTNLGRP_*, NLMSGERR_ATTR_*), which the generated table cannot #ifdef, and
// the attribute header's flag bits, part of the wire format as its 4-byte alignment is. They are
// kernel ABI and never change. Macros come from the addon's constants (`required`).
import { constants } from '../binding/constants';

/** A constant of the addon's table; a clear error where the platform (or an old build) lacks it. */
export function required(name: string): number {
  const value = (constants as Readonly<Record<string, number | undefined>>)[name];
  if (value === undefined) throw new Error(`bsd-sockets/netlink: ${name} is not among the addon's constants (netlink is Linux-only; after an upgrade, rebuild the addon)`);
  return value;
}

/** nlattr flag: the payload is a list of attributes. */
export const NLA_F_NESTED = 1 << 15;
/** nlattr flag: the payload is in network byte order. */
export const NLA_F_NET_BYTEORDER = 1 << 14;
/** The type bits of nla_type. */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Extended ACK attributes (enum nlmsgerr_attrs). */
export const NLMSGERR_ATTR_MSG = 1;
/** The offset of the attribute the kernel objected to. */
export const NLMSGERR_ATTR_OFFS = 2;

/** enum IFLA_* of linux/if_link.h: link attributes. */
export const IFLA = Object.freeze({
  /** Link-layer address. */ ADDRESS: 1,
  /** Link-layer broadcast address. */ BROADCAST: 2,
  /** Interface name. */ IFNAME: 3,
  /** MTU. */ MTU: 4,
  /** The link this one is bound to (a veth's peer). */ LINK: 5,
  /** Queueing discipline. */ QDISC: 6,
  /** Master device index. */ MASTER: 10,
  /** Transmit queue length. */ TXQLEN: 13,
  /** RFC 2863 operational state. */ OPERSTATE: 16,
  /** Link mode. */ LINKMODE: 17,
  /** Nested: kind and data of a virtual link. */ LINKINFO: 18,
  /** The namespace of the peer link. */ NET_NS_PID: 19,
  /** Interface group. */ GROUP: 27,
});

/** enum IFLA_INFO_* (nested in IFLA_LINKINFO). */
export const IFLA_INFO = Object.freeze({
  /** The kind of virtual link ("veth", "bridge"…). */ KIND: 1,
  /** Kind-specific data. */ DATA: 2,
});

/** enum IFA_* of linux/if_addr.h: address attributes. */
export const IFA = Object.freeze({
  /** The address (the peer's on a point-to-point link). */ ADDRESS: 1,
  /** The local address. */ LOCAL: 2,
  /** The label (the name with an alias). */ LABEL: 3,
  /** Broadcast address. */ BROADCAST: 4,
  /** Anycast address. */ ANYCAST: 5,
  /** struct ifa_cacheinfo: lifetimes. */ CACHEINFO: 6,
  /** u32 flags (beyond ifa_flags' 8 bits). */ FLAGS: 8,
});

/** enum rtattr_type_t of linux/rtnetlink.h: route attributes. */
export const RTA = Object.freeze({
  /** Destination prefix. */ DST: 1,
  /** Source prefix. */ SRC: 2,
  /** Input interface. */ IIF: 3,
  /** Output interface. */ OIF: 4,
  /** Gateway. */ GATEWAY: 5,
  /** Metric. */ PRIORITY: 6,
  /** Preferred source address. */ PREFSRC: 7,
  /** Table (u32, beyond rtm_table's 8 bits). */ TABLE: 15,
});

/** enum NDA_* of linux/neighbour.h: neighbour attributes. */
export const NDA = Object.freeze({
  /** The neighbour's network address. */ DST: 1,
  /** Its link-layer address. */ LLADDR: 2,
});

/** rtnetlink multicast groups (enum rtnetlink_groups), for `addMembership`. */
export const RTNLGRP = Object.freeze({
  /** Link changes. */ LINK: 1,
  /** Neighbour changes. */ NEIGH: 3,
  /** IPv4 address changes. */ IPV4_IFADDR: 5,
  /** IPv4 route changes. */ IPV4_ROUTE: 7,
  /** IPv6 address changes. */ IPV6_IFADDR: 9,
  /** IPv6 route changes. */ IPV6_ROUTE: 11,
});

/** Routing tables, scopes and route types (enum rt_class_t, rt_scope_t, RTN_*). */
export const RT = Object.freeze({
  /** The main table. */ TABLE_MAIN: 254,
  /** The local table. */ TABLE_LOCAL: 255,
  /** Scope: anywhere. */ SCOPE_UNIVERSE: 0,
  /** Scope: on this link. */ SCOPE_LINK: 253,
  /** Scope: this host. */ SCOPE_HOST: 254,
  /** Route type: a gateway or direct route. */ RTN_UNICAST: 1,
});

/** Generic netlink controller: commands and attributes (enum CTRL_CMD_*, CTRL_ATTR_*). */
export const CTRL = Object.freeze({
  /** Command: look a family up. */ CMD_GETFAMILY: 3,
  /** The family's id. */ ATTR_FAMILY_ID: 1,
  /** The family's name. */ ATTR_FAMILY_NAME: 2,
  /** Its version. */ ATTR_VERSION: 3,
  /** Its header size. */ ATTR_HDRSIZE: 4,
  /** Its highest attribute. */ ATTR_MAXATTR: 5,
  /** Nested: its multicast groups. */ ATTR_MCAST_GROUPS: 7,
  /** A group's name. */ ATTR_MCAST_GRP_NAME: 1,
  /** A group's id. */ ATTR_MCAST_GRP_ID: 2,
});
