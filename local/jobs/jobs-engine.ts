/**
 * The local AWS IoT Jobs engine: a pure state machine over jobs and job executions with an
 * injectable clock. No I/O: callers persist what the `onEvent` listener reports and call `tick()`
 * for time-driven work (schedule, rollout pacing, timeouts). Behaviour from the AWS IoT developer
 * guide, "Jobs" (https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs.html):
 * - targets are things and thing groups; SNAPSHOT jobs complete when every execution is terminal,
 *   CONTINUOUS jobs also reach things added to a target group later and never complete
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-concepts-jobs.html);
 * - execution states and transitions (iot-jobs-lifecycle.html), `versionNumber`/`expectedVersion`;
 * - in-progress timeout (timeoutConfig) and step timeout (stepTimeoutInMinutes) → TIMED_OUT;
 * - retries (jobExecutionsRetryConfig): a FAILED / TIMED_OUT execution is queued again with the
 *   next executionNumber while retries remain (jobs-configurations-details.html#job-retry-configuration);
 * - rollout pacing, abort criteria, scheduling (see rollout-pacing.ts, abort-criteria.ts,
 *   maintenance-window.ts); CancelJob with and without `force`.
 */
import { abortCriterionMet } from './abort-criteria';
import { parseScheduleTime } from './create-job-request';
import { ExecutionBook } from './execution-book';
import { checkDeviceTransition, executionStateOf } from './execution-update';
import { JobsError } from './jobs-error';
import {
  isPending,
  TERMINAL_EXECUTION_STATES,
  type CreateJobRequest,
  type JobExecutionRecord,
  type JobExecutionStatus,
  type JobProcessDetails,
  type JobRecord,
  type JobTemplateRecord,
  type JobUpdate,
} from './job-records';
import {
  COUNT_FIELD,
  zeroCounts,
  type JobOperation,
  type JobState,
  type JobsEngineEvent,
  type PersistedJob,
} from './job-state';
import { JobTemplateBook } from './job-template-book';
import { inMaintenanceWindow } from './maintenance-window';
import { recordNotified, recordSucceeded, rolloutAllowance, startPacing } from './rollout-pacing';

export type { ExecutionOperation, JobOperation, JobsEngineEvent, PersistedJob } from './job-state';

/** What the engine needs from the registry and the clock. */
export interface JobsEngineDeps {
  now(): number;
  /** `arn:aws:iot:<region>:<account>:<resource>` */
  arn(resource: string): string;
  /** Thing names a target ARN designates now; throws a JobsError when the target does not exist. */
  resolveTarget(targetArn: string): readonly string[];
  /**
   * Whether a target ARN designates `thingName` now (one thing, without listing a group).
   * @defaultValue looks the thing up in `resolveTarget(targetArn)`
   */
  isTargeted?(targetArn: string, thingName: string): boolean;
}

/** See the file header. */
export class JobsEngine {
  private readonly jobs = new Map<string, JobState>();
  private listener: (event: JobsEngineEvent) => void = () => {};
  private readonly emit = (event: JobsEngineEvent): void => this.listener(event);
  /** Job templates (CreateJobTemplate, DescribeJobTemplate, ...). */
  readonly templates: JobTemplateBook;
  private readonly book = new ExecutionBook(this.emit);

  constructor(private readonly deps: JobsEngineDeps) {
    this.templates = new JobTemplateBook(deps.arn, deps.now, this.emit);
  }

  /** Sets the listener that receives every change. */
  onEvent(listener: (event: JobsEngineEvent) => void): void {
    this.listener = listener;
  }

  // ------------------------------------------------------------------ restore
  /** Rebuilds the engine from persisted records (after a restart). */
  restore(
    jobs: readonly PersistedJob[],
    executions: readonly JobExecutionRecord[],
    templates: readonly JobTemplateRecord[],
  ): void {
    this.templates.restore(templates);
    for (const j of jobs)
      this.jobs.set(j.record.jobId, {
        ...j,
        pendingTargets: [...j.pendingTargets],
        counts: zeroCounts(),
        executions: new Map(),
      });
    this.book.restore(this.jobs, executions);
  }

