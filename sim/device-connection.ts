/**
 * One MQTT 3.1.1 connection over mutual TLS with the official `aws-iot-device-sdk-v2` (the CRT
 * client). All virtual devices of a process share one `MqttClient` (one event-loop group and host
 * resolver); each device has its own connection and its own credentials, as a real device would.
 *
 * A device loads its credentials once: {@link deviceTls} builds the connection settings with their
 * TLS context (parsing the certificate, key and CA costs ~8 ms of CPU in aws-crt), and the device
 * reuses them for every connection it makes — after a reboot too, where a real ESP32 reads the same
 * certificate from flash into a ready TLS configuration. Rebuilding the context per connection was
 * 42 % of the simulator's CPU during a 2,000-device rollout (rebooted devices reconnecting), which
 * starved the downloads and the replies that other devices were waiting for. Claim connections of
 * one process share one context (every device of a factory batch carries the same claim
 * certificate). Each connection still makes its own TLS session (full handshake, client
 * certificate), so the broker sees exactly what a fleet of devices does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { SimTarget } from './sim-target';

let sharedClient: mqtt.MqttClient | undefined;

/** Connection settings a device keeps; see {@link deviceTls}. */
export interface DeviceTlsOptions {
  /** @defaultValue 60 */
  readonly keepAliveSeconds?: number;
  /** Ping answer wait. @defaultValue 10,000 ms */
  readonly pingTimeoutMs?: number;
  /** Publish/subscribe acknowledgement wait. @defaultValue 30,000 ms */
  readonly operationTimeoutMs?: number;
  /**
   * TCP connect and TLS handshake wait (aws-crt uses the socket's connect timeout for both).
   * @defaultValue 10,000 ms, esp-mqtt's network timeout (aws-crt's own default is 5,000)
   */
  readonly connectTimeoutMs?: number;
}

/** A credential's connection settings with its TLS context (build once per credential). */
export type DeviceTls = mqtt.MqttConnectionConfig;

/** Builds the connection settings for one credential (see the file header). */
export function deviceTls(
  endpoint: SimTarget['mqtt'],
  certPem: string,
  keyPem: string,
  options: DeviceTlsOptions = {},
): DeviceTls {
  return iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certPem, keyPem)
    .with_certificate_authority(endpoint.caPem)
    .with_endpoint(endpoint.host)
    .with_port(endpoint.port)
    .with_client_id('unset') // each connection names its own
    .with_clean_session(true)
    .with_keep_alive_seconds(options.keepAliveSeconds ?? 60)
    .with_ping_timeout_ms(options.pingTimeoutMs ?? 10_000)
    .with_protocol_operation_timeout_ms(options.operationTimeoutMs ?? 30_000)
    .with_socket_options(
      new io.SocketOptions(
        io.SocketType.STREAM,
        io.SocketDomain.IPV6,
        options.connectTimeoutMs ?? 10_000,
      ),
    )
    .build();
}

/**
 * For a process that runs virtual devices and nothing that needs the system's CA bundle (`fleet
 * sim`, the fleet benchmark): every TLS context aws-crt builds starts as an s2n config that
 * parses the system bundle (`/etc/ssl/certs/ca-certificates.crt`, ~140 certificates: 15–25 ms of
 * CPU, 60 % of the simulator's CPU while 1,000 devices booted), and then wipes it, because a
 * device trusts only the CA it carries (`with_certificate_authority`). Pointing `SSL_CERT_FILE`
 * and `SSL_CERT_DIR` (read by s2n's libcrypto for those defaults) at nothing skips the parse and
 * changes nothing about what a device trusts. Process-wide and inherited by child processes, so
 * call it only where that is true; Node's own TLS uses its bundled roots and does not read these
 * variables (unless run with `--use-openssl-ca`). Variables the user set are left alone. Call it
 * before the first device connects: native threads read the environment too.
 */
export function skipSystemTrustStore(): void {
  process.env.SSL_CERT_FILE ??= '/dev/null';
  process.env.SSL_CERT_DIR ??= '/dev/null';
}

const claimTls = new WeakMap<SimTarget, DeviceTls>();

/** The claim certificate's settings, shared by every device of the process with this target. */
export function claimDeviceTls(target: SimTarget): DeviceTls {
  let tls = claimTls.get(target);
  if (!tls)
    claimTls.set(target, (tls = deviceTls(target.mqtt, target.claim.certPem, target.claim.keyPem)));
  return tls;
}

/** Connects as `clientId` with settings from {@link deviceTls}; rejects with the broker's refusal. */
export async function connectMqtt(
  tls: DeviceTls,
  clientId: string,
): Promise<mqtt.MqttClientConnection> {
  sharedClient ??= new mqtt.MqttClient();
  const connection = sharedClient.new_connection({ ...tls, client_id: clientId });
  connection.on('error', () => undefined); // surfaced by the failing operation instead
  await connection.connect();
  return connection;
}

const retriedFailures = new Map<string, number>();

/** Connect failures of this process that a retry made up for, by error text (for benchmarks). */
export function retriedConnectFailures(): ReadonlyMap<string, number> {
  return retriedFailures;
}

/** The text of a failure: aws-crt rejects its promises with plain strings (`Failed to connect: …`). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * {@link connectMqtt}, tried again after a failure as firmware keeps reconnecting after a boot
 * (esp-mqtt reconnects on its own): after a random wait of up to 1, 2, 4, then 8 s ("full
 * jitter"), so that devices which failed together do not come back together. A fleet rebooting
 * into a new version at once is a connection storm: the broker handshakes one connection at a
 * time, and connects wait in its accept queue.
 * @throws the last attempt's error, naming the attempts
 */
export async function connectMqttRetrying(
  tls: DeviceTls,
  clientId: string,
  attempts = 8,
): Promise<mqtt.MqttClientConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectMqtt(tls, clientId);
    } catch (error) {
      if (attempt >= attempts)
        throw new Error(`${clientId}: ${errorText(error)} (${attempts} attempts)`);
      retriedFailures.set(errorText(error), (retriedFailures.get(errorText(error)) ?? 0) + 1);
      await sleep(Math.random() * 1000 * 2 ** Math.min(attempt - 1, 3));
    }
  }
}

/** A promise and its resolvers, rejected after `ms` with `what` in the message. */
export function reply<T>(
  what: string,
  ms = 30_000,
): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ${what} within ${ms} ms`)), ms);
    resolve = v => (clearTimeout(timer), ok(v));
    reject = e => (clearTimeout(timer), fail(e));
  });
  // A reply can time out while its caller still waits for the publish (a stalled broker): the
  // caller sees the error when it awaits; it must not crash the process as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
