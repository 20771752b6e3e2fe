/**
 * `advance` queue processor: promotion gates and operator actions on a rollout.
 * - `gate` (`GateJobData`): reads the stage's execution counts (`DescribeJob`) and, if the gate has
 *   health criteria, the updated devices' health (`observeHealth`: three fleet-index counts), then
 *   applies the plan's gate (`evaluateGate`): promote → start the stages after it; wait → this
 *   job is delayed by `gatePollSeconds` and evaluated again; abort → `abortRollout`. A job that
 *   AWS canceled (its abort criteria) aborts the rollout too. Decisions and reasons are recorded
 *   on the rollout whenever the decision changes.
 * - `pause` / `resume` / `abort` (`OperatorJobData`): pause stops promotions and stage starts
 *   (gates keep being evaluated and can still abort); with `cancelQueued` it also cancels the
 *   queued executions of started stages (CancelJob without force — resume cannot bring those
 *   back). Resume lets a paused rollout go on. Abort cancels every job of the release.
 * Errors: unknown rollout → `UnrecoverableError`; AWS errors as in `clients/aws-error.ts`.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  countsFromJobProcessDetails,
  evaluateGate,
  type GateResult,
} from '../../ota/rollout-plan/evaluate-gate';
import { findStage } from '../../ota/rollout-plan/parse-rollout-plan';
import { gateJobSchema, operatorJobSchema } from '../queues';
import { describeJob } from '../rollout/create-stage-job';
import { observeHealth } from '../rollout/health-query';
import {
  abortRollout,
  cancelStageJobs,
  completeIfDone,
  loadRollout,
  startFollowers,
} from '../rollout/rollout-steps';
import { thingGroupName } from '../rollout/thing-groups';
import { parseJobData, unrecoverableIfOta } from './job-data';
import type { ProcessorContext } from './processor-context';

export interface AdvanceResult {
  readonly rolloutId: string;
  readonly action: string;
  readonly decision?: string;
  readonly reasons?: readonly string[];
}

async function gate(ctx: ProcessorContext, job: Job, token?: string): Promise<AdvanceResult> {
  const data = parseJobData(gateJobSchema, job.data, 'gate');
  const { record, plan } = await loadRollout(ctx, data.rolloutId);
  const stage = findStage(plan, data.stage);
  const stageRecord = record.stages[stage.name];
  if (record.state === 'aborted')
    return {
      rolloutId: data.rolloutId,
      action: 'gate',
      decision: 'skipped',
      reasons: ['rollout aborted'],
    };
  if (
    stage.gate === undefined ||
    stageRecord?.jobId === undefined ||
    stageRecord.startedAt === undefined
  ) {
    throw new UnrecoverableError(
      `stage ${stage.name} of rollout ${data.rolloutId} has no gate or has not started`,
    );
  }
  const log = ctx.log.child({
    rolloutId: data.rolloutId,
    releaseId: record.releaseId,
    stage: stage.name,
  });
  const now = ctx.now();
  const awsJob = await describeJob(ctx.clients.iot, stageRecord.jobId);
  let result: GateResult;
  if (
    awsJob?.status === 'CANCELED' ||
    awsJob?.status === 'DELETION_IN_PROGRESS' ||
    awsJob === null
  ) {
    result = {
      decision: 'abort',
      reasons: [
        `AWS IoT job ${stageRecord.jobId} is ${awsJob?.status ?? 'gone'}${awsJob?.reasonCode ? ` (${awsJob.reasonCode}${awsJob.comment ? `: ${awsJob.comment}` : ''})` : ''}`,
      ],
    };
  } else {
    const health =
      stage.gate.health === undefined
        ? undefined
        : await observeHealth(
            ctx,
            stage.targets.map(t => thingGroupName(ctx.config.thingGroupPrefix, t)),
            (await ctx.releases.getManifest(record.releaseId))?.version ?? '',
            stage.gate.health.maxOfflineMinutes,
            now,
          );
    result = evaluateGate(stage.gate, {
      now: new Date(now),
      startedAt: new Date(stageRecord.startedAt),
      counts: countsFromJobProcessDetails(awsJob.jobProcessDetails),
      health,
    });
  }
  const changed =
    stageRecord.decision !== result.decision ||
    JSON.stringify(stageRecord.reasons) !== JSON.stringify(result.reasons);
  if (changed) {
    await ctx.rollouts.setStage(data.rolloutId, stage.name, {
      decision: result.decision,
      reasons: result.reasons,
    });
    if (stageRecord.decision !== result.decision) {
      await ctx.rollouts.record(data.rolloutId, {
        at: now,
        kind: 'gate',
        stage: stage.name,
        decision: result.decision,
        reasons: result.reasons,
      });
    }
    log.info({ decision: result.decision, reasons: result.reasons }, 'gate evaluated');
  }
  if (result.decision === 'abort') {
    await abortRollout(ctx, data.rolloutId, result.reasons, stage.name);
    return { rolloutId: data.rolloutId, action: 'gate', ...result };
  }
  if (result.decision === 'promote' && record.state !== 'paused') {
    await ctx.rollouts.setStage(data.rolloutId, stage.name, { state: 'promoted' });
    await startFollowers(ctx, data.rolloutId, plan, stage, stageRecord.startedAt);
    await completeIfDone(ctx, data.rolloutId);
    return { rolloutId: data.rolloutId, action: 'gate', ...result };
  }
  // wait (or promote while paused): evaluate again later.
  await job.moveToDelayed(now + ctx.config.gatePollSeconds * 1000, token);
  throw new DelayedError();
}

async function operator(ctx: ProcessorContext, job: Job): Promise<AdvanceResult> {
  const data = parseJobData(operatorJobSchema, job.data, job.name);
  const { record } = await loadRollout(ctx, data.rolloutId);
  const at = ctx.now();
  const reasons = [data.reason ?? `operator ${job.name}`];
  if (job.name === 'abort') {
    await abortRollout(ctx, data.rolloutId, reasons);
    return { rolloutId: data.rolloutId, action: 'abort', decision: 'aborted', reasons };
  }
  if (job.name === 'pause') {
    const moved = await ctx.rollouts.transition(
      data.rolloutId,
      ['dispatching', 'rolling-out'],
      'paused',
      reasons[0],
    );
    if (!moved)
      throw new UnrecoverableError(`cannot pause rollout ${data.rolloutId}: it is ${record.state}`);
    if (data.cancelQueued)
      reasons.push(
        `canceled queued executions of ${(await cancelStageJobs(ctx, record, `rollout ${data.rolloutId} paused`)).join(', ') || 'no job'}`,
      );
    await ctx.rollouts.record(data.rolloutId, {
      at,
      kind: 'operator',
      decision: 'paused',
      reasons,
    });
    return { rolloutId: data.rolloutId, action: 'pause', decision: 'paused', reasons };
  }
  if (job.name === 'resume') {
    const moved = await ctx.rollouts.transition(
      data.rolloutId,
      ['paused'],
      'rolling-out',
      reasons[0],
    );
    if (!moved)
      throw new UnrecoverableError(
        `cannot resume rollout ${data.rolloutId}: it is ${record.state}, not paused`,
      );
    await ctx.rollouts.record(data.rolloutId, {
      at,
      kind: 'operator',
      decision: 'resumed',
      reasons,
    });
    return { rolloutId: data.rolloutId, action: 'resume', decision: 'resumed', reasons };
  }
  throw new UnrecoverableError(
    `the advance queue has no job kind "${job.name}" (expected gate, pause, resume or abort)`,
  );
}

/** The `advance` queue's processor (see the file header). */
export function advanceProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string): Promise<AdvanceResult> => {
    try {
      return job.name === 'gate' ? await gate(ctx, job, token) : await operator(ctx, job);
    } catch (error) {
      return unrecoverableIfOta(error);
    }
  };
}
