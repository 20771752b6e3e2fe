import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDerSignature, encodeDerSignature } from '../der-signature';
import { bytesToBigInt, publicPointP256, signDigestP256, verifyDigestP256 } from '../ecdsa-p256';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest();
const big = (hex: string) => BigInt(`0x${hex}`);

describe('ECDSA P-256 over a digest', () => {
  // RFC 6979 appendix A.2.5 (P-256), SHA-256: the spec's own test vectors.
  const x = big('C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721');
  it('derives the RFC 6979 A.2.5 public key', () => {
    expect(publicPointP256(x)).toEqual({
      x: big('60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6'),
      y: big('7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299'),
    });
  });

  it.each([
    [
      'sample',
      'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716',
      'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8',
    ],
    [
      'test',
      'F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367',
      '019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083',
    ],
  ])('signs "%s" exactly as RFC 6979 A.2.5 says', (message, r, s) => {
    expect(signDigestP256(x, sha256(message))).toEqual({ r: big(r), s: big(s) });
  });

  it('agrees with node:crypto in both directions', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d = bytesToBigInt(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
    const jwk = publicKey.export({ format: 'jwk' });
    const q = {
      x: bytesToBigInt(Buffer.from(jwk.x!, 'base64url')),
      y: bytesToBigInt(Buffer.from(jwk.y!, 'base64url')),
    };
    expect(publicPointP256(d)).toEqual(q);
    for (let i = 0; i < 10; i++) {
      const message = Buffer.from(`message ${i}`);
      const ours = encodeDerSignature(signDigestP256(d, sha256(message)));
      expect(verify('sha256', message, publicKey, ours)).toBe(true);
      const theirs = sign('sha256', message, privateKey);
      expect(verifyDigestP256(q, sha256(message), decodeDerSignature(theirs))).toBe(true);
      expect(verifyDigestP256(q, sha256(`${message}!`), decodeDerSignature(theirs))).toBe(false);
    }
  });

  it('rejects a signature with a flipped bit and a point off the curve', () => {
    const digest = sha256('x');
    const sig = signDigestP256(x, digest);
    const q = publicPointP256(x);
    expect(verifyDigestP256(q, digest, sig)).toBe(true);
    expect(verifyDigestP256(q, digest, { r: sig.r ^ 1n, s: sig.s })).toBe(false);
    expect(verifyDigestP256(q, digest, { r: sig.r, s: sig.s ^ 2n })).toBe(false);
    expect(verifyDigestP256({ x: q.x, y: q.y ^ 1n }, digest, sig)).toBe(false);
  });

  it('round-trips DER and names the bad byte of malformed DER', () => {
    const sig = signDigestP256(x, sha256('der'));
    expect(decodeDerSignature(encodeDerSignature(sig))).toEqual(sig);
    expect(() => decodeDerSignature(Buffer.from([0x31, 0x00]))).toThrow(
      /at byte 0: expected SEQUENCE/,
    );
    // node's own DER is accepted as well
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => decodeDerSignature(sign('sha256', Buffer.from('a'), privateKey))).not.toThrow();
    expect(createPublicKey(privateKey).asymmetricKeyType).toBe('ec');
  });
});
