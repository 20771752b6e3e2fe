import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotidentity } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../local-cloud-config';
import type { HookScript } from './fixtures/scripted-hook';
import { claimCredentials, connectDevice, createCertificateFromCsr, makeKeyAndCsr, registerThing, startTestCloud } from './local-cloud-harness';

// The hook runs in-process with AWS's event shape, the Lambda's environment from the stack, and
// AWS's 5-second limit (pre-provisioning-hook.md).
const script: HookScript = { mode: 'allow', events: [], environments: [] };
let cloud: LocalCloud;

beforeAll(async () => {
  (globalThis as { __scriptedHook?: HookScript }).__scriptedHook = script;
  cloud = await startTestCloud({ hookModuleUrl: new URL('./fixtures/scripted-hook.ts', import.meta.url).href });
});
afterAll(async () => {
  await cloud?.close();
  delete (globalThis as { __scriptedHook?: HookScript }).__scriptedHook;
});

async function attempt(serial: string) {
  const claim = await claimCredentials(cloud);
  const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, `esp32-dev-claim-hook-${serial}`);
  try {
    const identity = new iotidentity.IotIdentityClient(connection);
    const created = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
    if (!('accepted' in created)) throw new Error('CreateCertificateFromCsr was rejected');
    return { created: created.accepted, outcome: await registerThing(identity, cloud.config.provisioningTemplate!, created.accepted.certificateOwnershipToken!, { SerialNumber: serial }) };
  } finally {
    await connection.disconnect();
  }
}

describe('pre-provisioning hook', () => {
  it('gets the Lambda environment from the stack and AWS\'s event shape', async () => {
    script.mode = 'allow';
    const { created, outcome } = await attempt('555555555555');
    expect('accepted' in outcome).toBe(true);
    expect(Object.keys(script.environments[0] as object)).toEqual(expect.arrayContaining(['FLEET_SERIAL_PATTERN', 'FLEET_SERIAL_DENY_LIST']));
    const event = script.events.at(-1) as Record<string, unknown>;
    expect(Object.keys(event).sort()).toEqual(['certificateId', 'certificatePem', 'claimCertificateId', 'clientId', 'parameters', 'templateArn']);
    expect(event).toMatchObject({
      certificateId: created.certificateId,
      certificatePem: created.certificatePem,
      clientId: 'esp32-dev-claim-hook-555555555555',
      parameters: { SerialNumber: '555555555555' },
      templateArn: `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}:provisioningtemplate/${cloud.config.provisioningTemplate}`,
    });
    expect(event.claimCertificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(event.claimCertificateId).not.toBe(created.certificateId);
  });

  it('merges parameterOverrides into the parameters', async () => {
    script.mode = 'override';
    const { outcome } = await attempt('666666666666');
    if (!('accepted' in outcome)) throw new Error(JSON.stringify(outcome.rejected));
    expect(outcome.accepted.thingName).toContain('ABCDEF012345');
    expect(cloud.registry.getThing(outcome.accepted.thingName!)?.attributes).toMatchObject({ serial: 'ABCDEF012345' });
  });

  it('refuses with AccessDenied when the hook throws', async () => {
    script.mode = 'throw';
    const { outcome } = await attempt('777777777777');
    expect(outcome).toEqual({ rejected: expect.objectContaining({ statusCode: 403, errorCode: 'AccessDenied' }) });
  });

  it('refuses with AccessDenied when the hook does not answer within 5 seconds', async () => {
    script.mode = 'slow';
    const { outcome } = await attempt('888888888888');
    expect(outcome).toEqual({ rejected: expect.objectContaining({ statusCode: 403, errorCode: 'AccessDenied', errorMessage: expect.stringContaining('5000 ms') }) });
  });
});
