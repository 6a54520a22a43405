// The tour's streams chapters (run by tour.ts): TLS with node:tls over Socket streams, on a Unix
// socket and on a TCP socket with options `net` does not offer, and a file served with sendfile().
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createConnection } from '../lib/modules/create';

/** What tour.ts lends: its section title, and its way of launching an example and of running one. */
interface TourKit {
  title(text: string): void;
  launch(name: string, args?: Array<string | number>): {
    done: Promise<string>;
    waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  };
  run(name: string, args?: Array<string | number>): Promise<string>;
}

export async function streamsTour({ title, launch, run }: TourKit): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-tour-'));
  try {
    title('8. TLS over a Unix stream socket: node:tls on Socket.toStream() (examples/tls-echo-server.ts, examples/tls-unix-client.ts)');
    const where = path.join(dir, 'tls.sock');
    const unixServer = launch('tls-echo-server', [where, 1]);
    const [, cert] = await unixServer.waitFor(/certificate (\S+)$/);
    await run('tls-unix-client', [where, cert, 'Hello, TLS', 'over AF_UNIX']);
    await unixServer.done;

    title('9. TLS echo on SO_REUSEPORT + TCP_DEFER_ACCEPT; the tour is the client, tls.connect({ socket: s.toStream() })');
    const tcpServer = launch('tls-echo-server', [0, 1]);
    const portLine = tcpServer.waitFor(/port (\d+)/);
    const certLine = tcpServer.waitFor(/certificate (\S+)$/);
    const port = Number((await portLine)[1]);
    const ca = fs.readFileSync((await certLine)[1]);
    const sock = await createConnection(['127.0.0.1', port], { timeout: 10 });
    const secure = tls.connect({ socket: sock.toStream(), ca, servername: 'localhost' });
    await once(secure, 'secureConnect');
    secure.write('Berkeley sockets, encrypted');
    const [echoed] = await once(secure, 'data');
    console.log(`    tour: ${secure.getProtocol()} echo ${JSON.stringify(String(echoed))}`);
    secure.end();
    await once(secure, 'close');
    await tcpServer.done;

    title('10. Serving a file with sendfile(): the kernel copies it to the socket (examples/sendfile-server.ts)');
    const file = path.join(dir, 'file.bin');
    const data = randomBytes(1 << 20);
    fs.writeFileSync(file, data);
    const fileServer = launch('sendfile-server', [file, 0, 1]);
    const filePort = Number((await fileServer.waitFor(/port (\d+)$/))[1]);
    const client = await createConnection(['127.0.0.1', filePort], { timeout: 10 });
    await client.sendall(Buffer.from('GET /file.bin HTTP/1.0\r\n\r\n'));
    const chunks: Buffer[] = [];
    for (let part = await client.recv(1 << 16); part.length > 0; part = await client.recv(1 << 16)) chunks.push(part);
    client.close();
    const response = Buffer.concat(chunks);
    const body = response.subarray(response.indexOf('\r\n\r\n') + 4);
    console.log(`    tour: received ${body.length} bytes, ${body.equals(data) ? 'identical to the file' : 'DIFFERENT from the file'}`);
    if (!body.equals(data)) throw new Error('sendfile-server sent something else');
    await fileServer.done;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
