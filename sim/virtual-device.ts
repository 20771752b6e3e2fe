/**
 * A virtual ESP32 on the official `aws-iot-device-sdk-v2`: provisions by claim on first boot
 * (credentials kept in its record), connects as its thing, reports firmware and health in its
 * classic shadow, and takes OTA jobs over MQTT (`iotjobs`): notify-next → start-next → Range
 * download → size, SHA-256 and detached-signature checks (`ota/`) → "reboot" (a new connection
 * reporting the new version) → SUCCEEDED; or FAILED/REJECTED with a reason
 * (the firmware's reason codes, `fleet_ota_reason`). Its `behaviour` decides the faults.
 *
 * Shadow `reported` (as the firmware and the worker's health gate read it): `firmware { version,
 * slot }`, `health { bootsSinceUpdate, crashesSinceUpdate, reconnects, uptimeSeconds }`,
 * `ota { jobId, lastResult, reason }`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { iotjobs, iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { DocumentInvalidError } from '../ota/errors/document-invalid-error';
import { parseJobDocument, type JobDocument } from '../ota/job-document';
import { checkVersionPolicy } from '../ota/version-policy';
import type { Behaviour } from './device-behaviour';
import {
  connectMqttRetrying,
  deviceTls,
  errorText,
  reply,
  type DeviceTls,
} from './device-connection';
import type { DeviceRecord, DeviceRecordStore } from './device-record';
import { provisionDevice } from './provision-device';
import { rangeDownload } from './range-download';
import { SignatureVerdicts } from './signature-verdicts';
import type { SimTarget } from './sim-target';

export type DevicePhase =
  | 'off'
  | 'provisioning'
  | 'online'
  | 'downloading'
  | 'rebooting'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'error';

/** What the fleet and its display see of a device. */
export interface DeviceStatus {
  readonly serial: string;
  readonly behaviour: Behaviour;
  readonly phase: DevicePhase;
  readonly thingName?: string;
  readonly version: string;
  /** SHA-256 of the running image (`factory` until the first update). */
  readonly runningSha256: string;
  readonly jobId?: string;
  readonly reason?: string;
  readonly provisionedNow: boolean;
  readonly downloadedBytes: number;
  readonly drops: number;
  readonly error?: string;
}

export interface VirtualDeviceOptions {
  readonly serial: string;
  readonly behaviour: Behaviour;
  readonly target: SimTarget;
  readonly store: DeviceRecordStore;
  /** Signature checks shared by the devices of a process (signature-verdicts.ts). @defaultValue its own */
  readonly verdicts?: SignatureVerdicts;
  /** Version a new device leaves the factory with. @defaultValue `1.0.0` */
  readonly factoryVersion?: string;
  /** Throttle of `slow` devices. @defaultValue 256 KiB/s */
  readonly slowBytesPerSecond?: number;
  readonly onChange?: (status: DeviceStatus) => void;
}

const QOS = mqtt.QoS.AtLeastOnce;

export class VirtualDevice {
  private record!: DeviceRecord;
  /** Its certificate loaded once, for every connection it makes (device-connection.ts). */
  private tls?: DeviceTls;
  private connection?: mqtt.MqttClientConnection;
  private jobs?: iotjobs.IotJobsClient;
  private status: DeviceStatus;
  private busy = false;
  private closed = false;
  private reconnects = 0;
  private requests = 0;
  private askRetries = 0;
  private readonly startedAt = Date.now();
  private readonly verdicts: SignatureVerdicts;
  /** Reply subscriptions of the current connection (subscribeOnce). */
  private subscriptions = new Map<string, Promise<unknown>>();
  /** Requests waiting for their reply, by client token. */
  private readonly waiting = new Map<
    string,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();

  constructor(private readonly options: VirtualDeviceOptions) {
    this.verdicts = options.verdicts ?? new SignatureVerdicts();
    this.status = {
      serial: options.serial,
      behaviour: options.behaviour,
      phase: 'off',
      version: '',
      runningSha256: '',
      provisionedNow: false,
      downloadedBytes: 0,
      drops: 0,
    };
  }

