import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyUnsupportedError } from '../../errors/key-unsupported-error';
import { PemSigner } from '../pem-signer';

const pem = (key: { export(o: { format: 'pem'; type: 'pkcs8' }): string | Buffer }) =>
  key.export({ format: 'pem', type: 'pkcs8' });

describe('PemSigner', () => {
  it('picks the scheme from the key and signs through begin()/update()/finish()', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = new PemSigner(pem(ec.privateKey));
    expect(signer.algorithm).toBe('ECDSA-P256');
    expect(signer.keyId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const session = signer.begin();
    session.update(Buffer.from('hello '));
    session.update(Buffer.from('world'));
    const signature = await session.finish();
    expect(verify('sha256', Buffer.from('hello world'), ec.publicKey, signature)).toBe(true);
    expect(await signer.signDigest(createHash('sha256').update('hello world').digest())).toEqual(
      signature,
    );

    const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 });
    expect(new PemSigner(pem(rsa.privateKey)).algorithm).toBe('RSA-PSS-3072');
  });

  it('refuses keys Secure Boot V2 cannot use, saying why', () => {
    const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => new PemSigner(pem(rsa2048.privateKey))).toThrow(
      /2048-bit modulus; Secure Boot V2 needs RSA-3072/,
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => new PemSigner(pem(p384.privateKey))).toThrow(KeyUnsupportedError);
    const ed = generateKeyPairSync('ed25519');
    expect(() => new PemSigner(pem(ed.privateKey))).toThrow(/unsupported key type ed25519/);
    expect(() => new PemSigner('not a key')).toThrow(/cannot read a PEM private key/);
  });
});
