// Python's socket module as the oracle: evaluate expressions in one python3 process and compare.
import { execFileSync } from 'node:child_process';

/** What Python gave for one expression: a value (bytes as {hex}, tuples as arrays) or the exception it raised. */
export type PyOk = { ok: unknown };
export type PyError = { error: string; errno: number | null; args: string[] };
export type PyResult = PyOk | PyError;

const SCRIPT = `
import json, socket, sys
def norm(v):
    if isinstance(v, (bytes, bytearray)): return {"hex": v.hex()}
    if isinstance(v, (list, tuple)): return [norm(x) for x in v]
    if isinstance(v, bool): return v
    if isinstance(v, int): return int(v)
    return v
out = []
for e in json.loads(sys.stdin.read()):
    try:
        out.append({"ok": norm(eval(e))})
    except Exception as x:
        out.append({"error": type(x).__name__, "errno": getattr(x, "errno", None), "args": [str(a) for a in x.args]})
print(json.dumps(out))
`;

/** Evaluates Python expressions (with `socket` imported) in one python3 process. */
export function evalInPython(expressions: string[]): PyResult[] {
  return JSON.parse(execFileSync('python3', ['-c', SCRIPT], { input: JSON.stringify(expressions), encoding: 'utf8' }));
}
