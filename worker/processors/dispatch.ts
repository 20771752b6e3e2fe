/**
 * `dispatch` queue processor. Two job names:
 * - `dispatch` (`DispatchJobData`): starts the rollout of a built release — records the rollout
 *   (once), creates the AWS IoT job of each stage that starts at dispatch, and schedules the
 *   stages that start at a time as delayed `start-stage` jobs.
 * - `start-stage` (`StartStageJobData`): a stage whose time has come: creates its AWS IoT job.
 *   While the rollout is paused it waits (re-delayed); once aborted it does nothing.
 * Output: what was created. Errors: unknown release/rollout, bad plan → `UnrecoverableError`;
 * AWS throttling/5xx → thrown and retried; AWS 4xx → `UnrecoverableError` with AWS's message.
 * A retry after a crash finds the jobs it created (`createStageJob`), never makes a second.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { parseRolloutPlan } from '../../ota/rollout-plan/parse-rollout-plan';
import { earliestStageStart, rootStages } from '../../ota/rollout-plan/stage-schedule';
import { dispatchJobSchema, startStageJobSchema } from '../queues';
import { loadRollout, scheduleStage, startStage } from '../rollout/rollout-steps';
import { parseJobData, unrecoverableIfOta } from './job-data';
import type { ProcessorContext } from './processor-context';

export interface DispatchResult {
  readonly rolloutId: string;
  /** AWS job ids created or found, by stage. */
  readonly started: Record<string, string>;
  /** Stages scheduled for later (delayed `start-stage` jobs). */
  readonly scheduled: string[];
  readonly skipped?: string;
}

async function dispatch(ctx: ProcessorContext, job: Job): Promise<DispatchResult> {
  const data = parseJobData(dispatchJobSchema, job.data, 'dispatch');
  const rolloutId = data.releaseId;
  let plan;
  try {
    plan = parseRolloutPlan(data.plan);
  } catch (error) {
    unrecoverableIfOta(error);
  }
  if ((await ctx.releases.getManifest(data.releaseId)) === null) {
    throw new UnrecoverableError(
      `release ${data.releaseId} is not built (no manifest in s3://${ctx.config.firmwareBucket})`,
    );
  }
  await ctx.rollouts.init(
    rolloutId,
    data.releaseId,
    data.plan,
    plan.stages.map(s => s.name),
    ctx.now(),
  );
  const { record } = await loadRollout(ctx, rolloutId);
  if (record.state === 'aborted')
    return { rolloutId, started: {}, scheduled: [], skipped: 'aborted' };
  await ctx.rollouts.transition(rolloutId, ['dispatching'], 'rolling-out');
  const started: Record<string, string> = {};
  const scheduled: string[] = [];
  for (const stage of rootStages(plan)) {
    const startAt =
      earliestStageStart(stage, {
        dispatchedAt: new Date(record.dispatchedAt),
        startedAt: {},
      })?.getTime() ?? ctx.now();
    if (startAt <= ctx.now() && record.state !== 'paused') {
      started[stage.name] = (await startStage(ctx, rolloutId, stage.name)).jobId;
    } else {
      await scheduleStage(ctx, rolloutId, stage.name, startAt);
      scheduled.push(stage.name);
    }
  }
  ctx.log.info({ rolloutId, releaseId: data.releaseId, started, scheduled }, 'rollout dispatched');
  return { rolloutId, started, scheduled };
}

async function startStageJob(
  ctx: ProcessorContext,
  job: Job,
  token?: string,
): Promise<DispatchResult> {
  const data = parseJobData(startStageJobSchema, job.data, 'start-stage');
  const { record } = await loadRollout(ctx, data.rolloutId);
  if (record.state === 'aborted')
    return { rolloutId: data.rolloutId, started: {}, scheduled: [], skipped: 'aborted' };
  if (record.state === 'paused') {
    await job.moveToDelayed(ctx.now() + ctx.config.gatePollSeconds * 1000, token);
    throw new DelayedError();
  }
  const { jobId } = await startStage(ctx, data.rolloutId, data.stage);
  return { rolloutId: data.rolloutId, started: { [data.stage]: jobId }, scheduled: [] };
}

/** The `dispatch` queue's processor (see the file header). */
export function dispatchProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string): Promise<DispatchResult> => {
    try {
      if (job.name === 'dispatch') return await dispatch(ctx, job);
      if (job.name === 'start-stage') return await startStageJob(ctx, job, token);
    } catch (error) {
      unrecoverableIfOta(error);
    }
    throw new UnrecoverableError(
      `the dispatch queue has no job kind "${job.name}" (expected dispatch or start-stage)`,
    );
  };
}
