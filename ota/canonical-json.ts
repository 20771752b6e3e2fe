/**
 * Canonical JSON: the same value always gives the same bytes, so a release manifest hashes to the
 * same digest wherever and whenever it is serialized.
 *
 * Follows the JSON Canonicalization Scheme, RFC 8785 (https://www.rfc-editor.org/rfc/rfc8785):
 * - object members sorted by key, comparing UTF-16 code units (RFC 8785 §3.2.3; this is the order
 *   of JavaScript's default string comparison);
 * - no whitespace between tokens (§3.2.1);
 * - numbers in ECMAScript's shortest round-trip form, `-0` written as `0` (§3.2.2.3); NaN and
 *   infinities are not JSON and are refused;
 * - strings escaped as `JSON.stringify` does (§3.2.2.2).
 * Members whose value is `undefined` are left out (as `JSON.stringify` does), so an absent
 * optional field and an `undefined` one serialize alike. Anything that is not plain JSON data
 * (a Date, a Map, a Buffer, a bigint, a function, a cycle) is refused with its path.
 */
import { OtaErrorCode } from './errors/error-code';
import { OtaError } from './errors/ota-error';
import { formatFieldPath } from './schema-problems';

/** Deeper than any document of ours; stops runaway recursion on pathological input. */
const MAX_DEPTH = 64;

function refuse(path: PropertyKey[], what: string): never {
  const field = formatFieldPath(path);
  throw new OtaError(
    OtaErrorCode.DocumentInvalid,
    `cannot write canonical JSON: ${field === '' ? 'the value' : field} is ${what}`,
    { field },
  );
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function write(value: unknown, path: PropertyKey[], seen: Set<object>): string {
  if (path.length > MAX_DEPTH) refuse(path, `nested more than ${MAX_DEPTH} levels deep`);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${String(value)}, which JSON cannot represent`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) refuse(path, 'a reference to itself (a cycle)');
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value
          .map((item: unknown, i) => {
            if (item === undefined)
              refuse([...path, i], 'undefined, which JSON arrays cannot hold');
            return write(item, [...path, i], seen);
          })
          .join(',')}]`;
      } else if (isPlainObject(value)) {
        const keys = Object.keys(value)
          .filter(k => value[k] !== undefined)
          .sort();
        out = `{${keys.map(k => `${JSON.stringify(k)}:${write(value[k], [...path, k], seen)}`).join(',')}}`;
      } else {
        refuse(path, `a ${value.constructor?.name ?? 'non-plain'} object, not plain JSON data`);
      }
      seen.delete(value);
      return out;
    }
    default:
      return refuse(path, `a ${typeof value}, not JSON data`);
  }
}

/**
 * The canonical JSON text of `value` (RFC 8785).
 *
 * @throws OtaError (`DOCUMENT_INVALID`) naming the path of a value JSON cannot hold
 * @example canonicalJson({ b: 1, a: [true, 'x'] }) === '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, [], new Set());
}
