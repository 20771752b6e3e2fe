/**
 * IoT policy documents: parsing and validation. The grammar is IAM's (Version, Statement[], Effect,
 * Action/NotAction, Resource/NotResource, Condition), restricted to what AWS IoT Core evaluates for
 * MQTT (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html). A document we
 * cannot evaluate faithfully (an unknown condition operator, say) is refused here, with the
 * statement index, rather than being half-enforced.
 */

/** Condition operators the evaluator implements (IAM names; `...IfExists` variants accepted). */
export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'Bool',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** One condition test: operator, key, accepted values, and whether `...IfExists` was used. */
export interface PolicyCondition {
  readonly operator: ConditionOperator;
  readonly ifExists: boolean;
  readonly key: string;
  readonly values: readonly string[];
}

/** A statement, normalized: every list is an array. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly conditions: readonly PolicyCondition[];
}

/** A parsed policy document. */
export interface PolicyDocument {
  readonly version: string;
  readonly statements: readonly PolicyStatement[];
}

/** A policy document that cannot be parsed or evaluated. */
export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
}

function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  for (const item of list) {
    if (typeof item !== 'string') throw new PolicyDocumentError(`${where}: expected a string or a list of strings, got ${JSON.stringify(item)}`);
  }
  return list as string[];
}

function parseConditions(value: unknown, where: string): PolicyCondition[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyDocumentError(`${where}.Condition: expected an object of operators`);
  }
  const out: PolicyCondition[] = [];
  for (const [rawOperator, tests] of Object.entries(value)) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = (ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator) as ConditionOperator;
    if (!CONDITION_OPERATORS.includes(operator)) {
      throw new PolicyDocumentError(
        `${where}.Condition: operator "${rawOperator}" is not supported by the local cloud (supported: ${CONDITION_OPERATORS.join(', ')})`,
      );
    }
    if (typeof tests !== 'object' || tests === null || Array.isArray(tests)) {
      throw new PolicyDocumentError(`${where}.Condition.${rawOperator}: expected an object of condition keys`);
    }
    for (const [key, values] of Object.entries(tests)) {
      const list = (Array.isArray(values) ? values : [values]).map(v => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : v));
      out.push({ operator, ifExists, key, values: stringList(list, `${where}.Condition.${rawOperator}.${key}`) });
    }
  }
  return out;
}

/**
 * Parses a policy document (JSON text or object).
 * @throws PolicyDocumentError naming the statement and field at fault
 */
export function parsePolicyDocument(input: string | object, name = 'policy'): PolicyDocument {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (error) {
      throw new PolicyDocumentError(`${name}: document is not JSON: ${(error as Error).message}`);
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new PolicyDocumentError(`${name}: document must be a JSON object`);
  const record = doc as Record<string, unknown>;
  const rawStatements = record.Statement;
  if (rawStatements === undefined) throw new PolicyDocumentError(`${name}: missing "Statement"`);
  const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  const statements = list.map((raw, index): PolicyStatement => {
    const where = `${name}: Statement[${index}]`;
    if (typeof raw !== 'object' || raw === null) throw new PolicyDocumentError(`${where}: expected an object`);
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw new PolicyDocumentError(`${where}.Effect: expected "Allow" or "Deny", got ${JSON.stringify(s.Effect)}`);
    }
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new PolicyDocumentError(`${where}: exactly one of "Action" and "NotAction" is required`);
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new PolicyDocumentError(`${where}: exactly one of "Resource" and "NotResource" is required`);
    }
    return {
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: s.Effect,
      actions: s.Action === undefined ? undefined : stringList(s.Action, `${where}.Action`),
      notActions: s.NotAction === undefined ? undefined : stringList(s.NotAction, `${where}.NotAction`),
      resources: s.Resource === undefined ? undefined : stringList(s.Resource, `${where}.Resource`),
      notResources: s.NotResource === undefined ? undefined : stringList(s.NotResource, `${where}.NotResource`),
      conditions: parseConditions(s.Condition, where),
    };
  });
  return { version: typeof record.Version === 'string' ? record.Version : '2008-10-17', statements };
}
