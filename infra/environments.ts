/**
 * The fleet's environments. Edit the values here (see README "Configuration"); every value is
 * checked against `environmentSchema` before a stack is built, and a bad value fails synth with a
 * message naming the environment and the field.
 */
import { environmentSchema, type Environment, type EnvironmentInput } from './environment-schema';

/** Serials are the 12 hex digits of the ESP32's factory MAC (eFuse BLK0), upper case. */
const ESP32_MAC_SERIAL = '^[0-9A-F]{12}$';

export const ENVIRONMENTS: Readonly<Record<string, EnvironmentInput>> = {
  dev: {
    name: 'dev',
    region: 'eu-west-1',
    domainName: 'mqtt.dev.fleet.example.com',
    hostedZoneId: 'Z0DEV000000000000000',
    thingNamePrefix: 'esp32-dev',
    serialPattern: ESP32_MAC_SERIAL,
    serialDenyList: ['000000000000', 'FFFFFFFFFFFF'],
    rollout: {
      stages: ['canary', 'fleet'],
      maximumPerMinute: 100,
      abortThresholdPercentage: 20,
      abortMinExecutedThings: 5,
      inProgressTimeoutMinutes: 60,
      retryAttempts: 2,
      presignedUrlExpiresSeconds: 3600,
    },
    signing: { secureBootKeySpec: 'RSA_3072' },
    claimCsrPath: '.fleet/claim/dev/claim.csr.pem',
    noncurrentVersionExpirationDays: 30,
    tags: { project: 'esp32-fleet', environment: 'dev' },
  },
  prod: {
    name: 'prod',
    region: 'eu-west-1',
    domainName: 'mqtt.fleet.example.com',
    hostedZoneId: 'Z0PROD00000000000000',
    thingNamePrefix: 'esp32',
    serialPattern: ESP32_MAC_SERIAL,
    serialDenyList: ['000000000000', 'FFFFFFFFFFFF'],
    rollout: {
      stages: ['canary', 'early', 'fleet'],
      maximumPerMinute: 500,
      abortThresholdPercentage: 2,
      abortMinExecutedThings: 50,
      inProgressTimeoutMinutes: 120,
      retryAttempts: 3,
      presignedUrlExpiresSeconds: 3600,
      maintenanceWindow: { startTime: 'cron(0 2 * * ? *)', durationMinutes: 240 },
    },
    signing: { secureBootKeySpec: 'RSA_3072' },
    claimCsrPath: '.fleet/claim/prod/claim.csr.pem',
    noncurrentVersionExpirationDays: 365,
    backend: {
      bucket: 'esp32-fleet-terraform-state',
      key: 'prod/terraform.tfstate',
      region: 'eu-west-1',
      dynamodbTable: 'esp32-fleet-terraform-locks',
    },
    tags: { project: 'esp32-fleet', environment: 'prod' },
  },
};

/** Names of the configured environments, in declaration order. */
export function environmentNames(): string[] {
  return Object.keys(ENVIRONMENTS);
}

/**
 * Validates one environment's configuration and applies defaults.
 *
 * @param key - the environment's key in `ENVIRONMENTS` (used in error messages)
 * @param input - the raw configuration; defaults to `ENVIRONMENTS[key]`
 * @throws Error naming the environment and every bad field, e.g.
 *   `environment "dev": rollout.maximumPerMinute: Too big: expected number to be <=1000`
 */
export function parseEnvironment(key: string, input: unknown = ENVIRONMENTS[key]): Environment {
  if (input === undefined) {
    throw new Error(`unknown environment "${key}"; configured: ${environmentNames().join(', ')}`);
  }
  const result = environmentSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      issue => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`environment "${key}": ${problems.join('; ')}`);
  }
  if (result.data.name !== key) {
    throw new Error(
      `environment "${key}": name: must equal its key "${key}", got "${result.data.name}"`,
    );
  }
  return result.data;
}
