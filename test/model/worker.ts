// A long-lived runner process: reads sequences (JSON lines on stdin), runs each (runner.ts) and
// answers with its divergences. Before each step it prints the step's number, so that the parent
// can tell which call never returned when this process stops answering (a Sync call that blocks,
// a Promise call that blocks the event loop).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Run, type Context } from './runner';
import { FILE_SIZE, fileBytes, type Sequence } from './steps';

function context(): Context {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsdm-'));
  const file = path.join(dir, 'source');
  fs.writeFileSync(file, fileBytes(0, FILE_SIZE));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, fileFd: fs.openSync(file, 'r'), dirFd: fs.openSync(dir, 'r'), unixCount: 0 };
}

function say(message: object): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

/** Runs one sequence of each fixture first, so that descriptors the runtime opens once (the poll thread's, the resolver's) are in every baseline. */
async function warmUp(ctx: Context): Promise<void> {
  const steps = [{ op: 'connect', on: 'c0', form: 'promise' as const, byName: true }, { op: 'select', on: 'c0', form: 'promise' as const },
    { op: 'poll', on: 'c0', form: 'promise' as const }, { op: 'accept', on: 'l', form: 'promise' as const }];
  await new Run({ fixture: 'ltcp', steps }, ctx, () => undefined).run();
  await new Run({ fixture: 'tcp', steps: [{ op: 'sendfile', on: 'a', form: 'promise', src: 'file', off: 0, n: 10 }] }, ctx, () => undefined).run();
}

async function main(): Promise<void> {
  const ctx = context();
  await warmUp(ctx);
  say({ ready: true, dir: ctx.dir });  // the parent removes it if it has to kill this process
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const { id, seq } = JSON.parse(line) as { id: number; seq: Sequence };
    const started = performance.now();
    const divergences = await new Run(seq, ctx, (step) => say({ id, step })).run();
    say({ id, divergences, ms: Math.round(performance.now() - started) });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
