/**
 * `npm run bench -- jobs`: job executions driven end to end over MQTT per second, with 1,000
 * connected things, against the local cloud running as `fleet local up` in a child process.
 *
 * Each execution is the device loop of the firmware: `notify-next` → publish `start-next` →
 * `start-next/accepted` → publish `<jobId>/update` {SUCCEEDED, expectedVersion} →
 * `update/accepted`. One job per round targets the group every provisioned device joins
 * (CreateJob through `@aws-sdk/client-iot`); the round ends when all 1,000 updates are accepted.
 * Devices are official `aws-iot-device-sdk-v2` MQTT connections (mutual TLS), provisioned first
 * through fleet provisioning (CSR path; not timed).
 *
 * Baseline, same run, same broker and connections: plain MQTT round trips (each device publishes
 * on its telemetry topic and waits for its own echo), three sequential round trips per device — an
 * execution needs two device publishes answered plus the notification, so ~3 round trips is the
 * transport's share of one execution.
 * Target (issue 6): ≥ 1,000 executions/s on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { provisionDevice } from '../../sim/provision-device';
import { loadSimTarget } from '../../sim/sim-target';
import { CreateJobCommand, DescribeJobCommand, IoTClient } from '@aws-sdk/client-iot';
import {
  connectDevice,
  cpuSeconds,
  deferred,
  flag,
  pool,
  startCloudProcess,
  type BenchCloudConfig,
} from './support/local-cloud-load';

const THINGS = flag('things', 1000);
const ROUNDS = flag('rounds', 5);
const CONCURRENCY = flag('concurrency', 48);
const TARGET = 1000;

const stateDir = mkdtempSync(join(tmpdir(), 'bench-jobs-'));

/** A connected device running the jobs loop and the echo loop. */
interface BenchDevice {
  readonly thingName: string;
  readonly connection: mqtt.MqttClientConnection;
  echo: (() => void) | undefined;
  succeeded: ((jobId: string) => void) | undefined;
}

