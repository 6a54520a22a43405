// The published types, as a consumer sees them: test/types/consumer.mts imports every export from
// 'bsd-sockets' (a node_modules symlink to this checkout, so that package.json's "exports" and
// "types" resolve to dist/lib/*.d.ts) and is compiled with `tsc --noEmit --strict`, as an ES
// module (module nodenext) and as CommonJS (moduleResolution node10). test/types/families.mts
// holds the per-family rules (Socket<AF_INET> and its addresses), with `@ts-expect-error` lines
// for what must not compile.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as ts from 'typescript';
import { tempDir } from './helpers';
import { ROOT } from './prebuild';

const SOURCE = path.join(ROOT, 'test', 'types', 'consumer.mts');
const FAMILIES = path.join(ROOT, 'test', 'types', 'families.mts');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const COMMON = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node',
  '--noUnusedLocals', '--pretty', 'false'];

function tsc(cwd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, ...COMMON, ...args], { cwd, encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? r.error.message : ''}` };
}

describe('the published types, used by a consumer', function () {
  this.timeout(100_000);
  let project = '';

  before(() => {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.d.ts')), 'dist/lib/index.d.ts: run npm run build:ts');
    project = tempDir();
    const modules = path.join(project, 'node_modules');
    fs.mkdirSync(modules);
    fs.symlinkSync(ROOT, path.join(modules, 'bsd-sockets'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types'), path.join(modules, '@types'), 'dir');
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    fs.copyFileSync(SOURCE, path.join(project, 'consumer.mts'));
    fs.copyFileSync(SOURCE, path.join(project, 'consumer.ts'));
    fs.copyFileSync(FAMILIES, path.join(project, 'families.mts'));
  });

  it('consumer.mts and families.mts mention every export of the package root (constants aside)', () => {
    const program = ts.createProgram([path.join(ROOT, 'dist', 'lib', 'index.d.ts')], { noEmit: true });
    const checker = program.getTypeChecker();
    const index = program.getSourceFile(path.join(ROOT, 'dist', 'lib', 'index.d.ts'));
    assert.ok(index);
    const moduleSymbol = checker.getSymbolAtLocation(index);
    assert.ok(moduleSymbol);
    const constantNames = new Set(Object.keys(require(path.join(ROOT, 'dist', 'lib', 'binding', 'constants.js')) as object));
    constantNames.delete('constants');
    const names = checker.getExportsOfModule(moduleSymbol).map((s) => s.name).filter((n) => !constantNames.has(n));
    assert.ok(names.length > 60, `only ${names.length} exports`);
    const text = [SOURCE, FAMILIES].map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    const missing = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(text));
    assert.deepEqual(missing, [], 'exports that test/types/consumer.mts and families.mts do not use yet');
  });

  it('compiles with --strict as an ES module (module nodenext, through package.json "exports")', () => {
    const r = tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'consumer.mts']);
    assert.equal(r.status, 0, r.output);
  });

  it('compiles with --strict as CommonJS (moduleResolution node10, through package.json "types")', () => {
    const r = tsc(project, ['--module', 'commonjs', '--moduleResolution', 'node10', 'consumer.ts']);
    assert.equal(r.status, 0, r.output);
  });

  it('families.mts compiles: each family types its addresses, and every @ts-expect-error line is refused', () => {
    const r = tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'families.mts']);
    assert.equal(r.status, 0, r.output);
  });

  it('an @ts-expect-error line in families.mts that compiled would fail the run', () => {
    const broken = path.join(project, 'families-broken.mts');
    fs.writeFileSync(broken, `${fs.readFileSync(FAMILIES, 'utf8')}\n// @ts-expect-error\nexport const fine: number = 1;\n`);
    const r = tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'families-broken.mts']);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /error TS2578: Unused '@ts-expect-error' directive/);
  });

  it('no `any` in the published declarations (dist/lib/**/*.d.ts)', () => {
    const dir = path.join(ROOT, 'dist', 'lib');
    const found: string[] = [];
    const declarations = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.d.ts'));
    assert.ok(declarations.length > 30, `the declarations were not found: ${declarations.join(', ')}`);
    for (const name of declarations) {
      const file = ts.createSourceFile(name, fs.readFileSync(path.join(dir, name), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (node.kind === ts.SyntaxKind.AnyKeyword) {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart());
          found.push(`${name}:${line + 1}: ${node.parent.getText()}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    assert.deepEqual(found, []);
  });

  it('Constants and ErrnoTable hold at run time: each required name is a number here, each optional one a number or absent', () => {
    const file = path.join(ROOT, 'dist', 'lib', 'binding', 'constants.d.ts');
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const members = (name: string): Array<[string, boolean]> => {
      const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name);
      assert.ok(alias && ts.isTypeLiteralNode(alias.type), `${name} is a type literal`);
      return alias.type.members.filter(ts.isPropertySignature).map((m) => [m.name.getText(source), m.questionToken === undefined]);
    };
    const lib = require(path.join(ROOT, 'dist', 'lib', 'index.js')) as { constants: object; errno: object };
    for (const [type, table] of [['Constants', lib.constants], ['ErrnoTable', lib.errno]] as const) {
      const list = members(type);
      assert.ok(list.length > 100, `${type} has ${list.length} names`);
      const values = table as Record<string, unknown>;
      const wrong = list.filter(([name, required]) => (required ? typeof values[name] !== 'number' : !['number', 'undefined'].includes(typeof values[name])));
      assert.deepEqual(wrong, [], `${type}: names whose type the run time does not keep`);
    }
  });

  it('a wrong use is refused: the types are checked, not any', () => {
    fs.writeFileSync(path.join(project, 'wrong.mts'),
      "import { socket, inet_pton, AF_INET } from 'bsd-sockets';\n" +
      "const port: string = socket().getsockname();\n" +
      "inet_pton('::1', AF_INET);\n" +
      'export { port };\n');
    const r = tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'wrong.mts']);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /wrong\.mts\(2,7\): error TS2322/);
    assert.match(r.output, /wrong\.mts\(3,11\): error TS2345/);
  });
});
