/**
 * A rollout's status: its record (state, stages, gate decisions), the BullMQ jobs behind it
 * (build, dispatch, pending stage starts and gates) and, per started stage, the execution counts
 * from `DescribeJob` — one call per stage, never per device.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import {
  countsFromJobProcessDetails,
  type JobExecutionCounts,
} from '../../ota/rollout-plan/evaluate-gate';
import { parseRolloutPlan } from '../../ota/rollout-plan/parse-rollout-plan';
import type { FleetQueues } from '../fleet-queues';
import { jobIds } from '../queues';
import { describeJob } from './create-stage-job';
import type { RolloutEvent, RolloutRecord } from './rollout-store';

export interface StageStatus {
  readonly name: string;
  readonly targets: readonly string[];
  readonly state: string;
  readonly jobId?: string;
  readonly awsStatus?: string;
  readonly counts?: JobExecutionCounts;
  /** BullMQ state of the pending start or gate job, if any (`delayed`, `active`, …). */
  readonly pending?: string;
  readonly decision?: string;
  readonly reasons?: readonly string[];
}

export interface RolloutStatus {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
  readonly build?: { state: string; progress: unknown; failedReason?: string };
  readonly dispatch?: { state: string; failedReason?: string };
  readonly stages: readonly StageStatus[];
  readonly events: readonly RolloutEvent[];
}

export async function rolloutStatus(
  queues: FleetQueues,
  iot: Pick<IoTClient, 'send'> | null,
  id: string,
): Promise<RolloutStatus | null> {
  const record: RolloutRecord | null = await queues.rollouts.get(id);
  const buildJob = await queues.queues.build.getJob(jobIds.build(id));
  const dispatchJob = await queues.queues.dispatch.getJob(jobIds.dispatch(id));
  if (record === null && !buildJob) return null;
  const build = buildJob
    ? {
        state: await buildJob.getState(),
        progress: buildJob.progress,
        failedReason: buildJob.failedReason || undefined,
      }
    : undefined;
  const dispatch = dispatchJob
    ? { state: await dispatchJob.getState(), failedReason: dispatchJob.failedReason || undefined }
    : undefined;
  if (record === null)
    return {
      id,
      state: build?.state === 'failed' ? 'build failed' : 'building',
      build,
      dispatch,
      stages: [],
      events: [],
    };
  const plan = parseRolloutPlan(record.plan);
  const stages: StageStatus[] = [];
  for (const stage of plan.stages) {
    const r = record.stages[stage.name];
    let awsStatus: string | undefined;
    let counts: JobExecutionCounts | undefined;
    if (r?.jobId !== undefined && iot !== null) {
      const job = await describeJob(iot, r.jobId).catch(() => null);
      awsStatus = job?.status;
      counts = job ? countsFromJobProcessDetails(job.jobProcessDetails) : undefined;
    }
    const startJob = await queues.queues.dispatch.getJob(jobIds.startStage(id, stage.name));
    const gateJob = await queues.queues.advance.getJob(jobIds.gate(id, stage.name));
    const pendingJob = [gateJob, startJob].find(j => j !== undefined);
    const pending = pendingJob ? await pendingJob.getState() : undefined;
    stages.push({
      name: stage.name,
      targets: stage.targets,
      state: r?.state ?? 'waiting',
      jobId: r?.jobId,
      awsStatus,
      counts,
      pending,
      decision: r?.decision,
      reasons: r?.reasons,
    });
  }
  return {
    id,
    state: record.state,
    reason: record.reason,
    build,
    dispatch,
    stages,
    events: await queues.rollouts.events(id),
  };
}

/** The status as a table and the decisions, for a terminal. */
export function formatRolloutStatus(s: RolloutStatus): string {
  const lines = [`rollout ${s.id}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`];
  if (s.build)
    lines.push(
      `  build: ${s.build.state}${s.build.failedReason ? ` — ${s.build.failedReason}` : ''}`,
    );
  if (s.dispatch)
    lines.push(
      `  dispatch: ${s.dispatch.state}${s.dispatch.failedReason ? ` — ${s.dispatch.failedReason}` : ''}`,
    );
  if (s.stages.length > 0) {
    const head = [
      'stage',
      'state',
      'aws job',
      'queued',
      'in progress',
      'succeeded',
      'failed',
      'timed out',
      'rejected',
      'canceled',
      'gate',
    ];
    const rows = s.stages.map(st => [
      st.name,
      st.state + (st.pending && st.pending !== 'completed' ? ` (${st.pending})` : ''),
      st.awsStatus ?? '-',
      ...(
        ['queued', 'inProgress', 'succeeded', 'failed', 'timedOut', 'rejected', 'canceled'] as const
      ).map(k => (st.counts ? String(st.counts[k]) : '-')),
      st.decision ?? '-',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const fmt = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ');
    lines.push('', fmt(head), fmt(widths.map(w => '-'.repeat(w))), ...rows.map(fmt));
  }
  const decisions = s.events;
  if (decisions.length > 0) {
    lines.push('', '  history:');
    for (const e of decisions)
      lines.push(
        `    ${new Date(e.at).toISOString()}  ${e.kind}${e.stage ? ` ${e.stage}` : ''}${e.decision ? `: ${e.decision}` : ''} — ${e.reasons.join('; ')}`,
      );
  }
  return lines.join('\n');
}
