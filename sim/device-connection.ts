/**
 * One MQTT 3.1.1 connection over mutual TLS with the official `aws-iot-device-sdk-v2` (the CRT
 * client). All virtual devices of a process share one `MqttClient` (one event-loop group and host
 * resolver); each device has its own connection and TLS context, as a real device would.
 */
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { SimTarget } from './sim-target';

let sharedClient: mqtt.MqttClient | undefined;

/** Connects as `clientId` with the given certificate; rejects with the broker's refusal. */
export async function connectMqtt(target: SimTarget, certPem: string, keyPem: string, clientId: string): Promise<mqtt.MqttClientConnection> {
  sharedClient ??= new mqtt.MqttClient();
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certPem, keyPem)
    .with_certificate_authority(target.mqtt.caPem)
    .with_endpoint(target.mqtt.host)
    .with_port(target.mqtt.port)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(60)
    .with_ping_timeout_ms(10_000)
    .with_protocol_operation_timeout_ms(30_000)
    .build();
  const connection = sharedClient.new_connection(config);
  connection.on('error', () => undefined); // surfaced by the failing operation instead
  await connection.connect();
  return connection;
}

/** A promise and its resolvers, rejected after `ms` with `what` in the message. */
export function reply<T>(what: string, ms = 30_000): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
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
