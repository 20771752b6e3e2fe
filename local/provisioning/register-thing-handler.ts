/**
 * Handler for `$aws/provisioning-templates/<templateName>/provision/json` (RegisterThing).
 *
 * Input: `{ certificateOwnershipToken, parameters? }`. Steps, in AWS's order, all checks before
 * any change: the template exists and is enabled → the token is valid (unknown, expired or already
 * used: rejected) → the pre-provisioning hook allows it (else 403 AccessDenied; parameter overrides
 * merged) → the template evaluates (else 400 InvalidParameters) → the plan fits the registry
 * (thing type, groups and named policies exist) → thing created or updated, certificate activated,
 * policies attached, certificate attached to the thing, token consumed.
 * Output on `/accepted`: `{ deviceConfiguration, thingName }`; on `/rejected`: `{ statusCode,
 * errorCode, errorMessage }`.
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#register-thing
 */
import type { ReservedTopicFamily } from '../broker/reserved-topics';
import { parsePolicyDocument, PolicyDocumentError } from '../policy/policy-document';
import type { Registry } from '../registry/registry';
import type { ThingRecord } from '../registry/registry-records';
import type { OwnershipTokens } from './ownership-tokens';
import type { HookRunner } from './pre-provisioning-hook-runner';
import { evaluateProvisioningTemplate, TemplateError, type ProvisioningPlan } from './provisioning-template';
import { isRejection, parseJsonObject, rejections, type ProvisioningRejection } from './provisioning-errors';

interface Deps {
  readonly registry: Registry;
  readonly tokens: OwnershipTokens;
  readonly runHook: HookRunner;
}

/** Checks the plan against the registry; returns the rejection, or undefined when it fits. */
function checkPlan(registry: Registry, plan: ProvisioningPlan): ProvisioningRejection | undefined {
  const thing = plan.thing;
  if (thing) {
    if (thing.thingTypeName && !registry.getThingType(thing.thingTypeName)) return rejections.invalidParameters(`Thing type ${thing.thingTypeName} does not exist`);
    for (const group of thing.thingGroups) if (!registry.getThingGroup(group)) return rejections.invalidParameters(`Thing group ${group} does not exist`);
    const existing = registry.getThing(thing.thingName);
    if (existing && Object.values(thing.overrides).includes('FAIL')) return rejections.conflict(`Thing ${thing.thingName} already exists`);
  }
  for (const policy of plan.policies) {
    if (policy.policyDocument === undefined && !registry.getPolicy(policy.policyName)) return rejections.invalidParameters(`Policy ${policy.policyName} does not exist`);
    if (policy.policyDocument !== undefined) {
      try {
        parsePolicyDocument(policy.policyDocument, policy.policyName);
      } catch (error) {
        if (error instanceof PolicyDocumentError) return rejections.invalidParameters(error.message);
        throw error;
      }
    }
  }
  return undefined;
}

