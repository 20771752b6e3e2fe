/**
 * What the MQTT benchmarks share: the local cloud as a child process (`fleet local up`, its own
 * event loop, its CPU and RSS read from /proc), official `aws-iot-device-sdk-v2` connections, a
 * device key with its CSR, a bounded task pool and command-line flags.
 */
import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';

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
  child.stderr.on('data', d => (err += d));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', d => {
      out += d;
      if (out.includes('Press Ctrl-C')) resolve();
    });
    child.on('exit', code => reject(new Error(`fleet local up exited with ${code}: ${err}`)));
  });
  return {
    pid: child.pid!,
    config: JSON.parse(readFileSync(join(stateDir, 'local-cloud.json'), 'utf8')) as BenchCloudConfig,
    stop: () =>
      new Promise(resolve => {
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

const client = new mqtt.MqttClient();
/**
 * Building an aws-crt TLS context costs ~8 ms of CPU (key and CA parsing), so one is built per
 * credential and reused for every connection with it; each connection still makes its own TLS
 * session (full handshake with client certificate).
 */
const baseConfigs = new Map<string, mqtt.MqttConnectionConfig>();

/** An MQTT 3.1.1 connection over mutual TLS to the local cloud, as a device makes it. */
export async function connectDevice(
  config: BenchCloudConfig,
  certPem: string,
  keyPem: string,
  clientId: string,
  operationTimeoutMs = 30_000,
): Promise<mqtt.MqttClientConnection> {
  const cacheKey = `${certPem}\n${operationTimeoutMs}`;
  let base = baseConfigs.get(cacheKey);
  if (!base) {
    base = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certPem, keyPem)
      .with_certificate_authority(readFileSync(config.mqtt.caFile, 'utf8'))
      .with_endpoint('localhost')
      .with_port(config.mqtt.port)
      .with_clean_session(true)
      .with_keep_alive_seconds(1200)
      .with_ping_timeout_ms(30_000)
      .with_protocol_operation_timeout_ms(operationTimeoutMs)
      .build();
    baseConfigs.set(cacheKey, base);
  }
  const conn = client.new_connection({ ...base, client_id: clientId });
  conn.on('error', () => {});
  await conn.connect();
  return conn;
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
export async function deviceKey(): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: 'CN=device',
    keys: keys as never,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as never,
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString(
    'base64',
  );
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, csrPem: csr.toString('pem') };
}
