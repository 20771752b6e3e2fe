/**
 * `npm run bench -- firmware-ota`: the device's OTA path (fleet_ota_download over the POSIX ports:
 * libcurl GET, 4 KB writes into the flash file, SHA-256 + ECDSA P-256 verify with mbedTLS,
 * checkpoint records with fsync), built as `fleet-ota-bench` in Release. Two numbers (issue 9):
 * - throughput of download + verify against plain `curl -o /dev/null` of the same URL on loopback,
 *   measured in the same run: target ≥ 0.5 of curl;
 * - peak heap (valgrind massif, heap + allocator overhead) during a 1 MiB and a 4 MiB OTA:
 *   target ≤ 32 KiB and independent of the image size.
 * Images are the ESP32 fixture (real header and app descriptor) padded with random bytes to the
 * size, signed with a fresh P-256 key (sig-sha256-ecdsa), served from memory by a Node HTTP
 * server that honours Range. Runs alternate curl / device; the verdict uses the median ratio.
 * Last, the whole `fleet-device` (MQTT over TLS with libmosquitto, jobs, download from the local
 * S3 through a presigned URL) takes a real job on the local cloud under massif, for each size,
 * and exits at the reboot (FLEET_DEVICE_EXIT_ON_REBOOT) so massif can write its output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, repoRoot } from '../../test/utils/fixtures';

const SIZES = [1024 * 1024, 4 * 1024 * 1024];
const ROUNDS = 5;
const THROUGHPUT_TARGET = 0.5;
const HEAP_TARGET_BYTES = 32 * 1024;
const buildDir = join(repoRoot, 'firmware/build/bench');
const benchBin = join(buildDir, 'posix/fleet-ota-bench');

function build(): void {
  execFileSync('cmake', ['-S', join(repoRoot, 'firmware/host'), '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', buildDir, '--parallel', '2', '--target', 'fleet-ota-bench', 'fleet-device'], { stdio: 'ignore' });
}

function makeImage(size: number): Buffer {
  const fixture = readFileSync(fixturePath('esp32-app-template.bin'));
  return Buffer.concat([fixture, randomBytes(size - fixture.length)]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface HeapPeaks {
  /** Whole process: heap + allocator overhead, max over all snapshots. */
  readonly process: number;
  /** Bytes allocated under our code (a `fleet_` frame on the stack), max over detailed snapshots. */
  readonly otaPath: number;
}

/**
 * Reads a massif output file. The second number sums, in each detailed snapshot, the heap whose
 * allocation stack passes through a `fleet_` function (the core and the ports, including what
 * libcurl allocates for the transfer), leaving out what the libraries allocate when they are
 * loaded (Debian's libcurl pulls in OpenSSL and GnuTLS, whose tables are made before any OTA).
 */
function massifPeaks(file: string): HeapPeaks {
  const lines = readFileSync(file, 'utf8').split('\n');
  let processPeak = 0;
  let heap = 0;
  let otaPath = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const m = /^mem_heap(_extra)?_B=(\d+)/.exec(lines[i]);
    if (m) {
      if (m[1] === undefined) heap = Number(m[2]);
      else processPeak = Math.max(processPeak, heap + Number(m[2]));
      continue;
    }
    if (lines[i] !== 'heap_tree=detailed' && lines[i] !== 'heap_tree=peak') continue;
    let total = 0;
    const walk = (index: number, inFleet: boolean): number => {
      const node = /^ *n(\d+): (\d+) (.*)$/.exec(lines[index])!;
      const isFleet = / fleet_\w+ /.test(` ${node[3]} `) || /: fleet_/.test(node[3]);
      if (isFleet && !inFleet) total += Number(node[2]);
      let next = index + 1;
      for (let c = 0; c < Number(node[1]); c += 1) next = walk(next, inFleet || isFleet);
      return next;
    };
    walk(i + 1, false);
    otaPath = Math.max(otaPath, total);
  }
  return { process: processPeak, otaPath };
}

