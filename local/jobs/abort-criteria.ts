/**
 * Abort criteria as AWS IoT Jobs evaluates them (API_AbortCriteria; "Job abort configuration" in
 * https://docs.aws.amazon.com/iot/latest/developerguide/jobs-configurations-details.html): once at
 * least `minNumberOfExecutedThings` things have finished their execution (a terminal outcome:
 * SUCCEEDED, FAILED, REJECTED or TIMED_OUT), the job is canceled when the executions that ended
 * with `failureType` (ALL = FAILED + REJECTED + TIMED_OUT) reach `thresholdPercentage` of them.
 */
import type { AbortCriteria, JobProcessDetails } from './job-records';

/** Failures of one type among the counts. */
function failuresOf(type: AbortCriteria['failureType'], c: JobProcessDetails): number {
  switch (type) {
    case 'FAILED':
      return c.numberOfFailedThings;
    case 'REJECTED':
      return c.numberOfRejectedThings;
    case 'TIMED_OUT':
      return c.numberOfTimedOutThings;
    case 'ALL':
      return c.numberOfFailedThings + c.numberOfRejectedThings + c.numberOfTimedOutThings;
  }
}

/** The first criterion met by `counts`, or undefined. */
export function abortCriterionMet(
  criteria: readonly AbortCriteria[] | undefined,
  counts: JobProcessDetails,
): AbortCriteria | undefined {
  if (!criteria) return undefined;
  const executed =
    counts.numberOfSucceededThings +
    counts.numberOfFailedThings +
    counts.numberOfRejectedThings +
    counts.numberOfTimedOutThings;
  return criteria.find(
    c =>
      executed >= c.minNumberOfExecutedThings &&
      executed > 0 &&
      (failuresOf(c.failureType, counts) * 100) / executed >= c.thresholdPercentage,
  );
}
