// The project's lint: typescript-eslint's recommended rules plus a few type-aware ones that catch
// real bugs in async, networked code (a promise nobody awaits, an async callback where a sync one
// is expected, `any` leaking through a boundary). No formatting rules: the code's style (no
// semicolons, a space before a function's parentheses) is kept by review, not fought by the linter.
// `npm run lint` (part of `npm run check`, which `npm test` runs first).
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

// Node's globals for the plain JavaScript files (the `globals` package is not a dependency).
const nodeGlobals = Object.fromEntries([
  'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'AbortController',
  'AbortSignal', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate',
  'clearImmediate', 'queueMicrotask', 'structuredClone', 'performance', 'crypto', 'globalThis'
].map(name => [name, 'readonly']))

export default defineConfig(
  {
    ignores: ['**/dist/**', 'build/**', 'bench/results/**', '**/node_modules/**']
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // The CLI and its tests match terminal escapes (ESC, Ctrl-C) on purpose.
      'no-control-regex': 'off',
      // One unused-variable rule for TypeScript and JavaScript; `_`-prefixed names and caught
      // errors are deliberately unused.
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }]
    }
  },
  {
    // TypeScript sources: type-aware rules over each package's own tsconfig.json.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/only-throw-error': 'error'
    }
  },
  {
    // Plain JavaScript: scripts, test fixtures and handlers, the CLI's bin (old syntax on purpose).
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: nodeGlobals }
  }
)
