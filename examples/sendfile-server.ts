// sendfile-server: a tiny HTTP/1.0 server that serves one file with sendfile(): the kernel copies
// the file to the socket, and the bytes never pass through JavaScript. The header goes first with
// sendall(); sendfile() starts after the writes queued before it.
//
// Usage: node dist/examples/sendfile-server.js <file> [port=0] [connections]
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createServer, type InetAddress, type Socket } from '../lib';

const file = process.argv[2];
const port = Number(process.argv[3] ?? 0);
const limit = process.argv[4] === undefined ? Infinity : Number(process.argv[4]);

/** Reads the request head (up to the blank line); returns its first line. */
async function requestLine(conn: Socket): Promise<string> {
  let head = '';
  while (!head.includes('\r\n\r\n') && head.length < 8192) {
    const data = await conn.recv(4096);
    if (data.length === 0) break;
    head += data.toString('latin1');
  }
  return head.split('\r\n')[0];
}

async function serve(conn: Socket): Promise<void> {
  const line = await requestLine(conn);
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    await conn.sendall(Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${size}\r\nContent-Type: application/octet-stream\r\n\r\n`));
    const sent = await conn.sendfile(handle);
    console.log(`sendfile-server: ${line} -> ${sent} bytes of ${path.basename(file)} with sendfile`);
  } finally {
    await handle.close();
    conn.close();
  }
}

async function main(): Promise<void> {
  if (!file) {
    console.error('usage: sendfile-server <file> [port] [connections]');
    process.exit(2);
  }
  await fs.access(file);
  const server = createServer(['127.0.0.1', port]);
  const [host, bound] = server.getsockname() as InetAddress;
  console.log(`sendfile-server serving ${path.basename(file)} on ${host} port ${bound}`);
  for (let served = 0; served < limit; served++) {
    const [conn] = await server.accept();
    conn.settimeout(30);
    await serve(conn);
  }
  server.close();
}

main().catch((error) => {
  console.error(`sendfile-server: ${error.message}`);
  process.exitCode = 1;
});