  get current(): DeviceStatus {
    return this.status;
  }

  private set(change: Partial<DeviceStatus>): void {
    this.status = { ...this.status, ...change };
    this.options.onChange?.(this.status);
  }

  /** Boots: provisions if it never did, then connects as its thing and reports its shadow. */
  async start(): Promise<void> {
    const { serial, store, target } = this.options;
    let record = store.load(serial) ?? {
      serial,
      firmware: {
        version: this.options.factoryVersion ?? '1.0.0',
        slot: 'ota_0',
        sha256: 'factory',
      },
      bootsSinceUpdate: 1,
    };
    this.set({ version: record.firmware.version, runningSha256: record.firmware.sha256 });
    if (!record.thingName) {
      this.set({ phase: 'provisioning' });
      record = { ...record, ...(await provisionDevice(target, serial)) };
      await store.save(record);
      this.set({ provisionedNow: true });
    }
    this.record = record;
    this.set({ thingName: record.thingName });
    await this.goOnline();
  }

  private async goOnline(): Promise<void> {
    await this.connect();
    this.connection!.on('resume', () => void (this.reconnects += 1));
    await this.reportShadow();
    this.set({
      phase:
        this.status.phase === 'provisioning' || this.status.phase === 'off'
          ? 'online'
          : this.status.phase,
    });
    void this.takeNextJob(); // a job queued while the device was off
  }

  /** Connects as the thing (a new session: no subscriptions yet) and listens for notify-next. */
  private async connect(): Promise<void> {
    const thingName = this.record.thingName!;
    this.tls ??= deviceTls(this.options.target.mqtt, this.record.certPem!, this.record.keyPem!);
    this.connection = await connectMqttRetrying(this.tls, thingName);
    this.jobs = new iotjobs.IotJobsClient(this.connection);
    this.subscriptions = new Map();
    await this.jobs.subscribeToNextJobExecutionChangedEvents({ thingName }, QOS, (_e, event) => {
      if (event?.execution?.jobId) void this.takeNextJob();
    });
  }

  /**
   * Subscribes to a reply topic once per connection, as firmware does when it connects; replies
   * find their request by client token. (Subscribing again before every request cost the broker a
   * SUBSCRIBE with its policy check each time.)
   */
  private subscribeOnce(
    key: string,
    subscribe: (jobs: iotjobs.IotJobsClient) => Promise<unknown>,
  ): Promise<unknown> {
    let done = this.subscriptions.get(key);
    if (!done) {
      done = subscribe(this.jobs!);
      this.subscriptions.set(key, done);
      done.catch(() => this.subscriptions.delete(key));
    }
    return done;
  }

  /** Sends a request whose reply (or rejection) carries `clientToken`; see {@link subscribeOnce}. */
  private async request<T>(
    clientToken: string,
    what: string,
    send: () => Promise<unknown>,
  ): Promise<T> {
    const answer = reply<T>(what);
    this.waiting.set(clientToken, answer as { resolve(v: unknown): void; reject(e: Error): void });
    try {
      await send();
      return await answer.promise;
    } finally {
      this.waiting.delete(clientToken);
    }
  }

  private settle(clientToken: string | undefined, outcome: unknown): void {
    const waiting = clientToken === undefined ? undefined : this.waiting.get(clientToken);
    if (outcome instanceof Error) waiting?.reject(outcome);
    else waiting?.resolve(outcome);
  }

  /** Reports firmware, health and, after an OTA job, its outcome (fields: docs/device-shadow.md). */
  private async reportShadow(ota?: {
    jobId: string;
    lastResult: 'SUCCEEDED' | 'FAILED' | 'REJECTED';
    reason: string | null;
  }): Promise<void> {
    const thingName = this.record.thingName!;
    const shadow = new iotshadow.IotShadowClient(this.connection!);
    const reported = {
      firmware: { version: this.record.firmware.version, slot: this.record.firmware.slot },
      health: {
        bootsSinceUpdate: this.record.bootsSinceUpdate,
        crashesSinceUpdate: 0,
        reconnects: this.reconnects,
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      },
      ...(ota ? { ota } : {}),
    };
    await shadow.publishUpdateShadow({ thingName, state: { reported } }, QOS);
  }

