/**
 * The promotion gate: may the stages that wait for this stage start? Decided from the stage's job
 * execution counts (DescribeJob `jobProcessDetails`) and the health the devices that took the
 * update report in their shadows (one fleet-indexing query, run by the worker). Job counts alone
 * miss an update that installs fine and then misbehaves; the health criteria catch it.
 *
 * Rules, in order (each reason is reported, not only the first):
 * 1. abort — health: more than `maxCrashingPercentage` of the updated devices report crashes or
 *    reboot loops since the update, or more than `maxOfflinePercentage` have been offline longer
 *    than `maxOfflineMinutes`. Checked at any time: a crashing fleet does not wait for the soak.
 * 2. abort — failures certain: failed executions (FAILED + REJECTED + TIMED_OUT) are already more
 *    than `maxFailedPercentage` of all the stage's executions, so the final rate exceeds the
 *    limit whatever the others do. Checked at any time.
 * 3. wait — the soak time (`soakMinutes` since the stage started) has not passed.
 * 4. abort — after the soak, failed executions are more than `maxFailedPercentage` of the
 *    finished ones (SUCCEEDED + failed).
 * 5. wait — fewer than `minSucceeded` succeeded, fewer than `minSucceededPercentage` of all
 *    executions succeeded, or health criteria are set but no health was observed yet (or no
 *    updated device shows up in the index although executions succeeded).
 * 6. abort — still waiting `maxWaitMinutes` after the soak ended.
 * 7. promote — otherwise.
 */
import type { JobProcessDetails } from '@aws-sdk/client-iot';
import type { PromotionGate } from './rollout-plan-schema';

/** Execution counts of the stage's job, as DescribeJob reports them. */
export interface JobExecutionCounts {
  readonly queued: number;
  readonly inProgress: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rejected: number;
  readonly timedOut: number;
  readonly canceled: number;
  readonly removed: number;
}

/** What the fleet-indexing query found among the devices that took this stage's update. */
export interface ObservedHealth {
  /** Devices that report the new version. */
  readonly updatedDevices: number;
  /** Of those, devices whose shadow reports a crash or a reboot loop since the update. */
  readonly crashing: number;
  /** Of those, devices offline for longer than the gate's `maxOfflineMinutes`. */
  readonly offline: number;
}

/** Everything the gate looks at. */
export interface ObservedStage {
  readonly now: Date;
  /** When the stage's job started. */
  readonly startedAt: Date;
  readonly counts: JobExecutionCounts;
  /** Absent until the worker has run the health query. */
  readonly health?: ObservedHealth;
}

export type GateDecision = 'promote' | 'wait' | 'abort';

export interface GateResult {
  readonly decision: GateDecision;
  /** Why, in plain words with the numbers: every criterion that decided it. */
  readonly reasons: readonly string[];
}

/** The counts of a DescribeJob `jobProcessDetails` (missing numbers are 0). */
export function countsFromJobProcessDetails(
  details: JobProcessDetails | undefined,
): JobExecutionCounts {
  return {
    queued: details?.numberOfQueuedThings ?? 0,
    inProgress: details?.numberOfInProgressThings ?? 0,
    succeeded: details?.numberOfSucceededThings ?? 0,
    failed: details?.numberOfFailedThings ?? 0,
    rejected: details?.numberOfRejectedThings ?? 0,
    timedOut: details?.numberOfTimedOutThings ?? 0,
    canceled: details?.numberOfCanceledThings ?? 0,
    removed: details?.numberOfRemovedThings ?? 0,
  };
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : (100 * part) / whole;
}

