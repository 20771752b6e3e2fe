/**
 * The engine's view of one job (record, rollout state, counts, current executions) and the
 * events it reports. Shared by `jobs-engine.ts` and `execution-book.ts`.
 */
import type {
  JobExecutionRecord,
  JobExecutionStatus,
  JobProcessDetails,
  JobRecord,
  JobTemplateRecord,
} from './job-records';
import type { RolloutPacing } from './rollout-pacing';

/** Job event operations (https://docs.aws.amazon.com/iot/latest/developerguide/events-jobs.html). */
export type JobOperation = 'created' | 'completed' | 'canceled' | 'scheduled' | 'started';
/** Execution event operations (lower-case status names, as the event topics spell them). */
export type ExecutionOperation =
  | 'queued'
  | 'in_progress'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'timed_out'
  | 'removed'
  | 'canceled';

/** What changed; persistence and the MQTT layer listen. */
export type JobsEngineEvent =
  | { readonly kind: 'job'; readonly job: PersistedJob; readonly operation?: JobOperation }
  | {
      readonly kind: 'execution';
      readonly execution: JobExecutionRecord;
      readonly operation?: ExecutionOperation;
    }
  | { readonly kind: 'pending'; readonly thingName: string }
  | {
      /** DeleteJob: the job and these executions (current and earlier attempts) are gone. */
      readonly kind: 'jobDeleted';
      readonly jobId: string;
      readonly executions: readonly JobExecutionRecord[];
    }
  | { readonly kind: 'template'; readonly template: JobTemplateRecord }
  | { readonly kind: 'templateDeleted'; readonly jobTemplateId: string };

/** A job with its rollout state, as persisted. */
export interface PersistedJob {
  readonly record: JobRecord;
  readonly pendingTargets: string[];
  readonly pacing?: RolloutPacing;
  readonly endHandled?: boolean;
}

export interface JobState {
  record: JobRecord;
  pendingTargets: string[];
  pacing?: RolloutPacing;
  endHandled?: boolean;
  counts: JobProcessDetails;
  executions: Map<string, JobExecutionRecord>;
}

export const COUNT_FIELD: Record<JobExecutionStatus, keyof JobProcessDetails> = {
  QUEUED: 'numberOfQueuedThings',
  IN_PROGRESS: 'numberOfInProgressThings',
  SUCCEEDED: 'numberOfSucceededThings',
  FAILED: 'numberOfFailedThings',
  TIMED_OUT: 'numberOfTimedOutThings',
  REJECTED: 'numberOfRejectedThings',
  REMOVED: 'numberOfRemovedThings',
  CANCELED: 'numberOfCanceledThings',
};

export function zeroCounts(): JobProcessDetails {
  return {
    numberOfCanceledThings: 0,
    numberOfSucceededThings: 0,
    numberOfFailedThings: 0,
    numberOfRejectedThings: 0,
    numberOfQueuedThings: 0,
    numberOfInProgressThings: 0,
    numberOfRemovedThings: 0,
    numberOfTimedOutThings: 0,
  };
}