async function deviceLoop(
  config: BenchCloudConfig,
  identity: { thingName: string; certPem: string; keyPem: string },
): Promise<BenchDevice> {
  const t = identity.thingName;
  const connection = await connectDevice(config, identity.certPem, identity.keyPem, t, 60_000);
  const device: BenchDevice = { thingName: t, connection, echo: undefined, succeeded: undefined };
  const decode = (payload: ArrayBuffer): { execution?: { jobId: string; versionNumber: number } } =>
    JSON.parse(Buffer.from(payload).toString('utf8'));
  await connection.subscribe(
    `$aws/things/${t}/jobs/notify-next`,
    mqtt.QoS.AtMostOnce,
    (_topic, payload) => {
      if (decode(payload).execution)
        void connection.publish(`$aws/things/${t}/jobs/start-next`, '{}', mqtt.QoS.AtMostOnce);
    },
  );
  await connection.subscribe(
    `$aws/things/${t}/jobs/start-next/accepted`,
    mqtt.QoS.AtMostOnce,
    (_topic, payload) => {
      const e = decode(payload).execution;
      if (e)
        void connection.publish(
          `$aws/things/${t}/jobs/${e.jobId}/update`,
          JSON.stringify({
            status: 'SUCCEEDED',
            expectedVersion: e.versionNumber,
            statusDetails: { result: 'installed' },
          }),
          mqtt.QoS.AtMostOnce,
        );
    },
  );
  await connection.subscribe(
    `$aws/things/${t}/jobs/+/update/accepted`,
    mqtt.QoS.AtMostOnce,
    topic => device.succeeded?.(topic.split('/')[4]),
  );
  await connection.subscribe(`fleet/telemetry/${t}/echo`, mqtt.QoS.AtMostOnce, () =>
    device.echo?.(),
  );
  return device;
}

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const server = await startCloudProcess(stateDir);
try {
  const config = server.config;
  const target = await loadSimTarget({ localStateDir: stateDir });
  console.log(
    `machine: load average ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} on 2 cores before the run`,
  );
  let started = performance.now();
  const identities = await pool(THINGS, CONCURRENCY, i =>
    provisionDevice(target, (0xbe0000000000 + i).toString(16).toUpperCase()),
  );
  console.log(
    `setup: ${THINGS} devices provisioned in ${((performance.now() - started) / 1000).toFixed(1)} s (not timed below)`,
  );
  started = performance.now();
  const devices = await pool(identities.length, CONCURRENCY, i =>
    deviceLoop(config, identities[i]),
  );
  console.log(
    `setup: ${devices.length} devices connected and subscribed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // Baseline: 3 sequential publish/echo round trips per device, all devices at once.
  const ROUND_TRIPS = 3;
  let cpu = cpuSeconds(server.pid);
  started = performance.now();
  await Promise.all(
    devices.map(async d => {
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const got = deferred<void>();
        d.echo = () => got.done();
        await d.connection.publish(
          `fleet/telemetry/${d.thingName}/echo`,
          '{"n":1}',
          mqtt.QoS.AtMostOnce,
        );
        await got.promise;
      }
      d.echo = undefined;
    }),
  );
  const baselineSeconds = (performance.now() - started) / 1000;
  const baselineCpu = cpuSeconds(server.pid) - cpu;
  const roundTripsPerSecond = (devices.length * ROUND_TRIPS) / baselineSeconds;
  const baselineExecEquivalent = roundTripsPerSecond / ROUND_TRIPS;

  // Jobs: one job per round for the group every device joins.
  const iotApi = new IoTClient({
    endpoint: config.endpoints.iot,
    region: config.region,
    credentials: config.credentials,
    maxAttempts: 1,
  });
  const group = `arn:aws:iot:${config.region}:${config.accountId}:thinggroup/esp32-fleet-dev-devices`;
  const rates: number[] = [];
  cpu = cpuSeconds(server.pid);
  const clientCpu0 = process.cpuUsage();
  let jobSeconds = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const jobId = `bench-${round}`;
    let remaining = devices.length;
    const all = deferred<void>();
    for (const d of devices) {
      d.succeeded = id => {
        if (id === jobId && --remaining === 0) all.done();
      };
    }
    const timer = setTimeout(
      () => all.fail(new Error(`round ${round}: ${remaining} executions not SUCCEEDED after 60 s`)),
      60_000,
    );
    started = performance.now();
    await iotApi.send(
      new CreateJobCommand({
        jobId,
        targets: [group],
        document: JSON.stringify({ operation: 'ota', round }),
      }),
    );
    await all.promise;
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    jobSeconds += seconds;
    rates.push(devices.length / seconds);
    const { job } = await iotApi.send(new DescribeJobCommand({ jobId }));
    if (
      job?.status !== 'COMPLETED' ||
      job.jobProcessDetails?.numberOfSucceededThings !== devices.length
    )
      throw new Error(
        `round ${round}: DescribeJob says ${job?.status} with ${job?.jobProcessDetails?.numberOfSucceededThings} succeeded`,
      );
  }
  const jobsCpu = cpuSeconds(server.pid) - cpu;
  const clientCpu = process.cpuUsage(clientCpu0);
  const executions = devices.length * ROUNDS;
  const clientCpuUs = (clientCpu.user + clientCpu.system) / executions;
  const rate = executions / jobSeconds;

  console.log(
    `baseline: ${roundTripsPerSecond.toFixed(0)} MQTT publish/echo round trips/s (${devices.length} devices x ${ROUND_TRIPS}); ÷3 = ${baselineExecEquivalent.toFixed(0)}/s, the transport's ceiling for a 3-round-trip execution; server CPU ${((baselineCpu / (devices.length * ROUND_TRIPS)) * 1e6).toFixed(0)} µs per round trip`,
  );
  console.log(
    `jobs: ${executions} executions (${ROUNDS} jobs x ${devices.length} things) notify-next → start-next → update SUCCEEDED in ${jobSeconds.toFixed(2)} s: ${rate.toFixed(0)} executions/s (rounds: ${rates.map(r => r.toFixed(0)).join(', ')}); server CPU ${((jobsCpu / executions) * 1e6).toFixed(0)} µs per execution, device SDK side (this process, same 2 cores) ${clientCpuUs.toFixed(0)} µs`,
  );
  console.log(`ratio to the transport ceiling: ${(rate / baselineExecEquivalent).toFixed(2)}`);
  console.log(`target ≥ ${TARGET} executions/s: ${verdict(rate >= TARGET)}`);
  await Promise.all(devices.map(d => d.connection.disconnect().catch(() => {})));
} finally {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(0);
