import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../local-cloud-config';
import {
  claimCredentials,
  connectDevice,
  connectExpectingRefusal,
  createCertificateFromCsr,
  makeKeyAndCsr,
  provisionDevice,
  registerThing,
  startTestCloud,
  waitForInterrupt,
} from './local-cloud-harness';

// Devices that misbehave: every attempt must be refused the way AWS IoT refuses it, by the policies
// and hook the real synthesized stack declares.
let cloud: LocalCloud;
let clockOffset = 0;
let alice: Awaited<ReturnType<typeof provisionDevice>>;
let bob: Awaited<ReturnType<typeof provisionDevice>>;

beforeAll(async () => {
  cloud = await startTestCloud({ now: () => Date.now() + clockOffset });
  alice = await provisionDevice(cloud, 'AAAAAAAAAAAA');
  bob = await provisionDevice(cloud, 'BBBBBBBBBBBB');
});
afterAll(async () => {
  await cloud?.close();
});

/** SUBACK return code for one filter (128 = failure). */
async function subscribeCode(connection: mqtt.MqttClientConnection, filter: string): Promise<number> {
  const result = await connection.subscribe(filter, mqtt.QoS.AtLeastOnce, () => {});
  return result.qos as number;
}

describe('rogue devices', () => {
  it('are disconnected when publishing to another thing\'s job topics', async () => {
    const connection = await connectDevice(cloud, alice.certPem, alice.keyPem, alice.thingName);
    const closed = waitForInterrupt(connection);
    void connection.publish(`$aws/things/${bob.thingName}/jobs/start-next`, '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
    await closed;
    await connection.disconnect().catch(() => {});
  });

  it('get SUBACK failure for another thing\'s shadow and for wildcard subscriptions, success for their own', async () => {
    const connection = await connectDevice(cloud, alice.certPem, alice.keyPem, alice.thingName);
    try {
      expect(await subscribeCode(connection, `$aws/things/${bob.thingName}/shadow/update/accepted`)).toBe(128);
      expect(await subscribeCode(connection, '$aws/things/+/jobs/notify-next')).toBe(128);
      expect(await subscribeCode(connection, '#')).toBe(128);
      expect(await subscribeCode(connection, `$aws/things/${alice.thingName}/jobs/notify-next`)).toBe(1);
    } finally {
      await connection.disconnect();
    }
  });

  it('cannot connect with a client id other than their thing name', async () => {
    await connectExpectingRefusal(cloud, alice.certPem, alice.keyPem, bob.thingName);
    await connectExpectingRefusal(cloud, alice.certPem, alice.keyPem, `${alice.thingName}-2`);
  });

  it('cannot use the claim certificate for telemetry or for CreateKeysAndCertificate', async () => {
    const claim = await claimCredentials(cloud);
    for (const topic of [`fleet/telemetry/${alice.thingName}/health`, '$aws/certificates/create/json']) {
      const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-rogue');
      const closed = waitForInterrupt(connection);
      void connection.publish(topic, '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
      await closed;
      await connection.disconnect().catch(() => {});
    }
    // ...nor connect under a client id outside the claim policy's pattern.
    await connectExpectingRefusal(cloud, claim.certPem, claim.keyPem, 'someone-else');
  });

  it('are refused by the pre-provisioning hook for a malformed or deny-listed serial', async () => {
    const claim = await claimCredentials(cloud);
    const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-badserial');
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      for (const serial of ['not-a-serial', '000000000000']) {
        const created = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
        if (!('accepted' in created)) throw new Error('CreateCertificateFromCsr was rejected');
        const outcome = await registerThing(identity, cloud.config.provisioningTemplate!, created.accepted.certificateOwnershipToken!, { SerialNumber: serial });
        expect(outcome).toEqual({ rejected: expect.objectContaining({ statusCode: 403, errorCode: 'AccessDenied' }) });
        // Nothing was created, and the certificate stays unusable.
        expect(cloud.registry.getCertificate(created.accepted.certificateId!)?.status).toBe('PENDING_ACTIVATION');
      }
      expect(cloud.registry.listThings().map(t => t.thingName).filter(n => n.includes('not-a-serial') || n.includes('000000000000'))).toEqual([]);
    } finally {
      await connection.disconnect();
    }
  });

  it('cannot reuse an ownership token or use one after an hour', async () => {
    const claim = await claimCredentials(cloud);
    const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-tokens');
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      const created = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
      if (!('accepted' in created)) throw new Error('CreateCertificateFromCsr was rejected');
      const token = created.accepted.certificateOwnershipToken!;
      const first = await registerThing(identity, cloud.config.provisioningTemplate!, token, { SerialNumber: 'CCCCCCCCCCCC' });
      expect('accepted' in first).toBe(true);
      const again = await registerThing(identity, cloud.config.provisioningTemplate!, token, { SerialNumber: 'DDDDDDDDDDDD' });
      expect(again).toEqual({ rejected: expect.objectContaining({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken' }) });

      const late = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
      if (!('accepted' in late)) throw new Error('CreateCertificateFromCsr was rejected');
      clockOffset += 60 * 60 * 1000 + 1;
      const expired = await registerThing(identity, cloud.config.provisioningTemplate!, late.accepted.certificateOwnershipToken!, { SerialNumber: 'EEEEEEEEEEEE' });
      expect(expired).toEqual({ rejected: expect.objectContaining({ errorCode: 'InvalidCertificateOwnershipToken', errorMessage: expect.stringContaining('expired') }) });
      // "...the certificate is deleted" when its token expires unused.
      expect(cloud.registry.getCertificate(late.accepted.certificateId!)).toBeUndefined();
    } finally {
      await connection.disconnect();
    }
  });

  it('get ResourceNotFound for a template the stack does not declare', async () => {
    const claim = await claimCredentials(cloud);
    // The fleet's claim policy only allows its own template's topic; a test policy opens the others.
    const claimArn = [...cloud.applied.attributes.entries()].find(([k]) => k.startsWith('aws_iot_certificate.'))![1].arn as string;
    const prefix = `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}`;
    cloud.registry.putPolicy('test-any-template', JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${prefix}:topic/$aws/provisioning-templates/*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${prefix}:topicfilter/$aws/provisioning-templates/*` },
      ],
    }));
    cloud.registry.attachPolicy('test-any-template', claimArn);
    const connection = await connectDevice(cloud, claim.certPem, claim.keyPem, 'esp32-dev-claim-unknown');
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      const created = await createCertificateFromCsr(identity, (await makeKeyAndCsr()).csrPem);
      if (!('accepted' in created)) throw new Error('CreateCertificateFromCsr was rejected');
      const outcome = await registerThing(identity, 'no-such-template', created.accepted.certificateOwnershipToken!, { SerialNumber: 'FFFFFFFFFFF0' });
      expect(outcome).toEqual({ rejected: expect.objectContaining({ statusCode: 404, errorCode: 'ResourceNotFound' }) });
    } finally {
      await connection.disconnect();
    }
  });

  it('are disconnected for QoS 2 and for payloads over 128 KB, as AWS IoT does', async () => {
    const topic = `fleet/telemetry/${alice.thingName}/big`;
    for (const [payload, qos] of [['x', mqtt.QoS.ExactlyOnce], ['x'.repeat(128 * 1024 + 1), mqtt.QoS.AtLeastOnce]] as const) {
      const connection = await connectDevice(cloud, alice.certPem, alice.keyPem, alice.thingName);
      const closed = waitForInterrupt(connection);
      void connection.publish(topic, payload, qos).catch(() => {});
      await closed;
      await connection.disconnect().catch(() => {});
    }
  });

  it('cannot connect once their certificate is revoked or inactive', async () => {
    cloud.registry.setCertificateStatus(bob.certificateId, 'REVOKED');
    await connectExpectingRefusal(cloud, bob.certPem, bob.keyPem, bob.thingName);
    cloud.registry.setCertificateStatus(bob.certificateId, 'INACTIVE');
    await connectExpectingRefusal(cloud, bob.certPem, bob.keyPem, bob.thingName);
    cloud.registry.setCertificateStatus(bob.certificateId, 'ACTIVE');
    const connection = await connectDevice(cloud, bob.certPem, bob.keyPem, bob.thingName);
    await connection.disconnect();
  });
});