/** Starts a process and resolves with its exit; `until` (on stderr) may end it early with SIGTERM. */
async function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv, until?: RegExp, timeoutMs = 180_000): Promise<string> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
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
  const [{ startLocalCloud }, { defaultLocalServices }, { CreateJobCommand, IoTClient }, { PutObjectCommand, S3Client }] = await Promise.all([
    import('../../local/local-cloud'),
    import('../../local/default-services'),
    import('@aws-sdk/client-iot'),
    import('@aws-sdk/client-s3'),
  ]);
  const cloud = await startLocalCloud({ stateDir: mkdtempSync(join(work, 'cloud-')), mqttPort: 0, services: await defaultLocalServices() });
  try {
    const { config } = cloud;
    const clients = { endpoint: config.endpoints.iot!, region: config.region, credentials: config.credentials };
    const iot = new IoTClient(clients);
    const s3 = new S3Client({ ...clients, endpoint: config.endpoints.s3!, forcePathStyle: true });
    const bucket = `esp32-fleet-dev-firmware-${config.accountId}`;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(work, 'device-update.pub.pem');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const device = join(buildDir, 'posix/fleet-device');
    const peaks: HeapPeaks[] = [];
    for (const size of SIZES) {
      const serial = randomBytes(6).toString('hex').toUpperCase();
      const thingName = `esp32-dev-${serial}`;
      const configPath = join(work, `device-${serial}.json`);
      const stateDir = join(work, `device-${serial}`);
      writeFileSync(configPath, JSON.stringify({ ...config, device: { serial, thingNamePrefix: 'esp32-dev', firmwarePublicKeyFile: keyFile, firmwareVersion: '1.0.0' } }));
      await runProcess(device, ['--config', configPath, '--state', stateDir], {}, /connected as/); // provisions
      const image = makeImage(size);
      const key = `bench/${serial}.bin`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: image }));
      const { serializeJobDocument } = await import('../../ota/job-document');
      const { presignedUrlPlaceholder, s3ObjectUrl } = await import('../../ota/presigned-url-placeholder');
      await iot.send(new CreateJobCommand({
        jobId: `bench-${serial}`,
        targets: [`arn:aws:iot:${config.region}:${config.accountId}:thing/${thingName}`],
        document: serializeJobDocument({
          version: 1, operation: 'ota', releaseId: `bench-${serial}`,
          firmware: {
            version: '9.0.0', descriptorVersion: '1cd5752', secureVersion: 0, chip: 'esp32', size,
            sha256: createHash('sha256').update(image).digest('hex'),
            url: presignedUrlPlaceholder(s3ObjectUrl({ region: config.region, bucket, key })),
            signature: sign('sha256', image, privateKey).toString('base64'), signatureAlgorithm: 'sig-sha256-ecdsa', keyId: 'bench',
          },
        }),
        targetSelection: 'SNAPSHOT',
      }));
      const out = join(work, `massif-device-${size}.out`);
      const log = await runProcess('valgrind', ['--tool=massif', '--stacks=no', '--depth=40', '--detailed-freq=1', '--max-snapshots=1000', '--time-unit=B', `--massif-out-file=${out}`, device, '--config', configPath, '--state', stateDir], { FLEET_DEVICE_EXIT_ON_REBOOT: '1' });
      if (!/installed in slot 1/.test(log)) throw new Error(`fleet-device did not install the ${size}-byte release:\n${log.slice(-2000)}`);
      peaks.push(massifPeaks(out));
      const p = peaks.at(-1)!;
      console.log(`fleet-device, ${(size / 1048576).toFixed(0)} MiB OTA job on the local cloud: peak heap ${(p.process / 1024).toFixed(1)} KiB whole process (MQTT/TLS, libraries), ${(p.otaPath / 1024).toFixed(1)} KiB under fleet_ frames`);
    }
    const grows = peaks[1].process - peaks[0].process;
    const worst = Math.max(...peaks.map(p => p.process));
    console.log(`fleet-device peak heap: ${(worst / 1024).toFixed(1)} KiB, 4 MiB minus 1 MiB = ${grows} B (target <= 32 KiB, independent of size): ${worst <= HEAP_TARGET_BYTES && Math.abs(grows) <= 4096 ? 'PASS' : 'MISS'}`);
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
      res.writeHead(206, { 'Content-Length': image.length - start, 'Content-Range': `bytes ${start}-${image.length - 1}/${image.length}` });
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
    writeFileSync(file, JSON.stringify({
      version: 1, operation: 'ota', releaseId: `bench-${size}`,
      firmware: {
        version: '9.0.0', descriptorVersion: '1cd5752', secureVersion: 0, chip: 'esp32', size: image.length,
        sha256: createHash('sha256').update(image).digest('hex'), url: `http://127.0.0.1:${port}/${size}`,
        signature: sign('sha256', image, privateKey).toString('base64'), signatureAlgorithm: 'sig-sha256-ecdsa', keyId: 'bench',
      },
    }));
    return file;
  };
  const runDevice = async (size: number, wrap: string[] = []): Promise<{ seconds: number; stateDir: string }> => {
    const stateDir = mkdtempSync(join(work, 'state-'));
    const args = [...wrap, benchBin, '--job', jobFile(size), '--public-key', keyFile, '--state', stateDir];
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
    return { seconds: (JSON.parse(result.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds, stateDir };
  };
  const runCurl = async (size: number): Promise<number> => {
    const { spawn } = await import('node:child_process');
    return new Promise(resolve => {
      const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${port}/${size}`], { stdio: ['ignore', 'pipe', 'ignore'] });
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
    for (let i = 0; i < ROUNDS; i += 1) {
      const curlSeconds = await runCurl(size);
      const device = await runDevice(size);
      rmSync(device.stateDir, { recursive: true, force: true });
      curlRates.push(size / curlSeconds / 1e6);
      deviceRates.push(size / device.seconds / 1e6);
      ratios.push(curlSeconds / device.seconds);
    }
    const ratio = median(ratios);
    worst = Math.min(worst, ratio);
    console.log(`${(size / 1048576).toFixed(0)} MiB     ${median(curlRates).toFixed(1).padStart(8)}  ${median(deviceRates).toFixed(1).padStart(11)}  ${ratio.toFixed(2)}`);
  }
  console.log(`throughput: download+verify / curl = ${worst.toFixed(2)} (target >= ${THROUGHPUT_TARGET}): ${worst >= THROUGHPUT_TARGET ? 'PASS' : 'MISS'}`);

  const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;
  if (!hasValgrind) {
    console.log('peak heap: valgrind not installed (apt-get install valgrind): MISS');
  } else {
    const peaks: HeapPeaks[] = [];
    for (const size of SIZES) {
      const out = join(work, `massif-${size}.out`);
      await runDevice(size, ['valgrind', '--tool=massif', '--stacks=no', '--depth=40', '--detailed-freq=1', '--max-snapshots=1000', '--time-unit=B', `--massif-out-file=${out}`]);
      peaks.push(massifPeaks(out));
      const p = peaks.at(-1)!;
      console.log(`${(size / 1048576).toFixed(0)} MiB OTA: peak heap ${(p.otaPath / 1024).toFixed(1)} KiB on the OTA path (core + ports + libcurl transfer), ${(p.process / 1024).toFixed(1)} KiB whole process (with OpenSSL/GnuTLS load-time tables)`);
    }
    const grows = peaks[1].otaPath - peaks[0].otaPath;
    const worstPath = Math.max(...peaks.map(p => p.otaPath));
    const ok = worstPath <= HEAP_TARGET_BYTES && Math.abs(grows) <= 1024;
    console.log(`peak heap on the OTA path: ${(worstPath / 1024).toFixed(1)} KiB, 4 MiB minus 1 MiB = ${grows} B (target <= 32 KiB, independent of size): ${ok ? 'PASS' : 'MISS'}`);
    const processGrows = peaks[1].process - peaks[0].process;
    console.log(`whole-process peak: ${(Math.max(...peaks.map(p => p.process)) / 1024).toFixed(1)} KiB, 4 MiB minus 1 MiB = ${processGrows} B (same target): ${Math.max(...peaks.map(p => p.process)) <= HEAP_TARGET_BYTES && Math.abs(processGrows) <= 1024 ? 'PASS' : 'MISS'}`);
  }
  if (hasValgrind) await fleetDeviceHeap(work);
  server.close();
  rmSync(work, { recursive: true, force: true });
}

await main();
