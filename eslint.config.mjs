// ESLint for lib/, test/ and examples/: the promise rules that catch a forgotten await, unused
// names, and the layer rule of docs/ARCHITECTURE.md (an import may only point down).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The rank of each layer folder of lib/ (docs/ARCHITECTURE.md): a file may import only files of a
 * lower rank, or of its own folder. Within binding/, native.ts is the bottom; within socket/,
 * socket.ts is the top (its parts never import it).
 */
const RANKS = { binding: 1, input: 2, engine: 3, socket: 4, modules: 5, packet: 5, netlink: 5 };
const FILE_RANKS = { 'binding/native.ts': 0, 'socket/socket.ts': 4.5, 'index.ts': 9 };

function rankOf(file) {
  const inLib = file.split(`${path.sep}lib${path.sep}`).pop().split(path.sep).join('/');
  return FILE_RANKS[inLib] ?? RANKS[inLib.split('/')[0]] ?? 9;
}

const layers = {
  meta: { type: 'problem', schema: [], messages: { up: '{{from}} (layer {{a}}) may not import {{to}} (layer {{b}}): imports point down only (docs/ARCHITECTURE.md)' } },
  create(context) {
    const from = context.filename;
    return {
      ImportDeclaration(node) {
        const spec = node.source.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const resolved = path.resolve(path.dirname(from), spec);
        const target = fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()
          ? path.join(resolved, 'index.ts') : resolved + (spec.endsWith('.ts') ? '' : '.ts');
        if (!target.includes(`${path.sep}lib${path.sep}`)) return;
        const a = rankOf(from), b = rankOf(target);
        if (b === 9 || b > a) {
          context.report({ node, messageId: 'up', data: { from: path.basename(from), to: path.basename(target), a, b } });
        }
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build*/**', 'prebuilds/**', 'docs/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['lib/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { house: { rules: { layers } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
      // Error.captureStackTrace takes any function: the stack-trace helpers pass one through.
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  // A test may keep the handler instance a server made, to look at it afterwards.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-this-alias': 'off' } },
  { files: ['lib/**/*.ts'], rules: { 'house/layers': 'error', '@typescript-eslint/no-explicit-any': 'error' } },
);
