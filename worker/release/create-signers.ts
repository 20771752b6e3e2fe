/**
 * The two signers of a release, from the configuration: KMS keys (the stack's Secure Boot key and
 * update key, through the injected KMS client) or local PEM files (development).
 */
import { readFile } from 'node:fs/promises';
import type { KMSClient } from '@aws-sdk/client-kms';
import { KmsSigner } from '../../ota/signing/kms-signer';
import { PemSigner } from '../../ota/signing/pem-signer';
import type { Signer } from '../../ota/signing/signer';
import type { SigningKeyConfig, WorkerConfig } from '../config/worker-config';

export interface ReleaseSigners {
  readonly secureBootSigner: Signer;
  readonly updateSigner: Signer;
}

async function signerFor(key: SigningKeyConfig, kms: Pick<KMSClient, 'send'>): Promise<Signer> {
  if (key.kind === 'kms') return new KmsSigner(kms, key.keyId);
  return new PemSigner(await readFile(key.path));
}

export async function createSigners(
  config: WorkerConfig,
  kms: Pick<KMSClient, 'send'>,
): Promise<ReleaseSigners> {
  return {
    secureBootSigner: await signerFor(config.secureBootKey, kms),
    updateSigner: await signerFor(config.updateKey, kms),
  };
}
