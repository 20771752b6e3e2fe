/**
 * fleet-device through a whole OTA on the local cloud: an AWS IoT job (CreateJob on the local
 * control plane) whose document points at a release signed by `ota/` in the local S3 bucket;
 * the device takes it (notify-next, start-next), downloads it with Range requests, verifies it,
 * reboots into it (re-exec, slot 1), reports SUCCEEDED and marks itself valid.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateJobCommand, DescribeJobExecutionCommand, IoTClient } from '@aws-sdk/client-iot';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLocalServices } from '../../../local/default-services';
import type { LocalCloud } from '../../../local/local-cloud-config';
import { startTestCloud } from '../../../local/test/local-cloud-harness';
import { parseJobDocument, serializeJobDocument } from '../../../ota/job-document';
import { presignedUrlPlaceholder, s3ObjectUrl } from '../../../ota/presigned-url-placeholder';
import { PemSigner, signRelease } from '../../../ota/signing';
import { readFixture } from '../../../test/utils/fixtures';
import { FleetDeviceProcess, stopAllDevices, writeDeviceConfig, type DeviceSettings } from './fleet-device-process';

let cloud: LocalCloud;
let publicKeyFile: string;
let signedImage: Buffer;
let release: Awaited<ReturnType<typeof signRelease>>;

beforeAll(async () => {
  cloud = await startTestCloud({ services: await defaultLocalServices() });
  const secureBoot = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const update = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const written: Uint8Array[] = [];
  release = await signRelease([readFixture('esp32-app-template.bin')], {
    secureBootSigner: new PemSigner(secureBoot.privateKey.export({ format: 'pem', type: 'pkcs8' })),
    updateSigner: new PemSigner(update.privateKey.export({ format: 'pem', type: 'pkcs8' })),
    targetChip: 'esp32',
    write: chunk => void written.push(Buffer.from(chunk)),
  });
  signedImage = Buffer.concat(written);
  publicKeyFile = join(mkdtempSync(join(tmpdir(), 'fleet-ota-keys-')), 'update.pub.pem');
  writeFileSync(publicKeyFile, update.publicKey.export({ type: 'spki', format: 'pem' }));
});

afterAll(async () => {
  await stopAllDevices();
  await cloud?.close();
});

const JOB_RELEASE_VERSION = '1.4.0';

/**
 * Uploads the signed release (or a copy with one byte flipped, under another key) and returns
 * the job document text pointing at it; the document always carries the good hash and signature.
 */
async function releaseDocument(corrupted = false): Promise<string> {
  const { config } = cloud;
  const s3 = new S3Client({ endpoint: config.endpoints.s3!, region: config.region, credentials: config.credentials, forcePathStyle: true });
  const bucket = `esp32-fleet-dev-firmware-${config.accountId}`;
  const key = `releases/${release.sha256}${corrupted ? '-corrupted' : ''}.bin`;
  const body = Buffer.from(signedImage);
  if (corrupted) body[400_000] ^= 0x01;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return serializeJobDocument(
    parseJobDocument({
      version: 1,
      operation: 'ota',
      releaseId: 'v1_4_0-0011223344556677',
      firmware: {
        version: JOB_RELEASE_VERSION,
        descriptorVersion: release.app.version,
        secureVersion: release.app.secureVersion,
        chip: 'esp32',
        size: signedImage.length,
        sha256: release.sha256,
        url: presignedUrlPlaceholder(s3ObjectUrl({ region: config.region, bucket, key })),
        signature: release.detachedSignature.value,
        signatureAlgorithm: release.detachedSignature.type,
        keyId: release.detachedSignature.keyId,
      },
    }),
  );
}

/** Starts a provisioned device and sends it a job; returns the device, its thing and the client. */
async function deviceWithJob(serial: string, jobId: string, device: Partial<DeviceSettings> = {}, corrupted = false) {
  const { config } = cloud;
  const iotClient = new IoTClient({ endpoint: config.endpoints.iot!, region: config.region, credentials: config.credentials });
  const thingName = `esp32-dev-${serial}`;
  const configPath = writeDeviceConfig(config, {
    serial,
    thingNamePrefix: 'esp32-dev',
    firmwarePublicKeyFile: publicKeyFile,
    firmwareVersion: '1.0.0',
    verifyTimeoutMs: 30_000,
    ...device,
  });
  const process = new FleetDeviceProcess(configPath, mkdtempSync(join(tmpdir(), 'fleet-ota-state-')));
  await process.waitForLine(new RegExp(`connected as ${thingName}`));
  await iotClient.send(
    new CreateJobCommand({
      jobId,
      targets: [`arn:aws:iot:${config.region}:${config.accountId}:thing/${thingName}`],
      document: await releaseDocument(corrupted),
      targetSelection: 'SNAPSHOT',
    }),
  );
  const execution = async () => (await iotClient.send(new DescribeJobExecutionCommand({ jobId, thingName }))).execution;
  return { process, thingName, execution };
}

