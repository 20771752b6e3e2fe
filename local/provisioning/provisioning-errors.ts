/**
 * Rejections of the fleet provisioning MQTT API. The payload shape is AWS's
 * (`{ statusCode, errorCode, errorMessage }` on `.../rejected`,
 * https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html). AWS does not
 * publish the list of `errorCode` strings: `InvalidParameters` (400) is what AWS sends for template
 * evaluation failures (e.g. "Cannot resolve reference value: AWS::Region"); the others follow AWS's
 * exception names, and the pre-provisioning hook refusal is the documented ACCESS_DENIED.
 */

/** One rejection, as published on the `/rejected` topic. */
export interface ProvisioningRejection {
  readonly statusCode: number;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export const rejections = {
  invalidPayload: (message: string): ProvisioningRejection => ({ statusCode: 400, errorCode: 'InvalidPayload', errorMessage: message }),
  invalidCsr: (message: string): ProvisioningRejection => ({ statusCode: 400, errorCode: 'InvalidCsr', errorMessage: message }),
  templateNotFound: (name: string): ProvisioningRejection => ({ statusCode: 404, errorCode: 'ResourceNotFound', errorMessage: `Template ${name} not found` }),
  templateDisabled: (name: string): ProvisioningRejection => ({ statusCode: 400, errorCode: 'InvalidRequest', errorMessage: `Template ${name} is disabled` }),
  invalidToken: (why: string): ProvisioningRejection => ({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: `Certificate ownership token is ${why}` }),
  accessDenied: (message: string): ProvisioningRejection => ({ statusCode: 403, errorCode: 'AccessDenied', errorMessage: message }),
  invalidParameters: (message: string): ProvisioningRejection => ({ statusCode: 400, errorCode: 'InvalidParameters', errorMessage: message }),
  conflict: (message: string): ProvisioningRejection => ({ statusCode: 409, errorCode: 'ResourceConflict', errorMessage: message }),
  internal: (message: string): ProvisioningRejection => ({ statusCode: 500, errorCode: 'InternalFailure', errorMessage: message }),
};

/** Parses a JSON object payload, or returns the rejection to send. */
export function parseJsonObject(payload: Buffer, allowEmpty: boolean): Record<string, unknown> | ProvisioningRejection {
  const text = payload.toString('utf8').trim();
  if (text === '' && allowEmpty) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return rejections.invalidPayload('Payload must be a JSON object');
}

/** True when `value` is a rejection (not a parsed payload). */
export function isRejection(value: unknown): value is ProvisioningRejection {
  return typeof value === 'object' && value !== null && 'errorCode' in value && 'statusCode' in value;
}