  // ------------------------------------------------------------------ jobs
  /**
   * Creates a job, or returns the existing one when `fingerprint` matches the request it was
   * created with; a different request for an existing jobId is ResourceAlreadyExistsException.
   */
  createJob(
    request: CreateJobRequest & { document: string },
    fingerprint: string,
  ): { job: JobRecord; created: boolean } {
    const existing = this.jobs.get(request.jobId);
    if (existing) {
      if (existing.record.requestFingerprint === fingerprint)
        return { job: existing.record, created: false };
      throw new JobsError(
        'ResourceAlreadyExistsException',
        `a job with id ${request.jobId} already exists with a different request`,
      );
    }
    const things = new Set<string>();
    for (const target of request.targets)
      for (const thing of this.deps.resolveTarget(target)) things.add(thing);
    const now = this.deps.now();
    const start = request.schedulingConfig?.startTime;
    const scheduled =
      start !== undefined && parseScheduleTime(start, 'schedulingConfig.startTime') > now;
    const record: JobRecord = {
      ...request,
      jobArn: this.deps.arn(`job/${request.jobId}`),
      status: scheduled ? 'SCHEDULED' : 'IN_PROGRESS',
      createdAt: now,
      lastUpdatedAt: now,
      requestFingerprint: fingerprint,
    };
    const job: JobState = {
      record,
      pendingTargets: [...things].sort(),
      counts: zeroCounts(),
      executions: new Map(),
    };
    if (!scheduled) job.pacing = startPacing(record.jobExecutionsRolloutConfig, now);
    this.jobs.set(record.jobId, job);
    this.emitJob(job, scheduled ? 'scheduled' : 'created');
    this.release(job, now);
    this.checkCompletion(job, now);
    return { job: record, created: true };
  }

  private state(jobId: string): JobState {
    const job = this.jobs.get(jobId);
    if (!job) throw new JobsError('ResourceNotFoundException', `job ${jobId} does not exist`);
    return job;
  }

  getJob(jobId: string): JobRecord {
    return this.state(jobId).record;
  }

  /** DescribeJob's `jobProcessDetails` (a copy). */
  processDetails(jobId: string): JobProcessDetails & { processingTargets: string[] } {
    const job = this.state(jobId);
    return {
      ...job.counts,
      processingTargets:
        job.record.status === 'IN_PROGRESS' && job.pendingTargets.length > 0
          ? [...job.record.targets]
          : [],
    };
  }

