/**
 * The AWS IoT Jobs MQTT API for the reserved-topic dispatcher, and the `notify` / `notify-next`
 * events (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/jobs-comm-notifications.html).
 *
 * Request topics (`$aws/things/<thing>/jobs/...`) and replies on `<request>/accepted|rejected`:
 * - `get` {clientToken} → {inProgressJobs, queuedJobs, timestamp, clientToken}
 * - `start-next` {statusDetails, stepTimeoutInMinutes, clientToken} → {execution?, timestamp, clientToken}
 * - `<jobId>/get` {executionNumber, includeJobDocument=true, clientToken} → {execution, timestamp, clientToken}
 *   (`$next` names the next pending execution)
 * - `<jobId>/update` {status, statusDetails, expectedVersion, executionNumber,
 *   includeJobExecutionState=false, includeJobDocument=false, stepTimeoutInMinutes, clientToken}
 *   → {executionState?, jobDocument?, timestamp, clientToken}
 * Rejections: {code, message, clientToken, timestamp, executionState?} with code InvalidTopic,
 * InvalidJson, InvalidRequest, InvalidStateTransition, ResourceNotFound, VersionMismatch,
 * InternalError, RequestThrottled, TerminalStateReached.
 * Events: `notify` {timestamp, jobs: {QUEUED?, IN_PROGRESS?}} when an execution joins or leaves the
 * thing's pending list; `notify-next` {timestamp, execution?} when the next pending execution changes.
 * Who may publish or receive on these topics is decided by the IoT policies in the broker.
 */
import type { ReservedTopicFamily } from '../broker/reserved-topics';
import type { BrokerPublish } from '../shadows/shadow-handlers';
import {
  optionalCount,
  parseExecutionUpdate,
  parseStatusDetails,
  parseStepTimeout,
} from './execution-update';
import type { JobsEngine } from './jobs-engine';
import { JobsError, type IotExceptionType } from './jobs-error';
import { executionState, mqttExecution, mqttSummary } from './job-wire';
import type { JobExecutionRecord } from './job-records';

/** What the jobs topics need. */
export interface JobsMqttDeps {
  readonly engine: JobsEngine;
  readonly publish: BrokerPublish;
  readonly nowMs: () => number;
  /** The job document as devices receive it (presigned-URL placeholders replaced). */
  documentFor(jobId: string): Promise<unknown>;
}

const MQTT_CODE: Partial<Record<IotExceptionType, string>> = {
  InvalidRequestException: 'InvalidRequest',
  ResourceNotFoundException: 'ResourceNotFound',
  InvalidStateTransitionException: 'InvalidStateTransition',
  VersionConflictException: 'VersionMismatch',
  ConflictException: 'VersionMismatch',
  ThrottlingException: 'RequestThrottled',
  TerminalStateException: 'TerminalStateReached',
};

/** A rejection that is not a JobsError (bad topic, bad JSON). */
class MqttRejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function optionalBool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new JobsError('InvalidRequestException', `${field}: expected true or false`);
  return value;
}

