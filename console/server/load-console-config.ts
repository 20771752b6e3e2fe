/**
 * Where the console's configuration comes from, in order (as the worker's, `worker/config/`):
 * 1. the local cloud: `--config <local-cloud.json>`, else `FLEET_LOCAL_CLOUD`, else
 *    `.fleet/local/local-cloud.json` if it exists. The file gives the region, the credentials for
 *    the IoT APIs, `endpoints.iot` (control and data plane), `endpoints.mqttWebSocket` and the
 *    console identity (`console.credentials`) that signs the page's WebSocket URL.
 * 2. otherwise AWS: `AWS_REGION`; credentials from the SDK's default chain (the console's role);
 *    the data endpoint from DescribeEndpoint unless `FLEET_MQTT_WS_URL` names the WebSocket URL.
 * Always: `REDIS_URL` (default `redis://127.0.0.1:6379`), `FLEET_QUEUE_PREFIX` (default `fleet`),
 * `FLEET_CONSOLE_CLIENT_ID_PREFIX` (the stack output `console_client_id_prefix`; default
 * `esp32-fleet-<FLEET_ENV or dev>-console-`, locally `<console.policyName>-` as `infra/fleet-stack.ts`
 * names both). Errors name the setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ConsoleConfig } from './console-config';

export const DEFAULT_LOCAL_CLOUD_FILE = '.fleet/local/local-cloud.json';

const credentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
});

/** The part of `local-cloud.json` the console reads. */
const localCloudFileSchema = z.object({
  region: z.string(),
  credentials: credentialsSchema,
  endpoints: z.object({
    iot: z.string().nullable(),
    mqttWebSocket: z.string().nullish(),
  }),
  console: z
    .object({
      credentials: credentialsSchema,
      policyName: z.string().min(1),
      clientIdPrefix: z.string().min(1).optional(),
    })
    .nullish(),
});

export interface LoadConsoleConfigOptions {
  /** `--config <local-cloud.json>`. */
  readonly configFile?: string;
  /** @defaultValue `process.env` */
  readonly environment?: NodeJS.ProcessEnv;
  /** Directory `.fleet/local` is looked up in. @defaultValue `process.cwd()` */
  readonly cwd?: string;
}

/** A configuration that cannot work; the message names the setting. */
export class ConsoleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleConfigError';
  }
}

function common(env: NodeJS.ProcessEnv) {
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(redisUrl))
    throw new ConsoleConfigError(`REDIS_URL: expected redis://host:port, got "${redisUrl}"`);
  const queuePrefix = env.FLEET_QUEUE_PREFIX || 'fleet';
  if (!/^[A-Za-z0-9_-]+$/.test(queuePrefix))
    throw new ConsoleConfigError(
      `FLEET_QUEUE_PREFIX: expected letters, digits, _ and -, got "${queuePrefix}"`,
    );
  const clientIdPrefix =
    env.FLEET_CONSOLE_CLIENT_ID_PREFIX || `esp32-fleet-${env.FLEET_ENV || 'dev'}-console-`;
  if (!/^[A-Za-z0-9:_-]{1,100}$/.test(clientIdPrefix))
    throw new ConsoleConfigError(
      `FLEET_CONSOLE_CLIENT_ID_PREFIX: expected up to 100 of [A-Za-z0-9:_-], got "${clientIdPrefix}"`,
    );
  const ws = env.FLEET_MQTT_WS_URL || undefined;
  if (ws !== undefined && !/^wss?:\/\/[^/?#]+\/mqtt$/.test(ws))
    throw new ConsoleConfigError(`FLEET_MQTT_WS_URL: expected wss://<host>/mqtt, got "${ws}"`);
  return { redisUrl, queuePrefix, clientIdPrefix, urlExpiresSeconds: 300, mqttWebSocketUrl: ws };
}

function localFile(options: LoadConsoleConfigOptions, env: NodeJS.ProcessEnv): string | undefined {
  if (options.configFile !== undefined) return resolve(options.configFile);
  if (env.FLEET_LOCAL_CLOUD) return resolve(env.FLEET_LOCAL_CLOUD);
  const fallback = resolve(options.cwd ?? process.cwd(), DEFAULT_LOCAL_CLOUD_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

/** The checked configuration (see the file header). */
export function loadConsoleConfig(options: LoadConsoleConfigOptions = {}): ConsoleConfig {
  const env = options.environment ?? process.env;
  const base = common(env);
  const file = localFile(options, env);
  if (file === undefined) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    if (!region)
      throw new ConsoleConfigError(
        'AWS_REGION: not set, and no local cloud (--config <local-cloud.json>, FLEET_LOCAL_CLOUD or .fleet/local/local-cloud.json)',
      );
    return { ...base, source: 'environment', region, local: false };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConsoleConfigError(
      `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); is the local cloud's state dir right?`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConsoleConfigError(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = localCloudFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConsoleConfigError(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const f = parsed.data;
  if (!f.endpoints.iot)
    throw new ConsoleConfigError(
      `${file}: endpoints.iot is null: the local cloud runs without its IoT services (started with --no-services?)`,
    );
  const ws = base.mqttWebSocketUrl ?? f.endpoints.mqttWebSocket ?? undefined;
  if (!ws)
    throw new ConsoleConfigError(
      `${file}: endpoints.mqttWebSocket is not set: this local cloud serves no MQTT over WebSockets (restart \`fleet local up\`)`,
    );
  if (!f.console)
    throw new ConsoleConfigError(
      `${file}: console.credentials is missing: the local cloud has no console identity to sign the page's WebSocket URL (restart \`fleet local up\`)`,
    );
  return {
    ...base,
    source: file,
    region: f.region,
    local: true,
    credentials: f.credentials,
    iotEndpoint: f.endpoints.iot,
    iotDataEndpoint: f.endpoints.iot,
    mqttWebSocketUrl: ws,
    browserCredentials: f.console.credentials,
    clientIdPrefix:
      env.FLEET_CONSOLE_CLIENT_ID_PREFIX || f.console.clientIdPrefix || `${f.console.policyName}-`,
  };
}
