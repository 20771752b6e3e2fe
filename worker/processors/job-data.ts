/**
 * Checks `job.data` against its schema: data that does not fit is a programming or operator
 * error no retry can fix, so it fails the job at once with every field named.
 */
import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import { OtaError } from '../../ota/errors/ota-error';

export function parseJobData<S extends z.ZodType>(
  schema: S,
  data: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues
      .map(i => `${i.path.join('.') || '(data)'}: ${i.message}`)
      .join('; ');
    throw new UnrecoverableError(`invalid ${what} job data: ${problems}`);
  }
  return result.data;
}

/** `ota/` errors are about the input (image, plan, version): they never get better on retry. */
export function unrecoverableIfOta(error: unknown): never {
  if (error instanceof OtaError) throw new UnrecoverableError(error.message);
  throw error;
}
