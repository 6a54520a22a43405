// rtnetlink (NETLINK_ROUTE): links, addresses, routes and neighbours decoded from their messages;
// requests that add and remove addresses and routes.
import { AF_INET, AF_INET6 } from '../binding/constants';
import { ipBytes, ipv4Text, ipv6Text, macText, malformed } from '../packet/view';
import { type AttributeInput, type NetlinkAttribute, type NetlinkMessage, attributeString, attributeU32, decodeAttributes, readI32, readU16, readU32, writeU32, encodeAttributes } from './message';
import { NetlinkSocket, type NetlinkSocketOptions } from './socket';
import { IFA, IFLA, IFLA_INFO, NDA, RT, RTA, required } from './uapi';

/** A link (network interface), from RTM_NEWLINK. */
export interface Link {
  /** Interface index. */
  index: number;
  /** Interface name. */
  name: string;
  /** Link-layer type (ARPHRD_*: 1 Ethernet, 772 loopback). */
  type: number;
  /** IFF_* flags. */
  flags: number;
  /** MTU. */
  mtu?: number;
  /** Link-layer address, colon-separated hex. */
  address?: string;
  /** Link-layer broadcast address. */
  broadcast?: string;
  /** RFC 2863 operational state (IF_OPER_*: 2 down, 6 up, 0 unknown). */
  operstate?: number;
  /** Transmit queue length. */
  txqlen?: number;
  /** Queueing discipline. */
  qdisc?: string;
  /** Index of the link this one is bound to (a veth's peer). */
  link?: number;
  /** Index of the master device. */
  master?: number;
  /** Kind of virtual link (`veth`, `bridge`…). */
  kind?: string;
  /** Interface group. */
  group?: number;
}

/** An address, from RTM_NEWADDR. */
export interface InterfaceAddress {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Prefix length. */
  prefixlen: number;
  /** IFA_F_* flags (the 32-bit IFA_FLAGS where the kernel sends it). */
  flags: number;
  /** Scope (0 global, 253 link, 254 host). */
  scope: number;
  /** Interface index. */
  index: number;
  /** IFA_ADDRESS. */
  address?: string;
  /** IFA_LOCAL. */
  local?: string;
  /** IFA_BROADCAST. */
  broadcast?: string;
  /** IFA_LABEL. */
  label?: string;
}

/** A route, from RTM_NEWROUTE. */
export interface Route {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Destination prefix length (0: default route). */
  dstLen: number;
  /** Source prefix length. */
  srcLen: number;
  /** TOS. */
  tos: number;
  /** Routing table (254 main, 255 local). */
  table: number;
  /** Origin (RTPROT_*: 2 kernel, 3 boot, 4 static). */
  protocol: number;
  /** Scope (0 universe, 253 link, 254 host). */
  scope: number;
  /** Route type (RTN_*: 1 unicast, 2 local, 3 broadcast…). */
  type: number;
  /** RTM_F_* flags. */
  flags: number;
  /** Destination. */
  dst?: string;
  /** Source prefix. */
  src?: string;
  /** Gateway. */
  gateway?: string;
  /** Output interface index. */
  oif?: number;
  /** Input interface index. */
  iif?: number;
  /** Metric. */
  priority?: number;
  /** Preferred source address. */
  prefsrc?: string;
}

/** A neighbour (ARP or NDP entry), from RTM_NEWNEIGH. */
export interface Neighbour {
  /** AF_INET or AF_INET6. */
  family: number;
  /** Interface index. */
  index: number;
  /** NUD_* state bits (0x80 permanent, 0x02 reachable…). */
  state: number;
  /** NTF_* flags. */
  flags: number;
  /** Route type of the entry. */
  type: number;
  /** The neighbour's address. */
  dst?: string;
  /** Its link-layer address. */
  lladdr?: string;
}

function body(message: NetlinkMessage, size: number, name: string): Buffer {
  if (message.body.length < size) throw malformed(name, `at least ${size} bytes`, message.body.length);
  return message.body;
}

function ipText(data: Buffer, field: string): string {
  if (data.length === 4) return ipv4Text(data, 0);
  if (data.length === 16) return ipv6Text(data, 0);
  throw malformed(field, '4 or 16 bytes', data.length);
}

