import { describe, expect, it } from 'vitest';
import { evaluateProvisioningTemplate, TemplateError } from '../provisioning/provisioning-template';

// Shaped after "Template example for fleet provisioning" in the AWS IoT Developer Guide (provision-template.md).
const template = {
  Parameters: {
    SerialNumber: { Type: 'String' },
    DeviceLocation: { Type: 'String', Default: 'Seattle' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Mappings: { LocationTable: { Seattle: { LocationUrl: 'https://example.aws' } } },
  Conditions: { IsLab: { 'Fn::Equals': [{ Ref: 'DeviceLocation' }, 'Lab'] } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['esp32-', { Ref: 'SerialNumber' }]] },
        AttributePayload: { serial: { Ref: 'SerialNumber' }, site: { 'Fn::Sub': '${DeviceLocation}-1' } },
        ThingTypeName: 'esp32',
        ThingGroups: ['fleet', { 'Fn::If': ['IsLab', 'lab', 'field'] }],
      },
      OverrideSettings: { AttributePayload: 'MERGE' },
    },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active' } },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'device' } },
    labPolicy: { Type: 'AWS::IoT::Policy', Condition: 'IsLab', Properties: { PolicyName: 'lab' } },
  },
  DeviceConfiguration: { LocationUrl: { 'Fn::FindInMap': ['LocationTable', { Ref: 'DeviceLocation' }, 'LocationUrl'] }, Fallback: 'x' },
};

describe('evaluateProvisioningTemplate', () => {
  it('evaluates parameters, defaults, intrinsics, conditions and the device configuration', () => {
    const plan = evaluateProvisioningTemplate({ body: template, parameters: { SerialNumber: 'A1' }, certificateId: 'c0ffee' });
    expect(plan.thing).toMatchObject({ thingName: 'esp32-A1', thingTypeName: 'esp32', attributes: { serial: 'A1', site: 'Seattle-1' }, thingGroups: ['fleet', 'field'] });
    expect(plan.certificate).toEqual({ certificateId: 'c0ffee', status: 'ACTIVE' });
    expect(plan.policies).toEqual([{ policyName: 'device' }]);
    expect(plan.deviceConfiguration).toEqual({ LocationUrl: 'https://example.aws', Fallback: 'x' });
  });

  it('includes conditional resources when their condition holds', () => {
    const plan = evaluateProvisioningTemplate({ body: { ...template, Mappings: { LocationTable: { Lab: { LocationUrl: 'l' } } } }, parameters: { SerialNumber: 'A1', DeviceLocation: 'Lab' }, certificateId: 'c' });
    expect(plan.thing?.thingGroups).toEqual(['fleet', 'lab']);
    expect(plan.policies.map(p => p.policyName)).toEqual(['device', 'lab']);
  });

  it('fails with AWS\'s message when a referenced parameter has no value', () => {
    expect(() => evaluateProvisioningTemplate({ body: template, parameters: {}, certificateId: 'c' })).toThrow('Cannot resolve reference value: SerialNumber');
    const withRegion = { Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'AWS::Region' } } } } };
    expect(() => evaluateProvisioningTemplate({ body: withRegion, parameters: {}, certificateId: 'c' })).toThrow(TemplateError);
  });

  it('names a policy document without PolicyName by its hash, and refuses both or neither', () => {
    const doc = { Resources: { p: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: '{"Statement":[]}' } } } };
    expect(evaluateProvisioningTemplate({ body: doc, parameters: {}, certificateId: 'c' }).policies[0].policyName).toMatch(/^[0-9a-f]{64}$/);
    const both = { Resources: { p: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: '{}', PolicyName: 'x' } } } };
    expect(() => evaluateProvisioningTemplate({ body: both, parameters: {}, certificateId: 'c' })).toThrow(/exactly one of PolicyName and PolicyDocument/);
  });

  it('refuses a certificate other than the ownership token\'s and nested device configuration', () => {
    const other = { Resources: { c: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: 'other' } } } };
    expect(() => evaluateProvisioningTemplate({ body: other, parameters: {}, certificateId: 'c' })).toThrow(/does not name the certificate/);
    expect(() => evaluateProvisioningTemplate({ body: { DeviceConfiguration: { a: { b: 'c' } } }, parameters: {}, certificateId: 'c' })).toThrow(/nested objects/);
  });
});
