/**
 * Policy decisions remembered per connection. A device asks the same questions over and over
 * (iot:Publish on its own request topics, iot:Receive on its replies), and each answer is a pure
 * function of the principal's policies, the connection's policy context and the (action, resource)
 * pair: `evaluatePolicies` has no clock and no other input.
 *
 * Invalidation follows from that: the registry hands out the same frozen policies array until a
 * policy is created or replaced or the principal's attachments change (`Registry.policiesFor`),
 * and the context object is replaced, never mutated, at CONNECT. A cache entry is used only while
 * both are the very objects it was computed with; otherwise the connection's cache starts over.
 * Certificate status is not part of the decision: the hooks check it on every call before asking.
 */
import {
  evaluatePolicies,
  type IotAction,
  type NamedPolicy,
  type PolicyContext,
  type PolicyDecision,
} from '../policy/evaluate-policies';

/**
 * Distinct questions kept per connection (a device's topics include job ids, so the set grows over
 * a long session). Past this the cache starts over, which costs one evaluation per question.
 */
const MAX_DECISIONS_PER_CONNECTION = 512;

interface ConnectionDecisions {
  policies: readonly NamedPolicy[];
  context: PolicyContext;
  readonly byRequest: Map<string, PolicyDecision>;
}

/** Decisions by connection (any object that lives as long as the connection: its identity). */
export class PolicyDecisionCache {
  private readonly connections = new WeakMap<object, ConnectionDecisions>();

  /** The decision for `action` on `resourceArn`, evaluated at most once per connection and policy set. */
  decide(
    connection: object,
    policies: readonly NamedPolicy[],
    context: PolicyContext,
    action: IotAction,
    resourceArn: string,
  ): PolicyDecision {
    let entry = this.connections.get(connection);
    if (!entry) {
      entry = { policies, context, byRequest: new Map() };
      this.connections.set(connection, entry);
    } else if (
      entry.policies !== policies ||
      entry.context !== context ||
      entry.byRequest.size >= MAX_DECISIONS_PER_CONNECTION
    ) {
      entry.policies = policies;
      entry.context = context;
      entry.byRequest.clear();
    }
    const key = `${action} ${resourceArn}`;
    let decision = entry.byRequest.get(key);
    if (!decision) {
      decision = evaluatePolicies(policies, { action, resource: resourceArn, context });
      entry.byRequest.set(key, decision);
    }
    return decision;
  }
}
