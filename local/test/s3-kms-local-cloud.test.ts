import { createPublicKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { DescribeKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsService } from '../kms/kms-service';
import type { LocalCloud, LocalCloudConfig } from '../local-cloud-config';
import { s3Service } from '../s3/s3-service';
import { startTestCloud, tempStateDir } from './local-cloud-harness';
import { kmsClient, s3Client } from './utils/local-aws';

/** The local cloud started from the real synthesized `dev` stack, with the S3 and KMS services. */
describe('S3 and KMS applied from the synthesized stack', () => {
  const stateDir = tempStateDir();
  let cloud: LocalCloud;
  let config: LocalCloudConfig;
  let bucket: string;

  beforeAll(async () => {
    cloud = await startTestCloud({ stateDir, services: [s3Service(), kmsService()] });
    config = JSON.parse(readFileSync(cloud.configPath, 'utf8')) as LocalCloudConfig;
    bucket = `esp32-fleet-dev-firmware-${config.accountId}`;
  }, 120_000);
  afterAll(async () => {
    await cloud?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes endpoints.s3 and endpoints.kms in local-cloud.json', () => {
    expect(config.endpoints.s3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(config.endpoints.kms).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.applied.unknownTypes).not.toContain('aws_s3_bucket');
    expect(cloud.applied.unknownTypes).not.toContain('aws_kms_key');
  });

  it('serves the firmware bucket with its job document template, SSE-KMS key and versioning', async () => {
    const s3 = s3Client(config.endpoints.s3!, config.credentials, config.region);
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const doc = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'job-documents/ota-update.json' }),
    );
    expect(doc.ContentType).toBe('application/json');
    // Byte for byte what the stack declares (Terraform's `$${` escape already resolved to `${`).
    const declared = cloud.applied.blocks.find(
      b => b.type === 'aws_s3_object' && b.config.key === 'job-documents/ota-update.json',
    );
    expect(typeof declared?.config.content).toBe('string');
    const text = await doc.Body!.transformToString();
    expect(text).toBe(declared?.config.content);
    expect(text).toContain('${aws:iot:s3-presigned-url');
    expect(doc.ServerSideEncryption).toBe('aws:kms');
    const firmwareKeyArn = cloud.applied.attributes.get(
      'aws_kms_key.FirmwareStore_Key_7062D2DF',
    )?.arn;
    expect(doc.SSEKMSKeyId).toBe(firmwareKeyArn);
    expect(doc.VersionId).toBeTruthy();

    // BucketOwnerEnforced (aws_s3_bucket_ownership_controls): ACLs are refused.
    const acl = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x', ACL: 'public-read' }))
      .catch((e: S3ServiceException) => e);
    expect((acl as S3ServiceException).name).toBe('AccessControlListNotSupported');
    s3.destroy();
  });

  it("serves the stack's signing keys by alias with their declared specs", async () => {
    const kms = kmsClient(config.endpoints.kms!, config.credentials, config.region);
    const secureBoot = await kms.send(
      new GetPublicKeyCommand({ KeyId: 'alias/esp32-fleet-dev/secure-boot' }),
    );
    expect(secureBoot.KeySpec).toBe('RSA_3072');
    expect(
      createPublicKey({ key: Buffer.from(secureBoot.PublicKey!), format: 'der', type: 'spki' })
        .asymmetricKeyDetails?.modulusLength,
    ).toBe(3072);
    const update = await kms.send(
      new DescribeKeyCommand({ KeyId: 'alias/esp32-fleet-dev/update' }),
    );
    expect(update.KeyMetadata?.KeySpec).toBe('ECC_NIST_P256');
    expect(update.KeyMetadata?.Arn).toBe(
      cloud.applied.attributes.get('aws_kms_key.UpdateKey_0BC7E2E4')?.arn,
    );
    kms.destroy();
  });

  it('enforces the TLS-only bucket policy when loopback is not counted as TLS, and keeps keys across the restart', async () => {
    const kmsBefore = kmsClient(config.endpoints.kms!, config.credentials, config.region);
    const before = await kmsBefore.send(
      new GetPublicKeyCommand({ KeyId: 'alias/esp32-fleet-dev/secure-boot' }),
    );
    kmsBefore.destroy();
    await cloud.close();

    cloud = await startTestCloud({
      stateDir,
      services: [s3Service({ loopbackCountsAsTls: false }), kmsService()],
    });
    config = JSON.parse(readFileSync(cloud.configPath, 'utf8')) as LocalCloudConfig;
    const s3 = s3Client(config.endpoints.s3!, config.credentials, config.region);
    const denied = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'job-documents/ota-update.json' }))
      .catch((e: S3ServiceException) => e);
    expect((denied as S3ServiceException).name).toBe('AccessDenied');
    expect((denied as S3ServiceException).message).toContain('DenyInsecureTransport');
    s3.destroy();

    const kms = kmsClient(config.endpoints.kms!, config.credentials, config.region);
    const after = await kms.send(
      new GetPublicKeyCommand({ KeyId: 'alias/esp32-fleet-dev/secure-boot' }),
    );
    expect(Buffer.from(after.PublicKey!).equals(Buffer.from(before.PublicKey!))).toBe(true);
    kms.destroy();
  }, 120_000);
});
