import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';
import { summarizeProblems, type Problem } from './problem';

/**
 * A release manifest or OTA job document that does not match its schema. `problems` lists every
 * problem found (not only the first), each with its field path; `field` is the first one's.
 *
 * @example `invalid job document: firmware.size: expected a positive integer`
 */
export class DocumentInvalidError extends OtaError {
  readonly problems: readonly Problem[];

  constructor(what: string, problems: readonly Problem[]) {
    super(OtaErrorCode.DocumentInvalid, summarizeProblems(`invalid ${what}`, problems), {
      field: problems[0]?.field,
    });
    this.problems = problems;
  }
}
