/**
 * Authorization of HTTPS calls made with a device certificate (the jobs data plane): the
 * certificate must be ACTIVE, and its IoT policies must allow the action on the thing's ARN.
 * Thing policy variables resolve only when the certificate is attached to the thing named in
 * the request, as for MQTT with the client id (connection-identity.ts), so a certificate can
 * never act for another thing.
 */
import { policyContextFor } from '../broker/connection-identity';
import { evaluatePolicies, type IotAction, type PolicyContext } from '../policy/evaluate-policies';
import { JobsError } from '../jobs/jobs-error';
import type { Registry } from '../registry/registry';

/** The policy context for a request by `certificateId` about `thingName`. */
export function connectionPolicyContext(
  registry: Registry,
  certificateId: string,
  thingName: string,
): PolicyContext {
  return policyContextFor(registry, certificateId, thingName);
}

/** Throws UnauthorizedException / ForbiddenException unless the certificate may do `action` on the thing. */
export function authorizeDevice(
  registry: Registry,
  certificateId: string,
  action: string,
  thingName: string,
): void {
  const certificate = registry.getCertificate(certificateId);
  if (!certificate || certificate.status !== 'ACTIVE')
    throw new JobsError(
      'UnauthorizedException',
      `certificate ${certificateId.slice(0, 12)}… is not an ACTIVE certificate of this account`,
    );
  const decision = evaluatePolicies(registry.policiesFor(certificate.certificateArn), {
    // The evaluator matches action strings generically; the jobs data-plane actions are IoT policy actions too.
    action: action as IotAction,
    resource: registry.arn(`thing/${thingName}`),
    context: connectionPolicyContext(registry, certificateId, thingName),
  });
  if (decision.effect === 'Deny')
    throw new JobsError(
      'ForbiddenException',
      `${action} on thing ${thingName} is not allowed by the certificate's IoT policies (${decision.reason} deny)`,
    );
}
