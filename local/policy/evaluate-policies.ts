/**
 * The IoT policy evaluator: pure, no I/O. Given the policies attached to a principal and one
 * request (action, resource ARN, connection context) it answers Allow, explicit Deny or implicit
 * Deny, the way AWS IoT Core does:
 * - default deny; an Allow statement that matches grants; any matching Deny wins over every Allow
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html);
 * - `*` matches any run of characters (including `/`) and `?` exactly one, in actions and resources;
 *   MQTT's `+` and `#` are ordinary characters in a policy resource
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html);
 * - policy variables (`${iot:ClientId}`, `${iot:Connection.Thing.ThingName}`, ...) are replaced by
 *   the connection's values *as literal text* — a client id containing `*` is not a wildcard — and a
 *   variable with no value makes that resource entry match nothing
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html);
 * - conditions: every operator block must hold (AND), any of a key's values may match (OR).
 */
import type { PolicyCondition, PolicyDocument, PolicyStatement } from './policy-document';

/** The MQTT actions the broker asks about. */
export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

/**
 * Values known about the connection, by condition key / variable name (e.g. `iot:ClientId`,
 * `iot:Connection.Thing.ThingName`, `iot:Connection.Thing.IsAttached`,
 * `iot:Connection.Thing.Attributes[serial]`). Absent keys are "no value".
 */
export type PolicyContext = Readonly<Record<string, string | undefined>>;

/** One authorization question. */
export interface PolicyRequest {
  readonly action: IotAction;
  /** Full ARN, e.g. `arn:aws:iot:eu-west-1:123456789012:topic/dt/t1/telemetry`. */
  readonly resource: string;
  readonly context: PolicyContext;
}

/** The answer, with the deciding statement for logs and tests. */
export interface PolicyDecision {
  readonly effect: 'Allow' | 'Deny';
  /** `explicit` when a Deny statement matched, `implicit` when nothing allowed. */
  readonly reason: 'allowed' | 'explicit' | 'implicit';
  readonly policyName?: string;
  readonly statementIndex?: number;
}

/** A policy as the evaluator sees it: its name and parsed document. */
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

type Token = { kind: 'lit'; text: string } | { kind: 'star' } | { kind: 'one' } | { kind: 'var'; name: string };

const patternCache = new Map<string, readonly Token[]>();

/** Splits a policy string into literal text, `*`, `?` and `${variable}` tokens (cached). */
function tokenize(pattern: string): readonly Token[] {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  const tokens: Token[] = [];
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end > 0) {
        if (lit) tokens.push({ kind: 'lit', text: lit });
        lit = '';
        tokens.push({ kind: 'var', name: pattern.slice(i + 2, end).trim() });
        i = end;
        continue;
      }
    }
    if (c === '*' || c === '?') {
      if (lit) tokens.push({ kind: 'lit', text: lit });
      lit = '';
      tokens.push({ kind: c === '*' ? 'star' : 'one' });
      continue;
    }
    lit += c;
  }
  if (lit) tokens.push({ kind: 'lit', text: lit });
  if (patternCache.size > 10_000) patternCache.clear();
  patternCache.set(pattern, tokens);
  return tokens;
}

function lookup(context: PolicyContext, name: string): string | undefined {
  if (name in context) return context[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(context)) if (key.toLowerCase() === lower) return context[key];
  return undefined;
}

const regexCache = new Map<string, RegExp>();
/** Bound on cached matchers (one per distinct resolved pattern, e.g. per thing name). */
const MAX_CACHED_MATCHERS = 50_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A pattern prepared once: its literal prefix (cheap rejection) and regex source parts. */
interface CompiledPattern {
  readonly prefix: string;
  /** Escaped regex source pieces; `{ variable }` entries are substituted per connection. */
  readonly parts: readonly (string | { readonly variable: string })[];
  readonly hasVariables: boolean;
}

const compiledCache = new Map<string, CompiledPattern>();

function compile(pattern: string): CompiledPattern {
  let compiled = compiledCache.get(pattern);
  if (compiled) return compiled;
  const tokens = tokenize(pattern);
  const parts: (string | { variable: string })[] = [];
  let prefix = '';
  let prefixOpen = true;
  for (const token of tokens) {
    if (token.kind === 'lit') {
      parts.push(escapeRegExp(token.text));
      if (prefixOpen) prefix += token.text;
    } else {
      prefixOpen = false;
      parts.push(token.kind === 'star' ? '[\\s\\S]*' : token.kind === 'one' ? '[\\s\\S]' : { variable: token.name });
    }
  }
  compiled = { prefix, parts, hasVariables: parts.some(p => typeof p !== 'string') };
  if (compiledCache.size >= MAX_CACHED_MATCHERS) compiledCache.clear();
  compiledCache.set(pattern, compiled);
  return compiled;
}

