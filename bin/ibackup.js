#!/usr/bin/env node
import { main } from '../dist/cli.mjs';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ibackup: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
