/**
 * How a virtual device behaves during an OTA update, and the seeded assignment of behaviours to a
 * fleet from a mix such as `healthy=90,flaky=5,broken=5`.
 *
 * | behaviour  | what it does | ends |
 * | ---------- | ------------ | ---- |
 * | healthy    | downloads, verifies, reboots into the new version | SUCCEEDED, new version |
 * | flaky      | its connection drops mid-download (twice); it resumes with a Range request | SUCCEEDED, new version |
 * | slow       | downloads at a throttled rate | SUCCEEDED, new version |
 * | broken     | the new version cannot connect; the bootloader rolls back to the old slot | FAILED `rollback`, old version |
 * | rejecting  | declines the update | REJECTED, old version |
 * | corrupting | its network flips a byte of the image; the sha-256 check catches it | FAILED `hash_mismatch`, old version |
 */
import { SeededRandom } from './seeded-random';

export const BEHAVIOURS = [
  'healthy',
  'flaky',
  'slow',
  'broken',
  'rejecting',
  'corrupting',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** Percentages (or weights) per behaviour. */
export type BehaviourMix = Readonly<Partial<Record<Behaviour, number>>>;

/** The job execution status and firmware a behaviour leads to. */
export interface ExpectedOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'REJECTED';
  readonly reason?: string;
  /** True when the device ends on the released version. */
  readonly updated: boolean;
}

export const EXPECTED_OUTCOME: Readonly<Record<Behaviour, ExpectedOutcome>> = {
  healthy: { status: 'SUCCEEDED', updated: true },
  flaky: { status: 'SUCCEEDED', updated: true },
  slow: { status: 'SUCCEEDED', updated: true },
  broken: { status: 'FAILED', reason: 'rollback', updated: false },
  rejecting: { status: 'REJECTED', reason: 'declined', updated: false },
  corrupting: { status: 'FAILED', reason: 'hash_mismatch', updated: false },
};

export const DEFAULT_MIX: BehaviourMix = {
  healthy: 90,
  flaky: 4,
  slow: 3,
  broken: 2,
  rejecting: 1,
};

/**
 * Parses `healthy=90,flaky=5,broken=5`.
 * @throws Error naming the bad entry, e.g. `--mix: "sturdy=5": unknown behaviour (one of healthy, ...)`
 */
export function parseBehaviourMix(text: string): BehaviourMix {
  const mix: Partial<Record<Behaviour, number>> = {};
  for (const entry of text
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)) {
    const match = /^([a-z]+)=(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) throw new Error(`--mix: "${entry}": expected <behaviour>=<number>, e.g. flaky=5`);
    const name = match[1] as Behaviour;
    if (!BEHAVIOURS.includes(name))
      throw new Error(`--mix: "${entry}": unknown behaviour (one of ${BEHAVIOURS.join(', ')})`);
    mix[name] = Number(match[2]);
  }
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error(`--mix: "${text}": the weights add up to 0`);
  return mix;
}

/**
 * Behaviours for `count` devices: counts in proportion to the mix (largest remainder, so
 * `broken=5` of 20 devices is exactly 1), placed in a seeded random order.
 */
export function assignBehaviours(count: number, mix: BehaviourMix, seed: number): Behaviour[] {
  const entries = BEHAVIOURS.filter(b => (mix[b] ?? 0) > 0).map(b => [b, mix[b]!] as const);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  const exact = entries.map(([b, w]) => ({ b, n: (count * w) / total }));
  const counts = exact.map(e => ({ b: e.b, n: Math.floor(e.n), rest: e.n - Math.floor(e.n) }));
  let left = count - counts.reduce((a, c) => a + c.n, 0);
  for (const c of [...counts].sort((x, y) => y.rest - x.rest)) {
    if (left-- <= 0) break;
    c.n += 1;
  }
  const list = counts.flatMap(c => Array.from({ length: c.n }, () => c.b));
  return new SeededRandom(seed).shuffle(list);
}

/** `healthy=90,flaky=5` back from a mix. */
export function formatBehaviourMix(mix: BehaviourMix): string {
  return BEHAVIOURS.filter(b => mix[b] !== undefined)
    .map(b => `${b}=${mix[b]}`)
    .join(',');
}
