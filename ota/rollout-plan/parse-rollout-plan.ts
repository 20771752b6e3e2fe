/**
 * Reads a rollout plan: the schema (`rollout-plan-schema.ts`), then the checks between stages —
 * unique names, `after` naming a stage that exists, no cycles — and fills in default starts (the
 * first stage starts at dispatch; a later stage without `start` starts right after the one before
 * it). Every problem is reported, each with its field path.
 */
import type { Problem } from '../errors/problem';
import { PlanInvalidError } from '../errors/plan-invalid-error';
import { parseJsonText } from '../parse-json-text';
import { defaultIssueMessage, schemaProblems } from '../schema-problems';
import {
  rolloutPlanSchema,
  type RolloutPlan,
  type RolloutStage,
  type StageStart,
} from './rollout-plan-schema';

function stageProblems(stages: readonly RolloutStage[]): Problem[] {
  const problems: Problem[] = [];
  const indexByName = new Map<string, number>();
  stages.forEach((stage, i) => {
    const first = indexByName.get(stage.name);
    if (first !== undefined) {
      problems.push({
        field: `stages[${i}].name`,
        message: `"${stage.name}" is already the name of stages[${first}]`,
      });
    } else {
      indexByName.set(stage.name, i);
    }
  });
  stages.forEach((stage, i) => {
    if (stage.start.type === 'after' && !indexByName.has(stage.start.after)) {
      problems.push({
        field: `stages[${i}].start.after`,
        message: `no stage is named "${stage.start.after}" (stages: ${stages.map(s => s.name).join(', ')})`,
      });
    }
  });
  if (problems.length > 0) return problems;

  // Each stage waits for at most one other, so following `after` links from any stage either
  // ends at a stage that starts on its own or comes back round: a cycle.
  const reported = new Set<number>();
  stages.forEach((_, i) => {
    const path: number[] = [];
    let at: number | undefined = i;
    while (at !== undefined && !path.includes(at)) {
      path.push(at);
      const start: StageStart = stages[at].start;
      at = start.type === 'after' ? indexByName.get(start.after) : undefined;
    }
    if (at !== undefined && !reported.has(at)) {
      const cycle = path.slice(path.indexOf(at));
      cycle.forEach(c => reported.add(c));
      problems.push({
        field: `stages[${at}].start.after`,
        message: `stages wait for each other in a cycle: ${[...cycle, at].map(c => stages[c].name).join(' → ')}`,
      });
    }
  });
  return problems;
}

/**
 * A checked rollout plan from JSON text or an already-parsed value.
 *
 * @throws PlanInvalidError listing every problem, e.g.
 *   `stages[1].abort[0].thresholdPercentage: expected a number from 0 to 100 with at most 2 decimal places`
 */
export function parseRolloutPlan(input: unknown): RolloutPlan {
  const parsed = parseJsonText(input);
  if ('problem' in parsed) throw new PlanInvalidError([parsed.problem]);
  const result = rolloutPlanSchema.safeParse(parsed.value, { error: defaultIssueMessage });
  if (!result.success) throw new PlanInvalidError(schemaProblems(result.error.issues));

  const stages: RolloutStage[] = result.data.stages.map((stage, i) => {
    const { start, ...rest } = stage;
    let normalized: StageStart;
    if (start?.at !== undefined) normalized = { type: 'at', at: new Date(start.at).toISOString() };
    else if (start?.after !== undefined)
      normalized = { type: 'after', after: start.after, delayMinutes: start.delayMinutes ?? 0 };
    else if (i === 0) normalized = { type: 'immediate' };
    else normalized = { type: 'after', after: result.data.stages[i - 1].name, delayMinutes: 0 };
    return { ...rest, start: normalized };
  });
  const problems = stageProblems(stages);
  if (problems.length > 0) throw new PlanInvalidError(problems);
  return { name: result.data.name, description: result.data.description, stages };
}

/** The stage named `name`. @throws PlanInvalidError if there is none */
export function findStage(plan: RolloutPlan, name: string): RolloutStage {
  const stage = plan.stages.find(s => s.name === name);
  if (stage === undefined) {
    throw new PlanInvalidError([
      {
        field: 'stages',
        message: `plan "${plan.name}" has no stage "${name}" (stages: ${plan.stages.map(s => s.name).join(', ')})`,
      },
    ]);
  }
  return stage;
}
