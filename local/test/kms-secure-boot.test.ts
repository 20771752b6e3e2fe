import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppImage } from '../../ota/app-image';
import { keyDigestOf, signImage, verifyImageSignature } from '../../ota/secure-boot';
import { KmsSigner } from '../../ota/signing';
import { readFixture } from '../../test/utils/fixtures';
import { startKmsServer, type KmsServer } from '../kms/kms-server';
import { ACCOUNT_ID, CREDENTIALS, REGION, kmsClient, tempStateDir } from './utils/local-aws';

/** ota/'s KMS signer against the local KMS: the Secure Boot V2 block verifies with ota/'s verifier. */
describe('Secure Boot V2 blocks signed by the local KMS', () => {
  const state = tempStateDir();
  let server: KmsServer;
  const app = readFixture('esp32-app-template.bin');

  beforeAll(async () => {
    server = await startKmsServer({
      stateDir: state.dir,
      region: REGION,
      accountId: ACCOUNT_ID,
      credentials: [CREDENTIALS],
    });
    server.keys.setAlias(
      'alias/secure-boot',
      server.keys.ensureKey('aws_kms_key.secure_boot', 'RSA_3072', '').keyId,
    );
    server.keys.setAlias(
      'alias/update',
      server.keys.ensureKey('aws_kms_key.update', 'ECC_NIST_P256', '').keyId,
    );
  });
  afterAll(async () => {
    await server.close();
    state.remove();
  });

  it.each([
    ['alias/secure-boot', 'RSA-3072'],
    ['alias/update', 'ECDSA-P256'],
  ] as const)(
    'signs with %s (%s) and the block verifies with the KMS public key only',
    async (alias, scheme) => {
      const kms = kmsClient(server.url);
      const signer = new KmsSigner(kms, alias);
      const { image, result } = await signImage(app, { signer });
      const info = parseAppImage(image);
      expect(info.problems).toEqual([]);
      expect(info.signatureSector?.contentSha256).toBe(result.contentSha256);
      const publicKey = await signer.getPublicKey();
      expect(info.signatureSector?.blocks.map(b => [b.scheme, b.keyDigest])).toEqual([
        [scheme, keyDigestOf(publicKey)],
      ]);
      expect(verifyImageSignature(info, publicKey).verified).toBe(true);

      // Another key of the same scheme does not verify it.
      const other =
        scheme === 'RSA-3072'
          ? generateKeyPairSync('rsa', { modulusLength: 3072 })
          : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(verifyImageSignature(info, other.publicKey).verified).toBe(false);
      kms.destroy();
    },
  );
});
