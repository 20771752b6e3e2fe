/**
 * `npm run bench -- firmware-ota`: the device's OTA path (fleet_ota_download over the POSIX ports:
 * the port's own HTTP GET, 4 KB writes into the flash file, SHA-256 with libcrypto, ECDSA P-256
 * verify with mbedTLS, checkpoint records with fsync), built as `fleet-ota-bench` in Release. Two
 * numbers (issue 9):
 * - throughput of download + verify against plain `curl -o /dev/null` of the same URL on loopback,
 *   measured in the same run: target ≥ 0.5 of curl;
 * - peak heap (valgrind massif, heap + allocator overhead) during a 1 MiB and a 4 MiB OTA:
 *   target ≤ 32 KiB and independent of the image size. Printed for the whole process, and for the
 *   OTA path above the heap the process had before the OTA began (support/massif-peaks.ts).
 * Images are the ESP32 fixture (real header and app descriptor) padded with random bytes to the
 * size, signed with a fresh P-256 key (sig-sha256-ecdsa), served from memory by a Node HTTP
 * server that honours Range. Runs alternate curl / device; the verdict uses the median ratio.
 * Last, the whole `fleet-device` (MQTT over TLS with libmosquitto, jobs, download from the local
 * S3 through a presigned URL) takes a real job on the local cloud under massif, for each size,
 * and exits at the reboot (FLEET_DEVICE_EXIT_ON_REBOOT) so massif can write its output.
 * FIRMWARE_OTA_BENCH_KEEP=1 keeps the work directory (massif files) and prints where it is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, repoRoot } from '../../test/utils/fixtures';
import { massifPeaks, type MassifPeaks, type MassifWindow } from './support/massif-peaks';

const SIZES = [1024 * 1024, 4 * 1024 * 1024];
const ROUNDS = 9;
const THROUGHPUT_TARGET = 0.5;
const HEAP_TARGET_BYTES = 32 * 1024;
const buildDir = join(repoRoot, 'firmware/build/bench');
const benchBin = join(buildDir, 'posix/fleet-ota-bench');

function build(): void {
  execFileSync(
    'cmake',
    ['-S', join(repoRoot, 'firmware/host'), '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'],
    { stdio: 'ignore' },
  );
  execFileSync(
    'cmake',
    ['--build', buildDir, '--parallel', '2', '--target', 'fleet-ota-bench', 'fleet-device'],
    { stdio: 'ignore' },
  );
}

function makeImage(size: number): Buffer {
  const fixture = readFileSync(fixturePath('esp32-app-template.bin'));
  return Buffer.concat([fixture, randomBytes(size - fixture.length)]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const MASSIF_ARGS = [
  '--tool=massif',
  '--stacks=no',
  '--depth=40',
  '--detailed-freq=1',
  '--max-snapshots=1000',
  '--threshold=0.1',
  '--time-unit=B',
];
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * One line per image size, then the verdict against the target, for one program. `tolerance`:
 * the difference between the sizes still counted as independent of the size (fleet-device's MQTT
 * traffic during the OTA, an OpenSSL record buffer here or there, is not the image's doing).
 */
function reportHeap(what: string, peaks: MassifPeaks[], tolerance: number): void {
  SIZES.forEach((size, i) => {
    const p = peaks[i];
    console.log(
      `${what}, ${(size / 1048576).toFixed(0)} MiB OTA: whole process ${kib(p.process)}; ` +
        `OTA path above the pre-OTA baseline ${kib(p.aboveBaseline)} (baseline ${kib(p.baseline)}; held under fleet_ota_download ${kib(p.otaOwn)})`,
    );
  });
  const verdict = (label: string, values: number[]): void => {
    const worst = Math.max(...values);
    const grows = values[1] - values[0];
    const ok = worst <= HEAP_TARGET_BYTES && Math.abs(grows) <= tolerance;
    console.log(
      `${what} ${label}: ${kib(worst)}, 4 MiB minus 1 MiB = ${grows} B (target <= 32 KiB, independent of size): ${ok ? 'PASS' : 'MISS'}`,
    );
  };
  verdict(
    'peak heap, whole process',
    peaks.map(p => p.process),
  );
  verdict(
    'peak heap, OTA path above baseline',
    peaks.map(p => p.aboveBaseline),
  );
}

/** Starts a process and resolves with its exit; `until` (on stderr) may end it early with SIGTERM. */
async function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  until?: RegExp,
  timeoutMs = 180_000,
): Promise<string> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} timed out; last output:\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (until?.test(stderr)) child.kill('SIGTERM');
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(stderr);
    });
  });
}

