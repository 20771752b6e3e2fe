/**
 * Where the worker's configuration comes from, in order:
 * 1. the local cloud: `--local <state-dir>` (its `local-cloud.json`), else `FLEET_LOCAL_CLOUD`
 *    (path of a `local-cloud.json`), else `.fleet/local/local-cloud.json` if it exists. The file
 *    gives region, account, credentials and endpoints; resource names follow the stack's naming
 *    (`infra/`): bucket `esp32-fleet-<env>-firmware-<account>`, keys
 *    `alias/esp32-fleet-<env>/secure-boot` and `…/update`, role `…-jobs-presign`.
 * 2. otherwise AWS: `AWS_REGION`, `FLEET_ACCOUNT_ID`, and the stack outputs `FLEET_FIRMWARE_BUCKET`,
 *    `FLEET_SECURE_BOOT_KEY` (`kms:<id>` or a PEM path), `FLEET_UPDATE_KEY`, `FLEET_PRESIGN_ROLE_ARN`;
 *    credentials from the SDK's default chain.
 * Any `FLEET_*` variable overrides the derived value in both cases. The worker never imports
 * `local/`: the local cloud is only a file of endpoints and credentials to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { workerConfigSchema, type SigningKeyConfig, type WorkerConfig } from './worker-config';

/** The part of `local-cloud.json` the worker reads (its full shape is the local cloud's). */
const localCloudFileSchema = z.object({
  region: z.string(),
  accountId: z.string(),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  endpoints: z.object({
    iot: z.string().nullable(),
    s3: z.string().nullable(),
    kms: z.string().nullable(),
  }),
});

/** Default location of the local cloud's discovery file (`fleet local up`'s default state dir). */
export const DEFAULT_LOCAL_CLOUD_FILE = '.fleet/local/local-cloud.json';

export interface LoadWorkerConfigOptions {
  /** `--local <state-dir>`. */
  readonly localStateDir?: string;
  /** `--env`. @defaultValue `FLEET_ENV` or `dev` */
  readonly env?: string;
  /** @defaultValue `process.env` */
  readonly environment?: NodeJS.ProcessEnv;
  /** Directory `.fleet/local` is looked up in. @defaultValue `process.cwd()` */
  readonly cwd?: string;
}

/** Thrown for a configuration that cannot work; the message names the setting. */
export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

function parseKey(value: string, setting: string): SigningKeyConfig {
  if (value.startsWith('kms:')) return { kind: 'kms', keyId: value.slice(4) };
  if (value.startsWith('pem:')) return { kind: 'pem', path: value.slice(4) };
  if (value.startsWith('alias/') || value.startsWith('arn:')) return { kind: 'kms', keyId: value };
  if (value.endsWith('.pem')) return { kind: 'pem', path: value };
  throw new WorkerConfigError(
    `${setting}: expected kms:<key id> or a .pem file path, got "${value}"`,
  );
}

