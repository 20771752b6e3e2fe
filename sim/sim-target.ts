/**
 * Where virtual devices connect and what they carry from the "factory": the MQTT endpoint and CA,
 * the claim certificate, the provisioning template, the thing-name prefix, and the public key of
 * the update signing key (built into real firmware; here read once from KMS, as a factory would).
 *
 * From the local cloud: `loadSimTarget({ localStateDir })` reads `<state-dir>/local-cloud.json`
 * and asks its KMS for the public key of `alias/esp32-fleet-<env>/update` (the worker's key,
 * `worker/config/load-worker-config.ts`). From AWS: `FLEET_MQTT_ENDPOINT`, `FLEET_CA_FILE`,
 * `FLEET_CLAIM_CERT_FILE`, `FLEET_CLAIM_KEY_FILE`, `FLEET_PROVISIONING_TEMPLATE` and
 * `FLEET_UPDATE_PUBLIC_KEY_FILE` (PEM) — the same facts, from the stack's outputs.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface SimTarget {
  readonly mqtt: { readonly host: string; readonly port: number; readonly caPem: string };
  readonly claim: { readonly certPem: string; readonly keyPem: string };
  readonly provisioningTemplate: string;
  /** `<thingNamePrefix>-<serial>` (docs/infra-contract.md): the claim client id uses it too. */
  readonly thingNamePrefix: string;
  readonly updatePublicKey: KeyObject;
}

export interface LoadSimTargetOptions {
  /** A local cloud's state dir; without it, the AWS variables above are read. */
  readonly localStateDir?: string;
  /** @defaultValue `dev` */
  readonly env?: string;
  readonly environment?: NodeJS.ProcessEnv;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Device-side name prefix per environment: `esp32-dev` in dev, `esp32` in prod (infra-contract.md). */
export function thingNamePrefixOf(env: string): string {
  return env === 'prod' ? 'esp32' : `esp32-${env}`;
}

export async function loadSimTarget(options: LoadSimTargetOptions = {}): Promise<SimTarget> {
  const env = options.env ?? 'dev';
  const vars = options.environment ?? process.env;
  if (options.localStateDir === undefined) {
    const need = (name: string): string => {
      const value = vars[name];
      if (!value) throw new Error(`${name} is not set (needed to reach AWS IoT without --local)`);
      return value;
    };
    const [host, port] = need('FLEET_MQTT_ENDPOINT').split(':');
    return {
      mqtt: { host, port: Number(port ?? 8883), caPem: read(need('FLEET_CA_FILE'), 'CA file') },
      claim: {
        certPem: read(need('FLEET_CLAIM_CERT_FILE'), 'claim certificate'),
        keyPem: read(need('FLEET_CLAIM_KEY_FILE'), 'claim key'),
      },
      provisioningTemplate: need('FLEET_PROVISIONING_TEMPLATE'),
      thingNamePrefix: vars.FLEET_THING_NAME_PREFIX ?? thingNamePrefixOf(env),
      updatePublicKey: createPublicKey(
        read(need('FLEET_UPDATE_PUBLIC_KEY_FILE'), 'update public key'),
      ),
    };
  }
  const file = join(resolve(options.localStateDir), 'local-cloud.json');
  const config = JSON.parse(read(file, "the local cloud's")) as {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    mqtt: { host: string; port: number; caFile: string };
    endpoints: { kms: string | null };
    claim: { certFile: string; keyFile: string } | null;
    provisioningTemplate: string | null;
  };
  if (!config.claim || !config.provisioningTemplate)
    throw new Error(
      `${file}: no claim certificate or provisioning template (the stack declares none?)`,
    );
  if (!config.endpoints.kms)
    throw new Error(`${file}: endpoints.kms is null (the local cloud runs without KMS)`);
  const { KMSClient, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
  const kms = new KMSClient({
    endpoint: config.endpoints.kms,
    region: config.region,
    credentials: config.credentials,
  });
  try {
    const keyId = `alias/esp32-fleet-${env}/update`;
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (!out.PublicKey) throw new Error(`KMS GetPublicKey ${keyId}: no PublicKey in the answer`);
    return {
      // The server certificate names localhost and 127.0.0.1; the CRT checks the host name.
      mqtt: {
        host: config.mqtt.host === '127.0.0.1' ? 'localhost' : config.mqtt.host,
        port: config.mqtt.port,
        caPem: read(config.mqtt.caFile, 'CA file'),
      },
      claim: {
        certPem: read(config.claim.certFile, 'claim certificate'),
        keyPem: read(config.claim.keyFile, 'claim key'),
      },
      provisioningTemplate: config.provisioningTemplate,
      thingNamePrefix: thingNamePrefixOf(env),
      updatePublicKey: createPublicKey({
        key: Buffer.from(out.PublicKey),
        format: 'der',
        type: 'spki',
      }),
    };
  } finally {
    kms.destroy();
  }
}
