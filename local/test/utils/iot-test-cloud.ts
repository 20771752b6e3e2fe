/**
 * Test helpers for the IoT service of the local cloud: a cloud with the IoT service on a movable
 * clock, official SDK clients pointed at its endpoints (`@aws-sdk/client-iot`,
 * `client-iot-data-plane`, `client-iot-jobs-data-plane` over mutual TLS), and provisioned devices.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { IoTJobsDataPlaneClient } from '@aws-sdk/client-iot-jobs-data-plane';
import { iotService, type IotService } from '../../control-plane/iot-service';
import type { LocalCloud } from '../../local-cloud-config';
import { startTestCloud } from '../local-cloud-harness';

/** A local cloud with the IoT service whose clock tests can move forward. */
export interface IotTestCloud {
  readonly cloud: LocalCloud;
  readonly service: IotService;
  /** Moves the IoT clock forward and runs the engine's time-driven work. */
  advance(ms: number): void;
}

export async function startIotTestCloud(
  options: { stateDir?: string; withS3?: boolean } = {},
): Promise<IotTestCloud> {
  let offset = 0;
  const service = iotService({ now: () => Date.now() + offset, tickMs: 200 });
  const s3 = options.withS3 ? [(await import('../../s3/s3-service')).s3Service()] : [];
  const cloud = await startTestCloud({
    services: [...s3, service],
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
  });
  return {
    cloud,
    service,
    advance(ms) {
      offset += ms;
      service.tick();
    },
  };
}

/** `@aws-sdk/client-iot` as the worker makes it: only endpoint and credentials differ from AWS. */
export function iotClient(cloud: LocalCloud, credentials = cloud.config.credentials): IoTClient {
  return new IoTClient({
    endpoint: cloud.config.endpoints.iot!,
    region: cloud.config.region,
    credentials,
    maxAttempts: 1,
  });
}

export function iotDataClient(cloud: LocalCloud): IoTDataPlaneClient {
  return new IoTDataPlaneClient({
    endpoint: cloud.config.endpoints.iot!,
    region: cloud.config.region,
    credentials: cloud.config.credentials,
    maxAttempts: 1,
  });
}

/** The jobs data plane over mutual TLS with a device certificate (credentials are unused but required by the SDK). */
export function jobsDataClient(
  cloud: LocalCloud,
  certPem: string,
  keyPem: string,
): IoTJobsDataPlaneClient {
  const agent = new Agent({
    cert: certPem,
    key: keyPem,
    ca: readFileSync(cloud.config.mqtt.caFile, 'utf8'),
  });
  return new IoTJobsDataPlaneClient({
    endpoint: cloud.config.endpoints.iotJobsData!,
    region: cloud.config.region,
    credentials: { accessKeyId: 'AKIADEVICEUNUSED0000', secretAccessKey: 'unused' },
    requestHandler: { httpsAgent: agent },
    maxAttempts: 1,
  });
}
