/**
 * Plans name thing groups as the environment's stages do (`canary`, `fleet`); the stack names them
 * `<thingGroupPrefix><name>` (`esp32-fleet-dev-canary`, `infra/ota-jobs.ts`). A name that already
 * carries the prefix is used as it is, so plans may also name any group in full.
 */
import type { RolloutPlan } from '../../ota/rollout-plan/rollout-plan-schema';

export function thingGroupName(prefix: string, planName: string): string {
  return planName.startsWith(prefix) ? planName : `${prefix}${planName}`;
}

/** Every thing group a plan targets, resolved, without duplicates, in plan order. */
export function planThingGroups(prefix: string, plan: RolloutPlan): string[] {
  return [...new Set(plan.stages.flatMap(s => s.targets.map(t => thingGroupName(prefix, t))))];
}
