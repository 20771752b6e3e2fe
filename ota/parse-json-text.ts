import type { Problem } from './errors/problem';

/**
 * `JSON.parse` that reports a syntax error as a `Problem` for the whole document instead of
 * throwing a bare `SyntaxError`. Non-string input is returned as it is (already parsed JSON).
 */
export function parseJsonText(input: unknown): { value: unknown } | { problem: Problem } {
  if (typeof input !== 'string') return { value: input };
  try {
    return { value: JSON.parse(input) as unknown };
  } catch (error) {
    return { problem: { field: '', message: `not valid JSON (${(error as Error).message})` } };
  }
}
