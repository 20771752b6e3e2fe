/**
 * The steps of a rollout that the `dispatch` and `advance` processors share: start a stage (create
 * its AWS IoT job, record it, schedule what follows), schedule a stage for later (a delayed
 * `start-stage` job), and abort (cancel every job of the release, drop what is pending). Every
 * step is idempotent: deterministic AWS and BullMQ job ids, and records that are set, not added.
 *
 * AWS schedules jobs at least 30 minutes ahead (API_SchedulingConfig); later starts are delayed
 * BullMQ jobs rather than AWS scheduled jobs, so that pause and abort can still hold them. AWS
 * scheduling is used only where the plan asks for maintenance windows (`buildCreateJobInput`).
 */
import { CancelJobCommand } from '@aws-sdk/client-iot';
import { UnrecoverableError } from 'bullmq';
import { findStage, parseRolloutPlan } from '../../ota/rollout-plan/parse-rollout-plan';
import type { RolloutPlan, RolloutStage } from '../../ota/rollout-plan/rollout-plan-schema';
import { dependentStages, earliestStageStart } from '../../ota/rollout-plan/stage-schedule';
import { awsErrorName, rethrowAws } from '../clients/aws-error';
import type { ProcessorContext } from '../processors/processor-context';
import { DEFAULT_JOB_OPTIONS, jobIds } from '../queues';
import { createStageJob } from './create-stage-job';
import type { RolloutRecord } from './rollout-store';
import { thingGroupName } from './thing-groups';

/** The rollout's record and plan. @throws UnrecoverableError if there is no such rollout */
export async function loadRollout(
  ctx: ProcessorContext,
  rolloutId: string,
): Promise<{ record: RolloutRecord; plan: RolloutPlan }> {
  const record = await ctx.rollouts.get(rolloutId);
  if (record === null) throw new UnrecoverableError(`no rollout ${rolloutId} (was it dispatched?)`);
  return { record, plan: parseRolloutPlan(record.plan) };
}

/** A delayed `start-stage` job (or a no-op if one with its id exists). */
export async function scheduleStage(
  ctx: ProcessorContext,
  rolloutId: string,
  stage: string,
  startAt: number,
): Promise<void> {
  const delay = Math.max(0, startAt - ctx.now());
  await ctx.queues.dispatch.add(
    'start-stage',
    { rolloutId, stage },
    { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.startStage(rolloutId, stage), delay },
  );
  await ctx.rollouts.setStage(rolloutId, stage, { state: 'scheduled' });
}

/** The `gate` job of a stage, first evaluated once its soak time has passed. */
async function scheduleGate(
  ctx: ProcessorContext,
  rolloutId: string,
  stage: RolloutStage,
  startedAt: number,
): Promise<void> {
  const soakEnd = startedAt + (stage.gate?.soakMinutes ?? 0) * 60_000;
  const delay = Math.max(0, soakEnd - ctx.now());
  await ctx.queues.advance.add(
    'gate',
    { rolloutId, stage: stage.name },
    { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.gate(rolloutId, stage.name), delay },
  );
}

/** Starts (or schedules) the stages that wait for `stage`, which started at `startedAt`. */
export async function startFollowers(
  ctx: ProcessorContext,
  rolloutId: string,
  plan: RolloutPlan,
  stage: RolloutStage,
  startedAt: number,
): Promise<void> {
  for (const next of dependentStages(plan, stage.name)) {
    const at = earliestStageStart(next, {
      dispatchedAt: new Date(startedAt),
      startedAt: { [stage.name]: new Date(startedAt) },
    });
    await scheduleStage(ctx, rolloutId, next.name, at?.getTime() ?? ctx.now());
  }
}

/** Marks the rollout completed when every stage has started and every gate has promoted. */
export async function completeIfDone(ctx: ProcessorContext, rolloutId: string): Promise<void> {
  const { record, plan } = await loadRollout(ctx, rolloutId);
  const done = plan.stages.every(s => {
    const state = record.stages[s.name]?.state;
    return state === 'promoted' || (state === 'started' && s.gate === undefined);
  });
  if (done && (await ctx.rollouts.transition(rolloutId, ['rolling-out'], 'completed'))) {
    await ctx.rollouts.record(rolloutId, {
      at: ctx.now(),
      kind: 'state',
      decision: 'completed',
      reasons: ['every stage started and every gate promoted'],
    });
  }
}

/**
 * Creates the stage's AWS IoT job, records it, updates the thing groups' release records (the
 * version policy's input), and schedules the stage's gate or, without one, the stages after it.
 */
