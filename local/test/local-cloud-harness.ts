/**
 * Test helpers for the local cloud: start it on port 0 in a temporary state dir, connect with the
 * official aws-iot-device-sdk-v2 over mutual TLS, make device keys and CSRs, and run the fleet
 * provisioning flows through the SDK's `iotidentity` client (as a device would).
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { iot, iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import { startLocalCloud } from '../local-cloud';
import type { LocalCloud, StartLocalCloudOptions } from '../local-cloud-config';

/** A fresh temporary state dir. */
export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'local-cloud-'));
}

/** Starts the local cloud on an ephemeral port (synthesizing `dev` unless `tfJsonPath` is given). */
export function startTestCloud(options: Partial<StartLocalCloudOptions> = {}): Promise<LocalCloud> {
  return startLocalCloud({ stateDir: options.stateDir ?? tempStateDir(), mqttPort: 0, ...options });
}

const mqttClient = new mqtt.MqttClient();

/** Connects with the official SDK (MQTT 3.1.1, mutual TLS, CA from the state dir). */
export async function connectDevice(cloud: LocalCloud, certPem: string, keyPem: string, clientId: string): Promise<mqtt.MqttClientConnection> {
  const { readFileSync } = await import('node:fs');
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certPem, keyPem)
    .with_certificate_authority(readFileSync(cloud.config.mqtt.caFile, 'utf8'))
    .with_endpoint('localhost')
    .with_port(cloud.config.mqtt.port)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(30)
    .with_ping_timeout_ms(3000)
    .with_protocol_operation_timeout_ms(5000)
    .build();
  const connection = mqttClient.new_connection(config);
  connection.on('error', () => {});
  await connection.connect();
  return connection;
}

/** Connects and resolves to the error when the broker refuses (no retries). */
export async function connectExpectingRefusal(cloud: LocalCloud, certPem: string, keyPem: string, clientId: string): Promise<Error> {
  try {
    const c = await connectDevice(cloud, certPem, keyPem, clientId);
    await c.disconnect();
  } catch (error) {
    return error as Error;
  }
  throw new Error(`connection as ${clientId} was accepted but should have been refused`);
}

/** Resolves when the broker closes the connection (an 'interrupt' event), or rejects after `ms`. */
export function waitForInterrupt(connection: mqtt.MqttClientConnection, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection was not closed by the broker within ${ms} ms`)), ms);
    connection.on('interrupt', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A P-256 key (PKCS#8 PEM) and a CSR signed with it, made on the "device". */
export async function makeKeyAndCsr(commonName = 'device'): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys: keys as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as never });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`.replace('\n\n', '\n');
  return { keyPem, csrPem: csr.toString('pem') };
}

/** An RSA CSR made with node:crypto only (a second key type the CA must accept). */
export function rsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

type Outcome<T> = { accepted: T } | { rejected: iotidentity.model.ErrorResponse };

function settle<T>(): { promise: Promise<Outcome<T>>; accept(v: T): void; reject(e: iotidentity.model.ErrorResponse): void } {
  let accept!: (v: T) => void;
  let reject!: (e: iotidentity.model.ErrorResponse) => void;
  const promise = new Promise<Outcome<T>>((resolve, fail) => {
    const timer = setTimeout(() => fail(new Error('no reply on /accepted or /rejected within 10 s')), 10_000);
    accept = v => (clearTimeout(timer), resolve({ accepted: v }));
    reject = e => (clearTimeout(timer), resolve({ rejected: e }));
  });
  return { promise, accept, reject };
}

/** CreateCertificateFromCsr through the SDK. */
export async function createCertificateFromCsr(identity: iotidentity.IotIdentityClient, csrPem: string): Promise<Outcome<iotidentity.model.CreateCertificateFromCsrResponse>> {
  const s = settle<iotidentity.model.CreateCertificateFromCsrResponse>();
  await identity.subscribeToCreateCertificateFromCsrAccepted({}, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.accept(r));
  await identity.subscribeToCreateCertificateFromCsrRejected({}, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.reject(r));
  await identity.publishCreateCertificateFromCsr({ certificateSigningRequest: csrPem }, mqtt.QoS.AtLeastOnce);
  return s.promise;
}

/** CreateKeysAndCertificate through the SDK. */
export async function createKeysAndCertificate(identity: iotidentity.IotIdentityClient): Promise<Outcome<iotidentity.model.CreateKeysAndCertificateResponse>> {
  const s = settle<iotidentity.model.CreateKeysAndCertificateResponse>();
  await identity.subscribeToCreateKeysAndCertificateAccepted({}, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.accept(r));
  await identity.subscribeToCreateKeysAndCertificateRejected({}, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.reject(r));
  await identity.publishCreateKeysAndCertificate({}, mqtt.QoS.AtLeastOnce);
  return s.promise;
}

/** RegisterThing through the SDK. */
export async function registerThing(
  identity: iotidentity.IotIdentityClient,
  templateName: string,
  certificateOwnershipToken: string,
  parameters: Record<string, string>,
): Promise<Outcome<iotidentity.model.RegisterThingResponse>> {
  const s = settle<iotidentity.model.RegisterThingResponse>();
  await identity.subscribeToRegisterThingAccepted({ templateName }, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.accept(r));
  await identity.subscribeToRegisterThingRejected({ templateName }, mqtt.QoS.AtLeastOnce, (_e, r) => r && s.reject(r));
  await identity.publishRegisterThing({ templateName, certificateOwnershipToken, parameters }, mqtt.QoS.AtLeastOnce);
  return s.promise;
}

/** Claim credentials from `local-cloud.json`. */
export async function claimCredentials(cloud: LocalCloud): Promise<{ certPem: string; keyPem: string }> {
  const { readFileSync } = await import('node:fs');
  if (!cloud.config.claim) throw new Error('local-cloud.json has no claim certificate');
  return { certPem: readFileSync(cloud.config.claim.certFile, 'utf8'), keyPem: readFileSync(cloud.config.claim.keyFile, 'utf8') };
}

/** Provisions one device through the CSR path as the firmware does; returns its identity. */
export async function provisionDevice(cloud: LocalCloud, serial: string): Promise<{ thingName: string; certPem: string; keyPem: string; certificateId: string }> {
  const claim = await claimCredentials(cloud);
  const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, `esp32-dev-claim-${serial}`);
  try {
    const identity = new iotidentity.IotIdentityClient(connection);
    const { keyPem, csrPem } = await makeKeyAndCsr(serial);
    const created = await createCertificateFromCsr(identity, csrPem);
    if (!('accepted' in created)) throw new Error(`CreateCertificateFromCsr rejected: ${JSON.stringify(created.rejected)}`);
    const registered = await registerThing(identity, cloud.config.provisioningTemplate!, created.accepted.certificateOwnershipToken!, { SerialNumber: serial });
    if (!('accepted' in registered)) throw new Error(`RegisterThing rejected: ${JSON.stringify(registered.rejected)}`);
    return { thingName: registered.accepted.thingName!, certPem: created.accepted.certificatePem!, keyPem, certificateId: created.accepted.certificateId! };
  } finally {
    await connection.disconnect();
  }
}
