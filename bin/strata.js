#!/usr/bin/env -S node --no-memory-reducer
// Entry point of the `strata` command: the compiled CLI (built by `npm ci` / `npm run build`).
// node runs without V8's memory reducer: after an idle spell it would shrink the heap and
// the queries after it would pay page faults for it (docs/cli.md, "Memory"; bench/idle.sh).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
