import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeKeyCommand,
  GetPublicKeyCommand,
  KMSServiceException,
  ListAliasesCommand,
  SignCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../kms/kms-server';
import { ACCOUNT_ID, CREDENTIALS, REGION, kmsClient, tempStateDir } from './utils/local-aws';

async function kmsError(promise: Promise<unknown>): Promise<KMSServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as KMSServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('local KMS with @aws-sdk/client-kms', () => {
  const state = tempStateDir();
  let server: KmsServer;
  let kms: KMSClient;
  let rsaKeyId: string;
  let ecKeyId: string;
  const message = Buffer.from('esp32 app image bytes');
  const digest = createHash('sha256').update(message).digest();

  beforeAll(async () => {
    server = await startKmsServer({
      stateDir: state.dir,
      region: REGION,
      accountId: ACCOUNT_ID,
      credentials: [CREDENTIALS],
    });
    rsaKeyId = server.keys.ensureKey('aws_kms_key.secure_boot', 'RSA_3072', 'Secure Boot V2').keyId;
    ecKeyId = server.keys.ensureKey(
      'aws_kms_key.release',
      'ECC_NIST_P256',
      'release signatures',
    ).keyId;
    server.keys.setAlias('alias/fleet-secure-boot', rsaKeyId);
    server.keys.setAlias('alias/fleet-release', ecKeyId);
    kms = kmsClient(server.url);
  });
  afterAll(async () => {
    kms.destroy();
    await server.close();
    state.remove();
  });

  it('signs a SHA-256 digest with RSASSA_PSS_SHA_256 on RSA_3072; node:crypto verifies it over the message', async () => {
    const signed = await kms.send(
      new SignCommand({
        KeyId: 'alias/fleet-secure-boot',
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'RSASSA_PSS_SHA_256',
      }),
    );
    expect(signed.KeyId).toBe(`arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${rsaKeyId}`);
    expect(signed.Signature).toHaveLength(384);
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: rsaKeyId }));
    const publicKey = createPublicKey({
      key: Buffer.from(PublicKey!),
      format: 'der',
      type: 'spki',
    });
    const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', message, pss, signed.Signature!)).toBe(true);
    expect(verify('sha256', Buffer.from('other bytes'), pss, signed.Signature!)).toBe(false);
  });

  it('signs with ECDSA_SHA_256 on ECC_NIST_P256, as DIGEST and as RAW', async () => {
    const { PublicKey, KeySpec, SigningAlgorithms, KeyUsage } = await kms.send(
      new GetPublicKeyCommand({ KeyId: 'alias/fleet-release' }),
    );
    expect({ KeySpec, SigningAlgorithms, KeyUsage }).toEqual({
      KeySpec: 'ECC_NIST_P256',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      KeyUsage: 'SIGN_VERIFY',
    });
    const publicKey = createPublicKey({
      key: Buffer.from(PublicKey!),
      format: 'der',
      type: 'spki',
    });
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    for (const [MessageType, Message] of [
      ['DIGEST', digest],
      ['RAW', message],
    ] as const) {
      const signed = await kms.send(
        new SignCommand({
          KeyId: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:alias/fleet-release`,
          Message,
          MessageType,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      expect(verify('sha256', message, publicKey, signed.Signature!)).toBe(true);
    }
  });

  it('describes keys and lists aliases', async () => {
    const { KeyMetadata } = await kms.send(
      new DescribeKeyCommand({ KeyId: 'alias/fleet-secure-boot' }),
    );
    expect(KeyMetadata).toMatchObject({
      KeyId: rsaKeyId,
      KeySpec: 'RSA_3072',
      KeyUsage: 'SIGN_VERIFY',
      KeyState: 'Enabled',
      Enabled: true,
    });
    expect(KeyMetadata?.SigningAlgorithms).toContain('RSASSA_PSS_SHA_256');
    const { Aliases } = await kms.send(new ListAliasesCommand({}));
    expect(Aliases?.map(a => a.AliasName).sort()).toEqual([
      'alias/fleet-release',
      'alias/fleet-secure-boot',
    ]);
  });

  it('answers with KMS exceptions: NotFound, InvalidKeyUsage, Validation', async () => {
    const missing = await kmsError(kms.send(new GetPublicKeyCommand({ KeyId: 'alias/nope' })));
    expect(missing.name).toBe('NotFoundException');
    const wrongAlgorithm = await kmsError(
      kms.send(
        new SignCommand({
          KeyId: ecKeyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'RSASSA_PSS_SHA_256',
        }),
      ),
    );
    expect(wrongAlgorithm.name).toBe('InvalidKeyUsageException');
    const shortDigest = await kmsError(
      kms.send(
        new SignCommand({
          KeyId: ecKeyId,
          Message: digest.subarray(0, 20),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    );
    expect(shortDigest.name).toBe('ValidationException');
    expect(shortDigest.message).toMatch(/Digest is invalid length/);
  });

  it('refuses unknown access keys and wrong secrets', async () => {
    const stranger = kmsClient(server.url, {
      accessKeyId: 'AKIAUNKNOWN000000000',
      secretAccessKey: 'x',
    });
    expect((await kmsError(stranger.send(new DescribeKeyCommand({ KeyId: rsaKeyId })))).name).toBe(
      'UnrecognizedClientException',
    );
    const forger = kmsClient(server.url, {
      accessKeyId: CREDENTIALS.accessKeyId,
      secretAccessKey: 'wrong',
    });
    expect((await kmsError(forger.send(new DescribeKeyCommand({ KeyId: rsaKeyId })))).name).toBe(
      'InvalidSignatureException',
    );
    stranger.destroy();
    forger.destroy();
  });

  it('keeps key files private (0600) and returns the same public key after a restart', async () => {
    const before = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/fleet-secure-boot' }));
    expect(statSync(join(state.dir, 'kms', 'keys', `${rsaKeyId}.json`)).mode & 0o777).toBe(0o600);
    await server.close();
    server = await startKmsServer({
      stateDir: state.dir,
      region: REGION,
      accountId: ACCOUNT_ID,
      credentials: [CREDENTIALS],
    });
    // Applying the same declaration again finds the stored key instead of making a new one.
    expect(
      server.keys.ensureKey('aws_kms_key.secure_boot', 'RSA_3072', 'Secure Boot V2').keyId,
    ).toBe(rsaKeyId);
    kms.destroy();
    kms = kmsClient(server.url);
    const after = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/fleet-secure-boot' }));
    expect(Buffer.from(after.PublicKey!).equals(Buffer.from(before.PublicKey!))).toBe(true);
  });
});