function each(attributes: NetlinkAttribute[], read: Record<number, (data: Buffer) => void>): void {
  for (const { type, data } of attributes) read[type]?.(data);
}

/** Decodes an RTM_NEWLINK (or RTM_DELLINK) message. */
export function decodeLink(message: NetlinkMessage): Link {
  const b = body(message, 16, 'ifinfomsg');
  const link: Link = { index: readI32(b, 4), name: '', type: readU16(b, 2), flags: readU32(b, 8) };
  each(decodeAttributes(b, 16), {
    [IFLA.IFNAME]: (d) => { link.name = attributeString(d); },
    [IFLA.MTU]: (d) => { link.mtu = attributeU32(d, 'IFLA_MTU'); },
    [IFLA.ADDRESS]: (d) => { link.address = macText(d, 0, d.length); },
    [IFLA.BROADCAST]: (d) => { link.broadcast = macText(d, 0, d.length); },
    [IFLA.OPERSTATE]: (d) => { link.operstate = d[0]; },
    [IFLA.TXQLEN]: (d) => { link.txqlen = attributeU32(d, 'IFLA_TXQLEN'); },
    [IFLA.QDISC]: (d) => { link.qdisc = attributeString(d); },
    [IFLA.LINK]: (d) => { link.link = attributeU32(d, 'IFLA_LINK'); },
    [IFLA.MASTER]: (d) => { link.master = attributeU32(d, 'IFLA_MASTER'); },
    [IFLA.GROUP]: (d) => { link.group = attributeU32(d, 'IFLA_GROUP'); },
    [IFLA.LINKINFO]: (d) => each(decodeAttributes(d), { [IFLA_INFO.KIND]: (k) => { link.kind = attributeString(k); } }),
  });
  return link;
}

/** Decodes an RTM_NEWADDR (or RTM_DELADDR) message. */
export function decodeAddress(message: NetlinkMessage): InterfaceAddress {
  const b = body(message, 8, 'ifaddrmsg');
  const address: InterfaceAddress = { family: b[0], prefixlen: b[1], flags: b[2], scope: b[3], index: readU32(b, 4) };
  each(decodeAttributes(b, 8), {
    [IFA.ADDRESS]: (d) => { address.address = ipText(d, 'IFA_ADDRESS'); },
    [IFA.LOCAL]: (d) => { address.local = ipText(d, 'IFA_LOCAL'); },
    [IFA.BROADCAST]: (d) => { address.broadcast = ipText(d, 'IFA_BROADCAST'); },
    [IFA.LABEL]: (d) => { address.label = attributeString(d); },
    [IFA.FLAGS]: (d) => { address.flags = attributeU32(d, 'IFA_FLAGS'); },
  });
  return address;
}

/** Decodes an RTM_NEWROUTE (or RTM_DELROUTE) message. */
export function decodeRoute(message: NetlinkMessage): Route {
  const b = body(message, 12, 'rtmsg');
  const route: Route = { family: b[0], dstLen: b[1], srcLen: b[2], tos: b[3], table: b[4], protocol: b[5], scope: b[6], type: b[7], flags: readU32(b, 8) };
  each(decodeAttributes(b, 12), {
    [RTA.DST]: (d) => { route.dst = ipText(d, 'RTA_DST'); },
    [RTA.SRC]: (d) => { route.src = ipText(d, 'RTA_SRC'); },
    [RTA.GATEWAY]: (d) => { route.gateway = ipText(d, 'RTA_GATEWAY'); },
    [RTA.PREFSRC]: (d) => { route.prefsrc = ipText(d, 'RTA_PREFSRC'); },
    [RTA.OIF]: (d) => { route.oif = attributeU32(d, 'RTA_OIF'); },
    [RTA.IIF]: (d) => { route.iif = attributeU32(d, 'RTA_IIF'); },
    [RTA.PRIORITY]: (d) => { route.priority = attributeU32(d, 'RTA_PRIORITY'); },
    [RTA.TABLE]: (d) => { route.table = attributeU32(d, 'RTA_TABLE'); },
  });
  return route;
}

