/**
 * `npm run bench -- mqtt-websocket`: messages per second delivered to one subscriber of `#` while
 * 1,000 devices publish telemetry, over MQTT over WebSockets (SigV4-signed URL, `wss://` and
 * loopback `ws://`) beside the same over the mutual-TLS MQTT listener, in the same run against the
 * same local cloud (`fleet local up` in a child process) and the same connected devices.
 *
 * Devices are official `aws-iot-device-sdk-v2` connections (mutual TLS), provisioned first through
 * fleet provisioning with the simulator's code (not timed). The subscriber is MQTT.js (the client
 * the console uses) on every transport, so only the transport differs. Over WebSockets it signs
 * with the admin credentials (full access); over TLS it uses the claim certificate with an extra
 * "observer" policy (Connect/Subscribe/Receive on `*`) added to the applied stack for this run —
 * no device policy allows `#`.
 *
 * Each phase: every device publishes `--messages` QoS 0 telemetry messages as fast as the SDK
 * takes them; the rate is messages received by the subscriber / time from the first publish to
 * the last message received. Phases alternate (TLS, wss, ws, twice) so drift on a shared machine
 * hits all transports alike.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mqtt as crt } from 'aws-iot-device-sdk-v2';
import mqtt, { type MqttClient } from 'mqtt';
import { presignMqttWebSocketUrl } from '../../console/server/presign-mqtt-url';
import { CLAIM_CSR_FILE, createClaimCsr } from '../../infra/claim-csr';
import { synthEnvironments } from '../../infra/synth';
import { provisionDevice } from '../../sim/provision-device';
import { loadSimTarget } from '../../sim/sim-target';
import {
  connectDevice,
  cpuSeconds,
  flag,
  pool,
  startCloudProcess,
} from './support/local-cloud-load';

const DEVICES = flag('devices', 1000);
const MESSAGES = flag('messages', 20);
const CONCURRENCY = flag('concurrency', 48);
const REPEATS = flag('repeats', 2);

const stateDir = mkdtempSync(join(tmpdir(), 'bench-mqtt-ws-'));

/**
 * The `dev` stack with the local claim CSR, plus a policy that lets the claim certificate observe
 * every topic (for the TLS subscriber of `#`). Written beside the synthesized JSON so its relative
 * `file()` paths still resolve.
 */
async function stackWithObserver(): Promise<string> {
  const claim = await createClaimCsr({
    outDir: join(stateDir, 'claim'),
    commonName: 'esp32-dev-claim',
    force: true,
  });
  const [result] = synthEnvironments({
    outdir: join(stateDir, 'cdktf.out'),
    environments: ['dev'],
    overrides: { claimCsrPath: join(dirname(claim.csrPath), CLAIM_CSR_FILE) },
  });
  const stack = JSON.parse(readFileSync(result.tfJsonPath, 'utf8')) as {
    resource: Record<string, Record<string, unknown>>;
  };
  const certificates = Object.keys(stack.resource.aws_iot_certificate ?? {});
  if (certificates.length !== 1)
    throw new Error(
      `expected one aws_iot_certificate (the claim) in the dev stack, found ${certificates.length}`,
    );
  stack.resource.aws_iot_policy.bench_observer = {
    name: 'bench-observer',
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iot:Connect', 'iot:Subscribe', 'iot:Receive'], Resource: '*' },
      ],
    }),
  };
  stack.resource.aws_iot_policy_attachment = {
    ...stack.resource.aws_iot_policy_attachment,
    bench_observer: {
      policy: '${aws_iot_policy.bench_observer.name}',
      target: `\${aws_iot_certificate.${certificates[0]}.arn}`,
    },
  };
  const path = join(dirname(result.tfJsonPath), 'cdk.bench.tf.json');
  writeFileSync(path, JSON.stringify(stack));
  return path;
}

/** MQTT.js subscribed to `#`, counting messages and noting when the last one arrived. */
async function subscriber(
  url: string,
  options: mqtt.IClientOptions,
): Promise<{ client: MqttClient; received(): number; lastAt(): number }> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  let received = 0;
  let lastAt = 0;
  client.on('message', () => {
    received++;
    lastAt = performance.now();
  });
  const [granted] = await client.subscribeAsync('#', { qos: 0 });
  if (granted?.qos === 128) throw new Error(`subscription to # refused over ${url.split('?')[0]}`);
  return { client, received: () => received, lastAt: () => lastAt };
}

