import { describe, expect, it } from 'vitest';
import { evaluatePolicies, type IotAction, type PolicyContext } from '../policy/evaluate-policies';
import { parsePolicyDocument, PolicyDocumentError } from '../policy/policy-document';

// Examples from the AWS IoT Developer Guide: "Publish/Subscribe policy examples" (pub-sub-policy.md),
// "Connect policy examples" (connect-policy.md) and "Thing policy variables" (thing-policy-variables.md).
const ARN = 'arn:aws:iot:us-east-1:123456789012';

function decide(doc: object, action: IotAction, resource: string, context: PolicyContext): string {
  const decision = evaluatePolicies([{ name: 'p', document: parsePolicyDocument(doc) }], { action, resource: `${ARN}:${resource}`, context });
  return decision.effect === 'Allow' ? 'Allow' : `Deny(${decision.reason})`;
}

const thing = (name: string, clientId = name): PolicyContext => ({
  'iot:ClientId': clientId,
  'iot:Connection.Thing.ThingName': name,
  'iot:Connection.Thing.IsAttached': 'true',
});

describe('evaluatePolicies', () => {
  // pub-sub-policy.md, "Registered devices (5)"
  const registered5 = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${ARN}:client/\${iot:Connection.Thing.ThingName}`] },
      { Effect: 'Allow', Action: ['iot:Publish'], Resource: [`${ARN}:topic/\${iot:Connection.Thing.ThingName}/*`] },
    ],
  };

  it('allows connecting with the thing name as client id and refuses any other client id', () => {
    expect(decide(registered5, 'iot:Connect', 'client/thing1', thing('thing1'))).toBe('Allow');
    expect(decide(registered5, 'iot:Connect', 'client/thing2', thing('thing1', 'thing2'))).toBe('Deny(implicit)');
  });

  it('allows publishing under the thing name prefix only; * crosses topic levels', () => {
    expect(decide(registered5, 'iot:Publish', 'topic/thing1/a/b/c', thing('thing1'))).toBe('Allow');
    expect(decide(registered5, 'iot:Publish', 'topic/thing2/a', thing('thing1'))).toBe('Deny(implicit)');
    expect(decide(registered5, 'iot:Subscribe', 'topicfilter/thing1/a', thing('thing1'))).toBe('Deny(implicit)');
  });

  it('denies by default when the thing-name variable has no value (certificate not attached to a thing)', () => {
    expect(decide(registered5, 'iot:Connect', 'client/thing1', { 'iot:ClientId': 'thing1' })).toBe('Deny(implicit)');
  });

  it('treats a variable value literally: a client id of "*" is not a wildcard', () => {
    const doc = { Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${iot:ClientId}/data` }] };
    expect(decide(doc, 'iot:Publish', 'topic/*/data', { 'iot:ClientId': '*' })).toBe('Allow');
    expect(decide(doc, 'iot:Publish', 'topic/other/data', { 'iot:ClientId': '*' })).toBe('Deny(implicit)');
  });

  // pub-sub-policy.md, "Registered devices (6)": topicfilter for Subscribe, topic for Receive
  const registered6 = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: [`${ARN}:topicfilter/\${iot:Connection.Thing.ThingName}/room*`] },
      { Effect: 'Allow', Action: ['iot:Receive'], Resource: [`${ARN}:topic/\${iot:Connection.Thing.ThingName}/room*`] },
    ],
  };

  it('matches MQTT wildcards in a subscription literally against topicfilter resources', () => {
    expect(decide(registered6, 'iot:Subscribe', 'topicfilter/thing1/room/#', thing('thing1'))).toBe('Allow');
    expect(decide(registered6, 'iot:Subscribe', 'topicfilter/thing1/+/temp', thing('thing1'))).toBe('Deny(implicit)');
    expect(decide(registered6, 'iot:Receive', 'topic/thing1/room1', thing('thing1'))).toBe('Allow');
    expect(decide(registered6, 'iot:Subscribe', 'topic/thing1/room1', thing('thing1'))).toBe('Deny(implicit)');
  });

  it('matches ? as exactly one character', () => {
    const doc = { Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/some/?????/topic` }] };
    expect(decide(doc, 'iot:Publish', 'topic/some/abcde/topic', {})).toBe('Allow');
    expect(decide(doc, 'iot:Publish', 'topic/some/abcd/topic', {})).toBe('Deny(implicit)');
    expect(decide(doc, 'iot:Publish', 'topic/some/abcdef/topic', {})).toBe('Deny(implicit)');
  });

  // connect-policy.md: Deny client1/client2 beside an Allow on the thing name
  const denyClients = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Deny', Action: ['iot:Connect'], Resource: [`${ARN}:client/client1`, `${ARN}:client/client2`] },
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${ARN}:client/\${iot:Connection.Thing.ThingName}`] },
    ],
  };

  it('lets an explicit Deny win over a matching Allow', () => {
    expect(decide(denyClients, 'iot:Connect', 'client/client1', thing('client1'))).toBe('Deny(explicit)');
    expect(decide(denyClients, 'iot:Connect', 'client/client3', thing('client3'))).toBe('Allow');
  });

  it('lets a Deny in one policy override an Allow in another attached policy', () => {
    const allowAll = parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
    const denyTelemetry = parsePolicyDocument({ Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/dt/*` }] });
    const policies = [
      { name: 'allow', document: allowAll },
      { name: 'deny', document: denyTelemetry },
    ];
    expect(evaluatePolicies(policies, { action: 'iot:Publish', resource: `${ARN}:topic/dt/x`, context: {} })).toMatchObject({ effect: 'Deny', policyName: 'deny' });
    expect(evaluatePolicies(policies, { action: 'iot:Publish', resource: `${ARN}:topic/cmd/x`, context: {} }).effect).toBe('Allow');
  });

  // thing-policy-variables.md: iot:Connection.Thing.IsAttached as a Bool condition
  const attachedOnly = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}`,
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } },
      },
    ],
  };

  it('allows only devices whose certificate is attached to the thing named by the client id', () => {
    expect(decide(attachedOnly, 'iot:Connect', 'client/t1', thing('t1'))).toBe('Allow');
    expect(decide(attachedOnly, 'iot:Connect', 'client/t1', { ...thing('t1'), 'iot:Connection.Thing.IsAttached': 'false' })).toBe('Deny(implicit)');
  });

  it('matches actions case-insensitively and with wildcards', () => {
    const doc = { Statement: [{ Effect: 'Allow', Action: 'iot:Pub*', Resource: '*' }] };
    expect(decide(doc, 'iot:Publish', 'topic/a', {})).toBe('Allow');
    expect(decide(doc, 'iot:Subscribe', 'topicfilter/a', {})).toBe('Deny(implicit)');
  });

  it('supports NotResource and StringLike conditions with variables', () => {
    const doc = {
      Statement: [
        { Effect: 'Allow', Action: 'iot:Publish', NotResource: `${ARN}:topic/$aws/*` },
        { Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { StringNotLike: { 'iot:ClientId': 'fleet-*' } } },
      ],
    };
    expect(decide(doc, 'iot:Publish', 'topic/x', { 'iot:ClientId': 'fleet-1' })).toBe('Allow');
    expect(decide(doc, 'iot:Publish', 'topic/$aws/x', { 'iot:ClientId': 'fleet-1' })).toBe('Deny(implicit)');
    expect(decide(doc, 'iot:Publish', 'topic/x', { 'iot:ClientId': 'rogue' })).toBe('Deny(explicit)');
  });

  it('refuses a document it cannot evaluate faithfully, naming the statement', () => {
    expect(() => parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { k: 'v' } } }] }, 'claim')).toThrow(
      /claim: Statement\[0\]\.Condition: operator "ForAnyValue:StringEquals" is not supported/,
    );
    expect(() => parsePolicyDocument('{"Statement":[{"Effect":"Maybe","Action":"x","Resource":"*"}]}')).toThrow(PolicyDocumentError);
    expect(() => parsePolicyDocument('not json')).toThrow(/document is not JSON/);
  });
});
