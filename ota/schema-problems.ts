/**
 * Turns zod's validation issues into our `Problem`s: a field path written as a reader would
 * (`stages[1].abort[0].thresholdPercentage`) and a message that says what was expected.
 *
 * Schemas set their own message where the wording matters (`expected a positive integer`);
 * everything else gets the default wording of `defaultIssueMessage`, passed to zod as the
 * per-parse error map (zod v4 precedence: schema-level `error` first, then the per-parse one).
 */
import type { z } from 'zod';
import type { Problem } from './errors/problem';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['stages', 1, 'abort', 0, 'x']` → `stages[1].abort[0].x`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describeValue(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'string') return input.length > 40 ? 'a string' : JSON.stringify(input);
  if (typeof input === 'number')
    return Number.isFinite(input) ? String(input) : 'a non-finite number';
  if (typeof input === 'object') return 'an object';
  return typeof input;
}

function withArticle(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array' || expected === 'object' || expected === 'integer')
    return `an ${expected}`;
  return `a ${expected}`;
}

/**
 * Default wording for an issue that has no schema-level message. Used as zod's per-parse error
 * map: `schema.safeParse(value, { error: defaultIssueMessage })`.
 */
export function defaultIssueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `missing (expected ${withArticle(issue.expected)})`
        : `expected ${withArticle(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'too_small': {
      const min = String(issue.minimum);
      if (issue.origin === 'string')
        return `expected at least ${min} character${min === '1' ? '' : 's'}`;
      if (issue.origin === 'array') return `expected at least ${min} item${min === '1' ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? '≥' : '>'} ${min}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const max = String(issue.maximum);
      if (issue.origin === 'string') return `expected at most ${max} characters`;
      if (issue.origin === 'array') return `expected at most ${max} item${max === '1' ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? '≤' : '<'} ${max}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, got ${describeValue(issue.input)}`
        : `expected one of ${issue.values.map(v => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? 'a value of the documented form' : issue.format}`;
    case 'invalid_union':
      return 'does not match any of the allowed forms';
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`;
    default:
      return 'invalid value';
  }
}

/** Our problems for zod's issues; an unknown key becomes one problem at that key's own path. */
export function schemaProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ field: formatFieldPath([...issue.path, key]), message: 'unknown field' });
      }
    } else if (
      issue.code === 'invalid_union' &&
      issue.errors.length > 0 &&
      !('discriminator' in issue)
    ) {
      // Report the closest alternative (fewest problems) rather than "matches none".
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      problems.push(
        ...schemaProblems(closest.map(sub => ({ ...sub, path: [...issue.path, ...sub.path] }))),
      );
    } else {
      problems.push({ field: formatFieldPath(issue.path), message: issue.message });
    }
  }
  return problems;
}
