/**
 * Jobs records in the shapes AWS puts on the wire (times in epoch seconds):
 * - MQTT jobs API (`JobExecution`, `JobExecutionSummary`, `JobExecutionState`):
 *   https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html and jobs-api.html;
 * - HTTPS jobs data plane (API_iot-jobs-data_JobExecution, jobDocument as a string);
 * - control plane (API_Job, API_JobExecution, API_JobExecutionSummaryForJob).
 */
import type {
  JobExecutionRecord,
  JobProcessDetails,
  JobRecord,
  JobTemplateRecord,
} from './job-records';

/** Epoch milliseconds → AWS's epoch seconds (fractional, as the SDKs parse them). */
export const toSeconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : ms / 1000;
/** Whole epoch seconds, as the MQTT jobs API sends them. */
const wholeSeconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.floor(ms / 1000);

/** Drops undefined fields in place (on the hot path of every execution: no copies). */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const key in o) if (o[key] === undefined) delete o[key];
  return o;
}

/** MQTT `JobExecutionSummary`. */
export function mqttSummary(e: JobExecutionRecord): Record<string, unknown> {
  return compact({
    jobId: e.jobId,
    queuedAt: wholeSeconds(e.queuedAt),
    startedAt: wholeSeconds(e.startedAt),
    lastUpdatedAt: wholeSeconds(e.lastUpdatedAt),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  });
}

/** MQTT `JobExecution` (jobDocument as a JSON object). */
export function mqttExecution(
  e: JobExecutionRecord,
  jobDocument?: unknown,
): Record<string, unknown> {
  return compact({
    jobId: e.jobId,
    thingName: e.thingName,
    jobDocument,
    status: e.status,
    statusDetails: { ...e.statusDetails },
    queuedAt: wholeSeconds(e.queuedAt),
    startedAt: wholeSeconds(e.startedAt),
    lastUpdatedAt: wholeSeconds(e.lastUpdatedAt),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  });
}

/** `JobExecutionState`. */
export function executionState(e: JobExecutionRecord): Record<string, unknown> {
  return {
    status: e.status,
    statusDetails: { ...e.statusDetails },
    versionNumber: e.versionNumber,
  };
}

function secondsBeforeTimeout(e: JobExecutionRecord, nowMs: number): number | undefined {
  const due = Math.min(e.inProgressDeadline ?? Infinity, e.stepDeadline ?? Infinity);
  return Number.isFinite(due) ? Math.max(0, Math.round((due - nowMs) / 1000)) : undefined;
}

/** HTTPS jobs data plane `JobExecution` (jobDocument as a string). */
export function dataPlaneExecution(
  e: JobExecutionRecord,
  nowMs: number,
  jobDocument?: string,
): Record<string, unknown> {
  return compact({
    ...mqttExecution(e),
    jobDocument,
    approximateSecondsBeforeTimedOut: secondsBeforeTimeout(e, nowMs),
  });
}

/** Control plane `JobExecution` (DescribeJobExecution). */
export function controlPlaneExecution(
  e: JobExecutionRecord,
  thingArn: string,
  nowMs: number,
): Record<string, unknown> {
  return compact({
    jobId: e.jobId,
    status: e.status,
    forceCanceled: e.forceCanceled,
    statusDetails: { detailsMap: { ...e.statusDetails } },
    thingArn,
    queuedAt: toSeconds(e.queuedAt),
    startedAt: toSeconds(e.startedAt),
    lastUpdatedAt: toSeconds(e.lastUpdatedAt),
    executionNumber: e.executionNumber,
    versionNumber: e.versionNumber,
    approximateSecondsBeforeTimedOut: secondsBeforeTimeout(e, nowMs),
  });
}

/** Control plane `JobExecutionSummary` (ListJobExecutionsForJob / ForThing). */
export function controlPlaneExecutionSummary(e: JobExecutionRecord): Record<string, unknown> {
  return compact({
    status: e.status,
    queuedAt: toSeconds(e.queuedAt),
    startedAt: toSeconds(e.startedAt),
    lastUpdatedAt: toSeconds(e.lastUpdatedAt),
    executionNumber: e.executionNumber,
    retryAttempt: e.retryAttempt,
  });
}

/** Control plane `Job` (DescribeJob). */
export function controlPlaneJob(
  job: JobRecord,
  details: JobProcessDetails & { processingTargets: string[] },
): Record<string, unknown> {
  return compact({
    jobArn: job.jobArn,
    jobId: job.jobId,
    targetSelection: job.targetSelection,
    status: job.status,
    forceCanceled: job.forceCanceled,
    reasonCode: job.reasonCode,
    comment: job.comment,
    targets: [...job.targets],
    description: job.description,
    presignedUrlConfig: job.presignedUrlConfig,
    jobExecutionsRolloutConfig: job.jobExecutionsRolloutConfig,
    abortConfig: job.abortConfig,
    createdAt: toSeconds(job.createdAt),
    lastUpdatedAt: toSeconds(job.lastUpdatedAt),
    completedAt: toSeconds(job.completedAt),
    jobProcessDetails: details,
    timeoutConfig: job.timeoutConfig,
    jobTemplateArn: job.jobTemplateArn,
    jobExecutionsRetryConfig: job.jobExecutionsRetryConfig,
    schedulingConfig: job.schedulingConfig,
    isConcurrent: false,
  });
}

/** Control plane `JobSummary` (ListJobs). */
export function controlPlaneJobSummary(job: JobRecord): Record<string, unknown> {
  return compact({
    jobArn: job.jobArn,
    jobId: job.jobId,
    targetSelection: job.targetSelection,
    status: job.status,
    createdAt: toSeconds(job.createdAt),
    lastUpdatedAt: toSeconds(job.lastUpdatedAt),
    completedAt: toSeconds(job.completedAt),
    isConcurrent: false,
  });
}

/** DescribeJobTemplate. */
export function controlPlaneJobTemplate(t: JobTemplateRecord): Record<string, unknown> {
  const { createdAt, ...rest } = t;
  return compact({ ...rest, createdAt: toSeconds(createdAt) });
}
