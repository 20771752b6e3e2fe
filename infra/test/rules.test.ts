import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_RULES } from '../rules/all-rules';
import { bucketDeniesInsecureTransport } from '../rules/bucket-denies-insecure-transport';
import { bucketEncryptedWithKms } from '../rules/bucket-encrypted-with-kms';
import { bucketPublicAccessBlocked } from '../rules/bucket-public-access-blocked';
import { iamPolicyNoWildcards } from '../rules/iam-policy-no-wildcards';
import { iotPolicyNoWildcards } from '../rules/iot-policy-no-wildcards';
import { policyDocumentValid } from '../rules/policy-document-valid';
import type { SynthesizedResource, TerraformJson } from '../rules/rule';
import { runRules } from '../rules/run-rules';
import { signingKeyRestricted } from '../rules/signing-key-restricted';
import { synthesizeAll, type SynthesizedStacks } from './synthesized-stacks';

let synth: SynthesizedStacks;
beforeAll(() => {
  synth = synthesizeAll();
});
afterAll(() => synth.cleanup());

const policy = (...statements: object[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const iotPolicy = (text: string): SynthesizedResource => ({
  type: 'aws_iot_policy',
  name: 'P',
  body: { name: 'p', policy: text },
});
const bucket: SynthesizedResource = { type: 'aws_s3_bucket', name: 'B', body: { bucket: 'b' } };

describe('stack rules', () => {
  test.each(['dev', 'prod'])(
    'every rule is compliant on the %s stack, and each rule applies somewhere',
    env => {
      const reports = runRules(synth.stacks[env] as unknown as TerraformJson);
      expect(reports.filter(report => report.status !== 'compliant')).toEqual([]);
      expect(new Set(reports.map(report => report.rule))).toEqual(
        new Set(ALL_RULES.map(rule => rule.id)),
      );
    },
  );

  test('policy-document-valid: refuses bad JSON, an old Version, a bad Effect, a statement without Action', () => {
    const check = (text: unknown) => policyDocumentValid.check(iotPolicy(text as string), {});
    expect(
      check(
        policy({ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:r:1:client/x' }),
      ).status,
    ).toBe('compliant');
    expect(check('{"Version":').reason).toMatch(/not valid JSON/);
    expect(
      check(
        JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'x' }] }),
      ).reason,
    ).toMatch(/Version is "2008-10-17"/);
    expect(check(policy({ Effect: 'allow', Action: 'x' })).reason).toMatch(
      /Statement\[0\]\.Effect is "allow"/,
    );
    expect(check(policy({ Effect: 'Allow' })).reason).toMatch(/Statement\[0\] has no Action/);
    expect(check(JSON.stringify({ Version: '2012-10-17', Statement: [] })).reason).toMatch(
      /no Statement/,
    );
    expect(policyDocumentValid.check(bucket, {}).status).toBe('not-applicable');
  });

  test('iot-policy-no-wildcards: refuses iot:*, *, resource * and topic/*', () => {
    const check = (statement: object) =>
      iotPolicyNoWildcards.check(iotPolicy(policy(statement)), {});
    expect(
      check({ Effect: 'Allow', Action: 'iot:*', Resource: 'arn:aws:iot:r:1:client/x' }).reason,
    ).toMatch(/allows action iot:\*/);
    expect(
      check({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:iot:r:1:client/x' }).reason,
    ).toMatch(/allows action \*/);
    expect(check({ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }).reason).toMatch(
      /allows resource \*/,
    );
    expect(
      check({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:r:1:topic/*' }).reason,
    ).toMatch(/allows resource arn:aws:iot:r:1:topic\/\*/);
    expect(
      check({ Effect: 'Allow', NotAction: 'iot:Connect', Resource: 'arn:aws:iot:r:1:topic/a' })
        .reason,
    ).toMatch(/NotAction/);
    expect(check({ Effect: 'Deny', Action: 'iot:*', Resource: '*' }).status).toBe('compliant');
  });

  test('iam-policy-no-wildcards: refuses s3:* and resource *', () => {
    const role = (statement: object): SynthesizedResource => ({
      type: 'aws_iam_role_policy',
      name: 'R',
      body: { policy: policy(statement) },
    });
    expect(
      iamPolicyNoWildcards.check(
        role({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }),
        {},
      ).reason,
    ).toMatch(/allows action s3:\*/);
    expect(
      iamPolicyNoWildcards.check(
        role({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
        {},
      ).reason,
    ).toMatch(/allows resource \*/);
    expect(
      iamPolicyNoWildcards.check(
        role({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }),
        {},
      ).status,
    ).toBe('compliant');
  });

  test('signing-key-restricted: refuses kms:* for root, root signing, and Sign without an algorithm', () => {
    const key = (statement: object): SynthesizedResource => ({
      type: 'aws_kms_key',
      name: 'K',
      body: { key_usage: 'SIGN_VERIFY', policy: policy(statement) },
    });
    const root = { AWS: 'arn:aws:iam::1:root' };
    expect(
      signingKeyRestricted.check(
        key({ Effect: 'Allow', Principal: root, Action: 'kms:*', Resource: '*' }),
        {},
      ).reason,
    ).toMatch(/kms:\*/);
    expect(
      signingKeyRestricted.check(
        key({ Effect: 'Allow', Principal: root, Action: 'kms:GetPublicKey', Resource: '*' }),
        {},
      ).reason,
    ).toMatch(/account root/);
    expect(
      signingKeyRestricted.check(
        key({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::1:role/w' },
          Action: 'kms:Sign',
          Resource: '*',
        }),
        {},
      ).reason,
    ).toMatch(/without a kms:SigningAlgorithm/);
    expect(
      signingKeyRestricted.check(
        { type: 'aws_kms_key', name: 'K', body: { key_usage: 'SIGN_VERIFY' } },
        {},
      ).reason,
    ).toMatch(/explicit key policy/);
    expect(
      signingKeyRestricted.check({ type: 'aws_kms_key', name: 'K', body: {} }, {}).status,
    ).toBe('not-applicable');
  });

  test('bucket rules: a bare bucket is non-compliant on encryption, public access and TLS', () => {
    const stack: TerraformJson = { resource: { aws_s3_bucket: { B: bucket.body } } };
    expect(bucketEncryptedWithKms.check(bucket, stack).reason).toMatch(
      /no aws_s3_bucket_server_side_encryption_configuration/,
    );
    expect(bucketPublicAccessBlocked.check(bucket, stack).reason).toMatch(
      /no aws_s3_bucket_public_access_block/,
    );
    expect(bucketDeniesInsecureTransport.check(bucket, stack).reason).toMatch(
      /no aws_s3_bucket_policy/,
    );
  });

  test('bucket rules: AES256, a half-open block and an Allow-only policy are caught', () => {
    const stack: TerraformJson = {
      resource: {
        aws_s3_bucket: { B: bucket.body },
        aws_s3_bucket_server_side_encryption_configuration: {
          E: {
            bucket: '${aws_s3_bucket.B.id}',
            rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
          },
        },
        aws_s3_bucket_public_access_block: {
          P: {
            bucket: '${aws_s3_bucket.B.id}',
            block_public_acls: true,
            block_public_policy: false,
            ignore_public_acls: true,
            restrict_public_buckets: true,
          },
        },
        aws_s3_bucket_policy: {
          Q: {
            bucket: '${aws_s3_bucket.B.id}',
            policy: policy({
              Effect: 'Allow',
              Action: 's3:GetObject',
              Resource: '${aws_s3_bucket.B.arn}/*',
            }),
          },
        },
      },
    };
    expect(bucketEncryptedWithKms.check(bucket, stack).reason).toMatch(/not aws:kms/);
    expect(bucketPublicAccessBlocked.check(bucket, stack).reason).toMatch(
      /leaves block_public_policy off/,
    );
    expect(bucketDeniesInsecureTransport.check(bucket, stack).reason).toMatch(/no Deny s3:\*/);
  });
});
