/**
 * The part of a bucket policy that applies on one machine: explicit `Deny` statements whose
 * conditions we can evaluate (`Bool` on `aws:SecureTransport`, as the stack's TLS-only policy
 * uses). `Allow` statements add nothing here: the local credentials act as the account owner,
 * whom IAM already allows. Deny statements with principals or condition keys that have no local
 * meaning are reported once by {@link unevaluatedStatements} and not enforced.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */

/** What a request does, in IAM terms. */
export interface PolicyRequest {
  /** `s3:GetObject`, `s3:ListBucket` … */
  readonly action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  readonly resource: string;
  /** True when the request arrived over TLS (or a transport we count as such, see s3-server). */
  readonly secureTransport: boolean;
}

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** IAM wildcard match: `*` any run, `?` one character. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

function anyonePrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object' && 'AWS' in principal) {
    return list((principal as { AWS: string | string[] }).AWS).includes('*');
  }
  return false;
}

/** True when every condition of the statement is one we evaluate. */
function evaluable(statement: Statement): boolean {
  return Object.entries(statement.Condition ?? {}).every(
    ([operator, block]) =>
      operator === 'Bool' && Object.keys(block).every(key => key === 'aws:SecureTransport'),
  );
}

function conditionsHold(statement: Statement, request: PolicyRequest): boolean {
  const block = statement.Condition?.Bool ?? {};
  return Object.values(block).every(expected =>
    list(expected as string | string[]).some(
      v => String(v).toLowerCase() === String(request.secureTransport),
    ),
  );
}

function statements(policyJson: string): Statement[] {
  const doc = JSON.parse(policyJson) as { Statement?: Statement | Statement[] };
  const s = doc.Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

/** The Sid (or index) of the first Deny statement that refuses the request, or undefined. */
export function deniedBy(policyJson: string, request: PolicyRequest): string | undefined {
  const all = statements(policyJson);
  for (const [index, statement] of all.entries()) {
    if (
      statement.Effect !== 'Deny' ||
      !anyonePrincipal(statement.Principal) ||
      !evaluable(statement)
    )
      continue;
    if (!list(statement.Action).some(a => wildcard(a, request.action, true))) continue;
    if (!list(statement.Resource).some(r => wildcard(r, request.resource, false))) continue;
    if (conditionsHold(statement, request)) return statement.Sid ?? `Statement[${index}]`;
  }
  return undefined;
}

/** Deny statements we cannot evaluate locally, to list once at apply time. */
export function unevaluatedStatements(policyJson: string): string[] {
  return statements(policyJson)
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.Effect === 'Deny' && (!anyonePrincipal(s.Principal) || !evaluable(s)))
    .map(({ s, i }) => s.Sid ?? `Statement[${i}]`);
}
