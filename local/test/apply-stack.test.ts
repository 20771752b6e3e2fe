import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClaimCsr } from '../../infra/claim-csr';
import { synthEnvironments } from '../../infra/synth';
import { loadOrCreateLocalCa, type LocalCa } from '../pki/local-ca';
import { Registry } from '../registry/registry';
import { applyStack } from '../terraform/apply-stack';
import { iotAppliers } from '../terraform/iot-appliers';
import { readTfJson, type TfJson } from '../terraform/tf-json';
import { tempStateDir } from './local-cloud-harness';

// Driven by the real synthesized dev stack: expectations are read from its cdk.tf.json, so nothing
// about the policies or the template is restated here.
let stateDir: string;
let tf: TfJson;
let ca: LocalCa;

beforeAll(async () => {
  stateDir = tempStateDir();
  const claim = await createClaimCsr({ outDir: join(stateDir, 'claim'), commonName: 'esp32-dev-claim' });
  const [result] = synthEnvironments({ outdir: join(stateDir, 'out'), environments: ['dev'], overrides: { claimCsrPath: claim.csrPath } });
  tf = readTfJson(result.tfJsonPath);
  ca = await loadOrCreateLocalCa(stateDir);
});

function blocks(type: string) {
  return [...tf.blocks.values()].filter(b => b.type === type && b.mode === 'resource');
}

describe('applyStack on the synthesized dev stack', () => {
  it('creates every IoT policy with references resolved and $${...} unescaped to IoT policy variables', async () => {
    const registry = new Registry(stateDir, { region: tf.providerRegion!, accountId: '000000000000' });
    try {
      await applyStack({ tf, registry, ca, appliers: iotAppliers(new Map()), accountId: '000000000000' });
      const policies = blocks('aws_iot_policy');
      expect(policies.length).toBeGreaterThan(0);
      for (const block of policies) {
        const record = registry.getPolicy(String(block.config.name))!;
        expect(record).toBeDefined();
        expect(record.policyDocument).not.toMatch(/\$\{(data|aws_)[^}]*\}/);
        expect(record.policyDocument).not.toContain('$${');
        expect(record.policyDocument).toContain(`arn:aws:iot:${tf.providerRegion}:000000000000:`);
        if ((block.config.policy as string).includes('$${iot:')) expect(record.policyDocument).toContain('${iot:');
      }
    } finally {
      registry.close();
    }
  });

  it('creates the provisioning template with its hook, and the claim certificate with its policy attached', async () => {
    const lambdas = new Map();
    const registry = new Registry(stateDir, { region: tf.providerRegion!, accountId: '000000000000' });
    try {
      const applied = await applyStack({ tf, registry, ca, appliers: iotAppliers(lambdas), accountId: '000000000000' });
      const [templateBlock] = blocks('aws_iot_provisioning_template');
      const template = registry.getTemplate(String(templateBlock.config.name))!;
      expect(template.enabled).toBe(templateBlock.config.enabled);
      expect(template.templateBody).not.toMatch(/\$\{aws_/);
      expect(JSON.parse(template.templateBody)).toHaveProperty('Resources');
      expect(lambdas.get(template.preProvisioningHook!.targetArn)?.environment).toEqual(
        (blocks('aws_lambda_function')[0].config.environment as { variables: object }).variables,
      );
      const [certBlock] = blocks('aws_iot_certificate');
      const cert = applied.attributes.get(certBlock.address)!;
      expect(registry.getCertificate(String(cert.id))?.status).toBe(certBlock.config.active ? 'ACTIVE' : 'INACTIVE');
      const [attachment] = blocks('aws_iot_policy_attachment');
      expect(registry.policiesFor(String(cert.arn)).map(p => p.name)).toEqual([applied.attributes.get(attachment.address)!.policy]);
      // The claim certificate is signed from the stack's CSR file.
      expect(String(cert.certificate_pem)).toContain('BEGIN CERTIFICATE');
      expect(String(certBlock.config.csr)).toContain('file(');
      expect(readFileSync(join(stateDir, 'claim', 'claim.csr.pem'), 'utf8')).toBe(applied.blocks.find(b => b.address === certBlock.address)!.config.csr);
    } finally {
      registry.close();
    }
  });

  it('is idempotent across restarts: the same CSR keeps the same claim certificate', async () => {
    const first = new Registry(stateDir, { region: tf.providerRegion!, accountId: '000000000000' });
    const a = await applyStack({ tf, registry: first, ca, appliers: iotAppliers(new Map()), accountId: '000000000000' });
    first.close();
    const second = new Registry(stateDir, { region: tf.providerRegion!, accountId: '000000000000' });
    const b = await applyStack({ tf, registry: second, ca, appliers: iotAppliers(new Map()), accountId: '000000000000' });
    second.close();
    const [certBlock] = blocks('aws_iot_certificate');
    expect(b.attributes.get(certBlock.address)!.id).toBe(a.attributes.get(certBlock.address)!.id);
  });
});
