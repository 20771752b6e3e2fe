/**
 * A device that takes jobs through the official `aws-iot-device-sdk-v2` `iotjobs` client over
 * MQTT (mutual TLS), as the firmware does: notify-next → start-next → update.
 */
import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../../local-cloud-config';
import { connectDevice } from '../local-cloud-harness';

type Reply<T> = { accepted: T } | { rejected: iotjobs.model.RejectedErrorResponse };

/** Waits for the first value `take` accepts among those pushed. */
class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { take: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  push(value: T): void {
    const i = this.waiters.findIndex(w => w.take(value));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(value);
    else this.items.push(value);
  }
  next(take: (v: T) => boolean = () => true, ms = 10_000, what = 'message'): Promise<T> {
    const i = this.items.findIndex(take);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      this.waiters.push({ take, resolve: v => (clearTimeout(timer), resolve(v)) });
    });
  }
}

export class JobsDevice {
  readonly nextChanged = new Inbox<iotjobs.model.NextJobExecutionChangedEvent>();
  private readonly startNextReplies = new Inbox<
    Reply<iotjobs.model.StartNextJobExecutionResponse>
  >();
  private readonly updateReplies = new Inbox<
    Reply<iotjobs.model.UpdateJobExecutionResponse> & { jobId: string }
  >();
  private readonly subscribedJobs = new Set<string>();

  private constructor(
    readonly thingName: string,
    readonly connection: mqtt.MqttClientConnection,
    readonly jobs: iotjobs.IotJobsClient,
  ) {}

  static async connect(
    cloud: LocalCloud,
    device: { thingName: string; certPem: string; keyPem: string },
  ): Promise<JobsDevice> {
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    const d = new JobsDevice(device.thingName, connection, new iotjobs.IotJobsClient(connection));
    const thingName = device.thingName;
    await d.jobs.subscribeToNextJobExecutionChangedEvents(
      { thingName },
      mqtt.QoS.AtLeastOnce,
      (_e, r) => r && d.nextChanged.push(r),
    );
    await d.jobs.subscribeToStartNextPendingJobExecutionAccepted(
      { thingName },
      mqtt.QoS.AtLeastOnce,
      (_e, r) => r && d.startNextReplies.push({ accepted: r }),
    );
    await d.jobs.subscribeToStartNextPendingJobExecutionRejected(
      { thingName },
      mqtt.QoS.AtLeastOnce,
      (_e, r) => r && d.startNextReplies.push({ rejected: r }),
    );
    return d;
  }

  /** Waits for notify-next naming `jobId`. */
  async notifiedOf(jobId: string): Promise<iotjobs.model.NextJobExecutionChangedEvent> {
    return this.nextChanged.next(
      e => e.execution?.jobId === jobId,
      10_000,
      `notify-next for ${jobId} on ${this.thingName}`,
    );
  }

  async startNext(
    stepTimeoutInMinutes?: number,
  ): Promise<Reply<iotjobs.model.StartNextJobExecutionResponse>> {
    const clientToken = `sn-${Math.random().toString(36).slice(2)}`;
    await this.jobs.publishStartNextPendingJobExecution(
      {
        thingName: this.thingName,
        clientToken,
        ...(stepTimeoutInMinutes ? { stepTimeoutInMinutes } : {}),
      },
      mqtt.QoS.AtLeastOnce,
    );
    return this.startNextReplies.next(
      r => ('accepted' in r ? r.accepted.clientToken : r.rejected.clientToken) === clientToken,
      10_000,
      'start-next reply',
    );
  }

  async update(
    jobId: string,
    request: Omit<iotjobs.model.UpdateJobExecutionRequest, 'thingName' | 'jobId'>,
  ): Promise<Reply<iotjobs.model.UpdateJobExecutionResponse>> {
    const thingName = this.thingName;
    if (!this.subscribedJobs.has(jobId)) {
      this.subscribedJobs.add(jobId);
      await this.jobs.subscribeToUpdateJobExecutionAccepted(
        { thingName, jobId },
        mqtt.QoS.AtLeastOnce,
        (_e, r) => r && this.updateReplies.push({ accepted: r, jobId }),
      );
      await this.jobs.subscribeToUpdateJobExecutionRejected(
        { thingName, jobId },
        mqtt.QoS.AtLeastOnce,
        (_e, r) => r && this.updateReplies.push({ rejected: r, jobId }),
      );
    }
    const clientToken = `up-${Math.random().toString(36).slice(2)}`;
    await this.jobs.publishUpdateJobExecution(
      { thingName, jobId, clientToken, ...request },
      mqtt.QoS.AtLeastOnce,
    );
    return this.updateReplies.next(
      r =>
        r.jobId === jobId &&
        ('accepted' in r ? r.accepted.clientToken : r.rejected.clientToken) === clientToken,
      10_000,
      `update reply for ${jobId}`,
    );
  }

  async close(): Promise<void> {
    await this.connection.disconnect().catch(() => {});
  }
}
