/**
 * The local cloud's certificate authority. On AWS, device certificates from fleet provisioning are
 * signed by Amazon's CA and the broker's server certificate by a public CA; locally one root CA,
 * made on first start and kept in `<stateDir>/pki/` (private keys mode 0600), plays both parts.
 * Devices trust it through `mqtt.caFile` in `local-cloud.json`.
 *
 * Keys: the CA and the server use ECDSA P-256 (cheap handshakes); CreateKeysAndCertificate makes
 * RSA-2048 keys and returns them PKCS#1 ("BEGIN RSA PRIVATE KEY"), as AWS IoT does.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../state/write-file-atomic';
import { certificateIdOfPem } from './certificate-id';
import { DeviceCertificateIssuer, verifiedCsrPublicKey } from './device-certificate-issuer';

export { CsrError } from './device-certificate-issuer';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const generateKeyPair = promisify(generateKeyPairCb);

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A certificate the CA issued. */
export interface IssuedCertificate {
  readonly certificatePem: string;
  /** SHA-256 of the DER, hex (AWS's certificate id). */
  readonly certificateId: string;
}

/** A certificate the CA issued together with the key it made. */
export interface IssuedKeyAndCertificate extends IssuedCertificate {
  readonly privateKeyPem: string;
}

/** The local CA: sign CSRs, make keys and certificates, make the broker's server certificate. */
export interface LocalCa {
  readonly caCertPem: string;
  /** Path of the CA certificate in the state dir (what devices trust). */
  readonly caCertFile: string;
  signCsr(csrPem: string): Promise<IssuedCertificate>;
  createKeysAndCertificate(): Promise<IssuedKeyAndCertificate>;
  /** A server certificate for the given DNS names and IP addresses, signed by the CA. */
  createServerCredentials(dnsNames: readonly string[], ips: readonly string[]): Promise<{ keyPem: string; certPem: string }>;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  // positive 16-byte serial (top bit cleared)
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

async function importEcPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']) as Promise<CryptoKey>;
}

/**
 * Loads the CA from `<stateDir>/pki/`, making it on first start.
 * @param stateDir - the local cloud's state directory
 */
export async function loadOrCreateLocalCa(stateDir: string): Promise<LocalCa> {
  const dir = join(stateDir, 'pki');
  const keyFile = join(dir, 'ca.key.pem');
  const caCertFile = join(dir, 'ca.cert.pem');
  let caKey: CryptoKey;
  let caKeyPem: string;
  let caCertPem: string;
  if (existsSync(keyFile) && existsSync(caCertFile)) {
    caKeyPem = readFileSync(keyFile, 'utf8');
    caKey = await importEcPrivateKey(caKeyPem);
    caCertPem = readFileSync(caCertFile, 'utf8');
  } else {
    const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=esp32-fleet local cloud root CA, O=esp32-fleet',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 20 * 365 * 24 * 3600 * 1000),
      signingAlgorithm: EC_SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
    caKeyPem = toPem(keyDer, 'PRIVATE KEY');
    await writeFileAtomic(keyFile, caKeyPem, { mode: 0o600 });
    caCertPem = cert.toString('pem') + '\n';
    await writeFileAtomic(caCertFile, caCertPem);
    caKey = keys.privateKey;
  }
  const caCert = new x509.X509Certificate(caCertPem);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);

  // Device certificates are issued on every provisioning: a byte-level issuer (see its header).
  const issuer = new DeviceCertificateIssuer(caKeyPem, caCertPem);
  function issueDevice(spkiDer: Uint8Array): IssuedCertificate {
    const certificatePem = issuer.issue(spkiDer);
    return { certificatePem, certificateId: certificateIdOfPem(certificatePem) };
  }

  return {
    caCertPem,
    caCertFile,

    async signCsr(csrPem: string): Promise<IssuedCertificate> {
      return issueDevice(verifiedCsrPublicKey(csrPem));
    },

    async createKeysAndCertificate(): Promise<IssuedKeyAndCertificate> {
      const { publicKey, privateKey } = await generateKeyPair('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      });
      const issued = issueDevice(publicKey);
      return { ...issued, privateKeyPem: privateKey };
    },

    async createServerCredentials(dnsNames, ips) {
      const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${dnsNames[0] ?? 'localhost'}`,
        issuer: caCert.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 365 * 24 * 3600 * 1000),
        signingAlgorithm: EC_SIGNING,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            ...dnsNames.map(value => ({ type: 'dns' as const, value })),
            ...ips.map(value => ({ type: 'ip' as const, value })),
          ]),
          authorityKeyId,
        ],
      });
      const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
      return { keyPem: toPem(keyDer, 'PRIVATE KEY'), certPem: cert.toString('pem') + '\n' };
    },
  };
}

/** True when `pem` is a certificate this CA signed (used by tests and by the apply step). */
export function isSignedBy(pem: string, caCertPem: string): boolean {
  return new NodeX509(pem).verify(new NodeX509(caCertPem).publicKey);
}