function fmt(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

/**
 * Promote, wait or abort, with the reasons. Pure: `observed.now` is the time of evaluation.
 *
 * @example evaluateGate({ soakMinutes: 60, maxFailedPercentage: 2 }, observed)
 *   → { decision: 'wait', reasons: ['soaking: 12 of 60 minutes since the stage started'] }
 */
export function evaluateGate(gate: PromotionGate, observed: ObservedStage): GateResult {
  const c = observed.counts;
  const failed = c.failed + c.rejected + c.timedOut;
  const finished = c.succeeded + failed;
  // Canceled and removed executions never run the update; they count neither way.
  const total = finished + c.queued + c.inProgress;
  const elapsedMinutes = (observed.now.getTime() - observed.startedAt.getTime()) / 60_000;

  const abort: string[] = [];
  const health = gate.health;
  if (health !== undefined && observed.health !== undefined && observed.health.updatedDevices > 0) {
    const h = observed.health;
    const crashing = pct(h.crashing, h.updatedDevices);
    if (crashing > health.maxCrashingPercentage) {
      abort.push(
        `${h.crashing} of ${h.updatedDevices} updated devices (${fmt(crashing)}) report crashes or reboot loops since the update; the limit is ${fmt(health.maxCrashingPercentage)}`,
      );
    }
    const offline = pct(h.offline, h.updatedDevices);
    if (offline > health.maxOfflinePercentage) {
      abort.push(
        `${h.offline} of ${h.updatedDevices} updated devices (${fmt(offline)}) have been offline for more than ${health.maxOfflineMinutes} minutes; the limit is ${fmt(health.maxOfflinePercentage)}`,
      );
    }
  }
  if (pct(failed, total) > gate.maxFailedPercentage) {
    abort.push(
      `${failed} of ${total} executions failed (${fmt(pct(failed, total))} of all, so the final rate will exceed ${fmt(gate.maxFailedPercentage)} whatever the rest do)`,
    );
  }
  if (abort.length > 0) return { decision: 'abort', reasons: abort };

  if (elapsedMinutes < gate.soakMinutes) {
    return {
      decision: 'wait',
      reasons: [
        `soaking: ${Math.floor(Math.max(0, elapsedMinutes))} of ${gate.soakMinutes} minutes since the stage started`,
      ],
    };
  }

  const failedOfFinished = pct(failed, finished);
  if (failedOfFinished > gate.maxFailedPercentage) {
    return {
      decision: 'abort',
      reasons: [
        `${failed} of ${finished} finished executions failed (${fmt(failedOfFinished)}); the limit is ${fmt(gate.maxFailedPercentage)}`,
      ],
    };
  }

  const wait: string[] = [];
  if (gate.minSucceeded !== undefined && c.succeeded < gate.minSucceeded) {
    wait.push(`${c.succeeded} executions succeeded; at least ${gate.minSucceeded} must`);
  }
  if (
    gate.minSucceededPercentage !== undefined &&
    (total === 0 || pct(c.succeeded, total) < gate.minSucceededPercentage)
  ) {
    wait.push(
      `${c.succeeded} of ${total} executions succeeded (${fmt(pct(c.succeeded, total))}); at least ${fmt(gate.minSucceededPercentage)} must`,
    );
  }
  if (health !== undefined && observed.health === undefined) {
    wait.push('device health has not been observed yet');
  } else if (health !== undefined && observed.health?.updatedDevices === 0 && c.succeeded > 0) {
    // Executions succeeded but no device reports the new version yet: the index lags behind.
    wait.push(
      `${c.succeeded} executions succeeded but no device reports the new version in its shadow yet`,
    );
  }
  if (wait.length > 0) {
    const waited = elapsedMinutes - gate.soakMinutes;
    if (gate.maxWaitMinutes !== undefined && waited >= gate.maxWaitMinutes) {
      return {
        decision: 'abort',
        reasons: [
          ...wait.map(
            w => `${w}, still after waiting ${gate.maxWaitMinutes} minutes past the soak`,
          ),
        ],
      };
    }
    return { decision: 'wait', reasons: wait };
  }

  const promote = [
    `soaked ${gate.soakMinutes} minutes`,
    `${failed} of ${finished} finished executions failed (${fmt(failedOfFinished)} ≤ ${fmt(gate.maxFailedPercentage)})`,
    `${c.succeeded} of ${total} executions succeeded`,
  ];
  if (health !== undefined && observed.health !== undefined) {
    promote.push(
      `${observed.health.crashing} crashing and ${observed.health.offline} offline of ${observed.health.updatedDevices} updated devices`,
    );
  }
  return { decision: 'promote', reasons: promote };
}
