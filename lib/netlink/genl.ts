// Generic netlink: looking a family up by name with the controller (CTRL_CMD_GETFAMILY).
import { type NetlinkMessage, attributeMap, attributeString, attributeU32, decodeAttributes, encodeAttributes, readU16 } from './message';
import { NetlinkSocket, type NetlinkSocketOptions } from './socket';
import { CTRL, required } from './uapi';
import { malformed } from '../packet/view';

/** A generic netlink family, as the controller describes it. */
export interface GenericFamily {
  /** Its id: the nlmsg_type of its messages. */
  id: number;
  /** Its name. */
  name: string;
  /** Its version. */
  version: number;
  /** Its highest attribute type. */
  maxAttribute: number;
  /** Its multicast groups: name → group id (for `addMembership`). */
  groups: Map<string, number>;
}

/** The genlmsghdr of a command: cmd, version, 2 reserved bytes. */
export function genlHeader(command: number, version = 1): Buffer {
  return Buffer.from([command, version, 0, 0]);
}

/** Decodes a CTRL_CMD_NEWFAMILY reply. */
export function decodeFamily(message: NetlinkMessage): GenericFamily {
  if (message.body.length < 4) throw malformed('genlmsghdr', 'at least 4 bytes', message.body.length);
  const attributes = attributeMap(decodeAttributes(message.body, 4));
  const id = attributes.get(CTRL.ATTR_FAMILY_ID);
  const name = attributes.get(CTRL.ATTR_FAMILY_NAME);
  if (!id || id.length < 2 || !name) throw malformed('CTRL_ATTR_FAMILY_ID', 'present with CTRL_ATTR_FAMILY_NAME', id?.length ?? 'absent');
  const groups = new Map<string, number>();
  const list = attributes.get(CTRL.ATTR_MCAST_GROUPS);
  for (const group of list ? decodeAttributes(list) : []) {
    const fields = attributeMap(decodeAttributes(group.data));
    const groupName = fields.get(CTRL.ATTR_MCAST_GRP_NAME);
    const groupId = fields.get(CTRL.ATTR_MCAST_GRP_ID);
    if (groupName && groupId) groups.set(attributeString(groupName), attributeU32(groupId, 'CTRL_ATTR_MCAST_GRP_ID'));
  }
  const version = attributes.get(CTRL.ATTR_VERSION);
  const maxAttribute = attributes.get(CTRL.ATTR_MAXATTR);
  return {
    id: readU16(id, 0), name: attributeString(name), groups,
    version: version ? attributeU32(version, 'CTRL_ATTR_VERSION') : 0,
    maxAttribute: maxAttribute ? attributeU32(maxAttribute, 'CTRL_ATTR_MAXATTR') : 0,
  };
}

/** A NETLINK_GENERIC socket that can look families up. */
export class GenericSocket extends NetlinkSocket {
  /** Opens a NETLINK_GENERIC socket. */
  constructor(options: NetlinkSocketOptions = {}) {
    super(required('NETLINK_GENERIC'), options);
  }

  protected override describe(type: number): string {
    return type === controllerId() ? 'CTRL_CMD_GETFAMILY' : super.describe(type);
  }

  /** Looks a family up by name (ENOENT, a FileNotFoundError, when the kernel has none by that name). */
  getFamilySync(name: string): GenericFamily {
    return decodeFamily(this.requestSync(controllerId(), familyRequest(name))[0] ?? missingReply());
  }

  /** Promise form of getFamilySync. */
  async getFamily(name: string): Promise<GenericFamily> {
    return decodeFamily((await this.request(controllerId(), familyRequest(name)))[0] ?? missingReply());
  }
}

/** GENL_ID_CTRL, defined in linux/genetlink.h as NLMSG_MIN_TYPE. */
function controllerId(): number {
  return required('NLMSG_MIN_TYPE');
}

function familyRequest(name: string): Buffer[] {
  return [genlHeader(CTRL.CMD_GETFAMILY), encodeAttributes([[CTRL.ATTR_FAMILY_NAME, name]])];
}

function missingReply(): never {
  throw malformed('CTRL_CMD_GETFAMILY', 'a reply before the acknowledgment', 'none');
}