/** Decodes an RTM_NEWNEIGH (or RTM_DELNEIGH) message. */
export function decodeNeighbour(message: NetlinkMessage): Neighbour {
  const b = body(message, 12, 'ndmsg');
  const neighbour: Neighbour = { family: b[0], index: readI32(b, 4), state: readU16(b, 8), flags: b[10], type: b[11] };
  each(decodeAttributes(b, 12), {
    [NDA.DST]: (d) => { neighbour.dst = ipText(d, 'NDA_DST'); },
    [NDA.LLADDR]: (d) => { neighbour.lladdr = macText(d, 0, d.length); },
  });
  return neighbour;
}

/** An address to add or remove. */
export interface AddressRequest {
  /** Interface index. */
  index: number;
  /** The address (IPv4 or IPv6 text). */
  address: string;
  /** Prefix length. */
  prefixlen: number;
  /** IPv4 broadcast address. */
  broadcast?: string;
  /** Scope (0: global). */
  scope?: number;
}

/** A route to add or remove (in the main table unless `table` says otherwise). */
export interface RouteRequest {
  /** Destination prefix (omit for a default route). */
  dst?: string;
  /** Destination prefix length (0 with no `dst`). */
  dstLen?: number;
  /** Gateway. */
  gateway?: string;
  /** Output interface index. */
  oif?: number;
  /** Metric. */
  priority?: number;
  /** Table (254, main). */
  table?: number;
  /** Origin (4, RTPROT_STATIC). */
  protocol?: number;
  /** Scope (universe with a gateway, link without). */
  scope?: number;
  /** Address family, where neither `dst` nor `gateway` says it (AF_INET). */
  family?: number;
}

function familyOf(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : text.includes(':') ? AF_INET6 : AF_INET;
}

function addressBytes(text: string, family: number, field: string): Uint8Array {
  return ipBytes(text, family === AF_INET6 ? 16 : 4, field);
}

/** The ifaddrmsg and attributes of an address request. */
export function addressMessage(request: AddressRequest): Buffer[] {
  const family = familyOf(request.address, AF_INET);
  const header = Buffer.alloc(8);
  header[0] = family;
  header[1] = request.prefixlen;
  header[3] = request.scope ?? RT.SCOPE_UNIVERSE;
  writeU32(header, request.index, 4);
  const bytes = addressBytes(request.address, family, 'address');
  const attributes: AttributeInput[] = [[IFA.LOCAL, bytes], [IFA.ADDRESS, bytes]];
  if (request.broadcast) attributes.push([IFA.BROADCAST, addressBytes(request.broadcast, family, 'broadcast')]);
  return [header, encodeAttributes(attributes)];
}

/** The rtmsg and attributes of a route request. */
export function routeMessage(request: RouteRequest): Buffer[] {
  const family = familyOf(request.dst ?? request.gateway, request.family ?? AF_INET);
  const table = request.table ?? RT.TABLE_MAIN;
  const header = Buffer.alloc(12);
  header[0] = family;
  header[1] = request.dst === undefined ? 0 : request.dstLen ?? (family === AF_INET6 ? 128 : 32);
  header[4] = table < 256 ? table : 0;
  header[5] = request.protocol ?? 4;
  header[6] = request.scope ?? (request.gateway ? RT.SCOPE_UNIVERSE : RT.SCOPE_LINK);
  header[7] = RT.RTN_UNICAST;
  const attributes: AttributeInput[] = [[RTA.TABLE, table]];
  if (request.dst !== undefined) attributes.push([RTA.DST, addressBytes(request.dst, family, 'dst')]);
  if (request.gateway !== undefined) attributes.push([RTA.GATEWAY, addressBytes(request.gateway, family, 'gateway')]);
  if (request.oif !== undefined) attributes.push([RTA.OIF, request.oif]);
  if (request.priority !== undefined) attributes.push([RTA.PRIORITY, request.priority]);
  return [header, encodeAttributes(attributes)];
}

function familyHeader(size: number, family: number): Buffer[] {
  const header = Buffer.alloc(size);
  header[0] = family;
  return [header];
}

