import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { afterAll, describe, expect, test } from 'vitest';
import { createClaimCsr } from '../claim-csr';

const dir = mkdtempSync(join(tmpdir(), 'fleet-claim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createClaimCsr', () => {
  test('writes a P-256 key readable only by its owner and a CSR signed by that key', async () => {
    const files = await createClaimCsr({ outDir: join(dir, 'a'), commonName: 'esp32-dev-claim' });
    expect(statSync(files.keyPath).mode & 0o777).toBe(0o600);
    const keyPem = readFileSync(files.keyPath, 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const csr = new Pkcs10CertificateRequest(readFileSync(files.csrPath, 'utf8'));
    expect(csr.subject).toBe('CN=esp32-dev-claim');
    expect(await csr.verify()).toBe(true);
    // The CSR carries the public half of the written key.
    const fromKey = createPublicKey(keyPem).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(csr.publicKey.rawData).equals(fromKey)).toBe(true);
    expect(createPublicKey(keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  test('refuses to overwrite an existing key unless forced', async () => {
    const outDir = join(dir, 'b');
    const first = await createClaimCsr({ outDir, commonName: 'x' });
    const before = readFileSync(first.keyPath, 'utf8');
    await expect(createClaimCsr({ outDir, commonName: 'x' })).rejects.toThrow(
      /claim\.key\.pem exists; pass --force/,
    );
    expect(readFileSync(first.keyPath, 'utf8')).toBe(before);
    await createClaimCsr({ outDir, commonName: 'x', force: true });
    expect(readFileSync(first.keyPath, 'utf8')).not.toBe(before);
  });

  test('refuses an empty or odd common name', async () => {
    await expect(createClaimCsr({ outDir: join(dir, 'c'), commonName: '' })).rejects.toThrow(
      /commonName must be/,
    );
  });
});
