// bsd-sockets/netlink (Linux): netlink messages and attributes, NetlinkSocket for requests and
// dumps, rtnetlink links/addresses/routes/neighbours, generic netlink family lookup.
export { encodeMessage, decodeMessages, encodeAttribute, encodeAttributes, decodeAttributes, attributeMap, attributeString, attributeU32, align4, NLMSG_HDRLEN, NLA_HDRLEN } from './message';
export type { NetlinkHeader, NetlinkMessage, NetlinkAttribute, AttributeValue, AttributeInput } from './message';
export { NetlinkSocket, ackError } from './socket';
export type { NetlinkSocketOptions } from './socket';
export { RouteSocket, decodeLink, decodeAddress, decodeRoute, decodeNeighbour, addressMessage, routeMessage } from './rtnetlink';
export type { Link, InterfaceAddress, Route, Neighbour, AddressRequest, RouteRequest } from './rtnetlink';
export { GenericSocket, decodeFamily, genlHeader } from './genl';
export type { GenericFamily } from './genl';
export { IFLA, IFLA_INFO, IFA, RTA, NDA, RTNLGRP, RT, CTRL, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS } from './uapi';