/** The whole fleet-device taking a job on the local cloud, under massif, for each image size. */
async function fleetDeviceHeap(work: string): Promise<void> {
  const [
    { startLocalCloud },
    { defaultLocalServices },
    { CreateJobCommand, IoTClient },
    { PutObjectCommand, S3Client },
  ] = await Promise.all([
    import('../../local/local-cloud'),
    import('../../local/default-services'),
    import('@aws-sdk/client-iot'),
    import('@aws-sdk/client-s3'),
  ]);
  const cloud = await startLocalCloud({
    stateDir: mkdtempSync(join(work, 'cloud-')),
    mqttPort: 0,
    services: await defaultLocalServices(),
  });
  try {
    const { config } = cloud;
    const clients = {
      endpoint: config.endpoints.iot!,
      region: config.region,
      credentials: config.credentials,
    };
    const iot = new IoTClient(clients);
    const s3 = new S3Client({ ...clients, endpoint: config.endpoints.s3!, forcePathStyle: true });
    const bucket = `esp32-fleet-dev-firmware-${config.accountId}`;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(work, 'device-update.pub.pem');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const device = join(buildDir, 'posix/fleet-device');
    const peaks: MassifPeaks[] = [];
    for (const size of SIZES) {
      const serial = randomBytes(6).toString('hex').toUpperCase();
      const thingName = `esp32-dev-${serial}`;
      const configPath = join(work, `device-${serial}.json`);
      const stateDir = join(work, `device-${serial}`);
      writeFileSync(
        configPath,
        JSON.stringify({
          ...config,
          device: {
            serial,
            thingNamePrefix: 'esp32-dev',
            firmwarePublicKeyFile: keyFile,
            firmwareVersion: '1.0.0',
          },
        }),
      );
      await runProcess(device, ['--config', configPath, '--state', stateDir], {}, /connected as/); // provisions
      const image = makeImage(size);
      const key = `bench/${serial}.bin`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: image }));
      const { serializeJobDocument } = await import('../../ota/job-document');
      const { presignedUrlPlaceholder, s3ObjectUrl } =
        await import('../../ota/presigned-url-placeholder');
      await iot.send(
        new CreateJobCommand({
          jobId: `bench-${serial}`,
          targets: [`arn:aws:iot:${config.region}:${config.accountId}:thing/${thingName}`],
          document: serializeJobDocument({
            version: 1,
            operation: 'ota',
            releaseId: `bench-${serial}`,
            firmware: {
              version: '9.0.0',
              descriptorVersion: '1cd5752',
              secureVersion: 0,
              chip: 'esp32',
              size,
              sha256: createHash('sha256').update(image).digest('hex'),
              url: presignedUrlPlaceholder(s3ObjectUrl({ region: config.region, bucket, key })),
              signature: sign('sha256', image, privateKey).toString('base64'),
              signatureAlgorithm: 'sig-sha256-ecdsa',
              keyId: 'bench',
            },
          }),
          targetSelection: 'SNAPSHOT',
        }),
      );
      const out = join(work, `massif-device-${size}.out`);
      // massif counts ms from the start; the device logs CLOCK_MONOTONIC seconds, the clock of
      // process.hrtime: the OTA window runs from the job's arrival to "installed in slot 1"
      const startedS = Number(process.hrtime.bigint()) / 1e9;
      const log = await runProcess(
        'valgrind',
        [
          ...MASSIF_ARGS.filter(a => !a.startsWith('--time-unit')),
          '--time-unit=ms',
          `--massif-out-file=${out}`,
          device,
          '--config',
          configPath,
          '--state',
          stateDir,
        ],
        { FLEET_DEVICE_EXIT_ON_REBOOT: '1' },
      );
      if (!/installed in slot 1/.test(log))
        throw new Error(
          `fleet-device did not install the ${size}-byte release:\n${log.slice(-2000)}`,
        );
      const at = (pattern: RegExp): number => {
        const m = new RegExp(String.raw`^. \((\d+\.\d+)\) .*` + pattern.source, 'm').exec(log);
        if (!m) throw new Error(`fleet-device log has no line matching ${pattern}`);
        return (Number(m[1]) - startedS) * 1000;
      };
      const window: MassifWindow = {
        from: at(/job \S+: release /),
        to: at(/installed in slot 1/) + 1,
      };
      peaks.push(massifPeaks(readFileSync(out, 'utf8'), window));
      if (process.env.FIRMWARE_OTA_BENCH_KEEP)
        console.log(`${out}: OTA window ${window.from.toFixed(0)}-${window.to.toFixed(0)} ms`);
    }
    reportHeap('fleet-device (MQTT/TLS with libmosquitto + OpenSSL, jobs, OTA)', peaks, 4096);
  } finally {
    await cloud.close();
  }
}

