/**
 * `npm run bench -- synth`: how long a full synth of every environment takes (module loading
 * included: cdktf, our constructs, the deep provider imports, bundling the hook), next to the
 * baseline measured in the same run: the time Node needs just to import the `@cdktf/provider-aws`
 * barrel, which is what a program with barrel imports pays before it declares anything.
 * Target (issue 3): synth of all environments <= 0.5 x the barrel import.
 *
 * Each sample runs in a fresh process and times itself from just before its first import, so
 * Node's own start-up is left out of both. The synth samples start with an empty hook-bundle cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 3;
const TARGET_RATIO = 0.5;

if (process.argv[2] === '--synth-child') {
  const scratch = mkdtempSync(join(tmpdir(), 'fleet-synth-bench-'));
  const started = performance.now();
  const { synthEnvironments } = await import('../../infra/synth');
  const results = synthEnvironments({
    outdir: join(scratch, 'out'),
    overrides: { bundleCacheDir: join(scratch, 'hook-cache') },
  });
  const elapsed = performance.now() - started;
  rmSync(scratch, { recursive: true, force: true });
  console.log(JSON.stringify({ ms: elapsed, envs: results.map(result => result.env) }));
  process.exit(0);
}

function sample(args: string[]): { ms: number; envs?: string[] } {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`sample ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    envs?: string[];
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const barrelScript =
  "const t = performance.now(); await import('@cdktf/provider-aws'); console.log(JSON.stringify({ ms: performance.now() - t }));";

const barrel: number[] = [];
const synth: number[] = [];
let envs: string[] = [];
for (let run = 0; run < RUNS; run++) {
  barrel.push(sample(['--input-type=module', '-e', barrelScript]).ms);
  const child = sample(['--import', 'tsx', fileURLToPath(import.meta.url), '--synth-child']);
  synth.push(child.ms);
  envs = child.envs ?? [];
}

const barrelMs = median(barrel);
const synthMs = median(synth);
const ratio = synthMs / barrelMs;
const fmt = (values: number[]) => values.map(value => value.toFixed(0)).join(', ');
console.log(
  `baseline: import @cdktf/provider-aws barrel   median ${barrelMs.toFixed(0)} ms  (runs: ${fmt(barrel)})`,
);
console.log(
  `synth ${envs.join('+')} (load + synth, cold bundle) median ${synthMs.toFixed(0)} ms  (runs: ${fmt(synth)})`,
);
console.log(
  `ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'PASS' : 'MISS'}`,
);
