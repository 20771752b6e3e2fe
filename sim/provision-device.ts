/**
 * First boot: connect with the claim certificate (client id `<prefix>-<serial>`, the claim policy's
 * `client/<prefix>-*`), CreateCertificateFromCsr (the key never leaves the device), then
 * RegisterThing with the template and `SerialNumber` — the AWS IoT fleet provisioning flow
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html), through the
 * SDK's `iotidentity` client.
 */
import { iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import { claimDeviceTls, connectMqttRetrying, reply } from './device-connection';
import { createDeviceKey } from './device-key';
import type { SimTarget } from './sim-target';

export interface ProvisionedIdentity {
  readonly thingName: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly certificateId: string;
}

function refusal(step: string, e: iotidentity.model.ErrorResponse): Error {
  return new Error(
    `${step} rejected: ${e.statusCode ?? '?'} ${e.errorCode ?? ''} ${e.errorMessage ?? ''}`.trim(),
  );
}

/** Provisions `serial` by claim; throws naming the step that was refused. */
export async function provisionDevice(
  target: SimTarget,
  serial: string,
): Promise<ProvisionedIdentity> {
  const connection = await connectMqttRetrying(
    claimDeviceTls(target),
    `${target.thingNamePrefix}-${serial}`,
  );
  try {
    const identity = new iotidentity.IotIdentityClient(connection);
    const qos = mqtt.QoS.AtLeastOnce;
    const { keyPem, csrPem } = await createDeviceKey(serial);

    const created = reply<iotidentity.model.CreateCertificateFromCsrResponse>(
      'CreateCertificateFromCsr reply',
    );
    await identity.subscribeToCreateCertificateFromCsrAccepted(
      {},
      qos,
      (_e, r) => r && created.resolve(r),
    );
    await identity.subscribeToCreateCertificateFromCsrRejected(
      {},
      qos,
      (_e, r) => r && created.reject(refusal('CreateCertificateFromCsr', r)),
    );
    await identity.publishCreateCertificateFromCsr({ certificateSigningRequest: csrPem }, qos);
    const certificate = await created.promise;

    const templateName = target.provisioningTemplate;
    const registered = reply<iotidentity.model.RegisterThingResponse>('RegisterThing reply');
    await identity.subscribeToRegisterThingAccepted(
      { templateName },
      qos,
      (_e, r) => r && registered.resolve(r),
    );
    await identity.subscribeToRegisterThingRejected(
      { templateName },
      qos,
      (_e, r) => r && registered.reject(refusal('RegisterThing', r)),
    );
    await identity.publishRegisterThing(
      {
        templateName,
        certificateOwnershipToken: certificate.certificateOwnershipToken!,
        parameters: { SerialNumber: serial },
      },
      qos,
    );
    const thing = await registered.promise;
    return {
      thingName: thing.thingName!,
      certPem: certificate.certificatePem!,
      keyPem,
      certificateId: certificate.certificateId!,
    };
  } finally {
    await connection.disconnect().catch(() => undefined);
  }
}
