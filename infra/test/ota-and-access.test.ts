// OTA jobs, the custom domain endpoint and the worker role as synthesized.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TLS12_PLUS_SECURITY_POLICIES } from '../custom-domain';
import { environmentNames, parseEnvironment } from '../environments';
import { listOf, statementsOf } from '../rules/policy-json';
import {
  policyOf,
  resolveAccountReferences,
  resourceNamed,
  resourcesOfType,
  SAMPLE_ACCOUNT,
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

describe.each(envs)('OTA, custom domain and worker access in %s', name => {
  const env = parseEnvironment(name);
  const prefix = `esp32-fleet-${name}`;
  let stack: StackJson;
  beforeAll(() => {
    stack = synth.stacks[name];
  });

  test('custom domain: DNS-validated ACM certificate, DATA domain configuration with TLS 1.2+, CNAME to the ATS endpoint', () => {
    const certificate = only(stack, 'aws_acm_certificate');
    expect(certificate.body).toMatchObject({
      domain_name: env.domainName,
      validation_method: 'DNS',
    });
    const validation = only(stack, 'aws_acm_certificate_validation');
    expect(validation.body.certificate_arn).toBe(`\${aws_acm_certificate.${certificate.name}.arn}`);
    const domain = only(stack, 'aws_iot_domain_configuration');
    expect(domain.body).toMatchObject({
      domain_name: env.domainName,
      service_type: 'DATA',
      server_certificate_arns: [
        `\${aws_acm_certificate_validation.${validation.name}.certificate_arn}`,
      ],
    });
    expect(TLS12_PLUS_SECURITY_POLICIES).toContain(
      (domain.body.tls_config as { security_policy: string }).security_policy,
    );
    const endpoint = Object.entries(stack.data.aws_iot_endpoint ?? {});
    expect(endpoint).toHaveLength(1);
    expect(endpoint[0][1].endpoint_type).toBe('iot:Data-ATS');
    const records = resourcesOfType(stack, 'aws_route53_record');
    expect(records.every(record => record.body.zone_id === env.hostedZoneId)).toBe(true);
    const cname = records.find(record => record.body.type === 'CNAME');
    expect(cname?.body).toMatchObject({
      name: env.domainName,
      records: [`\${data.aws_iot_endpoint.${endpoint[0][0]}.endpoint_address}`],
    });
    const validationRecord = records.find(record => record !== cname);
    expect(validation.body.validation_record_fqdns).toEqual([
      `\${aws_route53_record.${validationRecord?.name}.fqdn}`,
    ]);
  });

  test('OTA jobs: stage groups, presign role, job events, fleet indexing, job templates in a CloudFormation stack', () => {
    const groups = resourcesOfType(stack, 'aws_iot_thing_group')
      .map(group => group.body.name)
      .sort();
    expect(groups).toEqual(
      [`${prefix}-devices`, ...env.rollout.stages.map(stage => `${prefix}-${stage}`)].sort(),
    );
    const presign = resourceNamed(stack, 'aws_iam_role', 'name', `${prefix}-jobs-presign`);
    expect(statementsOf(policyOf(presign, 'assume_role_policy'))[0]).toMatchObject({
      Principal: { Service: 'iot.amazonaws.com' },
      Condition: {
        StringEquals: {
          'aws:SourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\./),
        },
      },
    });
    expect(only(stack, 'aws_iot_event_configurations').body.event_configurations).toEqual({
      JOB: true,
      JOB_EXECUTION: true,
    });
    expect(
      only(stack, 'aws_iot_indexing_configuration').body.thing_indexing_configuration,
    ).toMatchObject({
      thing_indexing_mode: 'REGISTRY_AND_SHADOW',
      thing_connectivity_indexing_mode: 'STATUS',
    });
    const cfn = only(stack, 'aws_cloudformation_stack');
    const body = JSON.parse(String(cfn.body.template_body)) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const templates = Object.values(body.Resources);
    expect(templates.every(template => template.Type === 'AWS::IoT::JobTemplate')).toBe(true);
    expect(templates).toHaveLength(env.rollout.maintenanceWindow === undefined ? 1 : 2);
    for (const template of templates) {
      expect(template.Properties).toMatchObject({
        JobExecutionsRolloutConfig: { MaximumPerMinute: env.rollout.maximumPerMinute },
        AbortConfig: {
          CriteriaList: [
            {
              Action: 'CANCEL',
              FailureType: 'ALL',
              ThresholdPercentage: env.rollout.abortThresholdPercentage,
              MinNumberOfExecutedThings: env.rollout.abortMinExecutedThings,
            },
          ],
        },
        TimeoutConfig: { InProgressTimeoutInMinutes: env.rollout.inProgressTimeoutMinutes },
        PresignedUrlConfig: {
          RoleArn: `\${aws_iam_role.${presign.name}.arn}`,
          ExpiresInSec: env.rollout.presignedUrlExpiresSeconds,
        },
      });
      expect(template.Properties.DocumentSource).toMatch(/\/job-documents\/ota-update\.json$/);
    }
    if (env.rollout.maintenanceWindow !== undefined) {
      expect(templates[1].Properties.MaintenanceWindows).toEqual([
        {
          StartTime: env.rollout.maintenanceWindow.startTime,
          DurationInMinutes: env.rollout.maintenanceWindow.durationMinutes,
        },
      ]);
    }
    expect(cfn.body.depends_on).toEqual([expect.stringMatching(/^aws_s3_object\./)]);
  });

  test('worker role has exactly the actions its processors call, and may pass only the presign role', () => {
    const role = resourceNamed(stack, 'aws_iam_role', 'name', `${prefix}-worker`);
    const policy = resourcesOfType(stack, 'aws_iam_role_policy').find(
      item => item.body.role === `\${aws_iam_role.${role.name}.id}`,
    );
    const statements = statementsOf(policyOf(policy!));
    expect(statements.flatMap(statement => listOf(statement.Action)).sort()).toEqual([
      'iam:PassRole',
      'iot:CancelJob',
      'iot:CreateJob',
      'iot:DescribeJob',
      'iot:DescribeJobExecution',
      'iot:DescribeJobTemplate',
      'iot:GetStatistics',
      'iot:ListJobExecutionsForJob',
      'iot:ListThingsInThingGroup',
      'iot:SearchIndex',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
      'kms:Sign',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const presign = resourceNamed(stack, 'aws_iam_role', 'name', `${prefix}-jobs-presign`);
    const pass = statements.find(statement => listOf(statement.Action).includes('iam:PassRole'));
    expect(pass).toMatchObject({
      Resource: `\${aws_iam_role.${presign.name}.arn}`,
      Condition: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } },
    });
    const createJob = statements.find(statement =>
      listOf(statement.Action).includes('iot:CreateJob'),
    );
    const resources = listOf(createJob?.Resource).map(resolveAccountReferences);
    expect(resources).toContain(
      `arn:aws:iot:${SAMPLE_ACCOUNT.region}:${SAMPLE_ACCOUNT.accountId}:job/*`,
    );
    expect(resources).toContain(
      `arn:aws:iot:${SAMPLE_ACCOUNT.region}:${SAMPLE_ACCOUNT.accountId}:thing/${env.thingNamePrefix}-*`,
    );
    for (const statement of statements) expect(listOf(statement.Resource)).not.toContain('*');
  });
});
