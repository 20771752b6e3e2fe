/**
 * Makes the fleet's claim key and CSR on the operator's machine. AWS IoT issues the claim
 * certificate from the CSR (`aws_iot_certificate.csr`), so the private key is never sent to AWS
 * and never enters Terraform state; it goes to the factory that flashes the devices.
 *
 * EC P-256 because AWS IoT accepts it for client certificates
 * (https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html) and ESP32's
 * mbedTLS handles it cheaply.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 resolves its services through tsyringe, which needs a Reflect metadata polyfill
// loaded first (the "Reflect Polyfill Required" section of its README).
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';

export interface ClaimCsrOptions {
  /** Directory to write `claim.key.pem` (mode 0600) and `claim.csr.pem` into; created (0700) if missing. */
  readonly outDir: string;
  /** Subject common name, e.g. `esp32-dev-claim`. */
  readonly commonName: string;
  /**
   * Replace existing files.
   * @defaultValue false: refuse, so a claim key already flashed into devices is not lost
   */
  readonly force?: boolean;
}

export interface ClaimCsrFiles {
  readonly keyPath: string;
  readonly csrPath: string;
}

export const CLAIM_KEY_FILE = 'claim.key.pem';
export const CLAIM_CSR_FILE = 'claim.csr.pem';

/**
 * Writes a new P-256 key and a CSR signed with it (ECDSA with SHA-256).
 * @throws Error if the files exist and `force` is not set, or the common name is empty
 */
export async function createClaimCsr(options: ClaimCsrOptions): Promise<ClaimCsrFiles> {
  if (!/^[\w.-]{1,64}$/.test(options.commonName)) {
    throw new Error(
      `commonName must be 1-64 characters of [A-Za-z0-9_.-], got "${options.commonName}"`,
    );
  }
  const keyPath = join(options.outDir, CLAIM_KEY_FILE);
  const csrPath = join(options.outDir, CLAIM_CSR_FILE);
  if (options.force !== true) {
    for (const path of [keyPath, csrPath]) {
      if (existsSync(path))
        throw new Error(
          `${path} exists; pass --force to replace it (devices flashed with the old key stop provisioning)`,
        );
    }
  }
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create(
    {
      name: `CN=${options.commonName}`,
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    },
    webcrypto as unknown as Parameters<typeof Pkcs10CertificateRequestGenerator.create>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;

  mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  // mode applies only when the file is created; make sure a replaced file is 0600 too.
  chmodSync(keyPath, 0o600);
  writeFileSync(csrPath, csr.toString('pem') + '\n', { mode: 0o644 });
  return { keyPath, csrPath };
}
