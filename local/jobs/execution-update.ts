/**
 * Rules for a device's UpdateJobExecution, from the AWS IoT Jobs documentation:
 * - Statuses a device may set: IN_PROGRESS, SUCCEEDED, FAILED, REJECTED
 *   (https://docs.aws.amazon.com/iot/latest/apireference/API_iot-jobs-data_UpdateJobExecution.html).
 * - Transitions: QUEUED → IN_PROGRESS | SUCCEEDED | FAILED | REJECTED; IN_PROGRESS → IN_PROGRESS |
 *   SUCCEEDED | FAILED | REJECTED; nothing leaves a terminal state
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs-lifecycle.html).
 * - statusDetails: at most 10 name/value pairs; names 1–128 characters of `[a-zA-Z0-9:_-]`, values
 *   1–1024 characters without control characters (API_iot-jobs-data_UpdateJobExecution,
 *   "statusDetails"; https://docs.aws.amazon.com/iot/latest/developerguide/job-limits.html).
 * - stepTimeoutInMinutes: 1–10080, or -1 to cancel the current step timer.
 */
import { JobsError } from './jobs-error';
import {
  TERMINAL_EXECUTION_STATES,
  type JobExecutionRecord,
  type JobExecutionStatus,
} from './job-records';

export const MAX_STATUS_DETAILS = 10;
const DETAIL_KEY = /^[a-zA-Z0-9:_-]{1,128}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DEVICE_STATUSES: ReadonlySet<string> = new Set([
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
]);

/** Validated statusDetails (a plain string map), or an InvalidRequestException naming the key. */
export function parseStatusDetails(
  value: unknown,
  field = 'statusDetails',
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new JobsError('InvalidRequestException', `${field}: expected an object of string values`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_STATUS_DETAILS)
    throw new JobsError(
      'InvalidRequestException',
      `${field}: ${entries.length} entries, at most ${MAX_STATUS_DETAILS} are allowed`,
    );
  for (const [k, v] of entries) {
    if (!DETAIL_KEY.test(k))
      throw new JobsError(
        'InvalidRequestException',
        `${field}: key ${JSON.stringify(k)} must be 1-128 characters of [a-zA-Z0-9:_-]`,
      );
    if (typeof v !== 'string' || v.length === 0 || v.length > 1024 || CONTROL.test(v)) {
      throw new JobsError(
        'InvalidRequestException',
        `${field}.${k}: expected a string of 1-1024 characters without control characters`,
      );
    }
  }
  return value as Record<string, string>;
}

/** Validated stepTimeoutInMinutes (1–10080 or -1). */
export function parseStepTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    (value !== -1 && (value < 1 || value > 10_080))
  ) {
    throw new JobsError(
      'InvalidRequestException',
      `stepTimeoutInMinutes: expected an integer from 1 to 10080, or -1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The status a device asks for, checked against the set a device may report. */
export function parseDeviceStatus(value: unknown): JobExecutionStatus {
  if (typeof value !== 'string' || !DEVICE_STATUSES.has(value)) {
    throw new JobsError(
      'InvalidRequestException',
      `status: expected one of IN_PROGRESS, SUCCEEDED, FAILED, REJECTED, got ${JSON.stringify(value)}`,
    );
  }
  return value as JobExecutionStatus;
}

/** A non-negative integer (a JSON number, or digits from a query string), or undefined when absent. */
export function optionalCount(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new JobsError(
      'InvalidRequestException',
      `${field}: expected a non-negative integer, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** A device's UpdateJobExecution request (MQTT payload or HTTPS body), checked, for the engine. */
export function parseExecutionUpdate(body: Record<string, unknown>): {
  status: JobExecutionStatus;
  statusDetails?: Record<string, string>;
  expectedVersion?: number;
  executionNumber?: number;
  stepTimeoutInMinutes?: number;
} {
  return {
    status: parseDeviceStatus(body.status),
    statusDetails: parseStatusDetails(body.statusDetails),
    expectedVersion: optionalCount(body.expectedVersion, 'expectedVersion'),
    executionNumber: optionalCount(body.executionNumber, 'executionNumber'),
    stepTimeoutInMinutes: parseStepTimeout(body.stepTimeoutInMinutes),
  };
}

/** The execution state AWS includes with VersionMismatch and InvalidStateTransition errors. */
export function executionStateOf(execution: JobExecutionRecord): {
  status: string;
  statusDetails: Record<string, string>;
  versionNumber: number;
} {
  return {
    status: execution.status,
    statusDetails: { ...execution.statusDetails },
    versionNumber: execution.versionNumber,
  };
}

/** Throws InvalidStateTransitionException unless a device may move `execution` to `next`. */
export function checkDeviceTransition(
  execution: JobExecutionRecord,
  next: JobExecutionStatus,
): void {
  if (TERMINAL_EXECUTION_STATES.has(execution.status)) {
    throw new JobsError(
      'InvalidStateTransitionException',
      `job execution ${execution.jobId} on ${execution.thingName} is ${execution.status}, a terminal state; it cannot become ${next}`,
      executionStateOf(execution),
    );
  }
}
