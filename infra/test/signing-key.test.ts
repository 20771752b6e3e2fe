import { Testing, TerraformStack } from 'cdktf';
import { describe, expect, test } from 'vitest';
import { AccountContext } from '../account-context';
import { SIGNING_KEY_SPECS, type SigningKeySpec } from '../environment-schema';
import { listOf, parsePolicyText, statementsOf } from '../rules/policy-json';
import { signingKeyRestricted } from '../rules/signing-key-restricted';
import { SIGNING_ALGORITHM, SigningKey } from '../signing-key';

function synthKey(keySpec: SigningKeySpec | undefined, signers: string[]) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const account = new AccountContext(stack, 'Account');
  const key = new SigningKey(stack, 'Key', {
    account,
    keySpec,
    aliasName: 'alias/test/key',
    description: 'test key',
  });
  for (const signer of signers) key.grantSign(signer);
  const json = JSON.parse(Testing.synth(stack)) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
  };
  const [[name, body]] = Object.entries(json.resource.aws_kms_key);
  return { key, name, body };
}

describe('SigningKey', () => {
  test.each(SIGNING_KEY_SPECS)(
    '%s: asymmetric SIGN_VERIFY key, Sign pinned to its algorithm',
    spec => {
      const { key, name, body } = synthKey(spec, ['arn:aws:iam::111111111111:role/signer']);
      expect(body).toMatchObject({ key_usage: 'SIGN_VERIFY', customer_master_key_spec: spec });
      expect(key.signingAlgorithm).toBe(SIGNING_ALGORITHM[spec]);
      const policy = parsePolicyText(body.policy);
      if (policy instanceof Error) throw policy;
      const sign = statementsOf(policy).find(statement =>
        listOf(statement.Action).includes('kms:Sign'),
      );
      expect(sign?.Condition).toEqual({
        StringEquals: { 'kms:SigningAlgorithm': SIGNING_ALGORITHM[spec] },
      });
      expect(signingKeyRestricted.check({ type: 'aws_kms_key', name, body }, {})).toEqual({
        status: 'compliant',
      });
    },
  );

  test('defaults to RSA_3072 (Secure Boot V2 on ESP32) with RSA-PSS', () => {
    const { body, key } = synthKey(undefined, []);
    expect(body.customer_master_key_spec).toBe('RSA_3072');
    expect(key.signingAlgorithm).toBe('RSASSA_PSS_SHA_256');
  });

  test('without grants nobody may sign: the root only administers', () => {
    const { body } = synthKey('ECC_NIST_P256', []);
    const policy = parsePolicyText(body.policy);
    if (policy instanceof Error) throw policy;
    expect(statementsOf(policy).map(statement => statement.Sid)).toEqual(['AccountAdministersKey']);
  });

  test('refuses an unknown key spec and a reserved alias', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const account = new AccountContext(stack, 'Account');
    expect(
      () =>
        new SigningKey(stack, 'A', {
          account,
          keySpec: 'RSA_2048' as SigningKeySpec,
          aliasName: 'alias/x',
          description: 'x',
        }),
    ).toThrow(/keySpec must be one of RSA_3072, ECC_NIST_P256, got RSA_2048/);
    expect(
      () => new SigningKey(stack, 'B', { account, aliasName: 'alias/aws/x', description: 'x' }),
    ).toThrow(/aliasName must be alias\/<name>/);
  });
});
