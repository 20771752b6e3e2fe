/**
 * The rollout plan file (`plans/*.json`): named stages, each one AWS IoT job to a set of thing
 * groups, with its start, rate, abort criteria, timeout, retries, maintenance windows and the gate
 * that must pass before the stages after it start. See `docs/rollout-plan.md`.
 *
 * Every number is checked against the AWS IoT Jobs limits in `aws-job-limits.ts`; the checks
 * between fields and stages (unique names, `after` references, cycles) are in
 * `parse-rollout-plan.ts`.
 */
import { z } from 'zod';
import {
  ABORT_FAILURE_TYPES,
  AWS_JOB_LIMITS as L,
  END_BEHAVIORS,
  RETRY_FAILURE_TYPES,
  TARGET_SELECTIONS,
} from './aws-job-limits';

/**
 * Longest stage name: a job id is `<release id (≤ 42)>-<stage name>` and AWS allows 64
 * characters, so 64 − 42 − 1 = 21.
 */
export const STAGE_NAME_MAX = 21;
/** More stages than this is a sign of a mistake, not of a rollout. */
export const STAGES_MAX = 20;
/** Longest gate soak or wait: 30 days. */
export const GATE_MINUTES_MAX = 43_200;
/** Longest `delayMinutes`: one year, as far ahead as AWS lets a job be scheduled. */
export const DELAY_MINUTES_MAX = 525_600;

function intRange(min: number, max: number) {
  const message = `expected an integer from ${min} to ${max}`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message });
}

function intAtLeast(min: number) {
  const message = `expected an integer ≥ ${min}`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(Number.MAX_SAFE_INTEGER, { error: message });
}

/** A percentage 0–100 with at most `decimals` digits after the point (AWS rounds nothing: it refuses). */
function percentage(decimals: number) {
  const message = `expected a number from 0 to 100 with at most ${decimals} decimal place${decimals === 1 ? '' : 's'}`;
  const scale = 10 ** decimals;
  return z
    .number({ error: message })
    .min(0, { error: message })
    .max(100, { error: message })
    .refine(v => Math.abs(Math.round(v * scale) - v * scale) < 1e-9, { error: message });
}

const isoUtc = z
  .string({ error: 'expected an ISO 8601 UTC time such as "2026-11-24T02:00:00Z"' })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/, {
    error: 'expected an ISO 8601 UTC time such as "2026-11-24T02:00:00Z"',
  })
  .refine(v => !Number.isNaN(Date.parse(v)), { error: 'expected a real calendar time' });

export const stageNameSchema = z
  .string({ error: `expected a stage name (1–${STAGE_NAME_MAX} characters of A-Z a-z 0-9 _ -)` })
  .regex(new RegExp(`^[A-Za-z0-9_-]{1,${STAGE_NAME_MAX}}$`), {
    error: `expected a stage name (1–${STAGE_NAME_MAX} characters of A-Z a-z 0-9 _ -)`,
  });

const thingGroupName = z
  .string({ error: 'expected a thing group name' })
  .min(1, { error: 'expected a thing group name' })
  .max(L.thingGroupNameMax, { error: `expected at most ${L.thingGroupNameMax} characters` })
  .regex(L.thingGroupNamePattern, { error: 'expected a thing group name (A-Z a-z 0-9 : _ -)' });

const startSchema = z
  .strictObject({
    at: isoUtc.optional(),
    after: stageNameSchema.optional(),
    delayMinutes: intRange(0, DELAY_MINUTES_MAX).optional(),
  })
  .superRefine((start, ctx) => {
    if ((start.at === undefined) === (start.after === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected exactly one of "at" (a time) or "after" (a stage name)',
      });
    }
    if (start.at !== undefined && start.delayMinutes !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['delayMinutes'],
        message: 'only allowed with "after"',
      });
    }
  });

const ratePerMinute = intRange(L.ratePerMinuteMin, L.ratePerMinuteMax);

const rateSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('constant'), maximumPerMinute: ratePerMinute }),
    z
      .strictObject({
        type: z.literal('exponential'),
        baseRatePerMinute: ratePerMinute,
        incrementFactor: z
          .number({
            error: `expected a number from ${L.incrementFactorMin} to ${L.incrementFactorMax} with one decimal place`,
          })
          .min(L.incrementFactorMin, {
            error: `expected a number from ${L.incrementFactorMin} to ${L.incrementFactorMax} with one decimal place`,
          })
          .max(L.incrementFactorMax, {
            error: `expected a number from ${L.incrementFactorMin} to ${L.incrementFactorMax} with one decimal place`,
          })
          .refine(v => Math.abs(Math.round(v * 10) - v * 10) < 1e-9, {
            error: 'expected at most one decimal place (AWS accepts 1.5, not 1.55)',
          }),
        rateIncreaseCriteria: z
          .strictObject({
            numberOfNotifiedThings: intAtLeast(L.rateIncreaseThresholdMin).optional(),
            numberOfSucceededThings: intAtLeast(L.rateIncreaseThresholdMin).optional(),
          })
          .refine(
            c =>
              (c.numberOfNotifiedThings === undefined) !==
              (c.numberOfSucceededThings === undefined),
            {
              error: 'expected exactly one of numberOfNotifiedThings or numberOfSucceededThings',
            },
          ),
        maximumPerMinute: ratePerMinute.optional(),
      })
      .refine(r => r.maximumPerMinute === undefined || r.baseRatePerMinute <= r.maximumPerMinute, {
        path: ['baseRatePerMinute'],
        error: 'must not exceed maximumPerMinute',
      }),
  ],
  { error: 'expected "type": "constant" or "exponential"' },
);

const abortSchema = z.strictObject({
  failureType: z.enum(ABORT_FAILURE_TYPES, {
    error: `expected one of ${ABORT_FAILURE_TYPES.join(', ')}`,
  }),
  action: z
    .literal('CANCEL', { error: 'expected "CANCEL" (the only abort action AWS has)' })
    .default('CANCEL'),
  thresholdPercentage: percentage(2),
  minNumberOfExecutedThings: intAtLeast(L.minNumberOfExecutedThingsMin),
});

const retrySchema = z.strictObject({
  failureType: z.enum(RETRY_FAILURE_TYPES, {
    error: `expected one of ${RETRY_FAILURE_TYPES.join(', ')}`,
  }),
  numberOfRetries: intRange(0, L.numberOfRetriesMax),
});

/** AWS's schedule expressions: `cron(minutes hours day-of-month month day-of-week year)`. */
const CRON = /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/;

const scheduleSchema = z.strictObject({
  maintenanceWindows: z
    .array(
      z.strictObject({
        startTime: z
          .string()
          .max(L.maintenanceWindowStartTimeMax, {
            error: `expected at most ${L.maintenanceWindowStartTimeMax} characters`,
          })
          .regex(CRON, {
            error: 'expected a cron expression such as "cron(0 2 * * ? *)" (six fields, UTC)',
          }),
        durationInMinutes: intRange(1, L.maintenanceWindowDurationMax),
      }),
    )
    .min(1, { error: 'expected at least one window (or leave maintenanceWindows out)' })
    .optional(),
  endAfterMinutes: intRange(L.scheduleEndMinMinutes, L.scheduleEndMaxDays * 1440).optional(),
  endBehavior: z
    .enum(END_BEHAVIORS, { error: `expected one of ${END_BEHAVIORS.join(', ')}` })
    .optional(),
});

const healthSchema = z.strictObject({
  maxCrashingPercentage: percentage(2),
  maxOfflineMinutes: intRange(1, GATE_MINUTES_MAX),
  maxOfflinePercentage: percentage(2),
});

const gateSchema = z.strictObject({
  soakMinutes: intRange(0, GATE_MINUTES_MAX),
  maxFailedPercentage: percentage(2),
  minSucceeded: intAtLeast(0).optional(),
  minSucceededPercentage: percentage(2).optional(),
  maxWaitMinutes: intRange(1, GATE_MINUTES_MAX).optional(),
  health: healthSchema.optional(),
});