const server = await startCloudProcess(stateDir, ['--tf-json', await stackWithObserver()]);
try {
  const config = server.config as typeof server.config & { endpoints: { mqttWebSocket: string } };
  const caPem = readFileSync(config.mqtt.caFile, 'utf8');
  console.log(
    `machine: load average ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} on 2 cores before the run`,
  );
  const target = await loadSimTarget({ localStateDir: stateDir });
  const started = performance.now();
  // Provision and connect in one task per device: the handshakes overlap with other provisionings.
  const devices = await pool(DEVICES, CONCURRENCY, async i => {
    const identity = await provisionDevice(target, (0xc0de00000000 + i).toString(16).toUpperCase());
    const connection = await connectDevice(
      config,
      identity.certPem,
      identity.keyPem,
      identity.thingName,
      60_000,
    );
    return { thingName: identity.thingName, connection };
  });
  console.log(
    `setup: ${devices.length} devices provisioned and connected in ${((performance.now() - started) / 1000).toFixed(1)} s (not timed)`,
  );

  const transports: Record<string, () => ReturnType<typeof subscriber>> = {
    'TLS MQTT (8883-style)': () =>
      subscriber(`mqtts://localhost:${config.mqtt.port}`, {
        clientId: `bench-observer-${Date.now()}`,
        ca: caPem,
        cert: readFileSync(config.claim.certFile),
        key: readFileSync(config.claim.keyFile),
      }),
    'wss (SigV4)': () =>
      subscriber(
        presignMqttWebSocketUrl({
          url: config.endpoints.mqttWebSocket,
          region: config.region,
          credentials: config.credentials,
        }),
        { clientId: `bench-ws-${Date.now()}`, ca: caPem },
      ),
    'ws loopback (SigV4)': () =>
      subscriber(
        presignMqttWebSocketUrl({
          url: config.endpoints.mqttWebSocket.replace(/^wss:/, 'ws:'),
          region: config.region,
          credentials: config.credentials,
        }),
        { clientId: `bench-ws-${Date.now()}` },
      ),
  };
  const expected = devices.length * MESSAGES;
  const rates: Record<string, number[]> = {};
  for (let round = 0; round < REPEATS; round++) {
    for (const [name, open] of Object.entries(transports)) {
      const sub = await open();
      const cpuBefore = cpuSeconds(server.pid);
      const t0 = performance.now();
      const payload = JSON.stringify({ rssi: -60, heap: 123456, uptimeSeconds: 42 });
      await Promise.all(
        devices.map(async d => {
          for (let m = 0; m < MESSAGES; m++)
            await d.connection.publish(
              `fleet/telemetry/${d.thingName}/status`,
              payload,
              crt.QoS.AtMostOnce,
            );
        }),
      );
      // Until everything arrived, or nothing more for 3 s (QoS 0 may be dropped).
      while (sub.received() < expected && performance.now() - Math.max(sub.lastAt(), t0) < 3000)
        await new Promise(resolve => setTimeout(resolve, 20));
      const seconds = (sub.lastAt() - t0) / 1000;
      const rate = sub.received() / seconds;
      (rates[name] ??= []).push(rate);
      console.log(
        `${name.padEnd(22)} round ${round + 1}: ${sub.received()}/${expected} delivered in ${seconds.toFixed(2)} s = ${Math.round(rate)} msg/s (server CPU ${(cpuSeconds(server.pid) - cpuBefore).toFixed(1)} s)`,
      );
      await sub.client.endAsync();
      // Let the broker drain this phase before the next subscriber arrives.
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  }
  const best = (name: string): number => Math.max(...rates[name]);
  const baseline = best('TLS MQTT (8883-style)');
  console.log(
    `\nbest of ${REPEATS}, 1 subscriber of #, ${devices.length} devices × ${MESSAGES} messages:`,
  );
  for (const name of Object.keys(transports)) {
    console.log(
      `  ${name.padEnd(22)} ${Math.round(best(name))} msg/s  (${(best(name) / baseline).toFixed(2)} × TLS MQTT)`,
    );
  }
  console.log(
    `machine: load average ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} after the run`,
  );
  await pool(devices.length, CONCURRENCY, i => devices[i].connection.disconnect());
} finally {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
