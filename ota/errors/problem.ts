/**
 * One thing wrong with a document or plan: where (`field`, a path such as
 * `stages[1].abort[0].thresholdPercentage`, empty for the whole document) and what (`message`,
 * which says what was expected).
 */
export interface Problem {
  readonly field: string;
  readonly message: string;
}

/** `field: message`, or just the message for the document as a whole. */
export function formatProblem(problem: Problem): string {
  return problem.field === '' ? problem.message : `${problem.field}: ${problem.message}`;
}

/** The first problem, and how many more there are: the message of a multi-problem error. */
export function summarizeProblems(what: string, problems: readonly Problem[]): string {
  const first = problems[0] === undefined ? 'no details' : formatProblem(problems[0]);
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
      : '';
  return `${what}: ${first}${more}`;
}
