/**
 * The fleet's pre-provisioning hook: AWS IoT calls it on every `RegisterThing` request before it
 * creates anything, and provisions only if it answers `allowProvisioning: true`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html).
 *
 * Input: the hook event (claim certificate id, new certificate id and PEM, template ARN, MQTT
 * client id, and the request's `parameters`). Output: `{ allowProvisioning, parameterOverrides? }`.
 * Refuses when `parameters.SerialNumber` is missing, does not match the configured pattern, or is
 * on the deny list. A thrown error or a reply later than 5 s also refuses (AWS answers the device
 * with ACCESS_DENIED), so this function never throws on bad input.
 *
 * Self-contained (no imports): it is bundled alone into the Lambda asset, and the local cloud runs
 * `createPreProvisioningHook` in-process with the same configuration the Lambda gets from its
 * environment variables.
 */

/** The event AWS IoT sends (field names as AWS documents them). */
export interface PreProvisioningHookEvent {
  readonly claimCertificateId: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly templateArn: string;
  readonly clientId: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/** The hook's answer. `parameterOverrides` are merged into the request's parameters. */
export interface PreProvisioningHookResponse {
  readonly allowProvisioning: boolean;
  readonly parameterOverrides?: Record<string, string>;
}

export interface PreProvisioningHookConfig {
  /** Anchored regular expression (source text) a serial must match. */
  readonly serialPattern: string;
  /** Serials refused even when they match. */
  readonly serialDenyList: readonly string[];
  /**
   * Where decisions are logged (one JSON object per call).
   * @defaultValue console.log, which Lambda sends to CloudWatch Logs
   */
  readonly log?: (entry: Record<string, unknown>) => void;
}

export type PreProvisioningHook = (
  event: PreProvisioningHookEvent,
) => Promise<PreProvisioningHookResponse>;

/** Environment variable names carrying the configuration to the Lambda. */
export const HOOK_ENV = {
  serialPattern: 'FLEET_SERIAL_PATTERN',
  serialDenyList: 'FLEET_SERIAL_DENY_LIST',
} as const;

/** The provisioning template parameter the hook checks. */
export const SERIAL_PARAMETER = 'SerialNumber';

/**
 * Reads the configuration from environment variables: `FLEET_SERIAL_PATTERN` (regular expression
 * source) and `FLEET_SERIAL_DENY_LIST` (JSON array of strings).
 * @throws Error naming the variable that is missing or malformed
 */
export function hookConfigFromEnvironment(
  env: Record<string, string | undefined>,
): PreProvisioningHookConfig {
  const pattern = env[HOOK_ENV.serialPattern];
  if (pattern === undefined || pattern === '') {
    throw new Error(
      `${HOOK_ENV.serialPattern} is not set; expected a regular expression such as ^[0-9A-F]{12}$`,
    );
  }
  const denyText = env[HOOK_ENV.serialDenyList] ?? '[]';
  let deny: unknown;
  try {
    deny = JSON.parse(denyText);
  } catch (error) {
    throw new Error(
      `${HOOK_ENV.serialDenyList} is not JSON (${(error as Error).message}); expected an array of strings`,
    );
  }
  if (!Array.isArray(deny) || !deny.every(item => typeof item === 'string')) {
    throw new Error(`${HOOK_ENV.serialDenyList} must be a JSON array of strings, got ${denyText}`);
  }
  return { serialPattern: pattern, serialDenyList: deny };
}

/**
 * Builds the hook. The pattern is compiled once here.
 * @throws Error if the pattern does not compile
 */
export function createPreProvisioningHook(config: PreProvisioningHookConfig): PreProvisioningHook {
  let pattern: RegExp;
  try {
    pattern = new RegExp(config.serialPattern);
  } catch (error) {
    throw new Error(
      `serialPattern ${config.serialPattern} is not a valid regular expression: ${(error as Error).message}`,
    );
  }
  const denied = new Set(config.serialDenyList);
  const log =
    config.log ?? ((entry: Record<string, unknown>) => console.log(JSON.stringify(entry)));

  return async event => {
    const serial =
      typeof event?.parameters === 'object' && event.parameters !== null
        ? event.parameters[SERIAL_PARAMETER]
        : undefined;
    const reason =
      typeof serial !== 'string' || serial === ''
        ? `parameters.${SERIAL_PARAMETER} is missing`
        : !pattern.test(serial)
          ? `${SERIAL_PARAMETER} ${JSON.stringify(serial)} does not match ${config.serialPattern}`
          : denied.has(serial)
            ? `${SERIAL_PARAMETER} ${JSON.stringify(serial)} is on the deny list`
            : undefined;
    log({
      msg: reason === undefined ? 'provisioning allowed' : 'provisioning refused',
      reason,
      serial,
      clientId: event?.clientId,
      certificateId: event?.certificateId,
      templateArn: event?.templateArn,
    });
    return reason === undefined ? { allowProvisioning: true } : { allowProvisioning: false };
  };
}

let lambdaHook: PreProvisioningHook | undefined;

/**
 * The Lambda entry point (`index.handler` in the bundle). The configuration is read on the first
 * call rather than at import, so importing this module never throws.
 */
export const handler: PreProvisioningHook = event => {
  lambdaHook ??= createPreProvisioningHook(hookConfigFromEnvironment(process.env));
  return lambdaHook(event);
};
