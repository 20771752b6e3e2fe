/**
 * When each stage of a plan may start, from facts the worker records (when the release was
 * dispatched, when each stage's job started). Pure: the times come in, nothing reads a clock.
 *
 * - `immediate`: at dispatch.
 * - `at`: at that time (or at dispatch, if dispatch is later).
 * - `after X + delay`: `delayMinutes` after X started — and, if X has a gate, only once that gate
 *   says promote (the worker evaluates it with `evaluateGate`; this module only gives the time).
 */
import type { RolloutPlan, RolloutStage } from './rollout-plan-schema';

/** What the worker knows about a rollout so far. */
export interface RolloutTimes {
  /** When the release was dispatched with this plan. */
  readonly dispatchedAt: Date;
  /** When each stage's job started, by stage name; absent for stages not started yet. */
  readonly startedAt: Readonly<Record<string, Date | undefined>>;
}

/**
 * The earliest time `stage` may start, or `null` while the stage it waits for has not started.
 */
export function earliestStageStart(stage: RolloutStage, times: RolloutTimes): Date | null {
  switch (stage.start.type) {
    case 'immediate':
      return times.dispatchedAt;
    case 'at': {
      const at = Date.parse(stage.start.at);
      return new Date(Math.max(at, times.dispatchedAt.getTime()));
    }
    case 'after': {
      const previous = times.startedAt[stage.start.after];
      return previous === undefined
        ? null
        : new Date(previous.getTime() + stage.start.delayMinutes * 60_000);
    }
  }
}

/** The stages that wait for `stageName` (their `start.after` names it), in plan order. */
export function dependentStages(plan: RolloutPlan, stageName: string): RolloutStage[] {
  return plan.stages.filter(s => s.start.type === 'after' && s.start.after === stageName);
}

/** The stages that start without waiting for another stage (`immediate` or `at`), in plan order. */
export function rootStages(plan: RolloutPlan): RolloutStage[] {
  return plan.stages.filter(s => s.start.type !== 'after');
}
