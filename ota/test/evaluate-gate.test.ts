import { describe, expect, it } from 'vitest';
import {
  countsFromJobProcessDetails,
  evaluateGate,
  type GateDecision,
  type JobExecutionCounts,
  type ObservedHealth,
  type PromotionGate,
} from '../rollout-plan';

const startedAt = new Date('2026-11-23T02:00:00Z');
const minutesLater = (m: number) => new Date(startedAt.getTime() + m * 60_000);

function counts(partial: Partial<JobExecutionCounts>): JobExecutionCounts {
  return {
    queued: 0,
    inProgress: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    timedOut: 0,
    canceled: 0,
    removed: 0,
    ...partial,
  };
}

const basic: PromotionGate = { soakMinutes: 60, maxFailedPercentage: 2 };
const strict: PromotionGate = {
  soakMinutes: 60,
  maxFailedPercentage: 2,
  minSucceeded: 10,
  minSucceededPercentage: 90,
  maxWaitMinutes: 120,
  health: { maxCrashingPercentage: 1, maxOfflineMinutes: 30, maxOfflinePercentage: 5 },
};
const healthy: ObservedHealth = { updatedDevices: 100, crashing: 0, offline: 0 };

describe('evaluateGate', () => {
  it.each<
    [
      string,
      PromotionGate,
      number,
      Partial<JobExecutionCounts>,
      ObservedHealth | undefined,
      GateDecision,
      RegExp,
    ]
  >([
    // Soak time
    [
      'waits during the soak',
      basic,
      30,
      { succeeded: 100 },
      undefined,
      'wait',
      /^soaking: 30 of 60 minutes since the stage started$/,
    ],
    [
      'promotes after the soak with no failures',
      basic,
      60,
      { succeeded: 100 },
      undefined,
      'promote',
      /^soaked 60 minutes$/,
    ],
    [
      'promotes with a soak of 0 at once',
      { ...basic, soakMinutes: 0 },
      0,
      { succeeded: 1 },
      undefined,
      'promote',
      /soaked 0 minutes/,
    ],
    // Failure rate over finished executions, after the soak
    [
      'promotes at exactly the failure limit',
      basic,
      90,
      { succeeded: 98, failed: 2 },
      undefined,
      'promote',
      /2 of 100 finished executions failed \(2% ≤ 2%\)/,
    ],
    [
      'after the soak, aborts just over the failure limit of finished executions',
      basic,
      90,
      { succeeded: 97, failed: 2, timedOut: 1, inProgress: 100 },
      undefined,
      'abort',
      /^3 of 100 finished executions failed \(3%\); the limit is 2%$/,
    ],
    [
      'counts REJECTED and TIMED_OUT as failed',
      basic,
      90,
      { succeeded: 90, rejected: 5, timedOut: 5, queued: 400 },
      undefined,
      'abort',
      /10 of 100 finished executions failed/,
    ],
    [
      'ignores canceled and removed executions',
      basic,
      90,
      { succeeded: 98, failed: 2, canceled: 50, removed: 50 },
      undefined,
      'promote',
      /2 of 100 finished/,
    ],
    [
      'during the soak, waits on a failure rate the rest can still dilute',
      basic,
      10,
      { succeeded: 9, failed: 1, queued: 90 },
      undefined,
      'wait',
      /^soaking/,
    ],
    [
      'during the soak, aborts once failures exceed the limit of all executions',
      basic,
      10,
      { succeeded: 5, failed: 5, queued: 90 },
      undefined,
      'abort',
      /^5 of 100 executions failed \(5% of all, so the final rate will exceed 2% whatever the rest do\)$/,
    ],
    // Success minimums
    [
      'waits for the minimum number of successes',
      strict,
      90,
      { succeeded: 5 },
      { updatedDevices: 5, crashing: 0, offline: 0 },
      'wait',
      /^5 executions succeeded; at least 10 must$/,
    ],
    [
      'waits for the minimum share of successes',
      strict,
      90,
      { succeeded: 80, queued: 20 },
      { updatedDevices: 80, crashing: 0, offline: 0 },
      'wait',
      /^80 of 100 executions succeeded \(80%\); at least 90% must$/,
    ],
    [
      'waits when nothing ran yet',
      { ...basic, minSucceededPercentage: 50 },
      90,
      { queued: 10 },
      undefined,
      'wait',
      /0 of 10 executions succeeded/,
    ],
    [
      'aborts when the minimums are still unmet after maxWaitMinutes past the soak',
      strict,
      180,
      { succeeded: 5 },
      { updatedDevices: 5, crashing: 0, offline: 0 },
      'abort',
      /^5 executions succeeded; at least 10 must, still after waiting 120 minutes past the soak$/,
    ],
    // Device health from the shadows
    [
      'promotes when the updated devices are healthy',
      strict,
      90,
      { succeeded: 100 },
      healthy,
      'promote',
      /0 crashing and 0 offline of 100 updated devices/,
    ],
    [
      'waits until health has been observed',
      strict,
      90,
      { succeeded: 100 },
      undefined,
      'wait',
      /^device health has not been observed yet$/,
    ],
    [
      'aborts on crashes even while soaking, though every execution succeeded',
      strict,
      20,
      { succeeded: 100 },
      { updatedDevices: 100, crashing: 2, offline: 0 },
      'abort',
      /^2 of 100 updated devices \(2%\) report crashes or reboot loops since the update; the limit is 1%$/,
    ],
    [
      'allows crashes up to the limit',
      strict,
      90,
      { succeeded: 100 },
      { updatedDevices: 100, crashing: 1, offline: 0 },
      'promote',
      /1 crashing/,
    ],
    [
      'aborts when too many updated devices stay offline',
      strict,
      90,
      { succeeded: 100 },
      { updatedDevices: 100, crashing: 0, offline: 6 },
      'abort',
      /^6 of 100 updated devices \(6%\) have been offline for more than 30 minutes; the limit is 5%$/,
    ],
    [
      'ignores health with no updated devices yet',
      strict,
      90,
      { queued: 100 },
      { updatedDevices: 0, crashing: 0, offline: 0 },
      'wait',
      /0 executions succeeded/,
    ],
    [
      'waits while the index shows no updated device though executions succeeded',
      strict,
      90,
      { succeeded: 100 },
      { updatedDevices: 0, crashing: 0, offline: 0 },
      'wait',
      /^100 executions succeeded but no device reports the new version in its shadow yet$/,
    ],
  ])('%s', (_what, gate, minutes, partial, health, decision, reason) => {
    const result = evaluateGate(gate, {
      now: minutesLater(minutes),
      startedAt,
      counts: counts(partial),
      health,
    });
    expect(result.decision).toBe(decision);
    expect(result.reasons.some(r => reason.test(r))).toBe(true);
  });

  it('gives every abort reason at once', () => {
    const result = evaluateGate(strict, {
      now: minutesLater(5),
      startedAt,
      counts: counts({ succeeded: 10, failed: 10 }),
      health: { updatedDevices: 10, crashing: 5, offline: 5 },
    });
    expect(result.decision).toBe('abort');
    expect(result.reasons).toHaveLength(3);
  });

  it('reads DescribeJob jobProcessDetails, missing numbers as 0', () => {
    expect(
      countsFromJobProcessDetails({
        numberOfSucceededThings: 7,
        numberOfFailedThings: 1,
        numberOfTimedOutThings: 2,
        numberOfQueuedThings: 3,
      }),
    ).toEqual(counts({ succeeded: 7, failed: 1, timedOut: 2, queued: 3 }));
    expect(countsFromJobProcessDetails(undefined)).toEqual(counts({}));
  });
});