/** True when the policy string (with wildcards and variables) matches `value`. */
export function policyPatternMatches(pattern: string, value: string, context: PolicyContext, caseless = false): boolean {
  const compiled = compile(pattern);
  if (!caseless && !value.startsWith(compiled.prefix)) return false;
  let src = '';
  for (const part of compiled.parts) {
    if (typeof part === 'string') src += part;
    else {
      const v = lookup(context, part.variable);
      if (v === undefined) return false; // a variable without a value matches nothing
      src += escapeRegExp(v);
    }
  }
  const key = caseless ? `i:${src}` : `s:${src}`;
  let re = regexCache.get(key);
  if (!re) {
    if (regexCache.size >= MAX_CACHED_MATCHERS) regexCache.clear();
    re = new RegExp(`^${src}$`, caseless ? 'i' : '');
    regexCache.set(key, re);
  }
  return re.test(value);
}

function anyMatches(patterns: readonly string[], value: string, context: PolicyContext, caseless: boolean): boolean {
  return patterns.some(p => policyPatternMatches(p, value, context, caseless));
}

function substitute(value: string, context: PolicyContext): string | undefined {
  let out = '';
  for (const token of tokenize(value)) {
    if (token.kind === 'lit') out += token.text;
    else if (token.kind === 'star') out += '*';
    else if (token.kind === 'one') out += '?';
    else {
      const v = lookup(context, token.name);
      if (v === undefined) return undefined;
      out += v;
    }
  }
  return out;
}

function conditionHolds(condition: PolicyCondition, context: PolicyContext): boolean {
  const actual = lookup(context, condition.key);
  if (condition.operator === 'Null') {
    const wantsAbsent = condition.values.some(v => v.toLowerCase() === 'true');
    return wantsAbsent ? actual === undefined : actual !== undefined;
  }
  const negated = condition.operator.includes('Not');
  if (actual === undefined) return condition.ifExists || negated;
  const test = (expected: string): boolean => {
    switch (condition.operator) {
      case 'StringEquals':
      case 'StringNotEquals':
      case 'ArnEquals':
      case 'ArnNotEquals':
        return substitute(expected, context) === actual;
      case 'StringEqualsIgnoreCase':
      case 'StringNotEqualsIgnoreCase':
        return substitute(expected, context)?.toLowerCase() === actual.toLowerCase();
      case 'StringLike':
      case 'StringNotLike':
      case 'ArnLike':
      case 'ArnNotLike':
        return policyPatternMatches(expected, actual, context);
      case 'Bool':
        return expected.toLowerCase() === actual.toLowerCase();
      default:
        return false;
    }
  };
  const anyEqual = condition.values.some(test);
  return negated ? !anyEqual : anyEqual;
}

function statementApplies(statement: PolicyStatement, request: PolicyRequest): boolean {
  const { action, resource, context } = request;
  if (statement.actions && !anyMatches(statement.actions, action, context, true)) return false;
  if (statement.notActions && anyMatches(statement.notActions, action, context, true)) return false;
  if (statement.resources && !anyMatches(statement.resources, resource, context, false)) return false;
  if (statement.notResources && anyMatches(statement.notResources, resource, context, false)) return false;
  return statement.conditions.every(c => conditionHolds(c, context));
}

/**
 * Evaluates `request` against every statement of every policy.
 * @returns Deny (explicit) if any Deny statement applies, else Allow if any Allow applies, else Deny (implicit)
 */
export function evaluatePolicies(policies: readonly NamedPolicy[], request: PolicyRequest): PolicyDecision {
  let allow: PolicyDecision | undefined;
  for (const policy of policies) {
    const statements = policy.document.statements;
    for (let index = 0; index < statements.length; index++) {
      const statement = statements[index];
      if (!statementApplies(statement, request)) continue;
      if (statement.effect === 'Deny') return { effect: 'Deny', reason: 'explicit', policyName: policy.name, statementIndex: index };
      allow ??= { effect: 'Allow', reason: 'allowed', policyName: policy.name, statementIndex: index };
    }
  }
  return allow ?? { effect: 'Deny', reason: 'implicit' };
}
