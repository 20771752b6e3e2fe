/**
 * Records of the local jobs engine, field names and wire strings as the AWS IoT API spells them
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_Job.html,
 * https://docs.aws.amazon.com/iot/latest/apireference/API_JobExecution.html). Times are epoch
 * milliseconds here; the HTTP and MQTT layers convert to AWS's epoch seconds.
 */

/** Job execution states (https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs-lifecycle.html). */
export const JOB_EXECUTION_STATUSES = [
  'QUEUED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
] as const;
export type JobExecutionStatus = (typeof JOB_EXECUTION_STATUSES)[number];

/** Job states (API_Job `status`). */
export type JobStatus =
  'IN_PROGRESS' | 'CANCELED' | 'COMPLETED' | 'DELETION_IN_PROGRESS' | 'SCHEDULED';

export type TargetSelection = 'SNAPSHOT' | 'CONTINUOUS';
export type JobFailureType = 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'ALL';

/** API_ExponentialRolloutRate. */
export interface ExponentialRolloutRate {
  readonly baseRatePerMinute: number;
  readonly incrementFactor: number;
  readonly rateIncreaseCriteria: {
    readonly numberOfNotifiedThings?: number;
    readonly numberOfSucceededThings?: number;
  };
}

/** API_JobExecutionsRolloutConfig. */
export interface JobExecutionsRolloutConfig {
  readonly maximumPerMinute?: number;
  readonly exponentialRate?: ExponentialRolloutRate;
}

/** API_AbortCriteria (action is always CANCEL). */
export interface AbortCriteria {
  readonly failureType: JobFailureType;
  readonly action: 'CANCEL';
  readonly thresholdPercentage: number;
  readonly minNumberOfExecutedThings: number;
}

/** API_RetryCriteria. */
export interface RetryCriteria {
  readonly failureType: 'FAILED' | 'TIMED_OUT' | 'ALL';
  readonly numberOfRetries: number;
}

/** API_MaintenanceWindow. */
export interface MaintenanceWindow {
  readonly startTime: string;
  readonly durationInMinutes: number;
}

/** API_SchedulingConfig. */
export interface SchedulingConfig {
  readonly startTime?: string;
  readonly endTime?: string;
  readonly endBehavior?: 'STOP_ROLLOUT' | 'CANCEL' | 'FORCE_CANCEL';
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
}

/** The job configuration shared by CreateJob and CreateJobTemplate. */
export interface JobConfig {
  readonly description?: string;
  readonly document?: string;
  readonly documentSource?: string;
  readonly presignedUrlConfig?: { readonly roleArn?: string; readonly expiresInSec?: number };
  readonly jobExecutionsRolloutConfig?: JobExecutionsRolloutConfig;
  readonly abortConfig?: { readonly criteriaList: readonly AbortCriteria[] };
  readonly timeoutConfig?: { readonly inProgressTimeoutInMinutes?: number };
  readonly jobExecutionsRetryConfig?: { readonly criteriaList: readonly RetryCriteria[] };
  readonly schedulingConfig?: SchedulingConfig;
}

/** The settings UpdateJob may change (API_UpdateJob); absent fields stay as they are. */
export type JobUpdate = Pick<
  JobConfig,
  | 'description'
  | 'presignedUrlConfig'
  | 'jobExecutionsRolloutConfig'
  | 'abortConfig'
  | 'timeoutConfig'
  | 'jobExecutionsRetryConfig'
>;

/** A validated CreateJob request. */
export interface CreateJobRequest extends JobConfig {
  readonly jobId: string;
  readonly targets: readonly string[];
  readonly targetSelection: TargetSelection;
  readonly jobTemplateArn?: string;
  readonly tags?: readonly { readonly Key: string; readonly Value?: string }[];
}

/** API_JobProcessDetails. */
export interface JobProcessDetails {
  numberOfCanceledThings: number;
  numberOfSucceededThings: number;
  numberOfFailedThings: number;
  numberOfRejectedThings: number;
  numberOfQueuedThings: number;
  numberOfInProgressThings: number;
  numberOfRemovedThings: number;
  numberOfTimedOutThings: number;
}

/** A job as the engine keeps it. `document` is the resolved document text. */
export interface JobRecord extends CreateJobRequest {
  readonly jobArn: string;
  status: JobStatus;
  forceCanceled?: boolean;
  reasonCode?: string;
  comment?: string;
  readonly createdAt: number;
  lastUpdatedAt: number;
  completedAt?: number;
  /** The request as sent (for CreateJob idempotence). */
  readonly requestFingerprint: string;
}

/** A job template (API_DescribeJobTemplate). */
export interface JobTemplateRecord extends JobConfig {
  readonly jobTemplateId: string;
  readonly jobTemplateArn: string;
  readonly createdAt: number;
}

/** One execution of a job on one thing. */
export interface JobExecutionRecord {
  readonly jobId: string;
  readonly thingName: string;
  status: JobExecutionStatus;
  forceCanceled?: boolean;
  statusDetails: Record<string, string>;
  readonly queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  readonly executionNumber: number;
  versionNumber: number;
  /** Retry attempt this execution is (0 = first try). */
  readonly retryAttempt: number;
  /** When an IN_PROGRESS execution times out (in-progress timer), epoch ms. */
  inProgressDeadline?: number;
  /** When the step timer set by the device expires, epoch ms. */
  stepDeadline?: number;
}

/** Terminal execution states: no further update is accepted. */
export const TERMINAL_EXECUTION_STATES: ReadonlySet<JobExecutionStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
]);

/** Pending states: the execution is on the thing's list of pending jobs. */
export function isPending(status: JobExecutionStatus): boolean {
  return status === 'QUEUED' || status === 'IN_PROGRESS';
}