export async function startStage(
  ctx: ProcessorContext,
  rolloutId: string,
  stageName: string,
): Promise<{ jobId: string; created: boolean }> {
  const { record, plan } = await loadRollout(ctx, rolloutId);
  const stage = findStage(plan, stageName);
  const manifest = await ctx.releases.getManifest(record.releaseId);
  if (manifest === null)
    throw new UnrecoverableError(
      `release ${record.releaseId} has no manifest in s3://${ctx.config.firmwareBucket}; build it first`,
    );
  const log = ctx.log.child({ rolloutId, releaseId: record.releaseId, stage: stageName });
  const job = await createStageJob(ctx, stage, manifest, record.releaseId);
  log.info(
    { awsJobId: job.jobId, created: job.created },
    job.created ? 'stage job created' : 'stage job existed already',
  );
  const previous = record.stages[stageName];
  if (previous?.state !== 'started' && previous?.state !== 'promoted') {
    await ctx.rollouts.setStage(rolloutId, stageName, {
      state: 'started',
      jobId: job.jobId,
      startedAt: job.startedAt,
    });
    await ctx.rollouts.record(rolloutId, {
      at: ctx.now(),
      kind: 'stage-started',
      stage: stageName,
      reasons: [`AWS IoT job ${job.jobId} ${job.created ? 'created' : 'found (created before)'}`],
    });
  }
  const updatedAt = new Date(ctx.now()).toISOString();
  for (const target of stage.targets) {
    const group = thingGroupName(ctx.config.thingGroupPrefix, target);
    await ctx.releases.putGroupRecord({
      group,
      releaseId: record.releaseId,
      version: manifest.version,
      secureVersion: manifest.secureVersion,
      updatedAt,
    });
  }
  const startedAt = previous?.startedAt ?? job.startedAt;
  if (stage.gate !== undefined) await scheduleGate(ctx, rolloutId, stage, startedAt);
  else await startFollowers(ctx, rolloutId, plan, stage, startedAt);
  await completeIfDone(ctx, rolloutId);
  return { jobId: job.jobId, created: job.created };
}

/** CancelJob on every stage job created so far; `force` also cancels IN_PROGRESS executions. */
export async function cancelStageJobs(
  ctx: ProcessorContext,
  record: RolloutRecord,
  comment: string,
  force = false,
): Promise<string[]> {
  const canceled: string[] = [];
  for (const stage of Object.values(record.stages)) {
    if (stage.jobId === undefined) continue;
    try {
      await ctx.clients.iot.send(
        new CancelJobCommand({
          jobId: stage.jobId,
          comment: comment.slice(0, 2028),
          reasonCode: 'ROLLOUT_ABORTED',
          force,
        }),
      );
      canceled.push(stage.jobId);
    } catch (error) {
      // A job that finished or was canceled already (by AWS's abort criteria) needs nothing more.
      const name = awsErrorName(error);
      if (
        name === 'ResourceNotFoundException' ||
        name === 'InvalidRequestException' ||
        name === 'ConflictException'
      )
        continue;
      rethrowAws(`CancelJob ${stage.jobId}`, error);
    }
  }
  return canceled;
}

/** Aborts a rollout: no stage starts or promotes any more, and every job of it is canceled. */
export async function abortRollout(
  ctx: ProcessorContext,
  rolloutId: string,
  reasons: readonly string[],
  stage?: string,
): Promise<void> {
  const { record, plan } = await loadRollout(ctx, rolloutId);
  const moved = await ctx.rollouts.transition(
    rolloutId,
    ['dispatching', 'rolling-out', 'paused', 'completed'],
    'aborted',
    reasons.join('; '),
  );
  if (moved) {
    await ctx.rollouts.record(rolloutId, {
      at: ctx.now(),
      kind: 'state',
      stage,
      decision: 'aborted',
      reasons,
    });
    if (stage !== undefined) await ctx.rollouts.setStage(rolloutId, stage, { state: 'aborted' });
  }
  // Pending starts and gates of other stages go (the running job, if any, sees `aborted`).
  for (const s of plan.stages) {
    for (const [queue, id] of [
      [ctx.queues.dispatch, jobIds.startStage(rolloutId, s.name)],
      [ctx.queues.advance, jobIds.gate(rolloutId, s.name)],
    ] as const) {
      const pending = await queue.getJob(id);
      if (pending && (await pending.isDelayed())) await pending.remove().catch(() => undefined);
    }
  }
  const fresh = (await ctx.rollouts.get(rolloutId)) ?? record;
  const canceled = await cancelStageJobs(
    ctx,
    fresh,
    `rollout ${rolloutId} aborted: ${reasons.join('; ')}`,
  );
  ctx.log.warn(
    { rolloutId, releaseId: record.releaseId, stage, reasons, canceled },
    'rollout aborted',
  );
}
