/** Rollout plans for the worker tests: two stages, the canary gated (no soak, so tests run fast). */
import type { RolloutPlanInput } from '../../ota/rollout-plan/rollout-plan-schema';

export function gatedPlan(gate: Record<string, unknown> = {}): RolloutPlanInput {
  return {
    name: 'test-canary-then-fleet',
    stages: [
      {
        name: 'canary',
        targets: ['canary'],
        targetSelection: 'SNAPSHOT',
        rate: { type: 'constant', maximumPerMinute: 10 },
        abort: [
          {
            failureType: 'ALL',
            action: 'CANCEL',
            thresholdPercentage: 20,
            minNumberOfExecutedThings: 1,
          },
        ],
        timeout: { inProgressTimeoutInMinutes: 60 },
        retries: [{ failureType: 'TIMED_OUT', numberOfRetries: 2 }],
        gate: {
          soakMinutes: 0,
          maxFailedPercentage: 10,
          minSucceededPercentage: 90,
          health: { maxCrashingPercentage: 0, maxOfflineMinutes: 60, maxOfflinePercentage: 10 },
          ...gate,
        },
      },
      {
        name: 'fleet',
        targets: ['fleet'],
        targetSelection: 'CONTINUOUS',
        start: { after: 'canary', delayMinutes: 0 },
        rate: {
          type: 'exponential',
          baseRatePerMinute: 20,
          incrementFactor: 2,
          rateIncreaseCriteria: { numberOfSucceededThings: 200 },
          maximumPerMinute: 1000,
        },
      },
    ],
  } as RolloutPlanInput;
}

export const gatedPlanText = (gate: Record<string, unknown> = {}): string =>
  JSON.stringify(gatedPlan(gate));
