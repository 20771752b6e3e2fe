/**
 * Test helper: decides whether an AWS IoT policy allows an action on a resource, the way AWS IoT
 * documents it — policy variables substituted from the connection, `*` matching any run of
 * characters and `?` one character in resource ARNs, explicit Deny winning
 * (https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html). Written for the
 * tests of infra/ and independent of the local cloud's evaluator on purpose.
 */
import { listOf, type ParsedPolicy, statementsOf } from '../rules/policy-json';

export interface ConnectionContext {
  readonly thingName: string;
  readonly clientId: string;
  readonly isAttached: boolean;
}

function substitute(text: string, context: ConnectionContext): string {
  return text
    .replace(/\$\{iot:Connection\.Thing\.ThingName\}/g, context.thingName)
    .replace(/\$\{iot:ClientId\}/g, context.clientId);
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function conditionsHold(
  condition: Record<string, Record<string, unknown>> | undefined,
  context: ConnectionContext,
): boolean {
  if (condition === undefined) return true;
  for (const [operator, entries] of Object.entries(condition)) {
    for (const [key, expected] of Object.entries(entries)) {
      if (operator === 'Bool' && key === 'iot:Connection.Thing.IsAttached') {
        if (String(context.isAttached) !== String(expected)) return false;
      } else {
        throw new Error(`test matcher does not know condition ${operator} ${key}`);
      }
    }
  }
  return true;
}

export function isAllowed(
  policy: ParsedPolicy,
  action: string,
  resourceArn: string,
  context: ConnectionContext,
): boolean {
  let allowed = false;
  for (const statement of statementsOf(policy)) {
    if (!listOf(statement.Action).includes(action)) continue;
    const matches = listOf(statement.Resource).some(resource =>
      globToRegExp(substitute(resource, context)).test(resourceArn),
    );
    if (!matches || !conditionsHold(statement.Condition, context)) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}
