/**
 * Rollout pacing of a job (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-configurations-details.html#job-rollout-abort-scheduling,
 * API_JobExecutionsRolloutConfig, API_ExponentialRolloutRate):
 * - `maximumPerMinute`: at most that many things are notified of the job per minute. We count per
 *   one-minute window from the moment the rollout starts.
 * - `exponentialRate`: start at `baseRatePerMinute`; each time `numberOfNotifiedThings` more things
 *   were notified, or `numberOfSucceededThings` more succeeded, since the last increase, multiply
 *   the rate by `incrementFactor` (rounded down, at least +1), never above `maximumPerMinute`. The
 *   new rate applies from the next one-minute window (at most one step per window), so each window
 *   notifies at one rate.
 * - Without a rollout configuration every target is notified at once (no documented default).
 */
import type { JobExecutionsRolloutConfig } from './job-records';

const MINUTE = 60_000;
/** API_JobExecutionsRolloutConfig `maximumPerMinute` upper bound, also the exponential cap. */
export const MAX_ROLLOUT_PER_MINUTE = 1000;

/** Pacing state kept with each job. */
export interface RolloutPacing {
  windowStart: number;
  releasedInWindow: number;
  ratePerMinute: number;
  notifiedSinceIncrease: number;
  succeededSinceIncrease: number;
}

/** The pacing state a job starts its rollout with at `now`. */
export function startPacing(
  config: JobExecutionsRolloutConfig | undefined,
  now: number,
): RolloutPacing {
  const rate =
    config?.exponentialRate?.baseRatePerMinute ??
    config?.maximumPerMinute ??
    Number.POSITIVE_INFINITY;
  return {
    windowStart: now,
    releasedInWindow: 0,
    ratePerMinute: rate,
    notifiedSinceIncrease: 0,
    succeededSinceIncrease: 0,
  };
}

/** How many more things may be notified at `now` (advances the window). */
export function rolloutAllowance(
  config: JobExecutionsRolloutConfig | undefined,
  pacing: RolloutPacing,
  now: number,
): number {
  if (now >= pacing.windowStart + MINUTE) {
    pacing.windowStart += Math.floor((now - pacing.windowStart) / MINUTE) * MINUTE;
    pacing.releasedInWindow = 0;
    maybeIncrease(config, pacing);
  }
  return Math.max(0, pacing.ratePerMinute - pacing.releasedInWindow);
}

function maybeIncrease(
  config: JobExecutionsRolloutConfig | undefined,
  pacing: RolloutPacing,
): void {
  const exp = config?.exponentialRate;
  if (!exp) return;
  const cap = config?.maximumPerMinute ?? MAX_ROLLOUT_PER_MINUTE;
  const { numberOfNotifiedThings: n, numberOfSucceededThings: s } = exp.rateIncreaseCriteria;
  // One step per window: the threshold counts things since the last increase (any excess carries).
  if (
    (n !== undefined && pacing.notifiedSinceIncrease >= n) ||
    (s !== undefined && pacing.succeededSinceIncrease >= s)
  ) {
    if (n !== undefined) pacing.notifiedSinceIncrease -= n;
    if (s !== undefined) pacing.succeededSinceIncrease -= s;
    pacing.ratePerMinute = Math.min(
      cap,
      Math.max(pacing.ratePerMinute + 1, Math.floor(pacing.ratePerMinute * exp.incrementFactor)),
    );
  }
}

/** Records `count` things notified now (counted toward the next rate increase). */
export function recordNotified(pacing: RolloutPacing, count: number): void {
  pacing.releasedInWindow += count;
  pacing.notifiedSinceIncrease += count;
}

/** Records one execution that succeeded. */
export function recordSucceeded(pacing: RolloutPacing): void {
  pacing.succeededSinceIncrease += 1;
}