function localCloudFile(
  options: LoadWorkerConfigOptions,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (options.localStateDir !== undefined)
    return join(resolve(options.localStateDir), 'local-cloud.json');
  if (env.FLEET_LOCAL_CLOUD) return resolve(env.FLEET_LOCAL_CLOUD);
  const fallback = resolve(options.cwd ?? process.cwd(), DEFAULT_LOCAL_CLOUD_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new WorkerConfigError(`${name}: expected a number, got "${raw}"`);
  return value;
}

/**
 * The checked configuration.
 *
 * @throws WorkerConfigError naming the setting, e.g.
 *   `worker configuration (environment): firmwareBucket (FLEET_FIRMWARE_BUCKET): required`
 */
export function loadWorkerConfig(options: LoadWorkerConfigOptions = {}): WorkerConfig {
  const env = options.environment ?? process.env;
  const envName = options.env ?? env.FLEET_ENV ?? 'dev';
  const file = localCloudFile(options, env);
  const prefix = `esp32-fleet-${envName}`;
  let base: Record<string, unknown>;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new WorkerConfigError(
        `cannot read the local cloud's ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (start it with \`fleet local up\`)`,
      );
    }
    const parsed = localCloudFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new WorkerConfigError(
        `${file} is not a local-cloud.json: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const local = parsed.data;
    for (const name of ['s3', 'kms'] as const) {
      if (!local.endpoints[name])
        throw new WorkerConfigError(
          `${file}: endpoints.${name} is null: the local cloud does not serve ${name.toUpperCase()} yet`,
        );
    }
    base = {
      source: file,
      region: local.region,
      accountId: local.accountId,
      credentials: local.credentials,
      endpoints: {
        iot: local.endpoints.iot ?? undefined,
        s3: local.endpoints.s3 ?? undefined,
        kms: local.endpoints.kms ?? undefined,
      },
      firmwareBucket: `${prefix}-firmware-${local.accountId}`,
      secureBootKey: { kind: 'kms', keyId: `alias/${prefix}/secure-boot` },
      updateKey: { kind: 'kms', keyId: `alias/${prefix}/update` },
      presignRoleArn: `arn:aws:iam::${local.accountId}:role/${prefix}-jobs-presign`,
    };
  } else {
    base = {
      source: 'environment',
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      accountId: env.FLEET_ACCOUNT_ID,
      endpoints: {},
    };
  }
  const overrides: Record<string, unknown> = {};
  if (env.FLEET_FIRMWARE_BUCKET) overrides.firmwareBucket = env.FLEET_FIRMWARE_BUCKET;
  if (env.FLEET_SECURE_BOOT_KEY)
    overrides.secureBootKey = parseKey(env.FLEET_SECURE_BOOT_KEY, 'FLEET_SECURE_BOOT_KEY');
  if (env.FLEET_UPDATE_KEY)
    overrides.updateKey = parseKey(env.FLEET_UPDATE_KEY, 'FLEET_UPDATE_KEY');
  if (env.FLEET_PRESIGN_ROLE_ARN) overrides.presignRoleArn = env.FLEET_PRESIGN_ROLE_ARN;
  if (env.FLEET_IOT_ENDPOINT)
    overrides.endpoints = { ...(base.endpoints as object), iot: env.FLEET_IOT_ENDPOINT };

  const candidate: Record<string, unknown> = {
    env: envName,
    partition: env.FLEET_PARTITION ?? 'aws',
    presignExpiresInSec: number(env, 'FLEET_PRESIGN_EXPIRES_SECONDS', 3600),
    thingGroupPrefix: env.FLEET_THING_GROUP_PREFIX ?? `${prefix}-`,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.FLEET_QUEUE_PREFIX ?? 'fleet',
    gatePollSeconds: number(env, 'FLEET_GATE_POLL_SECONDS', 60),
    concurrency: number(env, 'FLEET_WORKER_CONCURRENCY', 4),
    ...base,
    ...overrides,
  };
  const result = workerConfigSchema.safeParse(candidate);
  if (!result.success) {
    const settingOf: Record<string, string> = {
      region: 'AWS_REGION',
      accountId: 'FLEET_ACCOUNT_ID',
      firmwareBucket: 'FLEET_FIRMWARE_BUCKET',
      secureBootKey: 'FLEET_SECURE_BOOT_KEY',
      updateKey: 'FLEET_UPDATE_KEY',
      presignRoleArn: 'FLEET_PRESIGN_ROLE_ARN',
      redisUrl: 'REDIS_URL',
      queuePrefix: 'FLEET_QUEUE_PREFIX',
      gatePollSeconds: 'FLEET_GATE_POLL_SECONDS',
      concurrency: 'FLEET_WORKER_CONCURRENCY',
      presignExpiresInSec: 'FLEET_PRESIGN_EXPIRES_SECONDS',
    };
    const problems = result.error.issues.map(issue => {
      const field = issue.path.join('.');
      const setting = settingOf[String(issue.path[0])];
      const value = candidate[String(issue.path[0])];
      return `${field}${setting ? ` (${setting})` : ''}: ${value === undefined ? 'required' : issue.message}`;
    });
    throw new WorkerConfigError(
      `worker configuration (${String(candidate.source)}): ${problems.join('; ')}`,
    );
  }
  return result.data;
}
