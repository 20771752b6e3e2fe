/**
 * What the MQTT benchmarks share: the local cloud as a child process (`fleet local up`, its own
 * event loop, its CPU and RSS read from /proc), official `aws-iot-device-sdk-v2` connections and a
 * device key with its CSR (both from the virtual devices in `sim/`, the product's own code), a
 * bounded task pool and command-line flags.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { mqtt } from 'aws-iot-device-sdk-v2';
import { connectMqtt, deviceTls, type DeviceTls } from '../../../sim/device-connection';
import { createDeviceKey, type DeviceKey } from '../../../sim/device-key';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `--name <number>` from the command line, or `fallback`. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The parts of `local-cloud.json` the benchmarks read. */
export interface BenchCloudConfig {
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  mqtt: { port: number; caFile: string };
  endpoints: { iot: string };
  claim: { certFile: string; keyFile: string };
  provisioningTemplate: string;
}

export interface CloudProcess {
  readonly pid: number;
  readonly config: BenchCloudConfig;
  /** Why the process ended (`exit 1`, `SIGKILL`), or undefined while it runs. */
  ended(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `fleet local up` on ephemeral ports in `stateDir` and waits until it serves.
 * BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the server.
 */
export async function startCloudProcess(
  stateDir: string,
  extraArgs: readonly string[] = [],
): Promise<CloudProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      join(root, 'scripts', 'fleet.ts'),
      'local',
      'up',
      '--state-dir',
      stateDir,
      '--mqtt-port',
      '0',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', d => (err = (err + d).slice(-8192))); // the last lines say why it died
  let ended: string | undefined;
  child.once('exit', (code, signal) => (ended = signal ?? `exit ${code}`));
  // Never outlive the benchmark, even when it dies of an uncaught error.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let ready = false;
    child.stdout.on('data', d => {
      if (ready) return; // later output is not kept (a long run would pile it up)
      out += d;
      ready = out.includes('Press Ctrl-C');
      if (ready) resolve();
    });
    child.on('exit', code => reject(new Error(`fleet local up exited with ${code}: ${err}`)));
  });
  return {
    pid: child.pid!,
    config: JSON.parse(
      readFileSync(join(stateDir, 'local-cloud.json'), 'utf8'),
    ) as BenchCloudConfig,
    ended: () => ended,
    stop: () =>
      new Promise(resolve => {
        process.off('exit', killOnExit);
        if (ended) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Building an aws-crt TLS context costs ~8 ms of CPU (key and CA parsing), so one is built per
 * credential and reused for every connection with it (sim/device-connection.ts); each connection
 * still makes its own TLS session (full handshake with client certificate).
 */
const tlsByCredential = new Map<string, DeviceTls>();

/** An MQTT 3.1.1 connection over mutual TLS to the local cloud, as a device makes it. */
export async function connectDevice(
  config: BenchCloudConfig,
  certPem: string,
  keyPem: string,
  clientId: string,
  operationTimeoutMs = 30_000,
): Promise<mqtt.MqttClientConnection> {
  const cacheKey = `${certPem}\n${operationTimeoutMs}`;
  let tls = tlsByCredential.get(cacheKey);
  if (!tls) {
    const endpoint = {
      host: 'localhost',
      port: config.mqtt.port,
      caPem: readFileSync(config.mqtt.caFile, 'utf8'),
    };
    tls = deviceTls(endpoint, certPem, keyPem, {
      keepAliveSeconds: 1200,
      pingTimeoutMs: 30_000,
      operationTimeoutMs,
    });
    tlsByCredential.set(cacheKey, tls);
  }
  return connectMqtt(tls, clientId);
}

/** Runs `task(0..count-1)` with at most `concurrency` at a time; results in index order. */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** A promise with its settle functions, for replies that arrive on subscriptions. */
export function deferred<T>(): { promise: Promise<T>; done(v: T): void; fail(e: unknown): void } {
  let done!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((done = res), (fail = rej)));
  return { promise, done, fail };
}

/** A device's EC P-256 key (PKCS #8 PEM) and the CSR it sends to CreateCertificateFromCsr. */
export function deviceKey(): Promise<DeviceKey> {
  return createDeviceKey('device');
}