describe('fleet-device OTA on the local cloud', () => {
  it('takes a job, installs the release, reboots into it, reports SUCCEEDED and stays', async () => {
    const { process, execution } = await deviceWithJob('A1B2C3D4E5F6', 'ota-e2e-ok');
    try {
      await process.waitForLine(/release 1\.4\.0 installed in slot 1/, 60_000);
      await process.waitForLine(/booting slot 1 \(state 2\)/);
      await process.waitForLine(/release 1\.4\.0 marked valid/, 60_000);
      expect((await execution())?.status).toBe('SUCCEEDED');
    } finally {
      await process.stop();
    }
  });

  it('rolls back a release that cannot reach the endpoint; the old app reports FAILED rollback', async () => {
    const { process, execution } = await deviceWithJob('A1B2C3D4E5F7', 'ota-e2e-rollback', {
      verifyTimeoutMs: 3_000,
      faultNoConnectVersion: release.app.version,
    });
    try {
      await process.waitForLine(/release 1\.4\.0 installed in slot 1/, 60_000);
      await process.waitForLine(/did not confirm itself in time: rolling back/, 30_000);
      await process.waitForLine(/booting slot 1 \(state 2\)/, 30_000); // the new app, pending verify
      await process.waitForLine(/fault injection: app .* cannot reach the endpoint/, 30_000);
      await process.waitForLine(/booting slot 0/, 30_000, 2); // after the rollback
      await process.waitForLine(/job ota-e2e-rollback: FAILED reason=rollback/, 30_000);
      await process.waitForLine(/connected as .*release 1\.0\.0/, 30_000, 2);
      await expect.poll(async () => (await execution())?.status, { timeout: 10_000 }).toBe('FAILED');
      expect((await execution())?.statusDetails?.detailsMap?.reason).toBe('rollback');
    } finally {
      await process.stop();
    }
  });

  it('reports FAILED hash_mismatch for a corrupted download, and the old slot still boots', async () => {
    const { process, execution } = await deviceWithJob('A1B2C3D4E5F9', 'ota-e2e-corrupt', {}, true);
    try {
      await process.waitForLine(/job ota-e2e-corrupt: FAILED reason=hash_mismatch/, 60_000);
      await expect.poll(async () => (await execution())?.status, { timeout: 10_000 }).toBe('FAILED');
      expect((await execution())?.statusDetails?.detailsMap?.reason).toBe('hash_mismatch');
      expect(process.lines.some(l => /installed in slot|rebooting/.test(l))).toBe(false);
    } finally {
      await process.stop();
    }
    // a restart boots the old slot again, as the same release
    const again = new FleetDeviceProcess(process.configPath, process.stateDir);
    try {
      await again.waitForLine(/booting slot 0 \(state 3\)/);
      await again.waitForLine(/connected as esp32-dev-A1B2C3D4E5F9 \(release 1\.0\.0\)/);
    } finally {
      await again.stop();
    }
  });

  it('reports FAILED signature_invalid for a release signed with another key and keeps its slot', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherKeyFile = join(mkdtempSync(join(tmpdir(), 'fleet-ota-keys-')), 'other.pub.pem');
    writeFileSync(otherKeyFile, other.publicKey.export({ type: 'spki', format: 'pem' }));
    const { process, execution } = await deviceWithJob('A1B2C3D4E5F8', 'ota-e2e-badsig', { firmwarePublicKeyFile: otherKeyFile });
    try {
      await process.waitForLine(/job ota-e2e-badsig: FAILED reason=signature_invalid/, 60_000);
      await expect.poll(async () => (await execution())?.status, { timeout: 10_000 }).toBe('FAILED');
      expect((await execution())?.statusDetails?.detailsMap?.reason).toBe('signature_invalid');
      expect(process.lines.some(l => /installed in slot/.test(l))).toBe(false);
    } finally {
      await process.stop();
    }
  });
});
