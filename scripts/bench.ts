/**
 * `npm run bench`: runs every benchmark in `scripts/bench/` (or those named on the command line,
 * e.g. `npm run bench -- synth image`), one process each so that one benchmark's heap and loaded
 * modules do not colour the next. Each benchmark prints its own numbers beside the baseline it
 * measures in the same run; this runner only orders them and reports failures.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const wanted = process.argv.slice(2);
const all = readdirSync(dir)
  .filter(name => name.endsWith('.bench.ts'))
  .sort();
const chosen = wanted.length === 0 ? all : all.filter(name => wanted.some(w => name.startsWith(w)));
if (chosen.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of chosen) {
  console.log(`\n== ${name.replace(/\.bench\.ts$/, '')} ==`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, name)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed += 1;
    console.error(`benchmark ${name} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
