// Whole-stack properties of every synthesized environment (store, keys, escaping, ARNs, names, backend).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { environmentNames, parseEnvironment } from '../environments';
import { listOf, statementsOf, unescapeTerraformTemplate } from '../rules/policy-json';
import {
  policyOf,
  resolveAccountReferences,
  resourceNamed,
  resourcesOfType,
  only,
  synthesizeAll,
  type StackJson,
  type SynthesizedStacks,
} from './synthesized-stacks';

let synth: SynthesizedStacks;
beforeAll(() => {
  synth = synthesizeAll('/nonexistent/claim/claim.csr.pem');
});
afterAll(() => synth.cleanup());

const envs = environmentNames();

/** Every string value in the JSON, with its path. */
function* strings(value: unknown, path = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`);
}

/** The text with every Terraform `${...}` interpolation removed (escaped `$${` kept as text). */
function withoutInterpolations(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 2;
    } else if (text.startsWith('${', i)) {
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) break;
      }
      i = j;
    } else out += text[i];
  }
  return out;
}

describe.each(envs)('FleetStack %s', name => {
  const env = parseEnvironment(name);
  const prefix = `esp32-fleet-${name}`;
  let stack: StackJson;
  let text: string;
  beforeAll(() => {
    stack = synth.stacks[name];
    text = synth.texts[name];
  });

  test('synthesizes to cdktf.out-style stacks/<env>/cdk.tf.json with every part of the fleet', () => {
    const result = synth.results.find(item => item.env === name);
    expect(result?.tfJsonPath).toBe(join(synth.outdir, 'stacks', name, 'cdk.tf.json'));
    expect(Object.keys(stack.resource)).toEqual(
      expect.arrayContaining([
        'aws_s3_bucket',
        'aws_kms_key',
        'aws_iot_thing_type',
        'aws_iot_policy',
        'aws_iot_provisioning_template',
        'aws_lambda_function',
        'aws_iot_certificate',
        'aws_acm_certificate',
        'aws_acm_certificate_validation',
        'aws_iot_domain_configuration',
        'aws_route53_record',
        'aws_iot_thing_group',
        'aws_cloudformation_stack',
        'aws_iot_event_configurations',
        'aws_iot_indexing_configuration',
        'aws_iam_role',
      ]),
    );
    expect(stack.provider.aws[0]).toMatchObject({ region: env.region });
  });

  test('firmware bucket: versioned, SSE-KMS with its own key, public access blocked, TLS only, old versions expire', () => {
    const bucket = only(stack, 'aws_s3_bucket');
    const ref = `\${aws_s3_bucket.${bucket.name}.id}`;
    expect(bucket.body.bucket).toMatch(
      new RegExp(`^${prefix}-firmware-\\$\\{data\\.aws_caller_identity\\.`),
    );
    expect(only(stack, 'aws_s3_bucket_versioning').body).toMatchObject({
      bucket: ref,
      versioning_configuration: { status: 'Enabled' },
    });
    const sse = only(stack, 'aws_s3_bucket_server_side_encryption_configuration').body as {
      rule: {
        apply_server_side_encryption_by_default: Record<string, string>;
        bucket_key_enabled: boolean;
      }[];
    };
    expect(sse.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('aws:kms');
    expect(sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toMatch(
      /^\$\{aws_kms_key\.FirmwareStore_Key_[0-9A-F]+\.arn\}$/,
    );
    expect(sse.rule[0].bucket_key_enabled).toBe(true);
    expect(only(stack, 'aws_s3_bucket_public_access_block').body).toMatchObject({
      bucket: ref,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(stack, 'aws_s3_bucket_ownership_controls').body).toMatchObject({
      rule: { object_ownership: 'BucketOwnerEnforced' },
    });
    const [deny] = statementsOf(policyOf(only(stack, 'aws_s3_bucket_policy')));
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(listOf(deny.Resource)).toEqual([
      `\${aws_s3_bucket.${bucket.name}.arn}`,
      `\${aws_s3_bucket.${bucket.name}.arn}/*`,
    ]);
    const lifecycle = only(stack, 'aws_s3_bucket_lifecycle_configuration').body as {
      rule: { status: string; noncurrent_version_expiration: { noncurrent_days: number }[] }[];
    };
    expect(lifecycle.rule[0].status).toBe('Enabled');
    expect(lifecycle.rule[0].noncurrent_version_expiration[0].noncurrent_days).toBe(
      env.noncurrentVersionExpirationDays,
    );
  });

  test('job document template is an S3 object whose presigned-URL placeholder survives Terraform', () => {
    const object = only(stack, 'aws_s3_object');
    expect(object.body.key).toBe('job-documents/ota-update.json');
    const raw = String(object.body.content);
    const url =
      '${aws:iot:s3-presigned-url-v2:https://s3.{{region}}.amazonaws.com/{{bucket}}/{{objectKey}}}';
    expect(raw).toContain(`"$${url}"`);
    const document = JSON.parse(unescapeTerraformTemplate(raw)) as {
      version: number;
      operation: string;
      firmware: Record<string, string>;
    };
    expect(document).toMatchObject({ version: 1, operation: 'ota' });
    expect(document.firmware.url).toBe(url);
    expect(document.firmware.signatureAlgorithm).toBe('sig-sha256-ecdsa');
  });

  test('signing keys: Secure Boot key of the configured spec and an ECC P-256 update key, signable by the worker only', () => {
    const keys = resourcesOfType(stack, 'aws_kms_key').filter(
      key => key.body.key_usage === 'SIGN_VERIFY',
    );
    expect(keys.map(key => key.body.customer_master_key_spec).sort()).toEqual(
      [env.signing.secureBootKeySpec, 'ECC_NIST_P256'].sort(),
    );
    const workerRole = resourceNamed(stack, 'aws_iam_role', 'name', `${prefix}-worker`);
    for (const key of keys) {
      const statements = statementsOf(policyOf(key));
      const signers = statements.filter(statement =>
        listOf(statement.Action).some(action => ['kms:Sign', 'kms:GetPublicKey'].includes(action)),
      );
      expect(signers).toHaveLength(2);
      for (const statement of signers) {
        expect((statement.Principal as { AWS: string[] }).AWS).toEqual([
          `\${aws_iam_role.${workerRole.name}.arn}`,
        ]);
      }
      const root = statements.find(statement => statement.Sid === 'AccountAdministersKey');
      expect(listOf(root?.Action)).toContain('kms:PutKeyPolicy');
      expect(
        listOf(root?.Action).filter(action => /^kms:(Sign|Verify|GetPublicKey|\*)$/.test(action)),
      ).toEqual([]);
    }
    const aliases = resourcesOfType(stack, 'aws_kms_alias').map(alias => alias.body.name);
    expect(aliases).toEqual(
      expect.arrayContaining([
        `alias/${prefix}/secure-boot`,
        `alias/${prefix}/update`,
        `alias/${prefix}/firmware-store`,
      ]),
    );
  });

  test('IoT policy variables reach AWS as ${iot:...}: escaped $${ in Terraform, never a bare ${iot:', () => {
    const device = resourceNamed(stack, 'aws_iot_policy', 'name', `${prefix}-device`);
    expect(String(device.body.policy)).toContain('$${iot:Connection.Thing.ThingName}');
    for (const [path, value] of strings(stack)) {
      expect(/(^|[^$])\$\{(iot|aws):/.test(value), `${path} has an unescaped policy variable`).toBe(
        false,
      );
    }
  });

  test('every Terraform reference sits inside ${...} and names a resource or data source of the stack', () => {
    for (const [path, value] of strings(stack)) {
      expect(value, path).not.toMatch(/TfToken|\$\{Token\[/);
      // depends_on lists bare addresses by design.
      if (/\.depends_on\[\d+\]$/.test(path)) continue;
      expect(withoutInterpolations(value), `${path} has a reference outside \${...}`).not.toMatch(
        /\b(data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+_[0-9A-F]{8}\b/,
      );
      for (const match of value.matchAll(
        /\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+_[0-9A-F]{8})\b/g,
      )) {
        const table = match[1] === undefined ? stack.resource : stack.data;
        expect(table[match[2]]?.[match[3]], `${path} refers to missing ${match[0]}`).toBeDefined();
      }
    }
  });

  test('ARNs are built from the partition, region and account data sources, never typed in', () => {
    for (const [path, value] of strings(stack)) {
      for (const match of value.matchAll(/arn:([^:]*):([^:]*):([^:]*):([^:]*):/g)) {
        expect(match[1], `${path}: ${match[0]}`).toMatch(/^\$\{data\.aws_partition\./);
        if (match[3] !== '')
          expect(match[3], `${path}: ${match[0]}`).toMatch(/^\$\{data\.aws_region\./);
        if (match[4] !== '' && match[4] !== 'aws')
          expect(match[4], `${path}: ${match[0]}`).toMatch(/^\$\{data\.aws_caller_identity\./);
      }
    }
    // No account id anywhere (the serial deny list holds 12-digit serials, which are not accounts).
    for (const [path, value] of strings(stack)) {
      if (path.endsWith('.FLEET_SERIAL_DENY_LIST')) continue;
      expect(value, path).not.toMatch(/\b\d{12}\b/);
    }
  });

  test('no secret or private key in the JSON', () => {
    expect(text).not.toMatch(
      /PRIVATE KEY|BEGIN CERTIFICATE REQUEST|AKIA[0-9A-Z]{16}|aws_secret_access_key|secret_key/i,
    );
    const certificate = only(stack, 'aws_iot_certificate');
    expect(certificate.body).toEqual(expect.objectContaining({ active: true }));
    expect(
      Object.keys(certificate.body)
        .filter(key => key !== '//')
        .sort(),
    ).toEqual(['active', 'csr']);
  });

  test('names are within AWS limits', () => {
    const lengths: [string, unknown, number][] = [
      ...resourcesOfType(stack, 'aws_iot_policy').map(
        r => ['IoT policy', r.body.name, 128] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_iot_thing_group').map(
        r => ['thing group', r.body.name, 128] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_iot_thing_type').map(
        r => ['thing type', r.body.name, 128] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_iot_provisioning_template').map(
        r => ['template', r.body.name, 36] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_iam_role').map(
        r => ['role', r.body.name, 64] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_lambda_function').map(
        r => ['function', r.body.function_name, 64] as [string, unknown, number],
      ),
      ...resourcesOfType(stack, 'aws_kms_alias').map(
        r => ['alias', r.body.name, 256] as [string, unknown, number],
      ),
    ];
    for (const [what, value, max] of lengths) {
      expect(typeof value, what).toBe('string');
      expect((value as string).length, `${what} ${value}`).toBeLessThanOrEqual(max);
    }
    const bucketName = resolveAccountReferences(String(only(stack, 'aws_s3_bucket').body.bucket));
    expect(bucketName).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    const body = JSON.parse(String(only(stack, 'aws_cloudformation_stack').body.template_body)) as {
      Resources: Record<string, { Properties: { JobTemplateId: string } }>;
    };
    for (const resource of Object.values(body.Resources))
      expect(resource.Properties.JobTemplateId).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    // The longest thing name a 64-character serial can produce.
    expect(`${env.thingNamePrefix}-${'A'.repeat(64)}`.length).toBeLessThanOrEqual(128);
  });

  test('backend: S3 with a lock table when configured, otherwise local state in the project root by a relative path', () => {
    const backend = stack.terraform.backend as Record<string, Record<string, unknown>>;
    if (env.backend === undefined) {
      expect(Object.keys(backend)).toEqual(['local']);
      expect(String(backend.local.path)).not.toMatch(/^\//);
      expect(String(backend.local.path)).toMatch(new RegExp(`terraform\\.${name}\\.tfstate$`));
    } else {
      expect(backend.s3).toEqual({
        bucket: env.backend.bucket,
        key: env.backend.key,
        region: env.backend.region ?? env.region,
        dynamodb_table: env.backend.dynamodbTable,
        encrypt: true,
      });
    }
  });

  test('outputs: endpoint, custom domain, bucket, key ARNs, template name, group ARNs', () => {
    expect(Object.keys(stack.output)).toEqual(
      expect.arrayContaining([
        'iot_endpoint',
        'custom_domain',
        'firmware_bucket',
        'secure_boot_key_arn',
        'update_key_arn',
        'provisioning_template_name',
        'stage_group_arns',
        'devices_group_arn',
        'job_template_ids',
        'worker_role_arn',
        'claim_certificate_id',
        'claim_certificate_pem',
      ]),
    );
    expect(stack.output.custom_domain.value).toBe(env.domainName);
  });
});
