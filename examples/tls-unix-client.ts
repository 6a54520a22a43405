// tls-unix-client: TLS over a Unix stream socket, which `tls.connect({ path })` does not verify
// against a host name the way we want here: the socket is a bsd-sockets Socket, and node:tls runs on
// its stream. The server's certificate is checked for the name `localhost`.
//
// Usage: node dist/examples/tls-unix-client.js <unix-path> <ca-cert.pem> [message...]
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { AF_UNIX, socket } from '../lib';

async function main(): Promise<void> {
  const [where, ca, ...messages] = process.argv.slice(2);
  if (!where || !ca) {
    console.error('usage: tls-unix-client <unix-path> <ca-cert.pem> [message...]');
    process.exit(2);
  }
  const sock = socket(AF_UNIX);
  await sock.connect(where);
  const secure = tls.connect({ socket: sock.toStream(), ca: fs.readFileSync(ca), servername: 'localhost' });
  await once(secure, 'secureConnect');
  console.log(`tls-unix-client: ${secure.getProtocol()} with ${secure.getPeerCertificate().subject.CN}, certificate verified`);
  let received = Buffer.alloc(0);
  let wake = (): void => undefined;
  secure.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]); wake(); });
  for (const message of messages.length ? messages : ['hello over TLS over a Unix socket']) {
    secure.write(message);
    const length = Buffer.byteLength(message);
    while (received.length < length) await new Promise<void>((resolve) => { wake = resolve; });
    const reply = received.subarray(0, length).toString();
    received = received.subarray(length);
    console.log(`tls-unix-client: sent ${JSON.stringify(message)}, received ${JSON.stringify(reply)}`);
  }
  secure.end();
  await once(secure, 'close');
}

main().catch((error) => {
  console.error(`tls-unix-client: ${error.message}`);
  process.exitCode = 1;
});
