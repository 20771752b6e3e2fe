/**
 * Many virtual devices in one process: serials `51` + 10 hex digits (the dev hook's
 * `^[0-9A-F]{12}$`), behaviours from a seeded mix, started with bounded concurrency (provisioning
 * costs a key, a CSR and two TLS handshakes per device).
 */
import { assignBehaviours, type Behaviour, type BehaviourMix } from './device-behaviour';
import { DeviceRecordStore } from './device-record';
import { SignatureVerdicts } from './signature-verdicts';
import type { SimTarget } from './sim-target';
import { VirtualDevice, type DevicePhase, type DeviceStatus } from './virtual-device';

export interface VirtualFleetOptions {
  readonly target: SimTarget;
  /** Where device records live (`<stateDir>/devices/<serial>.json`). */
  readonly stateDir: string;
  readonly devices: number;
  readonly mix: BehaviourMix;
  readonly seed: number;
  /** Devices booting at once. @defaultValue 32 */
  readonly concurrency?: number;
  readonly factoryVersion?: string;
  readonly slowBytesPerSecond?: number;
  /** Called on every status change of any device (phases, download progress). */
  readonly onChange?: (status: DeviceStatus) => void;
}

/** The serial of device `index` (0-based). */
export function simSerial(index: number): string {
  return `51${index.toString(16).toUpperCase().padStart(10, '0')}`;
}

export class VirtualFleet {
  readonly devices: VirtualDevice[];
  private readonly store: DeviceRecordStore;

  constructor(private readonly options: VirtualFleetOptions) {
    this.store = new DeviceRecordStore(options.stateDir);
    const behaviours = assignBehaviours(options.devices, options.mix, options.seed);
    const verdicts = new SignatureVerdicts();
    this.devices = behaviours.map(
      (behaviour: Behaviour, i) =>
        new VirtualDevice({
          serial: simSerial(i),
          behaviour,
          target: options.target,
          store: this.store,
          verdicts,
          factoryVersion: options.factoryVersion,
          slowBytesPerSecond: options.slowBytesPerSecond,
          onChange: options.onChange,
        }),
    );
  }

  /** Boots every device; failures are kept in each device's status (phase `error`), not thrown. */
  async start(onBooted?: (status: DeviceStatus) => void): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.devices.length) {
        const device = this.devices[next++];
        try {
          await device.start();
        } catch (error) {
          device.markError(error);
        }
        onBooted?.(device.current);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency ?? 32, this.devices.length) }, worker),
    );
  }

  statuses(): DeviceStatus[] {
    return this.devices.map(d => d.current);
  }

  /** How many devices are in each phase. */
  countByPhase(): Record<DevicePhase, number> {
    const counts = {
      off: 0,
      provisioning: 0,
      online: 0,
      downloading: 0,
      rebooting: 0,
      succeeded: 0,
      failed: 0,
      rejected: 0,
      error: 0,
    };
    for (const d of this.devices) counts[d.current.phase] += 1;
    return counts;
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map(d => d.close()));
  }
}
