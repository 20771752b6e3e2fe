/**
 * Dependency directions from docs/design.md, checked in CI:
 * - `ota/` imports nothing of ours (it is the pure domain core every other part shares);
 * - `worker/` never imports `local/` (it reaches the local cloud only through AWS SDK endpoints);
 * - `local/` never imports `worker/`;
 * - `console/` never imports `local/` (the console runs against real AWS as well), and of `worker/`
 *   only the queue API it drives (pause/resume/abort, rollout status): `worker/fleet-queues.ts`,
 *   `worker/queues.ts`, `worker/rollout/` — not processors, clients or configuration.
 * - `sim/` imports only `ota/` (virtual devices run against real AWS as well, and talk to the cloud
 *   only through the device SDK and HTTP, as the firmware does).
 * Import cycles are checked separately by madge (`npm run circular`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const topDirs = ['infra', 'ota', 'worker', 'local', 'sim', 'console', 'scripts'] as const;

/** For each source directory, the top-level directories of ours it must not import. */
const forbidden: Record<string, readonly string[]> = {
  ota: ['infra', 'worker', 'local', 'sim', 'console', 'scripts', 'main.ts'],
  worker: ['local'],
  local: ['worker'],
  console: ['local', 'worker'],
  sim: ['infra', 'worker', 'local', 'console', 'scripts', 'main.ts'],
};

/** Exceptions to `forbidden`: paths (files, or directories ending in `/`) a directory may import. */
const allowed: Record<string, readonly string[]> = {
  console: ['worker/fleet-queues.ts', 'worker/queues.ts', 'worker/rollout/'],
};

const importPattern =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) yield path;
  }
}

const violations: string[] = [];
for (const top of topDirs) {
  const banned = forbidden[top];
  const dir = join(root, top);
  if (!banned || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
  for (const file of sourceFiles(dir)) {
    // Tests may use the shared helpers in test/utils; the rule is about what the library imports.
    if (file.split(sep).includes('test')) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      if (!spec || !spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec));
      const targetTop = target.split(sep)[0];
      const targetPath = target.split(sep).join('/');
      const excepted = (allowed[top] ?? []).some(path =>
        path.endsWith('/')
          ? targetPath.startsWith(path)
          : targetPath === path || `${targetPath}.ts` === path,
      );
      if (excepted) continue;
      if (banned.includes(targetTop) || (top === 'ota' && !target.startsWith('ota'))) {
        violations.push(
          `${relative(root, file)} imports ${spec} (${top}/ must not import ${targetTop})`,
        );
      }
    }
  }
}

if (violations.length > 0) {
  console.error(`dependency boundaries violated:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('dependency boundaries ok');
