/**
 * A device's own key pair and certificate signing request, made on the device so that the private
 * key never leaves it (CreateCertificateFromCsr,
 * https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html): EC P-256, the
 * curve the ESP32 firmware uses, the key as PKCS #8 PEM and the CSR as PKCS #10 PEM.
 */
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';

export interface DeviceKey {
  readonly keyPem: string;
  readonly csrPem: string;
}

/** A fresh P-256 key and a CSR with subject `CN=<commonName>`. */
export async function createDeviceKey(commonName: string): Promise<DeviceKey> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys: keys as never,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as never,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const body = pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
    csrPem: csr.toString('pem'),
  };
}
