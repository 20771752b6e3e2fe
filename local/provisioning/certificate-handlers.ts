/**
 * Handlers for the `$aws/certificates/...` family: CreateKeysAndCertificate
 * (`$aws/certificates/create/json`, empty payload) and CreateCertificateFromCsr
 * (`$aws/certificates/create-from-csr/json`, `{ certificateSigningRequest }`).
 *
 * Replies on `<request topic>/accepted`:
 * - create: `{ certificateId, certificatePem, privateKey, certificateOwnershipToken }`
 * - create-from-csr: `{ certificateOwnershipToken, certificateId, certificatePem }`
 * or on `<request topic>/rejected`: `{ statusCode, errorCode, errorMessage }`
 * (InvalidPayload, InvalidCsr). The new certificate is PENDING_ACTIVATION until RegisterThing.
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html
 */
import { CsrError, type LocalCa } from '../pki/local-ca';
import type { Registry } from '../registry/registry';
import type { ReservedTopicFamily } from '../broker/reserved-topics';
import type { OwnershipTokens } from './ownership-tokens';
import { isRejection, parseJsonObject, rejections } from './provisioning-errors';

interface Deps {
  readonly ca: LocalCa;
  readonly registry: Registry;
  readonly tokens: OwnershipTokens;
}

/** `$aws/certificates/create/json` */
export function createKeysAndCertificateFamily({ ca, registry, tokens }: Deps): ReservedTopicFamily {
  return {
    name: 'create-keys-and-certificate',
    pattern: /^\$aws\/certificates\/create\/json$/,
    async handle(request) {
      const parsed = parseJsonObject(request.payload, true);
      if (isRejection(parsed)) return request.reply(`${request.topic}/rejected`, parsed);
      const issued = await ca.createKeysAndCertificate();
      registry.putCertificate(issued.certificateId, issued.certificatePem, 'PENDING_ACTIVATION');
      await request.reply(`${request.topic}/accepted`, {
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
        privateKey: issued.privateKeyPem,
        certificateOwnershipToken: tokens.issue(issued.certificateId),
      });
    },
  };
}

/** `$aws/certificates/create-from-csr/json` */
export function createCertificateFromCsrFamily({ ca, registry, tokens }: Deps): ReservedTopicFamily {
  return {
    name: 'create-certificate-from-csr',
    pattern: /^\$aws\/certificates\/create-from-csr\/json$/,
    async handle(request) {
      const parsed = parseJsonObject(request.payload, false);
      if (isRejection(parsed)) return request.reply(`${request.topic}/rejected`, parsed);
      const csr = parsed.certificateSigningRequest;
      if (typeof csr !== 'string' || csr.length === 0) {
        return request.reply(`${request.topic}/rejected`, rejections.invalidPayload('certificateSigningRequest is required'));
      }
      let issued;
      try {
        issued = await ca.signCsr(csr);
      } catch (error) {
        if (error instanceof CsrError) return request.reply(`${request.topic}/rejected`, rejections.invalidCsr(error.message));
        throw error;
      }
      registry.putCertificate(issued.certificateId, issued.certificatePem, 'PENDING_ACTIVATION');
      await request.reply(`${request.topic}/accepted`, {
        certificateOwnershipToken: tokens.issue(issued.certificateId),
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
      });
    },
  };
}