async function main(): Promise<void> {
  build();
  const work = mkdtempSync(join(tmpdir(), 'firmware-ota-bench-'));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(work, 'firmware-signing.pub.pem');
  writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const images = new Map(SIZES.map(size => [size, makeImage(size)]));
  const server = createServer((req, res) => {
    const image = images.get(Number(req.url?.slice(1)));
    if (!image) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      res.writeHead(206, {
        'Content-Length': image.length - start,
        'Content-Range': `bytes ${start}-${image.length - 1}/${image.length}`,
      });
      return void res.end(image.subarray(start));
    }
    res.writeHead(200, { 'Content-Length': image.length });
    res.end(image);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const jobFile = (size: number): string => {
    const image = images.get(size)!;
    const file = join(work, `job-${size}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        operation: 'ota',
        releaseId: `bench-${size}`,
        firmware: {
          version: '9.0.0',
          descriptorVersion: '1cd5752',
          secureVersion: 0,
          chip: 'esp32',
          size: image.length,
          sha256: createHash('sha256').update(image).digest('hex'),
          url: `http://127.0.0.1:${port}/${size}`,
          signature: sign('sha256', image, privateKey).toString('base64'),
          signatureAlgorithm: 'sig-sha256-ecdsa',
          keyId: 'bench',
        },
      }),
    );
    return file;
  };
  const runDevice = async (
    size: number,
    wrap: string[] = [],
  ): Promise<{ seconds: number; phases: Record<string, number>; stateDir: string }> => {
    const stateDir = mkdtempSync(join(work, 'state-'));
    const args = [
      ...wrap,
      benchBin,
      '--job',
      jobFile(size),
      '--public-key',
      keyFile,
      '--state',
      stateDir,
    ];
    const result = await new Promise<{ status: number | null; stdout: string }>(resolve => {
      // async spawn: the HTTP server in this process must keep serving
      import('node:child_process').then(({ spawn }) => {
        const child = spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('exit', status => resolve({ status, stdout }));
      });
    });
    if (result.status !== 0) throw new Error(`fleet-ota-bench failed: ${result.stdout}`);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      phases: Record<string, number>;
    };
    return { seconds: report.seconds, phases: report.phases, stateDir };
  };
  const runCurl = async (size: number): Promise<number> => {
    const { spawn } = await import('node:child_process');
    return new Promise(resolve => {
      const child = spawn(
        'curl',
        ['-s', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${port}/${size}`],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', () => resolve(Number(out)));
    });
  };

  console.log('size      curl MB/s  device MB/s  ratio (median of pairs)');
  let worst = Infinity;
  for (const size of SIZES) {
    const ratios: number[] = [];
    const curlRates: number[] = [];
    const deviceRates: number[] = [];
    const phases: Record<string, number>[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const curlSeconds = await runCurl(size);
      const device = await runDevice(size);
      rmSync(device.stateDir, { recursive: true, force: true });
      curlRates.push(size / curlSeconds / 1e6);
      deviceRates.push(size / device.seconds / 1e6);
      ratios.push(curlSeconds / device.seconds);
      phases.push({ ...device.phases, total: device.seconds });
    }
    const ratio = median(ratios);
    worst = Math.min(worst, ratio);
    console.log(
      `${(size / 1048576).toFixed(0)} MiB     ${median(curlRates).toFixed(1).padStart(8)}  ${median(deviceRates).toFixed(1).padStart(11)}  ${ratio.toFixed(2)}`,
    );
    // where the device's time goes (medians, ms); "rest" is receiving, copying and parsing
    const ms = (name: string): number => median(phases.map(p => p[name] ?? 0)) * 1000;
    const named = Object.keys(phases[0]).filter(k => k !== 'total');
    const rest = median(phases.map(p => p.total - named.reduce((sum, k) => sum + p[k], 0))) * 1000;
    console.log(
      `          device ms: total ${ms('total').toFixed(1)} = ${named.map(k => `${k} ${ms(k).toFixed(1)}`).join(', ')}, rest ${rest.toFixed(1)}`,
    );
  }
  console.log(
    `throughput: download+verify / curl = ${worst.toFixed(2)} (target >= ${THROUGHPUT_TARGET}): ${worst >= THROUGHPUT_TARGET ? 'PASS' : 'MISS'}`,
  );

  const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;
  if (!hasValgrind) {
    console.log('peak heap: valgrind not installed (apt-get install valgrind): MISS');
  } else {
    const peaks: MassifPeaks[] = [];
    for (const size of SIZES) {
      const out = join(work, `massif-${size}.out`);
      await runDevice(size, ['valgrind', ...MASSIF_ARGS, `--massif-out-file=${out}`]);
      peaks.push(massifPeaks(readFileSync(out, 'utf8')));
    }
    reportHeap('fleet-ota-bench (the OTA path alone)', peaks, 1024);
  }
  if (hasValgrind) await fleetDeviceHeap(work);
  server.close();
  if (process.env.FIRMWARE_OTA_BENCH_KEEP) console.log(`work directory kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

await main();
