/**
 * Parser for the fleet indexing query syntax subset the platform uses
 * (https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html):
 * `field:value` terms (quoted values, `*` and `?` wildcards), ranges `field:[a TO b]` (inclusive),
 * `field:{a TO b}` (exclusive), `*` as an open end, comparisons `field>n`, `field>=n`, `field<n`,
 * `field<=n`, `AND`, `OR`, `NOT`, implicit AND between terms, and parentheses. Fields are
 * `thingName`, `thingId`, `thingTypeName`, `thingGroupNames`, `attributes.*`, `shadow.reported.*`,
 * `shadow.desired.*`, `shadow.name.<name>.reported.*`, `connectivity.*`, `registry.version`.
 * Pure; errors are InvalidQueryException naming the position.
 */
import { JobsError } from '../jobs/jobs-error';

export type IndexQuery =
  | { readonly kind: 'and' | 'or'; readonly left: IndexQuery; readonly right: IndexQuery }
  | { readonly kind: 'not'; readonly operand: IndexQuery }
  | { readonly kind: 'term'; readonly field: string; readonly value: string }
  | {
      readonly kind: 'range';
      readonly field: string;
      readonly low?: string;
      readonly high?: string;
      readonly lowInclusive: boolean;
      readonly highInclusive: boolean;
    };

type Token = {
  readonly text: string;
  readonly at: number;
  readonly kind: 'word' | 'lparen' | 'rparen';
};

function invalid(message: string): JobsError {
  return new JobsError('InvalidQueryException', `Syntax error in query string: ${message}`);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ text: c, at: i, kind: c === '(' ? 'lparen' : 'rparen' });
      i++;
      continue;
    }
    const start = i;
    let text = '';
    while (i < query.length && !/\s/.test(query[i]) && query[i] !== '(' && query[i] !== ')') {
      const ch = query[i];
      if (ch === '"') {
        let end = i + 1;
        while (end < query.length && query[end] !== '"') end += query[end] === '\\' ? 2 : 1;
        if (end >= query.length) throw invalid(`unterminated quote at position ${i}`);
        text += query.slice(i, end + 1);
        i = end + 1;
      } else if ((ch === '[' || ch === '{') && text.endsWith(':')) {
        const close = query.slice(i).search(/[\]}]/);
        if (close < 0) throw invalid(`unterminated range at position ${i}`);
        text += query.slice(i, i + close + 1);
        i += close + 1;
      } else if (ch === '\\' && i + 1 < query.length) {
        text += query.slice(i, i + 2);
        i += 2;
      } else {
        text += ch;
        i++;
      }
    }
    tokens.push({ text, at: start, kind: 'word' });
  }
  return tokens;
}

function unquote(value: string): string {
  const inner =
    value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  return inner.replace(/\\(.)/g, '$1');
}

function parseTerm(token: Token): IndexQuery {
  const cmp = /^([A-Za-z0-9_.:@$-]+?)(>=|<=|>|<)(.+)$/.exec(token.text);
  if (cmp && !token.text.slice(0, cmp[1].length + 1).includes(':')) {
    const [, field, op, raw] = cmp;
    const value = unquote(raw);
    if (op === '>' || op === '>=')
      return { kind: 'range', field, low: value, lowInclusive: op === '>=', highInclusive: true };
    return { kind: 'range', field, high: value, lowInclusive: true, highInclusive: op === '<=' };
  }
  const colon = token.text.indexOf(':');
  if (colon <= 0 || colon === token.text.length - 1)
    throw invalid(`expected field:value at position ${token.at}, got "${token.text}"`);
  const field = token.text.slice(0, colon);
  const raw = token.text.slice(colon + 1);
  const range = /^([[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$/.exec(raw);
  if (range) {
    const low = unquote(range[2]);
    const high = unquote(range[3]);
    return {
      kind: 'range',
      field,
      low: low === '*' ? undefined : low,
      high: high === '*' ? undefined : high,
      lowInclusive: range[1] === '[',
      highInclusive: range[4] === ']',
    };
  }
  if (raw.startsWith('[') || raw.startsWith('{'))
    throw invalid(`expected a range like [a TO b] at position ${token.at + colon + 1}`);
  return { kind: 'term', field, value: unquote(raw) };
}

/** Parses a query string (see the file header). */
export function parseIndexQuery(query: string): IndexQuery {
  if (query.trim() === '') throw invalid('the query string is empty');
  const tokens = tokenize(query);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (t: Token | undefined, op: string): boolean => t?.kind === 'word' && t.text === op;

  function or(): IndexQuery {
    let left = and();
    while (isOp(peek(), 'OR')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }
  function and(): IndexQuery {
    let left = not();
    for (;;) {
      const t = peek();
      if (!t || t.kind === 'rparen' || isOp(t, 'OR')) return left;
      if (isOp(t, 'AND')) pos++;
      left = { kind: 'and', left, right: not() };
    }
  }
  function not(): IndexQuery {
    if (isOp(peek(), 'NOT')) {
      pos++;
      return { kind: 'not', operand: not() };
    }
    return primary();
  }
  function primary(): IndexQuery {
    const t = tokens[pos++];
    if (!t) throw invalid('unexpected end of query');
    if (t.kind === 'lparen') {
      const inner = or();
      if (tokens[pos]?.kind !== 'rparen') throw invalid(`missing ) for ( at position ${t.at}`);
      pos++;
      return inner;
    }
    if (t.kind === 'rparen') throw invalid(`unexpected ) at position ${t.at}`);
    if (t.text === 'AND' || t.text === 'OR')
      throw invalid(`unexpected ${t.text} at position ${t.at}`);
    return parseTerm(t);
  }

  const result = or();
  if (pos < tokens.length)
    throw invalid(`unexpected "${tokens[pos].text}" at position ${tokens[pos].at}`);
  return result;
}

/** Every field a query names (to check them against the index configuration). */
export function queryFields(query: IndexQuery): string[] {
  switch (query.kind) {
    case 'and':
    case 'or':
      return [...queryFields(query.left), ...queryFields(query.right)];
    case 'not':
      return queryFields(query.operand);
    default:
      return [query.field];
  }
}
