/**
 * Evaluates a parsed fleet-indexing query against one thing's index document. Pure.
 * Values: a term matches when any value at the field path equals it (numbers numerically,
 * booleans as `true`/`false`, strings exactly or by `*`/`?` wildcard); arrays (e.g.
 * `thingGroupNames`) match on any element. Ranges compare numerically when both sides are numbers,
 * otherwise as strings (query-syntax.html).
 */
import type { IndexQuery } from './index-query';

/** A thing as the index sees it. */
export interface ThingIndexDocument {
  readonly thingName: string;
  readonly thingId: string;
  readonly thingTypeName?: string;
  readonly thingGroupNames: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  /** Classic shadow (`{reported, desired}`), when indexed. */
  readonly shadow?: {
    readonly reported?: unknown;
    readonly desired?: unknown;
    readonly name?: Record<string, unknown>;
  };
  readonly connectivity?: {
    readonly connected: boolean;
    readonly timestamp: number;
    readonly disconnectReason?: string;
  };
  readonly registry?: { readonly version: number };
}

/** Leaf values at a dotted path (arrays fan out). */
export function valuesAt(doc: unknown, field: string): unknown[] {
  let current: unknown[] = [doc];
  for (const part of field.split('.')) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v && typeof v === 'object' && !Array.isArray(v) && part in v) {
        const child = (v as Record<string, unknown>)[part];
        if (Array.isArray(child)) next.push(...child);
        else if (child !== undefined) next.push(child);
      }
    }
    current = next;
  }
  return current.filter(v => v === null || typeof v !== 'object');
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    globCache.set(pattern, re);
  }
  return re;
}

const numeric = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

function termMatches(value: unknown, wanted: string): boolean {
  if (typeof value === 'number')
    return numeric(wanted)
      ? value === Number(wanted)
      : wanted.includes('*') || wanted.includes('?')
        ? glob(wanted).test(String(value))
        : false;
  const text = String(value);
  return wanted.includes('*') || wanted.includes('?') ? glob(wanted).test(text) : text === wanted;
}

function compare(value: unknown, bound: string): number {
  if (typeof value === 'number' && numeric(bound)) return value - Number(bound);
  const text = String(value);
  return text < bound ? -1 : text > bound ? 1 : 0;
}

/** Whether `doc` matches `query`. */
export function evaluateIndexQuery(query: IndexQuery, doc: ThingIndexDocument): boolean {
  switch (query.kind) {
    case 'and':
      return evaluateIndexQuery(query.left, doc) && evaluateIndexQuery(query.right, doc);
    case 'or':
      return evaluateIndexQuery(query.left, doc) || evaluateIndexQuery(query.right, doc);
    case 'not':
      return !evaluateIndexQuery(query.operand, doc);
    case 'term':
      return valuesAt(doc, query.field).some(v => v !== null && termMatches(v, query.value));
    case 'range':
      return valuesAt(doc, query.field).some(v => {
        if (v === null || typeof v === 'boolean') return false;
        if (query.low !== undefined) {
          const c = compare(v, query.low);
          if (c < 0 || (c === 0 && !query.lowInclusive)) return false;
        }
        if (query.high !== undefined) {
          const c = compare(v, query.high);
          if (c > 0 || (c === 0 && !query.highInclusive)) return false;
        }
        return true;
      });
  }
}
