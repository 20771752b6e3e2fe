/**
 * AWS IoT certificate ids: the SHA-256 of the certificate's DER encoding, as 64 lowercase hex
 * digits (`certificateId` in CreateKeysAndCertificate/CreateCertificateFromCsr responses; the
 * RegisterCertificate API reference gives "Fixed length of 64", pattern `(0x)?[a-fA-F0-9]+`).
 */
import { createHash } from 'node:crypto';

/** DER bytes of the first certificate in a PEM text. Throws naming what was missing. */
export function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('certificate PEM: no "-----BEGIN CERTIFICATE-----" block found');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

/** The AWS IoT certificate id of a DER-encoded certificate. */
export function certificateIdOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The AWS IoT certificate id of a PEM certificate. */
export function certificateIdOfPem(pem: string): string {
  return certificateIdOfDer(pemToDer(pem));
}
