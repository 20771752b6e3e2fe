/**
 * The KMS operations we serve (JSON 1.1, `X-Amz-Target: TrentService.<Operation>`), each taking
 * the parsed request body and returning the response body or throwing {@link KmsError}:
 *
 * - Sign: KeyId, Message (base64, 1–4096 bytes), MessageType RAW|DIGEST, SigningAlgorithm
 *   → KeyId (ARN), Signature, SigningAlgorithm. Errors: ValidationException, NotFoundException,
 *   DisabledException, InvalidKeyUsageException.
 * - GetPublicKey: KeyId → PublicKey (DER SubjectPublicKeyInfo), KeySpec, KeyUsage, SigningAlgorithms.
 * - DescribeKey: KeyId → KeyMetadata.
 * - ListAliases, ListKeys: everything at once (no paging needed for a handful of keys).
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html
 */
import { createHash } from 'node:crypto';
import { KmsError, validationError } from './kms-error';
import type { KmsKey, KmsKeyStore } from './kms-key-store';
import { hashOf, signDigest, signingAlgorithmsFor } from './kms-signer';

/** Every value of KMS's `SigningAlgorithmSpec` enum (validation lists them as KMS does). */
const SIGNING_ALGORITHM_SPECS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
];
/** Sign accepts at most 4096 bytes of message (API_Sign.html, Message length constraints). */
const MAX_MESSAGE_BYTES = 4096;

type Body = Record<string, unknown>;
export type KmsOperation = (keys: KmsKeyStore, body: Body) => Body;

function keyOf(keys: KmsKeyStore, body: Body): KmsKey {
  const keyId = body.KeyId;
  if (typeof keyId !== 'string' || keyId.length < 1 || keyId.length > 2048) {
    throw validationError(
      'keyId',
      keyId,
      'Member must have length between 1 and 2048 and must not be null',
    );
  }
  return keys.resolve(keyId);
}

function sign(keys: KmsKeyStore, body: Body): Body {
  const key = keyOf(keys, body);
  const algorithm = body.SigningAlgorithm;
  if (typeof algorithm !== 'string' || !SIGNING_ALGORITHM_SPECS.includes(algorithm)) {
    throw validationError(
      'signingAlgorithm',
      algorithm,
      `Member must satisfy enum value set: [${SIGNING_ALGORITHM_SPECS.join(', ')}]`,
    );
  }
  const messageType = body.MessageType ?? 'RAW';
  if (messageType !== 'RAW' && messageType !== 'DIGEST') {
    throw validationError(
      'messageType',
      messageType,
      'Member must satisfy enum value set: [RAW, DIGEST, EXTERNAL_MU]',
    );
  }
  if (typeof body.Message !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(body.Message)) {
    throw validationError(
      'message',
      body.Message === undefined ? undefined : '<blob>',
      'Member must be base64 and must not be null',
    );
  }
  const message = Buffer.from(body.Message, 'base64');
  if (message.length < 1 || message.length > MAX_MESSAGE_BYTES) {
    throw validationError(
      'message',
      '<blob>',
      `Member must have length between 1 and ${MAX_MESSAGE_BYTES}`,
    );
  }
  if (!key.enabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
  if (key.keyUsage !== 'SIGN_VERIFY' || key.keySpec === 'SYMMETRIC_DEFAULT' || !key.privateKey) {
    throw new KmsError(
      'InvalidKeyUsageException',
      `${key.arn} key usage is ${key.keyUsage} which is not valid for Sign.`,
    );
  }
  if (!signingAlgorithmsFor(key.keySpec).includes(algorithm)) {
    throw new KmsError(
      'InvalidKeyUsageException',
      `Signing algorithm ${algorithm} is not compatible with key spec ${key.keySpec} of ${key.arn}; supported: ${signingAlgorithmsFor(key.keySpec).join(', ')}`,
    );
  }
  const { hash, length } = hashOf(algorithm);
  if (messageType === 'DIGEST' && message.length !== length) {
    throw new KmsError(
      'ValidationException',
      `Digest is invalid length for algorithm ${algorithm}: expected ${length} bytes, got ${message.length}.`,
    );
  }
  const digest = messageType === 'DIGEST' ? message : createHash(hash).update(message).digest();
  return {
    KeyId: key.arn,
    Signature: signDigest(key.privateKey, key.keySpec, algorithm, digest).toString('base64'),
    SigningAlgorithm: algorithm,
  };
}

function getPublicKey(keys: KmsKeyStore, body: Body): Body {
  const key = keyOf(keys, body);
  if (key.keySpec === 'SYMMETRIC_DEFAULT' || !key.publicKeyDer) {
    throw new KmsError(
      'UnsupportedOperationException',
      `${key.arn} is a symmetric key; GetPublicKey needs an asymmetric KMS key.`,
    );
  }
  return {
    KeyId: key.arn,
    PublicKey: key.publicKeyDer.toString('base64'),
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    SigningAlgorithms: signingAlgorithmsFor(key.keySpec),
  };
}

function describeKey(keys: KmsKeyStore, body: Body): Body {
  return { KeyMetadata: keys.metadata(keyOf(keys, body)) };
}

function listAliases(keys: KmsKeyStore, body: Body): Body {
  const filter = typeof body.KeyId === 'string' ? keys.resolve(body.KeyId).keyId : undefined;
  const aliases = keys
    .allAliases()
    .filter(([, keyId]) => filter === undefined || keyId === filter)
    .map(([name, keyId]) => ({
      AliasName: name,
      AliasArn: keys.aliasArn(name),
      TargetKeyId: keyId,
    }));
  return { Aliases: aliases, Truncated: false };
}

function listKeys(keys: KmsKeyStore): Body {
  return { Keys: keys.list().map(k => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: false };
}

/** Operation name (after `TrentService.`) → handler. */
export const KMS_OPERATIONS: Readonly<Record<string, KmsOperation>> = {
  Sign: sign,
  GetPublicKey: getPublicKey,
  DescribeKey: describeKey,
  ListAliases: listAliases,
  ListKeys: listKeys,
};
