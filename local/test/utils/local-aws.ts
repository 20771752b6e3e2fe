/**
 * Test helpers for the local S3 and KMS endpoints: a temporary state dir, servers on port 0,
 * and official SDK clients pointed at them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';

export const REGION = 'eu-central-1';
export const ACCOUNT_ID = '123456789012';
export const CREDENTIALS = {
  accessKeyId: 'AKIALOCALTEST0000001',
  secretAccessKey: 'local/test+secret/key',
};

export function tempStateDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-s3kms-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An S3 client as the worker makes one: only the endpoint and credentials differ from AWS. */
export function s3Client(endpoint: string, credentials = CREDENTIALS, region = REGION): S3Client {
  return new S3Client({ endpoint, region, credentials, maxAttempts: 1 });
}

export function kmsClient(endpoint: string, credentials = CREDENTIALS, region = REGION): KMSClient {
  return new KMSClient({ endpoint, region, credentials, maxAttempts: 1 });
}
