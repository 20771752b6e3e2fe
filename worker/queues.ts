/**
 * The worker's queues, their job names and the data each job carries — one queue per job kind
 * (docs/style.md §4):
 *
 * | queue      | job name                         | what it does                                         |
 * | ---------- | -------------------------------- | ---------------------------------------------------- |
 * | `build`    | `build`                          | validate, sign, store a release (`processors/build`) |
 * | `dispatch` | `dispatch`, `start-stage`        | start a rollout; create one stage's AWS IoT job      |
 * | `advance`  | `gate`, `pause`, `resume`, `abort` | promotion gates and operator actions               |
 *
 * Job ids are deterministic (`build-<releaseId>`, `start-<rolloutId>-<stage>`, …): adding a job
 * whose id exists is a no-op in BullMQ, so a CLI retried or a processor re-run after a crash never
 * queues a second one (BullMQ `docs/gitbook/patterns/idempotent-jobs.md`). A rollout's id is its
 * release id: one release, one rollout.
 */
import { z } from 'zod';

export const QUEUE_NAMES = { build: 'build', dispatch: 'dispatch', advance: 'advance' } as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Where the unsigned firmware comes from: a file the worker can read, or an S3 object. */
export const firmwareSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().min(1).optional(),
    key: z.string().min(1),
  }),
]);
export type FirmwareSource = z.infer<typeof firmwareSourceSchema>;

/** `build` job data. */
export const buildJobSchema = z.strictObject({
  releaseId: z.string().min(1),
  source: firmwareSourceSchema,
  /** File name recorded in the manifest (`source.fileName`). */
  fileName: z.string().min(1).max(255),
  /** SHA-256 of the unsigned input as the CLI read it; the worker refuses a different file. */
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.string().min(1),
  chip: z.string().min(1),
  /** The rollout plan as JSON text (parsed again by the worker). */
  plan: z.string().min(2),
  /** Dispatch the rollout when the build is done. @defaultValue true */
  dispatch: z.boolean().default(true),
});
export type BuildJobData = z.input<typeof buildJobSchema>;

/** `dispatch` job data: start the rollout of a built release. */
export const dispatchJobSchema = z.strictObject({
  releaseId: z.string().min(1),
  plan: z.string().min(2),
});
export type DispatchJobData = z.infer<typeof dispatchJobSchema>;

/** `start-stage` job data: create the AWS IoT job of one stage (its time has come). */
export const startStageJobSchema = z.strictObject({
  rolloutId: z.string().min(1),
  stage: z.string().min(1),
});
export type StartStageJobData = z.infer<typeof startStageJobSchema>;

/** `gate` job data: evaluate a stage's promotion gate (re-delays itself while the gate says wait). */
export const gateJobSchema = z.strictObject({
  rolloutId: z.string().min(1),
  stage: z.string().min(1),
});
export type GateJobData = z.infer<typeof gateJobSchema>;

/** Operator actions on a rollout. */
export const operatorJobSchema = z.strictObject({
  rolloutId: z.string().min(1),
  /** pause: also cancel the queued executions of the stages already started. */
  cancelQueued: z.boolean().default(false),
  reason: z.string().max(500).optional(),
});
export type OperatorJobData = z.input<typeof operatorJobSchema>;
export const OPERATOR_ACTIONS = ['pause', 'resume', 'abort'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Deterministic BullMQ job ids (no `:`, which BullMQ reserves for its keys). */
export const jobIds = {
  build: (releaseId: string) => `build-${releaseId}`,
  dispatch: (releaseId: string) => `dispatch-${releaseId}`,
  startStage: (rolloutId: string, stage: string) => `start-${rolloutId}-${stage}`,
  gate: (rolloutId: string, stage: string) => `gate-${rolloutId}-${stage}`,
};

/**
 * Retries of every job: 8 attempts, exponential backoff from 2 s (2, 4, 8 … 128 s, about four
 * minutes in all) for throttling, 5xx and network errors; bad input fails at once
 * (`UnrecoverableError`). Finished jobs are kept (the last 1,000 completed; failed ones all), so
 * failures stay listable (`fleet rollout failed`).
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: false,
} as const;
