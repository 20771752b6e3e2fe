/**
 * The executions side of the jobs engine: creating executions, moving them between states (with
 * the job's counts, the thing's pending list and the timers kept in step), and the history of
 * executions replaced by retries. Pure; reports every change through `emit`.
 */
import {
  isPending,
  TERMINAL_EXECUTION_STATES,
  type JobExecutionRecord,
  type JobExecutionStatus,
} from './job-records';
import {
  COUNT_FIELD,
  type ExecutionOperation,
  type JobState,
  type JobsEngineEvent,
} from './job-state';

const MINUTE = 60_000;

export class ExecutionBook {
  /** Older executions (before a retry), by `jobId|thingName`. */
  readonly history = new Map<string, JobExecutionRecord[]>();
  /** Jobs with a pending execution, by thing. */
  readonly pendingByThing = new Map<string, Set<string>>();
  /** IN_PROGRESS executions with a deadline. */
  readonly timed = new Set<JobExecutionRecord>();

  constructor(private readonly emit: (event: JobsEngineEvent) => void) {}

  /** Queues a new execution of `job` on `thingName`. */
  queue(
    job: JobState,
    thingName: string,
    executionNumber: number,
    retryAttempt: number,
    now: number,
  ): JobExecutionRecord {
    const e: JobExecutionRecord = {
      jobId: job.record.jobId,
      thingName,
      status: 'QUEUED',
      statusDetails: {},
      queuedAt: now,
      lastUpdatedAt: now,
      executionNumber,
      versionNumber: 1,
      retryAttempt,
    };
    job.executions.set(thingName, e);
    job.counts.numberOfQueuedThings++;
    this.pendingSet(thingName).add(e.jobId);
    this.emit({ kind: 'execution', execution: e, operation: 'queued' });
    this.emit({ kind: 'pending', thingName });
    return e;
  }

  /** Moves an execution to `status`, keeping counts, timers and pending lists right. */
  setStatus(job: JobState, e: JobExecutionRecord, status: JobExecutionStatus, now: number): void {
    job.counts[COUNT_FIELD[e.status]]--;
    job.counts[COUNT_FIELD[status]]++;
    const wasPending = isPending(e.status);
    e.status = status;
    if (status === 'IN_PROGRESS') {
      e.startedAt = now;
      const minutes = job.record.timeoutConfig?.inProgressTimeoutInMinutes;
      if (minutes !== undefined) {
        e.inProgressDeadline = now + minutes * MINUTE;
        this.timed.add(e);
      }
    } else if (TERMINAL_EXECUTION_STATES.has(status)) {
      e.inProgressDeadline = undefined;
      e.stepDeadline = undefined;
      this.timed.delete(e);
    }
    this.touch(e, now, status.toLowerCase() as ExecutionOperation);
    if (wasPending && !isPending(status)) {
      this.pendingByThing.get(e.thingName)?.delete(e.jobId);
      this.emit({ kind: 'pending', thingName: e.thingName });
    }
  }

  /** Bumps version and time of an execution and reports it. */
  touch(e: JobExecutionRecord, now: number, operation?: ExecutionOperation): void {
    e.lastUpdatedAt = now;
    e.versionNumber++;
    this.emit({ kind: 'execution', execution: e, operation });
  }

  /** Sets (minutes) or clears (-1) the step timer. */
  setStepTimer(e: JobExecutionRecord, minutes: number | undefined, now: number): void {
    if (minutes === undefined) return;
    e.stepDeadline = minutes === -1 ? undefined : now + minutes * MINUTE;
    if (e.stepDeadline !== undefined) this.timed.add(e);
  }

  /** Earlier executions of a job on a thing (before retries). */
  historyOf(jobId: string, thingName: string): JobExecutionRecord[] {
    const key = `${jobId}|${thingName}`;
    let list = this.history.get(key);
    if (!list) this.history.set(key, (list = []));
    return list;
  }

  pendingSet(thingName: string): Set<string> {
    let set = this.pendingByThing.get(thingName);
    if (!set) this.pendingByThing.set(thingName, (set = new Set()));
    return set;
  }

  /** Puts back persisted executions under their jobs (the newest execution per thing is current). */
  restore(jobs: ReadonlyMap<string, JobState>, executions: readonly JobExecutionRecord[]): void {
    const sorted = [...executions].sort((a, b) => a.executionNumber - b.executionNumber);
    for (const e of sorted) {
      const job = jobs.get(e.jobId);
      if (!job) continue;
      const previous = job.executions.get(e.thingName);
      if (previous) {
        job.counts[COUNT_FIELD[previous.status]]--;
        this.historyOf(e.jobId, e.thingName).push(previous);
      }
      job.executions.set(e.thingName, e);
      job.counts[COUNT_FIELD[e.status]]++;
    }
    for (const job of jobs.values()) {
      for (const e of job.executions.values()) {
        if (isPending(e.status)) this.pendingSet(e.thingName).add(e.jobId);
        if (e.inProgressDeadline !== undefined || e.stepDeadline !== undefined) this.timed.add(e);
      }
    }
  }
}
