import { createPrivateKey, X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateIdOfPem, pemToDer } from '../pki/certificate-id';
import { CsrError, loadOrCreateLocalCa } from '../pki/local-ca';
import { makeKeyAndCsr, tempStateDir } from './local-cloud-harness';

async function rsaCsr(bits: number): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return (await Pkcs10CertificateRequestGenerator.create({ name: 'CN=rsa', keys: keys as never, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } as never })).toString('pem');
}

describe('local CA', () => {
  it('is made once per state dir with a private key of mode 0600', async () => {
    const dir = tempStateDir();
    const first = await loadOrCreateLocalCa(dir);
    expect(statSync(join(dir, 'pki', 'ca.key.pem')).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateLocalCa(dir);
    expect(again.caCertPem).toBe(first.caCertPem);
  });

  it('signs a CSR as AWS IoT does: device key, "CN=AWS IoT Certificate", id = SHA-256 of the DER', async () => {
    const ca = await loadOrCreateLocalCa(tempStateDir());
    const { keyPem, csrPem } = await makeKeyAndCsr('whatever-the-device-asks');
    const issued = await ca.signCsr(csrPem);
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.verify(new X509Certificate(ca.caCertPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.subject).toBe('CN=AWS IoT Certificate');
    expect(cert.issuer).toBe(new X509Certificate(ca.caCertPem).subject);
    expect(new Date(cert.validTo).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(cert.ca).toBe(false);
    expect(issued.certificateId).toBe(certificateIdOfPem(issued.certificatePem));
    expect(issued.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(pemToDer(issued.certificatePem).length).toBeGreaterThan(200);
  });

  it('accepts RSA-2048 CSRs and refuses weak keys, bad signatures and garbage', async () => {
    const ca = await loadOrCreateLocalCa(tempStateDir());
    await expect(ca.signCsr(await rsaCsr(2048))).resolves.toHaveProperty('certificateId');
    await expect(ca.signCsr(await rsaCsr(1024))).rejects.toThrow(/RSA \(2048 bits or more\)/);
    const { csrPem } = await makeKeyAndCsr();
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0x01; // flip a bit in the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signCsr(tampered)).rejects.toThrow(CsrError);
    await expect(ca.signCsr('hello')).rejects.toThrow(/PEM "CERTIFICATE REQUEST"/);
    await expect(ca.signCsr('-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQA=\n-----END CERTIFICATE REQUEST-----')).rejects.toThrow(/not a PKCS#10 request/);
  });

  it('accepts EC P-256 and P-384 CSR keys, refuses P-521 and points off the curve', async () => {
    const ca = await loadOrCreateLocalCa(tempStateDir());
    const ecCsr = async (namedCurve: string): Promise<string> => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      return (await Pkcs10CertificateRequestGenerator.create({ name: 'CN=ec', keys: keys as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as never })).toString('pem');
    };
    const p384 = await ca.signCsr(await ecCsr('P-384'));
    expect(new X509Certificate(p384.certificatePem).publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    await expect(ca.signCsr(await ecCsr('P-521'))).rejects.toThrow(/EC P-256\/P-384, got ec secp521r1/);
    // Change the public point's last byte (Y): the point leaves the curve and the key cannot be read.
    const der = Buffer.from((await ecCsr('P-256')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const point = der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 4;
    der[point + 63] ^= 0x01;
    const offCurve = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signCsr(offCurve)).rejects.toThrow(/public key cannot be read/);
  });

  it('makes RSA-2048 keys returned as PKCS#1 for CreateKeysAndCertificate', async () => {
    const ca = await loadOrCreateLocalCa(tempStateDir());
    const issued = await ca.createKeysAndCertificate();
    expect(issued.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(new X509Certificate(issued.certificatePem).checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
  });
});
