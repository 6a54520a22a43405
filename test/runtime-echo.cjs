'use strict';
// Run by test/runtimes.test.ts under Deno and Bun: loads the package from the directory given,
// does a TCP echo on 127.0.0.1 with the Promise API (and one with the Sync API), and prints
// "echo <backend> <reply>". It must then exit by itself, with status 0.
const path = require('node:path');
const root = process.argv[process.argv.length - 1];
const lib = require(root);
const { backend } = require(path.join(root, 'dist', 'lib', 'binding', 'native.js'));

async function promiseEcho() {
  const server = lib.createServer(['127.0.0.1', 0]);
  const client = lib.socket(lib.AF_INET, lib.SOCK_STREAM);
  try {
    const accepted = server.accept();
    await client.connect(server.getsockname());
    const [conn] = await accepted;
    try {
      const reply = client.recv(16);
      await client.sendall(Buffer.from('ping'));
      await conn.sendall(await conn.recv(16));
      return (await reply).toString();
    } finally {
      conn.close();
    }
  } finally {
    client.close();
    server.close();
  }
}

function syncEcho() {
  const [a, b] = lib.socketpair();
  try {
    a.sendallSync(Buffer.from('sync'));
    return b.recvSync(16).toString();
  } finally {
    a.close();
    b.close();
  }
}

promiseEcho().then((reply) => {
  console.log(`echo ${backend} ${reply} ${syncEcho()}`);
}, (error) => {
  console.error(error);
  process.exitCode = 1;
});