const NAMES = ['RTM_NEWLINK', 'RTM_DELLINK', 'RTM_GETLINK', 'RTM_NEWADDR', 'RTM_DELADDR', 'RTM_GETADDR', 'RTM_NEWROUTE', 'RTM_DELROUTE', 'RTM_GETROUTE', 'RTM_NEWNEIGH', 'RTM_DELNEIGH', 'RTM_GETNEIGH'];

/** A NETLINK_ROUTE socket with the rtnetlink dumps and requests, each Sync and Promise. */
export class RouteSocket extends NetlinkSocket {
  /** Opens a NETLINK_ROUTE socket (`groups`: RTNLGRP values to listen to). */
  constructor(options: NetlinkSocketOptions = {}) {
    super(required('NETLINK_ROUTE'), options);
  }

  protected override describe(type: number): string {
    return NAMES.find((name) => required(name) === type) ?? super.describe(type);
  }

  /** Every link. */
  linksSync(): Link[] { return this.dumpSync(required('RTM_GETLINK'), familyHeader(16, 0)).map(decodeLink); }
  /** Promise form of linksSync. */
  async links(): Promise<Link[]> { return (await this.dump(required('RTM_GETLINK'), familyHeader(16, 0))).map(decodeLink); }
  /** Every address of `family` (0: all). */
  addressesSync(family = 0): InterfaceAddress[] { return this.dumpSync(required('RTM_GETADDR'), familyHeader(8, family)).map(decodeAddress); }
  /** Promise form of addressesSync. */
  async addresses(family = 0): Promise<InterfaceAddress[]> { return (await this.dump(required('RTM_GETADDR'), familyHeader(8, family))).map(decodeAddress); }
  /** Every route of `family` (0: all), in every table. */
  routesSync(family = 0): Route[] { return this.dumpSync(required('RTM_GETROUTE'), familyHeader(12, family)).map(decodeRoute); }
  /** Promise form of routesSync. */
  async routes(family = 0): Promise<Route[]> { return (await this.dump(required('RTM_GETROUTE'), familyHeader(12, family))).map(decodeRoute); }
  /** Every neighbour entry of `family` (0: all). */
  neighboursSync(family = 0): Neighbour[] { return this.dumpSync(required('RTM_GETNEIGH'), familyHeader(12, family)).map(decodeNeighbour); }
  /** Promise form of neighboursSync. */
  async neighbours(family = 0): Promise<Neighbour[]> { return (await this.dump(required('RTM_GETNEIGH'), familyHeader(12, family))).map(decodeNeighbour); }

  /** Adds an address (fails with EEXIST if it is there). */
  addAddressSync(request: AddressRequest): void { this.requestSync(required('RTM_NEWADDR'), addressMessage(request), createFlags()); }
  /** Promise form of addAddressSync. */
  async addAddress(request: AddressRequest): Promise<void> { await this.request(required('RTM_NEWADDR'), addressMessage(request), createFlags()); }
  /** Removes an address. */
  deleteAddressSync(request: AddressRequest): void { this.requestSync(required('RTM_DELADDR'), addressMessage(request)); }
  /** Promise form of deleteAddressSync. */
  async deleteAddress(request: AddressRequest): Promise<void> { await this.request(required('RTM_DELADDR'), addressMessage(request)); }
  /** Adds a route (fails with EEXIST if it is there). */
  addRouteSync(request: RouteRequest): void { this.requestSync(required('RTM_NEWROUTE'), routeMessage(request), createFlags()); }
  /** Promise form of addRouteSync. */
  async addRoute(request: RouteRequest): Promise<void> { await this.request(required('RTM_NEWROUTE'), routeMessage(request), createFlags()); }
  /** Removes a route. */
  deleteRouteSync(request: RouteRequest): void { this.requestSync(required('RTM_DELROUTE'), routeMessage(request)); }
  /** Promise form of deleteRouteSync. */
  async deleteRoute(request: RouteRequest): Promise<void> { await this.request(required('RTM_DELROUTE'), routeMessage(request)); }
}

function createFlags(): number {
  return required('NLM_F_CREATE') | required('NLM_F_EXCL');
}

