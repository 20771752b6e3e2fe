/**
 * What a rollout of a plan should end in, given which behaviours sit in each stage's thing group:
 * the same rules the worker's gate (`ota/rollout-plan/evaluate-gate.ts`) and the jobs engine's
 * abort criteria apply, evaluated on the outcomes the behaviours lead to (`EXPECTED_OUTCOME`).
 *
 * Limits: the gate's waits (soak, `maxWaitMinutes`) are not simulated — a stage whose devices could
 * never reach `minSucceededPercentage` is predicted `abort`; abort criteria are judged on the final
 * counts, so a fleet right at a threshold may cancel early or not (the summary says which).
 */
import { EXPECTED_OUTCOME, type Behaviour } from '../../sim/device-behaviour';
import type { RolloutPlan } from '../../ota/rollout-plan/rollout-plan-schema';

export interface StageExpectation {
  readonly stage: string;
  readonly devices: number;
  /** `promote`/`abort` for a gated stage; `complete`/`cancel` (abort criteria) for the others; `not-started`. */
  readonly end: 'promote' | 'abort' | 'complete' | 'cancel' | 'not-started';
  readonly reason: string;
}

export interface RolloutExpectation {
  /** `completed`: every stage ran; `aborted`: a gate or abort criterion stopped it. */
  readonly state: 'completed' | 'aborted';
  readonly stages: readonly StageExpectation[];
}

function failuresOf(behaviours: readonly Behaviour[], type: string): number {
  return behaviours.filter(b => {
    const s = EXPECTED_OUTCOME[b].status;
    return type === 'ALL' ? s !== 'SUCCEEDED' : s === type;
  }).length;
}

/** @param members behaviours of the devices in each target thing group (by the plan's group name) */
export function expectRollout(plan: RolloutPlan, members: Readonly<Record<string, readonly Behaviour[]>>): RolloutExpectation {
  const stages: StageExpectation[] = [];
  let stopped = false;
  for (const stage of plan.stages) {
    const behaviours = stage.targets.flatMap(t => members[t] ?? []);
    const n = behaviours.length;
    if (stopped) {
      stages.push({ stage: stage.name, devices: n, end: 'not-started', reason: 'an earlier stage stopped the rollout' });
      continue;
    }
    const cancel = (stage.abort ?? []).find(c => {
      const failed = failuresOf(behaviours, c.failureType);
      return n >= c.minNumberOfExecutedThings && n > 0 && (failed / n) * 100 >= c.thresholdPercentage;
    });
    if (stage.gate) {
      const failed = failuresOf(behaviours, 'ALL');
      const failedPct = n === 0 ? 0 : (failed / n) * 100;
      const succeededPct = n === 0 ? 0 : ((n - failed) / n) * 100;
      const reason = `${failed} of ${n} devices fail (${failedPct.toFixed(1)}%; the gate allows ${stage.gate.maxFailedPercentage}%)`;
      if (cancel || failedPct > stage.gate.maxFailedPercentage || succeededPct < (stage.gate.minSucceededPercentage ?? 0)) {
        stages.push({ stage: stage.name, devices: n, end: 'abort', reason });
        stopped = true;
      } else stages.push({ stage: stage.name, devices: n, end: 'promote', reason });
      continue;
    }
    if (cancel) {
      const failed = failuresOf(behaviours, cancel.failureType);
      stages.push({ stage: stage.name, devices: n, end: 'cancel', reason: `${failed} of ${n} ${cancel.failureType} reach the abort threshold ${cancel.thresholdPercentage}%` });
      stopped = true;
    } else stages.push({ stage: stage.name, devices: n, end: 'complete', reason: `${failuresOf(behaviours, 'ALL')} of ${n} devices fail; below every abort threshold` });
  }
  return { state: stopped ? 'aborted' : 'completed', stages };
}
