// What a capture file holds, whichever format (pcap.ts, pcapng.ts) wrote it.

/** What a pcap file's global header says. */
export interface PcapOptions {
  /** The link type of every packet (LINKTYPE_ETHERNET). */
  linktype?: number;
  /** The longest packet kept; longer ones are cut to it (262144, as tcpdump). */
  snaplen?: number;
  /** Timestamps in nanoseconds instead of microseconds (false). */
  nanosecond?: boolean;
  /** The file format: classic `'pcap'` (the default) or `'pcapng'` (one interface, enhanced packet blocks). */
  format?: 'pcap' | 'pcapng';
}

/** One packet of a pcap file. */
export interface PcapPacket {
  /** The capture time, in nanoseconds since the epoch. */
  timestamp: bigint;
  /** The packet's length on the wire (may exceed `data.length` when the snaplen cut it). */
  originalLength: number;
  /** The bytes captured: a view of the file's buffer. */
  data: Buffer;
}

/** A pcap file read whole. */
export interface PcapFile {
  /** The link type of its packets. */
  linktype: number;
  /** Its snaplen. */
  snaplen: number;
  /** Whether its timestamps had nanosecond resolution. */
  nanosecond: boolean;
  /** Which format it was in. */
  format: 'pcap' | 'pcapng';
  /** The packets, in order. */
  packets: PcapPacket[];
}