/** Applies OverrideSettings to an existing thing (default: REPLACE type, MERGE attributes and groups). */
function mergedThing(existing: ThingRecord | undefined, want: NonNullable<ProvisioningPlan['thing']>) {
  if (!existing) return { thingName: want.thingName, thingTypeName: want.thingTypeName, attributes: { ...want.attributes }, thingGroupNames: [...want.thingGroups] };
  const o = want.overrides;
  const attrs = o.AttributePayload ?? 'MERGE';
  const type = o.ThingTypeName ?? 'REPLACE';
  const groups = o.ThingGroups ?? 'MERGE';
  return {
    thingName: want.thingName,
    thingTypeName: type === 'DO_NOTHING' ? existing.thingTypeName : want.thingTypeName,
    attributes: attrs === 'DO_NOTHING' ? { ...existing.attributes } : attrs === 'REPLACE' ? { ...want.attributes } : { ...existing.attributes, ...want.attributes },
    thingGroupNames:
      groups === 'DO_NOTHING' ? [...existing.thingGroupNames] : groups === 'REPLACE' ? [...want.thingGroups] : [...new Set([...existing.thingGroupNames, ...want.thingGroups])],
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** `$aws/provisioning-templates/<name>/provision/json` */
export function registerThingFamily({ registry, tokens, runHook }: Deps): ReservedTopicFamily {
  // Template bodies change rarely (CreateProvisioningTemplate/Update) and every device's
  // RegisterThing reads the same one: parse each body text once. Frozen, so the pure evaluator
  // cannot change what the next request sees.
  const parsedBodies = new Map<string, unknown>();
  const parsedBody = (text: string): unknown => {
    let body = parsedBodies.get(text);
    if (body === undefined) {
      if (parsedBodies.size >= 16) parsedBodies.clear();
      body = deepFreeze(JSON.parse(text));
      parsedBodies.set(text, body);
    }
    return body;
  };
  return {
    name: 'register-thing',
    pattern: /^\$aws\/provisioning-templates\/([^/]+)\/provision\/json$/,
    async handle(request) {
      const templateName = request.match[1];
      const reject = (r: ProvisioningRejection): Promise<void> => request.reply(`${request.topic}/rejected`, r);
      const parsed = parseJsonObject(request.payload, false);
      if (isRejection(parsed)) return reject(parsed);
      const token = parsed.certificateOwnershipToken;
      const rawParams = parsed.parameters ?? {};
      if (typeof token !== 'string' || token === '') return reject(rejections.invalidPayload('certificateOwnershipToken is required'));
      if (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams)) return reject(rejections.invalidPayload('parameters must be an object of strings'));
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(rawParams)) {
        if (typeof v !== 'string') return reject(rejections.invalidPayload(`parameters.${k} must be a string`));
        parameters[k] = v;
      }

      const claimCertificateId = request.certificateId;
      if (claimCertificateId === undefined) return reject(rejections.accessDenied('RegisterThing needs a connection authenticated with a claim certificate'));
      const template = registry.getTemplate(templateName);
      if (!template || template.type !== 'FLEET_PROVISIONING') return reject(rejections.templateNotFound(templateName));
      if (!template.enabled) return reject(rejections.templateDisabled(templateName));

      const reserved = tokens.reserve(token);
      if ('problem' in reserved) {
        const why = reserved.problem === 'expired' ? 'expired' : reserved.problem === 'in-use' ? 'already being used' : 'invalid or already used';
        return reject(rejections.invalidToken(why));
      }
      let done = false;
      try {
        const certificate = registry.getCertificate(reserved.certificateId);
        if (!certificate) return await reject(rejections.invalidToken('for a certificate that no longer exists'));

        if (template.preProvisioningHook) {
          let answer;
          try {
            answer = await runHook(template.preProvisioningHook.targetArn, {
              claimCertificateId,
              certificateId: certificate.certificateId,
              certificatePem: certificate.certificatePem,
              templateArn: template.templateArn,
              clientId: request.clientId,
              parameters,
            });
          } catch (error) {
            return await reject(rejections.accessDenied(`Pre-provisioning hook failed: ${(error as Error).message}`));
          }
          if (answer?.allowProvisioning !== true) return await reject(rejections.accessDenied('Pre-provisioning hook denied the provisioning request'));
          Object.assign(parameters, answer.parameterOverrides ?? {});
        }

        let plan: ProvisioningPlan;
        try {
          plan = evaluateProvisioningTemplate({ body: parsedBody(template.templateBody), parameters, certificateId: certificate.certificateId });
        } catch (error) {
          if (error instanceof TemplateError) return await reject(rejections.invalidParameters(error.message));
          throw error;
        }
        const problem = checkPlan(registry, plan);
        if (problem) return await reject(problem);

        // All checks passed: apply.
        registry.setCertificateStatus(certificate.certificateId, plan.certificate?.status ?? 'ACTIVE');
        for (const policy of plan.policies) {
          if (policy.policyDocument !== undefined && !registry.getPolicy(policy.policyName)) registry.putPolicy(policy.policyName, policy.policyDocument);
          registry.attachPolicy(policy.policyName, certificate.certificateArn);
        }
        if (plan.thing) {
          registry.putThing(mergedThing(registry.getThing(plan.thing.thingName), plan.thing));
          registry.attachThingPrincipal(plan.thing.thingName, certificate.certificateId);
        }
        tokens.consume(token);
        done = true;
        await request.reply(`${request.topic}/accepted`, { deviceConfiguration: plan.deviceConfiguration, thingName: plan.thing?.thingName });
      } finally {
        if (!done) tokens.release(token);
      }
    },
  };
}
