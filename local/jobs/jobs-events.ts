/**
 * Job and job execution lifecycle events on `$aws/events/job/<jobId>/<operation>` and
 * `$aws/events/jobExecution/<jobId>/<operation>`, published only when the stack's event
 * configuration enables them (`aws_iot_event_configurations` JOB / JOB_EXECUTION).
 * Payloads from https://docs.aws.amazon.com/iot/latest/developerguide/events-jobs.html.
 */
import { randomUUID } from 'node:crypto';
import type { JobsEngineEvent } from './jobs-engine';
import { toSeconds } from './job-wire';

/** Which event types are on. */
export interface JobEventSettings {
  readonly job: boolean;
  readonly jobExecution: boolean;
}

/** Job operations AWS publishes events for. */
const JOB_OPERATIONS = new Set(['completed', 'canceled']);
/** Execution operations AWS publishes events for (terminal states). */
const EXECUTION_OPERATIONS = new Set([
  'succeeded',
  'failed',
  'rejected',
  'canceled',
  'timed_out',
  'removed',
]);

/** The event topic and payload for an engine event, or undefined when AWS publishes none. */
export function lifecycleEvent(
  event: JobsEngineEvent,
  settings: JobEventSettings,
  thingArn: (thing: string) => string,
  nowMs: number,
): { topic: string; body: Record<string, unknown> } | undefined {
  const timestamp = Math.floor(nowMs / 1000);
  if (
    event.kind === 'job' &&
    settings.job &&
    event.operation &&
    JOB_OPERATIONS.has(event.operation)
  ) {
    const r = event.job.record;
    return {
      topic: `$aws/events/job/${r.jobId}/${event.operation}`,
      body: {
        eventType: 'JOB',
        eventId: randomUUID(),
        timestamp,
        operation: event.operation,
        jobId: r.jobId,
        status: r.status,
        targetSelection: r.targetSelection,
        targets: r.targets,
        description: r.description,
        createdAt: toSeconds(r.createdAt),
        lastUpdatedAt: toSeconds(r.lastUpdatedAt),
        ...(r.completedAt === undefined ? {} : { completedAt: toSeconds(r.completedAt) }),
        ...(r.comment === undefined ? {} : { comment: r.comment }),
      },
    };
  }
  if (
    event.kind === 'execution' &&
    settings.jobExecution &&
    event.operation &&
    EXECUTION_OPERATIONS.has(event.operation)
  ) {
    const e = event.execution;
    return {
      topic: `$aws/events/jobExecution/${e.jobId}/${event.operation}`,
      body: {
        eventType: 'JOB_EXECUTION',
        eventId: randomUUID(),
        timestamp,
        operation: event.operation,
        jobId: e.jobId,
        thingArn: thingArn(e.thingName),
        status: e.status,
        statusDetails: { ...e.statusDetails },
      },
    };
  }
  return undefined;
}
