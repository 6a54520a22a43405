// Ethernet II frames with any number of 802.1Q (and 802.1ad) VLAN tags.
import { HeaderView, checkBounds, checkField, macBytes, macText, malformed, need } from './view';

/** EtherType of IPv4 (wire value, IEEE). */
export const ETHERTYPE_IPV4 = 0x0800;
/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** EtherType of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** EtherType (TPID) of an 802.1Q VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** EtherType (TPID) of an 802.1ad service tag (QinQ). */
export const ETHERTYPE_QINQ = 0x88a8;

const MAX_TAGS = 8;

/** One 802.1Q tag. */
export interface VlanTag {
  /** The tag protocol identifier (0x8100, or 0x88a8 for an 802.1ad outer tag). */
  tpid: number;
  /** Priority code point, 0–7. */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** The VLAN identifier, 0–4095. */
  id: number;
}

/** A VLAN tag to encode: only `id` is required. */
export interface VlanTagFields extends Partial<VlanTag> {
  /** The VLAN identifier, 0–4095. */
  id: number;
}

/** A decoded Ethernet II frame. */
export class EthernetHeader extends HeaderView {
  /** Decodes the frame at `offset` of `buffer` (the frame runs to `end`); returns this object. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length): this {
    checkBounds(buffer, offset, end, 'ethernet');
    need(end, offset, 14, 'ethernet.length');
    let at = offset + 12;
    let tags = 0;
    for (let type = (buffer[at] << 8) | buffer[at + 1]; type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ; type = (buffer[at] << 8) | buffer[at + 1]) {
      if (++tags > MAX_TAGS) throw malformed('ethernet.vlan', `at most ${MAX_TAGS} tags`, tags);
      at += 4;
      need(end, at, 2, 'ethernet.vlan');
    }
    this.attach(buffer, offset, end);
    this.headerLength = at + 2 - offset;
    return this;
  }

  /** Destination MAC address. */
  get dst(): string { return macText(this.buffer, this.offset); }
  /** Source MAC address. */
  get src(): string { return macText(this.buffer, this.offset + 6); }
  /** The EtherType after the VLAN tags (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP…). */
  get etherType(): number { const at = this.offset + this.headerLength - 2; return (this.buffer[at] << 8) | this.buffer[at + 1]; }
  /** The VLAN tags, outermost first (empty when untagged). */
  get vlans(): VlanTag[] {
    const tags: VlanTag[] = [];
    for (let at = this.offset + 12; at < this.offset + this.headerLength - 2; at += 4) {
      const tci = (this.buffer[at + 2] << 8) | this.buffer[at + 3];
      tags.push({ tpid: (this.buffer[at] << 8) | this.buffer[at + 1], pcp: tci >> 13, dei: (tci & 0x1000) !== 0, id: tci & 0xfff });
    }
    return tags;
  }
}

/** Decodes an Ethernet II frame (a new view; reuse one with `new EthernetHeader().decode()`). */
export function decodeEthernet(buffer: Uint8Array, offset = 0, end = buffer.length): EthernetHeader {
  return new EthernetHeader().decode(buffer, offset, end);
}

/** What `encodeEthernet` writes. */
export interface EthernetFields {
  /** Destination MAC address (`aa:bb:cc:dd:ee:ff` or 6 bytes). */
  dst: string | Uint8Array;
  /** Source MAC address. */
  src: string | Uint8Array;
  /** The EtherType of the payload. */
  etherType: number;
  /** VLAN tags, outermost first; `tpid` defaults to 0x8100, `pcp` to 0, `dei` to false. */
  vlans?: VlanTagFields[];
}

/** An Ethernet II frame: header (with its VLAN tags) followed by `payload`. */
export function encodeEthernet(fields: EthernetFields, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const vlans = fields.vlans ?? [];
  const frame = Buffer.allocUnsafe(14 + 4 * vlans.length + payload.length);
  frame.set(macBytes(fields.dst, 'ethernet.dst'), 0);
  frame.set(macBytes(fields.src, 'ethernet.src'), 6);
  let at = 12;
  for (const tag of vlans) {
    frame.writeUInt16BE(checkField(tag.tpid ?? ETHERTYPE_VLAN, 0xffff, 'ethernet.vlan.tpid'), at);
    const tci = (checkField(tag.pcp ?? 0, 7, 'ethernet.vlan.pcp') << 13) | (tag.dei ? 0x1000 : 0) | checkField(tag.id, 0xfff, 'ethernet.vlan.id');
    frame.writeUInt16BE(tci, at + 2);
    at += 4;
  }
  frame.writeUInt16BE(checkField(fields.etherType, 0xffff, 'ethernet.etherType'), at);
  frame.set(payload, at + 2);
  return frame;
}
