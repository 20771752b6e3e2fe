/**
 * `startLocalCloud`: the AWS side of the platform on one machine. On start it
 * 1. prepares the state dir: CA (first start), credentials (once per state dir), claim key + CSR;
 * 2. synthesizes the environment with the local claim CSR (or reads `tfJsonPath`) and applies it;
 * 3. starts the MQTT broker with the fleet provisioning topics, the MQTT-over-WebSocket listener
 *    (SigV4-signed URLs; admin and console credentials), then the plugged-in services;
 * 4. writes `<stateDir>/local-cloud.json` (atomically) for clients to discover it.
 * `close()` stops everything and compacts the registry, so state survives restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startIotBroker } from './broker/iot-broker';
import { startMqttWebSocketListener, type MqttWebSocketListener } from './broker/mqtt-websocket-listener';
import { webSocketSigners } from './broker/websocket-signers';
import { ReservedTopicDispatcher } from './broker/reserved-topics';
import type { LocalCloud, LocalCloudConfig, LocalCloudEndpoints, LocalCloudLog, LocalConsoleIdentity, RunningLocalService, StartLocalCloudOptions } from './local-cloud-config';
import { loadOrCreateLocalCa } from './pki/local-ca';
import { createCertificateFromCsrFamily, createKeysAndCertificateFamily } from './provisioning/certificate-handlers';
import { OwnershipTokens } from './provisioning/ownership-tokens';
import { createHookRunner } from './provisioning/pre-provisioning-hook-runner';
import { registerThingFamily } from './provisioning/register-thing-handler';
import { Registry } from './registry/registry';
import { writeFileAtomic } from './state/write-file-atomic';
import { applyStack } from './terraform/apply-stack';
import { iotAppliers, type LambdaTable } from './terraform/iot-appliers';
import { readTfJson } from './terraform/tf-json';

/** Account id of the local cloud (LocalStack uses the same all-zero id). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** File name of the discovery file in the state dir. */
export const LOCAL_CLOUD_FILE = 'local-cloud.json';

const silentLog: LocalCloudLog = { info() {}, warn() {}, debug() {}, error() {} };

/** Default port of MQTT over WebSockets (AWS serves it on 443; 8443 needs no privileges). */
const DEFAULT_WEBSOCKET_PORT = 8443;

/**
 * Credentials are made once per state dir (AWS-shaped: `AKIA` + 16, and 40 characters):
 * `credentials.json` (admin) and `console-credentials.json` (the console's identity).
 */
