// Fleet provisioning as synthesized: template body, pre-provisioning hook Lambda, claim certificate CSR.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { environmentNames, parseEnvironment } from '../environments';
import { statementsOf } from '../rules/policy-json';
import {
  policyOf,
  resourceNamed,
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

describe.each(envs)('fleet provisioning in %s', name => {
  const env = parseEnvironment(name);
  const prefix = `esp32-fleet-${name}`;
  let stack: StackJson;
  beforeAll(() => {
    stack = synth.stacks[name];
  });

  test('fleet provisioning template: FLEET_PROVISIONING, SerialNumber, <prefix>-<serial>, type, default group, ACTIVE cert, device policy, hook', () => {
    const template = only(stack, 'aws_iot_provisioning_template');
    expect(template.body).toMatchObject({
      name: `${prefix}-provision`,
      type: 'FLEET_PROVISIONING',
      enabled: true,
    });
    const lambda = only(stack, 'aws_lambda_function');
    expect(template.body.pre_provisioning_hook).toEqual({
      target_arn: `\${aws_lambda_function.${lambda.name}.arn}`,
      payload_version: '2020-04-01',
    });
    const role = resourceNamed(stack, 'aws_iam_role', 'name', `${prefix}-provisioning`);
    expect(template.body.provisioning_role_arn).toBe(`\${aws_iam_role.${role.name}.arn}`);
    expect(statementsOf(policyOf(role, 'assume_role_policy'))[0]).toMatchObject({
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    const attachment = only(stack, 'aws_iam_role_policy_attachment');
    expect(attachment.body.policy_arn).toMatch(
      /^arn:\$\{data\.aws_partition\.[^}]+\}:iam::aws:policy\/service-role\/AWSIoTThingsRegistration$/,
    );

    const body = JSON.parse(String(template.body.template_body)) as {
      Parameters: Record<string, unknown>;
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    expect(body.Parameters).toEqual({
      SerialNumber: { Type: 'String' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    });
    const thingType = only(stack, 'aws_iot_thing_type');
    const devicesGroup = resourceNamed(stack, 'aws_iot_thing_group', 'name', `${prefix}-devices`);
    expect(body.Resources.thing.Properties).toMatchObject({
      ThingName: { 'Fn::Join': ['', [`${env.thingNamePrefix}-`, { Ref: 'SerialNumber' }]] },
      ThingTypeName: `\${aws_iot_thing_type.${thingType.name}.name}`,
      ThingGroups: [`\${aws_iot_thing_group.${devicesGroup.name}.name}`],
    });
    expect(body.Resources.certificate).toEqual({
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    });
    const devicePolicy = resourceNamed(stack, 'aws_iot_policy', 'name', `${prefix}-device`);
    expect(body.Resources.policy).toEqual({
      Type: 'AWS::IoT::Policy',
      Properties: { PolicyName: `\${aws_iot_policy.${devicePolicy.name}.name}` },
    });
  });

  test('pre-provisioning hook Lambda: bundled asset, config in environment, invocable only by this template', () => {
    const lambda = only(stack, 'aws_lambda_function');
    expect(lambda.body).toMatchObject({
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      timeout: 5,
    });
    expect(lambda.body.environment).toEqual({
      variables: {
        FLEET_SERIAL_PATTERN: env.serialPattern,
        FLEET_SERIAL_DENY_LIST: JSON.stringify(env.serialDenyList),
      },
    });
    const archive = join(synth.outdir, 'stacks', name, String(lambda.body.filename));
    expect(existsSync(archive), archive).toBe(true);
    expect(String(lambda.body.filename)).toMatch(/^assets\/.+\/provisioning-hook\.zip$/);
    expect(lambda.body.source_code_hash).toMatch(/^[0-9A-F]{32}$/);
    const permission = only(stack, 'aws_lambda_permission');
    expect(permission.body).toMatchObject({
      principal: 'iot.amazonaws.com',
      action: 'lambda:InvokeFunction',
    });
    expect(String(permission.body.source_arn)).toMatch(
      new RegExp(`:provisioningtemplate/${prefix}-provision$`),
    );
  });

  test('claim certificate CSR is read by Terraform file() from the override path, relative to the stack directory', () => {
    const csr = String(only(stack, 'aws_iot_certificate').body.csr);
    const match = /^\$\{file\("\$\{path\.module\}\/(.+)"\)\}$/.exec(csr);
    expect(match).not.toBeNull();
    expect(resolve(join(synth.outdir, 'stacks', name), match![1])).toBe(
      '/nonexistent/claim/claim.csr.pem',
    );
  });
});
