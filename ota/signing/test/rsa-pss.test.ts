import { constants, createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDigestRsaPss, verifyDigestRsaPss } from '../rsa-pss';

describe('RSA-PSS (SHA-256, MGF1, salt 32) over a digest', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  const sha256 = (m: Buffer) => createHash('sha256').update(m).digest();

  it('produces signatures node:crypto verifies as RSA-PSS over the message', () => {
    for (let i = 0; i < 5; i++) {
      const message = Buffer.from(`image ${i}`);
      const signature = signDigestRsaPss(privateKey, sha256(message));
      expect(signature).toHaveLength(384);
      expect(verify('sha256', message, { key: publicKey, ...pss }, signature)).toBe(true);
    }
  });

  it('verifies node:crypto RSA-PSS signatures and rejects altered ones', () => {
    const message = Buffer.from('firmware');
    const signature = sign('sha256', message, { key: privateKey, ...pss });
    expect(verifyDigestRsaPss(publicKey, sha256(message), signature)).toBe(true);
    expect(verifyDigestRsaPss(publicKey, sha256(Buffer.from('firmwarf')), signature)).toBe(false);
    const bad = Buffer.from(signature);
    bad[100] ^= 4;
    expect(verifyDigestRsaPss(publicKey, sha256(message), bad)).toBe(false);
    expect(verifyDigestRsaPss(publicKey, sha256(message), signature.subarray(1))).toBe(false);
  });

  it('signs deterministically (same key and digest, same signature)', () => {
    const digest = sha256(Buffer.from('same'));
    expect(signDigestRsaPss(privateKey, digest)).toEqual(signDigestRsaPss(privateKey, digest));
  });
});
