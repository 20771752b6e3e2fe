import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';
import { summarizeProblems, type Problem } from './problem';

/**
 * A rollout plan that does not match its schema, breaks an AWS IoT Jobs limit, or refers to
 * stages that do not exist. `problems` lists every problem found, each with its field path.
 *
 * @example `invalid rollout plan: stages[1].abort[0].thresholdPercentage: expected a number from 0 to 100`
 */
export class PlanInvalidError extends OtaError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(OtaErrorCode.PlanInvalid, summarizeProblems('invalid rollout plan', problems), {
      field: problems[0]?.field,
    });
    this.problems = problems;
  }
}
