/**
 * The services `fleet local up` starts besides the MQTT broker. Each later part of the local cloud
 * adds its service here (one line each), e.g. `s3Service()`, `kmsService()`; tests pass their own
 * list to `startLocalCloud({ services })`.
 */
import type { LocalService } from './local-cloud-config';

/** Services started by `fleet local up` (imported lazily so `fleet --help` stays fast). */
export async function defaultLocalServices(): Promise<LocalService[]> {
  const services: LocalService[] = [];
  // Services register here:
  services.push((await import('./s3/s3-service')).s3Service(), (await import('./kms/kms-service')).kmsService());
  services.push((await import('./control-plane/iot-service')).iotService());
  return services;
}