  /** A client token unique to this device's request (replies are matched by it). */
  private nextClientToken(): string {
    return `${this.options.serial}-${(++this.requests).toString(36)}-${Date.now().toString(36)}`;
  }

  private async startNext(): Promise<iotjobs.model.JobExecutionData | undefined> {
    const thingName = this.record.thingName!;
    const clientToken = this.nextClientToken();
    await this.subscribeOnce('start-next', jobs =>
      Promise.all([
        jobs.subscribeToStartNextPendingJobExecutionAccepted(
          { thingName },
          QOS,
          (_e, r) => r && this.settle(r.clientToken, r),
        ),
        jobs.subscribeToStartNextPendingJobExecutionRejected(
          { thingName },
          QOS,
          (_e, r) =>
            r &&
            this.settle(r.clientToken, new Error(`start-next rejected: ${r.code} ${r.message}`)),
        ),
      ]),
    );
    const answer = await this.request<iotjobs.model.StartNextJobExecutionResponse>(
      clientToken,
      `start-next reply for ${thingName}`,
      () => this.jobs!.publishStartNextPendingJobExecution({ thingName, clientToken }, QOS),
    );
    return answer.execution;
  }

  private async update(
    jobId: string,
    status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'REJECTED',
    statusDetails: Record<string, string>,
  ): Promise<void> {
    const thingName = this.record.thingName!;
    const clientToken = this.nextClientToken();
    await this.subscribeOnce(`update ${jobId}`, jobs =>
      Promise.all([
        jobs.subscribeToUpdateJobExecutionAccepted(
          { thingName, jobId },
          QOS,
          (_e, r) => r && this.settle(r.clientToken, r),
        ),
        jobs.subscribeToUpdateJobExecutionRejected(
          { thingName, jobId },
          QOS,
          (_e, r) =>
            r &&
            this.settle(
              r.clientToken,
              new Error(`update of ${jobId} rejected: ${r.code} ${r.message}`),
            ),
        ),
      ]),
    );
    await this.request<unknown>(
      clientToken,
      `update reply for ${jobId} (${status}) on ${thingName}`,
      () =>
        this.jobs!.publishUpdateJobExecution(
          { thingName, jobId, status: iotjobs.model.JobStatus[status], statusDetails, clientToken },
          QOS,
        ),
    );
  }

  /** One job at a time; a notify-next while busy is picked up when the current job ends. */
  private async takeNextJob(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    let inJob = false;
    try {
      for (;;) {
        const execution = await this.startNext();
        this.askRetries = 0;
        if (!execution?.jobId || this.closed) return;
        inJob = true;
        await this.runJob(execution.jobId, execution.jobDocument);
        inJob = false;
        if (this.closed) return;
      }
    } catch (error) {
      if (this.closed) return;
      if (!inJob && ++this.askRetries <= 5) {
        // Asking for the next job went unanswered (a busy broker): ask again later, as the
        // firmware's jobs client does, with a growing, jittered delay.
        setTimeout(
          () => void this.takeNextJob(),
          1000 * this.askRetries + Math.random() * 1000,
        ).unref();
      } else this.set({ phase: 'error', error: errorText(error) });
    } finally {
      this.busy = false;
    }
  }

  private async fail(jobId: string, status: 'FAILED' | 'REJECTED', reason: string): Promise<void> {
    await this.update(jobId, status, { reason });
    await this.reportShadow({ jobId, lastResult: status, reason });
    this.set({ phase: status === 'FAILED' ? 'failed' : 'rejected', reason, jobId });
  }