const stageSchema = z
  .strictObject({
    name: stageNameSchema,
    description: z.string().max(200, { error: 'expected at most 200 characters' }).optional(),
    targets: z
      .array(thingGroupName, { error: 'expected a list of thing group names' })
      .min(1, { error: 'expected at least one thing group' }),
    targetSelection: z
      .enum(TARGET_SELECTIONS, { error: `expected one of ${TARGET_SELECTIONS.join(', ')}` })
      .default('SNAPSHOT'),
    start: startSchema.optional(),
    rate: rateSchema.optional(),
    abort: z
      .array(abortSchema)
      .min(1, { error: 'expected at least one criterion (or leave abort out)' })
      .optional(),
    timeout: z
      .strictObject({
        inProgressTimeoutInMinutes: intRange(
          L.inProgressTimeoutMinutesMin,
          L.inProgressTimeoutMinutesMax,
        ),
      })
      .optional(),
    retries: z
      .array(retrySchema)
      .min(1, { error: 'expected at least one criterion (or leave retries out)' })
      .max(L.retryCriteriaMax, {
        error: `expected at most ${L.retryCriteriaMax} criteria (AWS limit)`,
      })
      .optional(),
    schedule: scheduleSchema.optional(),
    gate: gateSchema.optional(),
  })
  .superRefine((stage, ctx) => {
    const seen = new Set<string>();
    stage.targets.forEach((t, i) => {
      if (seen.has(t))
        ctx.addIssue({ code: 'custom', path: ['targets', i], message: `"${t}" is listed twice` });
      seen.add(t);
    });
    for (const [list, key] of [
      [stage.abort, 'abort'],
      [stage.retries, 'retries'],
    ] as const) {
      const types = new Set<string>();
      list?.forEach((c, i) => {
        if (types.has(c.failureType)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i, 'failureType'],
            message: `${c.failureType} appears twice`,
          });
        }
        types.add(c.failureType);
      });
    }
    if (stage.schedule?.endBehavior !== undefined && stage.schedule.endAfterMinutes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'endBehavior'],
        message: 'only applies with endAfterMinutes (AWS ignores it without an end time)',
      });
    }
  });

export const rolloutPlanSchema = z.strictObject({
  name: z
    .string({ error: 'expected a plan name' })
    .regex(/^[A-Za-z0-9_-]{1,64}$/, {
      error: 'expected a plan name (1–64 characters of A-Z a-z 0-9 _ -)',
    }),
  description: z.string().max(1000, { error: 'expected at most 1000 characters' }).optional(),
  stages: z
    .array(stageSchema, { error: 'expected a list of stages' })
    .min(1, { error: 'expected at least one stage' })
    .max(STAGES_MAX, { error: `expected at most ${STAGES_MAX} stages` }),
});

/** A plan file as written (before the checks between stages). */
export type RolloutPlanInput = z.input<typeof rolloutPlanSchema>;
type ParsedPlan = z.output<typeof rolloutPlanSchema>;
type ParsedStage = ParsedPlan['stages'][number];

/** When a stage starts: at dispatch, at a time, or a delay after another stage started. */
export type StageStart =
  | { readonly type: 'immediate' }
  | { readonly type: 'at'; readonly at: string }
  | { readonly type: 'after'; readonly after: string; readonly delayMinutes: number };

/** One stage of a checked plan; `start` is always explicit (defaults filled in). */
export type RolloutStage = Omit<ParsedStage, 'start'> & { readonly start: StageStart };
export type RolloutRate = NonNullable<ParsedStage['rate']>;
export type AbortCriterion = NonNullable<ParsedStage['abort']>[number];
export type RetryCriterion = NonNullable<ParsedStage['retries']>[number];
export type StageSchedule = NonNullable<ParsedStage['schedule']>;
/** The promotion gate of a stage: evaluated on that stage's job before the stages after it start. */
export type PromotionGate = NonNullable<ParsedStage['gate']>;
export type HealthCriteria = NonNullable<PromotionGate['health']>;

/** A checked plan. */
export interface RolloutPlan {
  readonly name: string;
  readonly description?: string;
  readonly stages: readonly RolloutStage[];
}
