// Bundle the command-line tool into one file (dist/cli.mjs), after `tsc` has compiled dist/.
// Why: loading the CLI as ~150 separate modules (ours, pino's) cost ≈ 30 ms of resolving and reading files on
// every run; one file is read and compiled lazily. The library (dist/src/index.js) stays unbundled.
// Native and rarely used packages stay outside the bundle and are loaded from node_modules as usual.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'usb', 'node-forge'],
  // CommonJS dependencies bundled into an ES module still call require() for Node's own modules
  banner: { js: "import { createRequire as __ibackupRequire } from 'node:module'; const require = __ibackupRequire(import.meta.url);" },
  logLevel: 'warning',
});
