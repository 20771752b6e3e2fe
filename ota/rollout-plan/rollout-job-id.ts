/**
 * The AWS IoT job id of a stage of a release: `<release id>-<stage name>`. Deterministic, so a
 * dispatch retried after a crash asks CreateJob for the same id and gets
 * `ResourceAlreadyExistsException` instead of creating a second job. Fits AWS's job id rules
 * (1–64 characters of `[a-zA-Z0-9_-]`, API_CreateJob "jobId") because release ids are at most 42
 * characters and stage names at most 21.
 */
import { OtaErrorCode } from '../errors/error-code';
import { OtaError } from '../errors/ota-error';
import { AWS_JOB_LIMITS } from './aws-job-limits';

/** @throws OtaError (`PLAN_INVALID`) if the result would break AWS's job id rules */
export function rolloutJobId(releaseId: string, stageName: string): string {
  const jobId = `${releaseId}-${stageName}`;
  if (jobId.length > AWS_JOB_LIMITS.jobIdMax || !AWS_JOB_LIMITS.jobIdPattern.test(jobId)) {
    throw new OtaError(
      OtaErrorCode.PlanInvalid,
      `job id "${jobId}" breaks AWS's rules (1–${AWS_JOB_LIMITS.jobIdMax} characters of a-z A-Z 0-9 _ -)`,
      { field: 'jobId' },
    );
  }
  return jobId;
}
