/**
 * Which AWS errors a retry can fix. Throttling, 5xx and network errors: yes — rethrown as they are,
 * so BullMQ retries the job with exponential backoff. A 4xx (validation, not found, access denied):
 * no — it becomes an `UnrecoverableError` carrying AWS's own message, so the job fails at once
 * (BullMQ `docs/gitbook/patterns/stop-retrying-jobs.md`).
 */
import { UnrecoverableError } from 'bullmq';

/** What the SDK v3 puts on a service exception. */
interface ServiceErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Error names AWS uses for throttling (SDK `@smithy/service-error-classification`). */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'LimitExceededException',
]);

/** The error's name, e.g. `ResourceAlreadyExistsException`, or undefined if not an AWS error. */
export function awsErrorName(error: unknown): string | undefined {
  const e = error as ServiceErrorShape;
  return e && typeof e === 'object' && e.$metadata !== undefined ? e.name : undefined;
}

/** True for errors a later attempt may not hit again. */
export function isRetryableAwsError(error: unknown): boolean {
  const e = error as ServiceErrorShape;
  if (!e || typeof e !== 'object' || e.$metadata === undefined) return true; // network, timeouts
  const status = e.$metadata.httpStatusCode;
  if (
    e.$retryable?.throttling ||
    (e.name !== undefined && THROTTLING.has(e.name)) ||
    status === 429
  )
    return true;
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return true;
  return status === undefined;
}

/**
 * Rethrows `error` as it is if retrying may help, else as an `UnrecoverableError`:
 * `CreateJob: InvalidRequestException: <AWS message>`.
 */
export function rethrowAws(operation: string, error: unknown): never {
  if (isRetryableAwsError(error)) throw error;
  const e = error as ServiceErrorShape;
  throw new UnrecoverableError(`${operation}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`);
}
