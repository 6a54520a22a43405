// ESLint for lib/, test/ and examples/: the promise rules that catch a forgotten await, unused
// names, and the layer rule of docs/ARCHITECTURE.md (an import may only point down).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import path from 'node:path';

/**
 * The rank of each lib/ file in docs/ARCHITECTURE.md's layers: a file may import only files of a
 * lower rank (and, within "public", its peers). A lib/ file not listed is a public module.
 */
const RANKS = {
  'native.ts': 0,
  'errors.ts': 1,
  'constants.ts': 1,
  'validate.ts': 2,
  'address.ts': 2,
  'readiness.ts': 3,
  'wait.ts': 3,
  'completion.ts': 3,
  'deadline.ts': 3,
  // The Socket's parts: what its methods run (Op builders, option coding, the O_NONBLOCK books).
  'attempts.ts': 4,
  'receives.ts': 4,
  'mmsg.ts': 4,
  'connecting.ts': 4,
  'messages.ts': 4,
  'options.ts': 4,
  'fdmode.ts': 4,
  'views.ts': 4,
  'defaults.ts': 4,
  'index.ts': 9,
};
const PUBLIC = 5;
/** address.ts resolves host names with resolve.ts, which imports no address.ts (no cycle). */
const ALLOWED_UPWARD = new Set(['address.ts -> resolve.ts']);

function rankOf(file) {
  return RANKS[path.basename(file)] ?? PUBLIC;
}

const layers = {
  meta: { type: 'problem', schema: [], messages: { up: '{{from}} (layer {{a}}) may not import {{to}} (layer {{b}}): imports point down only (docs/ARCHITECTURE.md)' } },
  create(context) {
    const from = context.filename;
    return {
      ImportDeclaration(node) {
        const spec = node.source.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const target = path.resolve(path.dirname(from), spec) + (spec.endsWith('.ts') ? '' : '.ts');
        if (!target.includes(`${path.sep}lib${path.sep}`)) return;
        const a = rankOf(from), b = rankOf(target);
        const pair = `${path.basename(from)} -> ${path.basename(target)}`;
        if (b === 9 || (b > a && !ALLOWED_UPWARD.has(pair))) {
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
