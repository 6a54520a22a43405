// fd-passing: a parent hands an open file and a connected socket to a child process over a Unix
// socket (SCM_RIGHTS, with sendFds/recvFds); the child reads the file and answers on the socket.
//
//   node dist/examples/fd-passing.js
//
// The child is this same script, started as `fd-passing.js child <unix socket path>` with stdio
// inherited; the Unix socket lives in a fresh temporary directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as bs from '../lib';

async function parent(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-passing-'));
  try {
    const where = path.join(dir, 'control.sock');
    const filePath = path.join(dir, 'note.txt');
    fs.writeFileSync(filePath, `a note from parent ${process.pid}`);

    using server = bs.socket(bs.AF_UNIX, bs.SOCK_STREAM);
    server.bind(where);
    server.listen(1);
    const child = spawn(process.execPath, [__filename, 'child', where], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    server.settimeout(10);
    const [control] = await server.accept();
    using _control = control;
    const [mine, theirs] = bs.socketpair();  // a connected socket: we keep one end, the child gets the other
    using _mine = mine;
    const file = fs.openSync(filePath, 'r');
    try {
      await bs.sendFds(control, [Buffer.from('file,socket')], [file, theirs.fd]);
    } finally {
      fs.closeSync(file);  // the child has its own copies now
      theirs.close();
    }
    mine.settimeout(10);
    const answer = (await mine.recv(1024)).toString();
    console.log(`parent ${process.pid}: the child answered on the passed socket: "${answer}"`);
    const code = await exited;
    console.log(code === 0 ? 'fd-passing: ok' : `fd-passing: child exited with ${code}`);
    return code === 0 ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function child(where: string): number {
  using control = bs.socket(bs.AF_UNIX, bs.SOCK_STREAM);
  control.settimeout(10);
  control.connectSync(where);
  const [data, fds, flags] = bs.recvFdsSync(control, 100, 4);
  if (fds.length !== 2 || (flags & bs.MSG_CTRUNC)) {
    console.error(`child: expected 2 descriptors, got ${fds.length} (flags ${flags})`);
    fds.forEach((fd) => fs.closeSync(fd));
    return 1;
  }
  const [fileFd, sockFd] = fds;
  const note = fs.readFileSync(fileFd, 'utf8');  // reads from the passed descriptor
  fs.closeSync(fileFd);
  using sock = bs.fromfd(sockFd);  // wraps a duplicate
  fs.closeSync(sockFd);
  sock.sendallSync(Buffer.from(`child ${process.pid} read "${note}"`));
  console.log(`child ${process.pid}: received ${data} as descriptors ${fileFd} and ${sockFd}; read ${note.length} bytes and replied: success`);
  return 0;
}

if (require.main === module) {
  if (process.argv[2] === 'child') {
    process.exitCode = child(process.argv[3]);
  } else {
    parent().then((code) => { process.exitCode = code; }, (error) => {
      console.error(`fd-passing: ${error instanceof Error ? error.message : error}`);
      process.exitCode = 2;
    });
  }
}
