// lookup: a small name lookup tool. getaddrinfo() turns a name into socket addresses (one per
// family/type/protocol it can be used with); getnameinfo() turns an address back into a name.
//
// Usage: node dist/examples/lookup.js [name=localhost]
import {
  AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
  getaddrinfo, getnameinfo, gethostname,
} from '../lib';

const name = process.argv[2] ?? 'localhost';

const FAMILIES = new Map<number, string>([[AF_INET, 'AF_INET'], [AF_INET6, 'AF_INET6']]);
const TYPES = new Map([[SOCK_STREAM, 'SOCK_STREAM'], [SOCK_DGRAM, 'SOCK_DGRAM'], [SOCK_RAW, 'SOCK_RAW']]);
const PROTOS = new Map([[IPPROTO_TCP, 'tcp'], [IPPROTO_UDP, 'udp'], [0, '-']]);

async function main(): Promise<void> {
  console.log(`lookup: this host is called ${JSON.stringify(gethostname())}`);
  // Port 80 only to show that the port travels along; family/type 0 mean "any".
  const infos = await getaddrinfo(name, 80);
  console.log(`lookup: getaddrinfo(${JSON.stringify(name)}, 80) gave ${infos.length} result(s):`);
  for (const [family, type, proto, , address] of infos) {
    console.log(`  ${FAMILIES.get(family) ?? family} ${TYPES.get(type) ?? type} ${PROTOS.get(proto) ?? proto} `
      + `${JSON.stringify(address)}`);
  }
  // And back: each distinct address to a host name and the port to a service name.
  const seen = new Set<string>();
  for (const [, , , , address] of infos) {
    if (seen.has(address[0])) continue;
    seen.add(address[0]);
    const [host, service] = await getnameinfo(address, 0);
    console.log(`lookup: getnameinfo(${JSON.stringify([address[0], address[1]])}) = ${JSON.stringify([host, service])}`);
  }
}

main().catch((error) => {
  console.error(`lookup: ${error.message}`);
  process.exitCode = 1;
});
