/** Every stack rule, in the order reports list them. */
import { bucketDeniesInsecureTransport } from './bucket-denies-insecure-transport';
import { bucketEncryptedWithKms } from './bucket-encrypted-with-kms';
import { bucketPublicAccessBlocked } from './bucket-public-access-blocked';
import { iamPolicyNoWildcards } from './iam-policy-no-wildcards';
import { iotPolicyNoWildcards } from './iot-policy-no-wildcards';
import { policyDocumentValid } from './policy-document-valid';
import type { StackRule } from './rule';
import { signingKeyRestricted } from './signing-key-restricted';

export const ALL_RULES: readonly StackRule[] = [
  policyDocumentValid,
  iotPolicyNoWildcards,
  iamPolicyNoWildcards,
  signingKeyRestricted,
  bucketEncryptedWithKms,
  bucketPublicAccessBlocked,
  bucketDeniesInsecureTransport,
];