  listJobs(): JobRecord[] {
    return [...this.jobs.values()].map(j => j.record).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Current executions of a job (one per thing), optionally by status. */
  listExecutionsForJob(jobId: string, status?: JobExecutionStatus): JobExecutionRecord[] {
    return [...this.state(jobId).executions.values()].filter(
      e => status === undefined || e.status === status,
    );
  }

  /** Every execution of a thing (current ones), newest first. */
  listExecutionsForThing(thingName: string): JobExecutionRecord[] {
    const out: JobExecutionRecord[] = [];
    for (const job of this.jobs.values()) {
      const e = job.executions.get(thingName);
      if (e) out.push(e);
    }
    return out.sort((a, b) => b.queuedAt - a.queuedAt);
  }

  /** An execution of `jobId` on `thingName` (the current one, or `executionNumber`). */
  getExecution(jobId: string, thingName: string, executionNumber?: number): JobExecutionRecord {
    const current = this.state(jobId).executions.get(thingName);
    if (current && (executionNumber === undefined || current.executionNumber === executionNumber))
      return current;
    const old =
      executionNumber === undefined
        ? undefined
        : this.book.history
            .get(`${jobId}|${thingName}`)
            ?.find(e => e.executionNumber === executionNumber);
    if (!old)
      throw new JobsError(
        'ResourceNotFoundException',
        `job ${jobId} has no execution${executionNumber === undefined ? '' : ` number ${executionNumber}`} on thing ${thingName}`,
      );
    return old;
  }

  /** CancelJob (https://docs.aws.amazon.com/iot/latest/apireference/API_CancelJob.html). */
  cancelJob(
    jobId: string,
    options: { force?: boolean; reasonCode?: string; comment?: string } = {},
  ): JobRecord {
    const job = this.state(jobId);
    const status = job.record.status;
    if (status === 'COMPLETED')
      throw new JobsError(
        'InvalidRequestException',
        `job ${jobId} is COMPLETED and cannot be canceled`,
      );
    if (status === 'CANCELED' && (!options.force || job.record.forceCanceled)) return job.record;
    this.cancel(job, options.force ?? false, options.reasonCode, options.comment);
    return job.record;
  }

  private cancel(job: JobState, force: boolean, reasonCode?: string, comment?: string): void {
    const now = this.deps.now();
    const r = job.record;
    r.status = 'CANCELED';
    r.forceCanceled = force || undefined;
    if (reasonCode !== undefined) r.reasonCode = reasonCode;
    if (comment !== undefined) r.comment = comment;
    r.lastUpdatedAt = now;
    job.pendingTargets = [];
    for (const e of job.executions.values()) {
      if (e.status === 'QUEUED' || (force && e.status === 'IN_PROGRESS')) {
        if (e.status === 'IN_PROGRESS') e.forceCanceled = true;
        this.book.setStatus(job, e, 'CANCELED', now);
      }
    }
    this.emitJob(job, 'canceled');
  }

  /**
   * UpdateJob (https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateJob.html): the
   * settings a job may change after CreateJob. A new rollout rate applies from the next release,
   * a new timeout to executions that start afterwards, as on AWS.
   */
  updateJob(jobId: string, update: JobUpdate): JobRecord {
    const job = this.state(jobId);
    const now = this.deps.now();
    const changed = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    job.record = { ...job.record, ...changed, lastUpdatedAt: now };
    this.emitJob(job);
    this.release(job, now);
    return job.record;
  }

  /**
   * DeleteJob (https://docs.aws.amazon.com/iot/latest/apireference/API_DeleteJob.html): the job
   * and its executions go at once (AWS shows DELETION_IN_PROGRESS meanwhile; here deletion is
   * immediate), and its id may be used again. Without `force` only a COMPLETED or CANCELED job may
   * be deleted (InvalidStateTransitionException otherwise); with it, devices still working on the
   * job can no longer read or update their execution.
   */
  deleteJob(jobId: string, force: boolean): void {
    const job = this.state(jobId);
    const status = job.record.status;
    if (!force && status !== 'COMPLETED' && status !== 'CANCELED')
      throw new JobsError(
        'InvalidStateTransitionException',
        `job ${jobId} is ${status}: without force only COMPLETED or CANCELED jobs can be deleted`,
      );
    this.jobs.delete(jobId);
    const executions: JobExecutionRecord[] = [];
    for (const e of job.executions.values()) {
      executions.push(e, ...(this.book.history.get(`${jobId}|${e.thingName}`) ?? []));
      this.book.history.delete(`${jobId}|${e.thingName}`);
      this.book.timed.delete(e);
    }
    this.emit({ kind: 'jobDeleted', jobId, executions });
    for (const e of job.executions.values())
      if (this.book.pendingByThing.get(e.thingName)?.delete(jobId))
        this.emit({ kind: 'pending', thingName: e.thingName });
  }

  /** CancelJobExecution (API_CancelJobExecution): IN_PROGRESS needs `force`. */
  cancelExecution(
    jobId: string,
    thingName: string,
    options: {
      force?: boolean;
      expectedVersion?: number;
      statusDetails?: Record<string, string>;
    } = {},
  ): void {
    const job = this.state(jobId);
    const e = this.getExecution(jobId, thingName);
    if (options.expectedVersion !== undefined && options.expectedVersion !== e.versionNumber) {
      throw new JobsError(
        'VersionConflictException',
        `expectedVersion ${options.expectedVersion} does not match the execution's version ${e.versionNumber}`,
        executionStateOf(e),
      );
    }
    if (TERMINAL_EXECUTION_STATES.has(e.status))
      throw new JobsError(
        'InvalidStateTransitionException',
        `job execution ${jobId} on ${thingName} is ${e.status}`,
        executionStateOf(e),
      );
    if (e.status === 'IN_PROGRESS' && !options.force)
      throw new JobsError(
        'InvalidStateTransitionException',
        `job execution ${jobId} on ${thingName} is IN_PROGRESS; set force to cancel it`,
        executionStateOf(e),
      );
    if (options.statusDetails) e.statusDetails = { ...options.statusDetails };
    if (e.status === 'IN_PROGRESS') e.forceCanceled = true;
    const now = this.deps.now();
    this.book.setStatus(job, e, 'CANCELED', now);
    this.checkCompletion(job, now);
  }

  // ------------------------------------------------------------------ device side
  /** QUEUED and IN_PROGRESS executions of a thing, oldest first. */
  pendingExecutions(thingName: string): {
    inProgress: JobExecutionRecord[];
    queued: JobExecutionRecord[];
  } {
    const all: JobExecutionRecord[] = [];
    for (const jobId of this.book.pendingByThing.get(thingName) ?? []) {
      const e = this.jobs.get(jobId)?.executions.get(thingName);
      if (e && isPending(e.status)) all.push(e);
    }
    all.sort((a, b) => a.queuedAt - b.queuedAt || (a.jobId < b.jobId ? -1 : 1));
    return {
      inProgress: all.filter(e => e.status === 'IN_PROGRESS'),
      queued: all.filter(e => e.status === 'QUEUED'),
    };
  }

  /** The next pending execution: the oldest IN_PROGRESS one, else the oldest QUEUED one. */
  nextExecution(thingName: string): JobExecutionRecord | undefined {
    const { inProgress, queued } = this.pendingExecutions(thingName);
    return inProgress[0] ?? queued[0];
  }

  /** StartNextPendingJobExecution: the next execution, moved to IN_PROGRESS if it was QUEUED. */
  startNext(
    thingName: string,
    options: { statusDetails?: Record<string, string>; stepTimeoutInMinutes?: number } = {},
  ): JobExecutionRecord | undefined {
    const e = this.nextExecution(thingName);
    if (!e) return undefined;
    const job = this.state(e.jobId);
    const now = this.deps.now();
    if (options.statusDetails) e.statusDetails = { ...options.statusDetails };
    if (e.status === 'QUEUED') this.book.setStatus(job, e, 'IN_PROGRESS', now);
    else if (options.statusDetails) this.book.touch(e, now);
    this.book.setStepTimer(e, options.stepTimeoutInMinutes, now);
    return e;
  }

  /** UpdateJobExecution from the device. */
  updateExecution(
    thingName: string,
    jobId: string,
    update: {
      status: JobExecutionStatus;
      statusDetails?: Record<string, string>;
      expectedVersion?: number;
      executionNumber?: number;
      stepTimeoutInMinutes?: number;
    },
  ): JobExecutionRecord {
    const job = this.state(jobId);
    const e = this.getExecution(jobId, thingName, update.executionNumber);
    if (update.expectedVersion !== undefined && update.expectedVersion !== e.versionNumber) {
      throw new JobsError(
        'VersionConflictException',
        `expectedVersion ${update.expectedVersion} does not match the current version ${e.versionNumber} of job execution ${jobId} on ${thingName}`,
        executionStateOf(e),
      );
    }
    checkDeviceTransition(e, update.status);
    const now = this.deps.now();
    if (update.statusDetails) e.statusDetails = { ...update.statusDetails };
    if (update.status !== e.status) this.book.setStatus(job, e, update.status, now);
    else this.book.touch(e, now);
    if (e.status === 'IN_PROGRESS') this.book.setStepTimer(e, update.stepTimeoutInMinutes, now);
    if (TERMINAL_EXECUTION_STATES.has(e.status)) this.afterTerminal(job, e, now);
    return e;
  }

  // ------------------------------------------------------------------ group membership
  /** A thing's group membership changed: CONTINUOUS jobs reach it (or remove its queued execution). */
  thingMembershipChanged(thingName: string): void {
    const now = this.deps.now();
    for (const job of this.jobs.values()) {
      const r = job.record;
      if (
        r.targetSelection !== 'CONTINUOUS' ||
        (r.status !== 'IN_PROGRESS' && r.status !== 'SCHEDULED')
      )
        continue;
      const targeted = r.targets.some(t => this.isTargeted(t, thingName));
      const e = job.executions.get(thingName);
      if (targeted && !e && !job.pendingTargets.includes(thingName)) {
        job.pendingTargets.push(thingName);
        this.release(job, now);
        this.emitJob(job);
      } else if (!targeted && e?.status === 'QUEUED') {
        this.book.setStatus(job, e, 'REMOVED', now);
      } else if (!targeted && !e) {
        const i = job.pendingTargets.indexOf(thingName);
        if (i >= 0) job.pendingTargets.splice(i, 1);
      }
    }
  }

  private isTargeted(target: string, thingName: string): boolean {
    try {
      return this.deps.isTargeted
        ? this.deps.isTargeted(target, thingName)
        : this.deps.resolveTarget(target).includes(thingName);
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------------ time
  /** Runs what is due at the current time: scheduled starts and ends, rollout, timeouts. */
  tick(): void {
    const now = this.deps.now();
    for (const job of this.jobs.values()) {
      const r = job.record;
      if (
        r.status === 'SCHEDULED' &&
        parseScheduleTime(r.schedulingConfig!.startTime!, 'startTime') <= now
      ) {
        r.status = 'IN_PROGRESS';
        r.lastUpdatedAt = now;
        job.pacing = startPacing(r.jobExecutionsRolloutConfig, now);
        this.emitJob(job, 'started');
      }
      const end = r.schedulingConfig?.endTime;
      if (
        r.status === 'IN_PROGRESS' &&
        end !== undefined &&
        !job.endHandled &&
        parseScheduleTime(end, 'endTime') <= now
      ) {
        job.endHandled = true;
        // API_SchedulingConfig endBehavior: STOP_ROLLOUT (default), CANCEL, FORCE_CANCEL.
        const behavior = r.schedulingConfig?.endBehavior ?? 'STOP_ROLLOUT';
        if (behavior === 'STOP_ROLLOUT') {
          job.pendingTargets = [];
          this.emitJob(job);
        } else
          this.cancel(
            job,
            behavior === 'FORCE_CANCEL',
            undefined,
            `schedulingConfig.endTime reached (${behavior})`,
          );
      }
      this.release(job, now);
    }
    for (const e of [...this.book.timed]) {
      if (e.status !== 'IN_PROGRESS') {
        this.book.timed.delete(e);
        continue;
      }
      const due = Math.min(e.inProgressDeadline ?? Infinity, e.stepDeadline ?? Infinity);
      if (due <= now) {
        const job = this.state(e.jobId);
        this.book.setStatus(job, e, 'TIMED_OUT', now);
        this.afterTerminal(job, e, now);
      }
    }
    for (const job of this.jobs.values()) this.checkCompletion(job, now);
  }

  // ------------------------------------------------------------------ internals
  private release(job: JobState, now: number): void {
    const r = job.record;
    if (r.status !== 'IN_PROGRESS' || job.pendingTargets.length === 0 || !job.pacing) return;
    const windows = r.schedulingConfig?.maintenanceWindows;
    if (windows && windows.length > 0 && !inMaintenanceWindow(windows, now)) return;
    const allowance = rolloutAllowance(r.jobExecutionsRolloutConfig, job.pacing, now);
    const n = Math.min(allowance, job.pendingTargets.length);
    if (n === 0) return;
    const batch = job.pendingTargets.splice(0, n);
    for (const thingName of batch)
      if (!job.executions.has(thingName)) this.book.queue(job, thingName, 1, 0, now);
    recordNotified(job.pacing, batch.length);
    this.emitJob(job);
  }

  /** Retries, rollout increase, abort criteria and completion after an execution ended. */
  private afterTerminal(job: JobState, e: JobExecutionRecord, now: number): void {
    const r = job.record;
    if (e.status === 'SUCCEEDED' && job.pacing) recordSucceeded(job.pacing);
    if ((e.status === 'FAILED' || e.status === 'TIMED_OUT') && r.status === 'IN_PROGRESS') {
      const criteria = r.jobExecutionsRetryConfig?.criteriaList ?? [];
      const limit = Math.max(
        0,
        ...criteria
          .filter(c => c.failureType === 'ALL' || c.failureType === e.status)
          .map(c => c.numberOfRetries),
      );
      if (e.retryAttempt < limit) {
        this.book.historyOf(r.jobId, e.thingName).push(e);
        job.counts[COUNT_FIELD[e.status]]--;
        job.executions.delete(e.thingName);
        this.book.queue(job, e.thingName, e.executionNumber + 1, e.retryAttempt + 1, now);
        return;
      }
    }
    if (r.status === 'IN_PROGRESS') {
      const met = abortCriterionMet(r.abortConfig?.criteriaList, job.counts);
      if (met) {
        this.cancel(
          job,
          false,
          undefined,
          `abortConfig: ${met.failureType} executions reached ${met.thresholdPercentage}% after at least ${met.minNumberOfExecutedThings} things executed`,
        );
        return;
      }
    }
    this.checkCompletion(job, now);
  }

  private checkCompletion(job: JobState, now: number): void {
    const r = job.record;
    if (
      r.status !== 'IN_PROGRESS' ||
      r.targetSelection !== 'SNAPSHOT' ||
      job.pendingTargets.length > 0
    )
      return;
    if (job.counts.numberOfQueuedThings + job.counts.numberOfInProgressThings > 0) return;
    r.status = 'COMPLETED';
    r.completedAt = now;
    r.lastUpdatedAt = now;
    this.emitJob(job, 'completed');
  }

  private emitJob(job: JobState, operation?: JobOperation): void {
    this.listener({
      kind: 'job',
      job: {
        record: job.record,
        pendingTargets: job.pendingTargets,
        pacing: job.pacing,
        endHandled: job.endHandled,
      },
      operation,
    });
  }
}