  private async runJob(jobId: string, rawDocument: unknown): Promise<void> {
    const { behaviour } = this.options;
    this.set({ jobId, reason: undefined, downloadedBytes: 0 });
    let doc: JobDocument;
    try {
      doc = parseJobDocument(
        typeof rawDocument === 'string' ? rawDocument : JSON.stringify(rawDocument),
      );
    } catch (error) {
      // As the firmware: `job_document:<first field in error>` (fleet_jobs.c).
      const field = error instanceof DocumentInvalidError ? error.problems[0]?.field : undefined;
      return this.fail(jobId, 'FAILED', `job_document:${field ?? 'missing'}`);
    }
    if (behaviour === 'rejecting') return this.fail(jobId, 'REJECTED', 'declined');
    const f = doc.firmware;
    // Already installed (a job retried after the reboot, or a device in two stages' groups):
    // same version and the running image's hash → SUCCEEDED without downloading
    // (docs/job-document.md, "Version policy").
    if (f.version === this.record.firmware.version && f.sha256 === this.record.firmware.sha256) {
      await this.update(jobId, 'SUCCEEDED', { releaseId: doc.releaseId });
      await this.reportShadow({ jobId, lastResult: 'SUCCEEDED', reason: null });
      this.set({ phase: 'succeeded', jobId });
      return;
    }
    if (
      checkVersionPolicy(
        { version: f.version, secureVersion: f.secureVersion },
        {
          target: 'this device',
          currentVersion: this.record.firmware.version,
          secureVersion: null,
        },
      ).length > 0
    )
      return this.fail(jobId, 'FAILED', 'version_not_newer');

    this.set({ phase: 'downloading' });
    const download = await rangeDownload(f.url, {
      dropAfter:
        behaviour === 'flaky' ? [Math.floor(f.size / 3), Math.floor((2 * f.size) / 3)] : [],
      bytesPerSecond:
        behaviour === 'slow' ? (this.options.slowBytesPerSecond ?? 256 * 1024) : undefined,
      corruptAt: behaviour === 'corrupting' ? Math.floor(f.size / 2) : undefined,
      onProgress: received => void (this.status = { ...this.status, downloadedBytes: received }),
    }).catch((error: Error) => error);
    if (download instanceof Error) return this.fail(jobId, 'FAILED', 'download_failed');
    this.set({ downloadedBytes: download.size, drops: download.drops });
    if (download.size !== f.size) return this.fail(jobId, 'FAILED', 'size_mismatch');
    if (download.sha256.toString('hex') !== f.sha256)
      return this.fail(jobId, 'FAILED', 'hash_mismatch');
    if (!this.verdicts.verify(this.options.target.updatePublicKey, download.sha256, f.signature))
      return this.fail(jobId, 'FAILED', 'signature_invalid');

    // Verified: switch the boot slot and reboot into the new app.
    await this.update(jobId, 'IN_PROGRESS', { step: 'rebooting', releaseId: doc.releaseId });
    this.set({ phase: 'rebooting' });
    await this.connection!.disconnect().catch(() => undefined);
    const previous = this.record;
    const nextSlot = previous.firmware.slot === 'ota_0' ? 'ota_1' : 'ota_0';
    await sleep(100);
    if (behaviour === 'broken') {
      // The new app cannot reach AWS IoT; the bootloader's rollback boots the old slot again,
      // which reports the failure (firmware: "rollback").
      await sleep(200);
      this.record = { ...previous, bootsSinceUpdate: previous.bootsSinceUpdate + 1 };
      await this.options.store.save(this.record);
      await this.connect();
      return this.fail(jobId, 'FAILED', 'rollback');
    }
    this.record = {
      ...previous,
      firmware: { version: f.version, slot: nextSlot, sha256: f.sha256 },
      bootsSinceUpdate: 1,
    };
    await this.options.store.save(this.record);
    this.set({ version: f.version, runningSha256: f.sha256 });
    await this.connect();
    await this.update(jobId, 'SUCCEEDED', { releaseId: doc.releaseId });
    await this.reportShadow({ jobId, lastResult: 'SUCCEEDED', reason: null });
    this.set({ phase: 'succeeded', jobId });
  }

  /** Records a boot that failed (the fleet keeps going without this device). */
  markError(error: unknown): void {
    this.set({ phase: 'error', error: errorText(error) });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connection?.disconnect().catch(() => undefined);
  }
}