async function loadOrCreateCredentials(stateDir: string, fileName = 'credentials.json'): Promise<LocalCloudConfig['credentials']> {
  const file = join(stateDir, fileName);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalCloudConfig['credentials'];
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const accessKeyId = 'AKIA' + [...randomBytes(16)].map(b => alphabet[b % 32]).join('');
  const secretAccessKey = randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
  const credentials = { accessKeyId, secretAccessKey };
  await writeFileAtomic(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return credentials;
}

/** The claim key and CSR the local cloud signs its claim certificate from (made once). */
async function ensureClaimCsr(stateDir: string, env: string): Promise<{ keyPath: string; csrPath: string }> {
  const outDir = join(stateDir, 'claim');
  const { createClaimCsr, CLAIM_CSR_FILE, CLAIM_KEY_FILE } = await import('../infra/claim-csr');
  const keyPath = join(outDir, CLAIM_KEY_FILE);
  const csrPath = join(outDir, CLAIM_CSR_FILE);
  if (existsSync(keyPath) && existsSync(csrPath)) return { keyPath, csrPath };
  return createClaimCsr({ outDir, commonName: `esp32-${env}-claim`, force: true });
}

/** Starts the local cloud (see the file header). */
export async function startLocalCloud(options: StartLocalCloudOptions): Promise<LocalCloud> {
  const stateDir = resolve(options.stateDir);
  const env = options.env ?? 'dev';
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? silentLog;
  const services = options.services ?? [];
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  const credentials = await loadOrCreateCredentials(stateDir);
  const ca = await loadOrCreateLocalCa(stateDir);
  const claim = await ensureClaimCsr(stateDir, env);

  let tfJsonPath = options.tfJsonPath;
  if (!tfJsonPath) {
    const { synthEnvironments } = await import('../infra/synth');
    const [result] = synthEnvironments({ outdir: join(stateDir, 'cdktf.out'), environments: [env], overrides: { claimCsrPath: claim.csrPath } });
    tfJsonPath = result.tfJsonPath;
    log.info({ env, tfJsonPath }, 'synthesized stack');
  }
  const tf = readTfJson(tfJsonPath);
  const region = tf.providerRegion ?? 'us-east-1';
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const registry = new Registry(stateDir, { region, accountId });
  const running: RunningLocalService[] = [];
  let sweeper: NodeJS.Timeout | undefined;
  let broker: Awaited<ReturnType<typeof startIotBroker>> | undefined;
  let webSocket: MqttWebSocketListener | undefined;

  const closeAll = async (): Promise<void> => {
    clearInterval(sweeper);
    for (const service of running.reverse()) await service.close();
    running.length = 0;
    await webSocket?.close();
    await broker?.close();
    registry.close();
  };

  try {
    const lambdas: LambdaTable = new Map();
    const appliers = Object.assign({}, iotAppliers(lambdas), ...services.map(s => s.appliers ?? {}));
    const applied = await applyStack({ tf, registry, ca, appliers, accountId });
    if (applied.unknownTypes.length > 0) {
      log.warn({ types: applied.unknownTypes }, 'not applied locally (no local service handles these resource types)');
    }

    // The claim certificate is the stack's certificate made from our claim CSR.
    const claimCsr = readFileSync(claim.csrPath, 'utf8');
    const claimCert = applied.blocks.find(b => b.type === 'aws_iot_certificate' && b.config.csr === claimCsr);
    let claimFiles: LocalCloudConfig['claim'] = null;
    if (claimCert) {
      const certFile = join(stateDir, 'claim', 'claim.cert.pem');
      await writeFileAtomic(certFile, String(applied.attributes.get(claimCert.address)?.certificate_pem));
      claimFiles = { certFile, keyFile: claim.keyPath };
    } else {
      log.warn({ csrPath: claim.csrPath }, 'the stack declares no certificate from the local claim CSR; claim is null in local-cloud.json');
    }
    const template = applied.blocks.find(b => b.type === 'aws_iot_provisioning_template' && b.config.type !== 'JITP');
    const domain = applied.blocks.find(b => b.type === 'aws_iot_domain_configuration')?.config.domain_name;
    const serverName = typeof domain === 'string' ? domain : 'localhost';

    const server = await ca.createServerCredentials([...new Set([serverName, 'localhost'])], ['127.0.0.1']);
    const tokens = new OwnershipTokens(options.now ?? Date.now, certificateId => {
      // "If the certificate ... has not been activated ... by the time the token expires, the certificate is deleted."
      if (registry.getCertificate(certificateId)?.status === 'PENDING_ACTIVATION') registry.deleteCertificate(certificateId);
    });
    sweeper = setInterval(() => tokens.sweep(), 60_000);
    sweeper.unref();
    const dispatcher = new ReservedTopicDispatcher()
      .register(createKeysAndCertificateFamily({ ca, registry, tokens }))
      .register(createCertificateFromCsrFamily({ ca, registry, tokens }))
      .register(registerThingFamily({ registry, tokens, runHook: createHookRunner(lambdas, options.hookModuleUrl, entry => log.debug(entry, 'pre-provisioning hook')) }));

    broker = await startIotBroker({
      registry,
      dispatcher,
      caCertPem: ca.caCertPem,
      serverKeyPem: server.keyPem,
      serverCertPem: server.certPem,
      host,
      port: options.mqttPort ?? 8883,
      log,
    });

    // The console's identity: the stack's console IoT policy, attached to the console role's ARN
    // (tagged by infra/console-access.ts), and a credential pair made once per state dir.
    const { CONSOLE_ACCESS_TAG } = await import('../infra/console-access');
    const tagged = (type: string) =>
      applied.blocks.find(b => b.type === type && (b.config.tags as Record<string, unknown> | undefined)?.[CONSOLE_ACCESS_TAG.key] === CONSOLE_ACCESS_TAG.value);
    const consolePolicy = tagged('aws_iot_policy');
    const consoleRole = tagged('aws_iam_role');
    let consoleIdentity: LocalConsoleIdentity | null = null;
    if (consolePolicy && consoleRole) {
      const policyName = String(applied.attributes.get(consolePolicy.address)?.name);
      const roleArn = String(applied.attributes.get(consoleRole.address)?.arn);
      registry.attachPolicy(policyName, roleArn);
      consoleIdentity = { credentials: await loadOrCreateCredentials(stateDir, 'console-credentials.json'), policyName, roleArn };
    } else {
      log.warn({ tag: `${CONSOLE_ACCESS_TAG.key}=${CONSOLE_ACCESS_TAG.value}` }, 'the stack declares no console IoT policy and role; console is null in local-cloud.json');
    }
    webSocket = await startMqttWebSocketListener({
      broker,
      host,
      // A caller that asks for a free MQTT port (tests, benches) gets a free WebSocket port too.
      port: options.webSocketPort ?? (options.mqttPort === 0 ? 0 : DEFAULT_WEBSOCKET_PORT),
      tls: { keyPem: server.keyPem, certPem: server.certPem },
      region,
      signerFor: webSocketSigners({
        registry,
        rootArn: `arn:aws:iam::${accountId}:root`,
        admin: credentials,
        console: consoleIdentity ? { credentials: consoleIdentity.credentials, roleArn: consoleIdentity.roleArn } : undefined,
      }),
      now: options.now,
      log,
    });

    let endpoints: LocalCloudEndpoints = { iot: null, iotJobsData: null, s3: null, kms: null, mqttWebSocket: `wss://localhost:${webSocket.port}/mqtt` };
    for (const service of services) {
      const started = await service.start({
        stateDir,
        host,
        region,
        accountId,
        credentials,
        applied,
        registry,
        ca,
        dispatcher,
        broker,
        endpoints: () => endpoints,
        serverTls: { keyPem: server.keyPem, certPem: server.certPem, caCertPem: ca.caCertPem },
        log,
      });
      running.push(started);
      endpoints = { ...endpoints, ...started.endpoints };
    }

    const config: LocalCloudConfig = {
      region,
      accountId,
      credentials,
      mqtt: { host, port: broker.port, serverName, caFile: ca.caCertFile },
      endpoints,
      claim: claimFiles,
      provisioningTemplate: template ? String(template.config.name) : null,
      console: consoleIdentity,
    };
    const configPath = join(stateDir, LOCAL_CLOUD_FILE);
    await writeFileAtomic(configPath, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
    log.info({ mqtt: `${host}:${broker.port}`, serverName, template: config.provisioningTemplate }, 'local cloud ready');
    return { config, configPath, registry, applied, close: closeAll };
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
}
