/**
 * The worker's configuration, checked once at start (`loadWorkerConfig`) so that a missing bucket
 * or a malformed key id fails before any job is taken, with the name of the setting.
 */
import { z } from 'zod';

/** A signing key: in KMS (`kms:<key id, ARN or alias>`), or a local PEM file (development). */
export const signingKeySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kms'), keyId: z.string().min(1) }),
  z.strictObject({ kind: z.literal('pem'), path: z.string().min(1) }),
]);
export type SigningKeyConfig = z.infer<typeof signingKeySchema>;

const url = z.url({ error: 'expected a URL such as http://127.0.0.1:4566' });

export const workerConfigSchema = z.strictObject({
  /** Environment name (`dev`, `prod`): names the stack's resources. */
  env: z.string().regex(/^[a-z0-9-]+$/, { error: 'expected an environment name such as "dev"' }),
  /** Where the configuration came from, for logs and errors (`local-cloud.json path` or `environment`). */
  source: z.string(),
  partition: z
    .string()
    .regex(/^aws(-[a-z]+)*$/, { error: 'expected "aws", "aws-cn" or "aws-us-gov"' }),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected a region such as "eu-west-1"' }),
  accountId: z.string().regex(/^\d{12}$/, { error: 'expected a 12-digit account id' }),
  /** Static credentials (the local cloud's); absent: the SDK's default provider chain. */
  credentials: z
    .strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
    .optional(),
  /** Endpoint overrides (the local cloud); absent: AWS's. */
  endpoints: z.strictObject({ iot: url.optional(), s3: url.optional(), kms: url.optional() }),
  firmwareBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name' }),
  secureBootKey: signingKeySchema,
  updateKey: signingKeySchema,
  presignRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, { error: 'expected an IAM role ARN' }),
  /** PresignedUrlConfig `expiresInSec`, 60–3600. */
  presignExpiresInSec: z.number().int().min(60).max(3600),
  /**
   * Prefix put before a plan's thing group names that do not carry it already: plans say
   * `canary`, the stack names the group `esp32-fleet-dev-canary` (`infra/ota-jobs.ts`).
   */
  thingGroupPrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_-]*$/, { error: 'expected thing group name characters' }),
  redisUrl: z.string().regex(/^rediss?:\/\//, { error: 'expected redis://host:port' }),
  /** BullMQ key prefix (queues and rollout records live under it). */
  queuePrefix: z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'expected letters, digits, _ and -' }),
  /** How often a gate that says "wait" is evaluated again, in seconds. */
  gatePollSeconds: z.number().positive(),
  /** Jobs processed at once per queue. */
  concurrency: z.number().int().min(1).max(64),
});

/** The checked configuration. */
export type WorkerConfig = z.infer<typeof workerConfigSchema>;
