import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iotidentity } from 'aws-iot-device-sdk-v2';
import {
  claimCredentials,
  connectDevice,
  createCertificateFromCsr,
  makeKeyAndCsr,
  provisionDevice,
  registerThing,
  startTestCloud,
  tempStateDir,
} from './local-cloud-harness';

describe('local cloud state across restarts', () => {
  it('keeps the CA, credentials, claim certificate, things and certificates', async () => {
    const stateDir = tempStateDir();
    const first = await startTestCloud({ stateDir });
    const device = await provisionDevice(first, '111111111111');
    const before = { config: first.config, ca: readFileSync(first.config.mqtt.caFile, 'utf8'), claim: readFileSync(first.config.claim!.certFile, 'utf8') };
    await first.close();

    const second = await startTestCloud({ stateDir });
    try {
      expect(second.config.credentials).toEqual(before.config.credentials);
      expect(readFileSync(second.config.mqtt.caFile, 'utf8')).toBe(before.ca);
      expect(readFileSync(second.config.claim!.certFile, 'utf8')).toBe(before.claim);
      expect(second.registry.getThing(device.thingName)?.attributes).toEqual({ serial: '111111111111' });
      // The device's certificate still works after the restart.
      const connection = await connectDevice(second, device.certPem, device.keyPem, device.thingName);
      await connection.disconnect();
      // local-cloud.json is rewritten with the new port.
      expect(JSON.parse(readFileSync(join(stateDir, 'local-cloud.json'), 'utf8')).mqtt.port).toBe(second.config.mqtt.port);
    } finally {
      await second.close();
    }
  });

  it('follows the synthesized stack: a changed hook configuration changes what is accepted after restart', async () => {
    const stateDir = tempStateDir();
    const first = await startTestCloud({ stateDir });
    const tfJsonPath = join(stateDir, 'cdktf.out', 'stacks', 'dev', 'cdk.tf.json');
    await first.close();

    // Edit the stack as a change in infra/ would: deny-list one more serial in the Lambda's environment.
    const tf = JSON.parse(readFileSync(tfJsonPath, 'utf8'));
    const [fn] = Object.values(tf.resource.aws_lambda_function) as { environment: { variables: Record<string, string> } }[];
    const denied = JSON.parse(fn.environment.variables.FLEET_SERIAL_DENY_LIST) as string[];
    fn.environment.variables.FLEET_SERIAL_DENY_LIST = JSON.stringify([...denied, '222222222222']);
    writeFileSync(tfJsonPath, JSON.stringify(tf));

    const second = await startTestCloud({ stateDir, tfJsonPath });
    try {
      const claim = await claimCredentials(second);
      const connection = await connectDevice(second, claim.certPem, claim.keyPem, 'esp32-dev-claim-restart');
      try {
        const identity = new iotidentity.IotIdentityClient(connection);
        const created = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
        if (!('accepted' in created)) throw new Error('CreateCertificateFromCsr was rejected');
        const outcome = await registerThing(identity, second.config.provisioningTemplate!, created.accepted.certificateOwnershipToken!, { SerialNumber: '222222222222' });
        expect(outcome).toEqual({ rejected: expect.objectContaining({ errorCode: 'AccessDenied' }) });
      } finally {
        await connection.disconnect();
      }
    } finally {
      await second.close();
    }
  });

  it('lists the resource types it does not apply, once, at start-up', async () => {
    const warnings: { obj: object; msg?: string }[] = [];
    const log = { info() {}, debug() {}, error() {}, warn: (obj: object, msg?: string) => warnings.push({ obj, msg }) };
    const cloud = await startTestCloud({ log });
    try {
      const unknown = warnings.filter(w => w.msg?.startsWith('not applied locally'));
      expect(unknown).toHaveLength(1);
      expect((unknown[0].obj as { types: string[] }).types).toEqual(cloud.applied.unknownTypes);
      expect(cloud.applied.unknownTypes).toContain('aws_route53_record');
      expect(cloud.applied.unknownTypes).not.toContain('aws_iot_policy');
    } finally {
      await cloud.close();
    }
  });
});
