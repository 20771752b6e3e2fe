import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../local-cloud-config';
import {
  claimCredentials,
  connectDevice,
  createCertificateFromCsr,
  createKeysAndCertificate,
  makeKeyAndCsr,
  provisionDevice,
  registerThing,
  startTestCloud,
  waitForInterrupt,
} from './local-cloud-harness';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud?.close();
});

describe('fleet provisioning with the official device SDK', () => {
  it('writes local-cloud.json in the documented shape', () => {
    const written = JSON.parse(readFileSync(cloud.configPath, 'utf8'));
    expect(Object.keys(written).sort()).toEqual(['accountId', 'claim', 'console', 'credentials', 'endpoints', 'mqtt', 'provisioningTemplate', 'region'].sort());
    expect(written.mqtt).toMatchObject({ host: '127.0.0.1', port: cloud.config.mqtt.port, serverName: 'mqtt.dev.fleet.example.com' });
    expect(Object.keys(written.endpoints).sort()).toEqual(['iot', 'iotJobsData', 'kms', 'mqttWebSocket', 's3']);
    expect(written.endpoints.mqttWebSocket).toMatch(/^wss:\/\/localhost:\d+\/mqtt$/);
    expect(written.console).toEqual({
      credentials: { accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/), secretAccessKey: expect.any(String) },
      policyName: 'esp32-fleet-dev-console',
      roleArn: 'arn:aws:iam::000000000000:role/esp32-fleet-dev-console',
    });
    expect(written.console.credentials.accessKeyId).not.toBe(written.credentials.accessKeyId);
    expect(written.credentials.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(written.provisioningTemplate).toBe('esp32-fleet-dev-provision');
  });

  it('provisions via CreateCertificateFromCsr with a key made on the device, then reconnects as the thing', async () => {
    const device = await provisionDevice(cloud, 'A1B2C3D4E5F6');
    expect(device.thingName).toContain('A1B2C3D4E5F6');
    // The certificate is for the device's own key, signed by the local CA, and ACTIVE now.
    const cert = new X509Certificate(device.certPem);
    expect(cert.verify(new X509Certificate(readFileSync(cloud.config.mqtt.caFile)).publicKey)).toBe(true);
    expect(cloud.registry.getCertificate(device.certificateId)?.status).toBe('ACTIVE');
    const thing = cloud.registry.getThing(device.thingName)!;
    // Type and group come from the synthesized template; check they are the stack's, not hard-coded here.
    expect(cloud.registry.getThingType(thing.thingTypeName!)).toBeDefined();
    expect(thing.attributes).toEqual({ serial: 'A1B2C3D4E5F6' });
    expect(thing.thingGroupNames.map(g => cloud.registry.getThingGroup(g)?.thingGroupName)).toEqual(thing.thingGroupNames);

    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    const topic = `fleet/telemetry/${device.thingName}/health`;
    const received = new Promise<string>(resolve => {
      void connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (_t, payload) => resolve(Buffer.from(payload).toString()));
    });
    await new Promise(r => setTimeout(r, 100));
    await connection.publish(topic, '{"ok":true}', mqtt.QoS.AtLeastOnce);
    expect(await received).toBe('{"ok":true}');

    // A second connection with the same client id is accepted and the older one is disconnected, as on AWS.
    const interrupted = waitForInterrupt(connection);
    const other = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    await interrupted;
    await other.disconnect();
    await connection.disconnect().catch(() => {});
  });

  it('provisions via CreateKeysAndCertificate under a claim policy that allows it', async () => {
    // The fleet's claim policy allows only the CSR path (see the rogue suite); grant create/json to a second claim cert.
    const claim = await claimCredentials(cloud);
    const claimAddress = [...cloud.applied.attributes.keys()].find(k => k.startsWith('aws_iot_certificate.'))!;
    const arn = cloud.applied.attributes.get(claimAddress)!.arn as string;
    cloud.registry.putPolicy('test-create-keys', JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}:topic/$aws/certificates/create/json*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}:topicfilter/$aws/certificates/create/json/*` },
      ],
    }));
    cloud.registry.attachPolicy('test-create-keys', arn);
    const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-keys');
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      const created = await createKeysAndCertificate(identity);
      if (!('accepted' in created)) throw new Error(JSON.stringify(created.rejected));
      expect(created.accepted.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect(cloud.registry.getCertificate(created.accepted.certificateId!)?.status).toBe('PENDING_ACTIVATION');
      const registered = await registerThing(identity, cloud.config.provisioningTemplate!, created.accepted.certificateOwnershipToken!, { SerialNumber: '0123456789AB' });
      if (!('accepted' in registered)) throw new Error(JSON.stringify(registered.rejected));
      expect(registered.accepted.thingName).toContain('0123456789AB');
      const device = await connectDevice(cloud, created.accepted.certificatePem!, created.accepted.privateKey!, registered.accepted.thingName!);
      await device.disconnect();
    } finally {
      await connection.disconnect();
    }
  });

  it('rejects a malformed CSR on create-from-csr/json/rejected', async () => {
    const claim = await claimCredentials(cloud);
    const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-badcsr');
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      const outcome = await createCertificateFromCsr(identity, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
      expect(outcome).toEqual({ rejected: expect.objectContaining({ statusCode: 400, errorCode: 'InvalidCsr' }) });
      const { csrPem } = await makeKeyAndCsr();
      expect('accepted' in (await createCertificateFromCsr(identity, csrPem))).toBe(true);
    } finally {
      await connection.disconnect();
    }
  });
});