/** Builds the jobs family. */
export function jobsFamily(deps: JobsMqttDeps): ReservedTopicFamily {
  const { engine } = deps;
  const seconds = (): number => Math.floor(deps.nowMs() / 1000);
  const withDocument = async (
    e: JobExecutionRecord | undefined,
    include: boolean,
  ): Promise<Record<string, unknown> | undefined> =>
    e ? mqttExecution(e, include ? await deps.documentFor(e.jobId) : undefined) : undefined;

  async function answer(
    thingName: string,
    path: string,
    body: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (path === 'get') {
      const { inProgress, queued } = engine.pendingExecutions(thingName);
      return { inProgressJobs: inProgress.map(mqttSummary), queuedJobs: queued.map(mqttSummary) };
    }
    if (path === 'start-next') {
      const e = engine.startNext(thingName, {
        statusDetails: parseStatusDetails(body.statusDetails),
        stepTimeoutInMinutes: parseStepTimeout(body.stepTimeoutInMinutes),
      });
      const execution = await withDocument(e, true);
      return execution ? { execution } : {};
    }
    const m = /^([^/]+)\/(get|update)$/.exec(path);
    if (!m)
      throw new MqttRejection('InvalidTopic', `jobs/${path} is not an AWS IoT Jobs request topic`);
    const [, jobId, operation] = m;
    if (operation === 'get') {
      const executionNumber = optionalCount(body.executionNumber, 'executionNumber');
      const e =
        jobId === '$next'
          ? engine.nextExecution(thingName)
          : engine.getExecution(jobId, thingName, executionNumber);
      const execution = await withDocument(
        e,
        optionalBool(body.includeJobDocument, 'includeJobDocument', true),
      );
      return execution ? { execution } : {};
    }
    if (jobId === '$next')
      throw new JobsError(
        'InvalidRequestException',
        'jobId: $next cannot be updated; name the job',
      );
    const e = engine.updateExecution(thingName, jobId, parseExecutionUpdate(body));
    return {
      ...(optionalBool(body.includeJobExecutionState, 'includeJobExecutionState', false)
        ? { executionState: executionState(e) }
        : {}),
      ...(optionalBool(body.includeJobDocument, 'includeJobDocument', false)
        ? { jobDocument: await deps.documentFor(jobId) }
        : {}),
    };
  }

  return {
    name: 'jobs',
    pattern: /^\$aws\/things\/([^/]+)\/jobs\/(.+)$/,
    async handle(request) {
      const thingName = request.match[1];
      const path = request.match[2];
      const replyTopic = `$aws/things/${thingName}/jobs/${path}`;
      let clientToken: string | undefined;
      try {
        let body: Record<string, unknown> = {};
        if (request.payload.length > 0) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(request.payload.toString('utf8'));
          } catch {
            throw new MqttRejection(
              'InvalidJson',
              'the request could not be interpreted as valid UTF-8-encoded JSON',
            );
          }
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
            throw new MqttRejection('InvalidJson', 'the request must be a JSON object');
          body = parsed as Record<string, unknown>;
        }
        if (typeof body.clientToken === 'string') clientToken = body.clientToken;
        const result = await answer(thingName, path, body);
        await deps.publish(`${replyTopic}/accepted`, {
          ...result,
          timestamp: seconds(),
          ...(clientToken === undefined ? {} : { clientToken }),
        });
      } catch (error) {
        const code =
          error instanceof MqttRejection
            ? error.code
            : error instanceof JobsError
              ? (MQTT_CODE[error.type] ?? 'InternalError')
              : 'InternalError';
        const executionState = error instanceof JobsError ? error.executionState : undefined;
        await deps.publish(`${replyTopic}/rejected`, {
          code,
          message: error instanceof Error ? error.message : String(error),
          timestamp: seconds(),
          ...(clientToken === undefined ? {} : { clientToken }),
          ...(executionState ? { executionState } : {}),
        });
        if (code === 'InternalError') throw error;
      }
    },
  };
}

/**
 * Publishes `notify` and `notify-next` for things whose pending list changed. Changes made in one
 * engine operation are coalesced (one flush per turn of the event loop).
 */
export class JobsNotifier {
  private readonly dirty = new Set<string>();
  private readonly lastNext = new Map<string, string>();
  private scheduled = false;

  constructor(private readonly deps: JobsMqttDeps) {}

  /** Marks a thing whose pending executions changed. */
  pendingChanged(thingName: string): void {
    this.dirty.add(thingName);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const things = [...this.dirty];
    this.dirty.clear();
    await Promise.all(things.map(thing => this.notify(thing)));
  }

  private async notify(thingName: string): Promise<void> {
    const { engine, publish } = this.deps;
    const timestamp = Math.floor(this.deps.nowMs() / 1000);
    const { inProgress, queued } = engine.pendingExecutions(thingName);
    const jobs: Record<string, unknown> = {};
    if (queued.length > 0) jobs.QUEUED = queued.map(mqttSummary);
    if (inProgress.length > 0) jobs.IN_PROGRESS = inProgress.map(mqttSummary);
    await publish(`$aws/things/${thingName}/jobs/notify`, { timestamp, jobs });
    const next = inProgress[0] ?? queued[0];
    const key = next ? `${next.jobId}:${next.executionNumber}` : '';
    if ((this.lastNext.get(thingName) ?? '') === key) return;
    if (key) this.lastNext.set(thingName, key);
    else this.lastNext.delete(thingName);
    await publish(`$aws/things/${thingName}/jobs/notify-next`, {
      timestamp,
      ...(next ? { execution: mqttExecution(next, await this.deps.documentFor(next.jobId)) } : {}),
    });
  }
}
