// ARP (RFC 826) for any hardware and protocol address sizes; Ethernet/IPv4 addresses as text.
import { HeaderView, checkBounds, checkField, ipBytes, ipv4Text, macBytes, macText, need } from './view';

/** ARP operation: request. */
export const ARP_REQUEST = 1;
/** ARP operation: reply. */
export const ARP_REPLY = 2;

/** A decoded ARP packet. */
export class ArpHeader extends HeaderView {
  /** Decodes the ARP packet at `offset`; returns this object. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length): this {
    checkBounds(buffer, offset, end, 'arp');
    need(end, offset, 8, 'arp.length');
    const length = 8 + 2 * (buffer[offset + 4] + buffer[offset + 5]);
    need(end, offset, length, 'arp.length');
    this.attach(buffer, offset, end);
    this.headerLength = length;
    return this;
  }

  /** Hardware type (1: Ethernet). */
  get hardwareType(): number { return this.buffer.readUInt16BE(this.offset); }
  /** Protocol type (0x0800: IPv4). */
  get protocolType(): number { return this.buffer.readUInt16BE(this.offset + 2); }
  /** Hardware address length. */
  get hardwareLength(): number { return this.buffer[this.offset + 4]; }
  /** Protocol address length. */
  get protocolLength(): number { return this.buffer[this.offset + 5]; }
  /** Operation: 1 request, 2 reply. */
  get operation(): number { return this.buffer.readUInt16BE(this.offset + 6); }
  /** Sender hardware address (colon-separated hex). */
  get senderHardware(): string { return macText(this.buffer, this.offset + 8, this.hardwareLength); }
  /** Sender protocol address (dotted quad for 4 bytes, else colon-separated hex). */
  get senderProtocol(): string { return this.protocolText(this.offset + 8 + this.hardwareLength); }
  /** Target hardware address. */
  get targetHardware(): string { return macText(this.buffer, this.offset + 8 + this.hardwareLength + this.protocolLength, this.hardwareLength); }
  /** Target protocol address. */
  get targetProtocol(): string { return this.protocolText(this.offset + 8 + 2 * this.hardwareLength + this.protocolLength); }

  private protocolText(at: number): string {
    return this.protocolLength === 4 ? ipv4Text(this.buffer, at) : macText(this.buffer, at, this.protocolLength);
  }
}

/** Decodes an ARP packet. */
export function decodeArp(buffer: Uint8Array, offset = 0, end = buffer.length): ArpHeader {
  return new ArpHeader().decode(buffer, offset, end);
}

/** What `encodeArp` writes: an Ethernet/IPv4 ARP packet. */
export interface ArpFields {
  /** 1 request, 2 reply. */
  operation: number;
  /** Sender MAC address. */
  senderHardware: string | Uint8Array;
  /** Sender IPv4 address. */
  senderProtocol: string | Uint8Array;
  /** Target MAC address (zeros in a request). */
  targetHardware: string | Uint8Array;
  /** Target IPv4 address. */
  targetProtocol: string | Uint8Array;
}

/** An Ethernet/IPv4 ARP packet (28 bytes). */
export function encodeArp(fields: ArpFields): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(checkField(fields.operation, 0xffff, 'arp.operation'), 6);
  b.set(macBytes(fields.senderHardware, 'arp.senderHardware'), 8);
  b.set(ipBytes(fields.senderProtocol, 4, 'arp.senderProtocol'), 14);
  b.set(macBytes(fields.targetHardware, 'arp.targetHardware'), 18);
  b.set(ipBytes(fields.targetProtocol, 4, 'arp.targetProtocol'), 24);
  return b;
}
