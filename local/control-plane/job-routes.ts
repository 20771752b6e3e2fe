/**
 * Control-plane jobs operations of `@aws-sdk/client-iot` (routes from the SDK model; shapes from
 * the AWS IoT API reference, https://docs.aws.amazon.com/iot/latest/apireference/):
 * CreateJob, DescribeJob, GetJobDocument, CancelJob, UpdateJob, DeleteJob, ListJobs, ListJobExecutionsForJob,
 * DescribeJobExecution, CancelJobExecution, ListJobExecutionsForThing, CreateJobTemplate,
 * DescribeJobTemplate, ListJobTemplates.
 */
import {
  MAX_JOB_DOCUMENT_CHARS,
  parseCreateJobRequest,
  parseJobConfig,
  requestFingerprint,
} from '../jobs/create-job-request';
import { parseStatusDetails } from '../jobs/execution-update';
import { JobsError } from '../jobs/jobs-error';
import {
  JOB_EXECUTION_STATUSES,
  type JobExecutionStatus,
  type JobStatus,
} from '../jobs/job-records';
import {
  controlPlaneExecution,
  controlPlaneExecutionSummary,
  controlPlaneJob,
  controlPlaneJobSummary,
  controlPlaneJobTemplate,
  toSeconds,
} from '../jobs/job-wire';
import { paginate, type IotContext } from './iot-context';
import { iotRoute, type RestRoute } from './rest-json-router';

const EXECUTION_STATUSES = new Set<string>(JOB_EXECUTION_STATUSES);
const JOB_STATUSES = new Set([
  'IN_PROGRESS',
  'CANCELED',
  'COMPLETED',
  'DELETION_IN_PROGRESS',
  'SCHEDULED',
]);

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new JobsError('InvalidRequestException', `${field}: expected a non-negative integer`);
  return n;
}

function statusFilter<T extends string>(
  value: string | null,
  allowed: Set<string>,
  field: string,
): T | undefined {
  if (value === null) return undefined;
  if (!allowed.has(value))
    throw new JobsError(
      'InvalidRequestException',
      `${field}: expected one of ${[...allowed].join(', ')}`,
    );
  return value as T;
}

/** The fields of an UpdateJob body (API_UpdateJob). */
const UPDATE_FIELDS = [
  'description',
  'presignedUrlConfig',
  'jobExecutionsRolloutConfig',
  'abortConfig',
  'timeoutConfig',
  'jobExecutionsRetryConfig',
] as const;

/** The routes, bound to the IoT context. */
export function jobRoutes(ctx: IotContext): RestRoute[] {
  const { engine, registry } = ctx;
  const iot = iotRoute;
  return [
    iot('CreateJob', 'PUT', '/jobs/{jobId}', async ({ params, body }) => {
      const now = ctx.nowMs();
      const template =
        typeof body.jobTemplateArn === 'string'
          ? engine.templates.byArn(body.jobTemplateArn)
          : undefined;
      const request = parseCreateJobRequest(params.jobId, body, now, template);
      let document = request.document;
      if (document === undefined) {
        document = await ctx.fetchDocumentSource(request.documentSource!);
        if (document.length > MAX_JOB_DOCUMENT_CHARS)
          throw new JobsError(
            'InvalidRequestException',
            `documentSource ${request.documentSource}: the document is ${document.length} characters, the maximum is ${MAX_JOB_DOCUMENT_CHARS}`,
          );
      }
      const { job } = engine.createJob({ ...request, document }, requestFingerprint(body));
      return {
        jobArn: job.jobArn,
        jobId: job.jobId,
        ...(job.description ? { description: job.description } : {}),
      };
    }),
    iot('DescribeJob', 'GET', '/jobs/{jobId}', ({ params }) => {
      const job = engine.getJob(params.jobId);
      return {
        ...(job.documentSource ? { documentSource: job.documentSource } : {}),
        job: controlPlaneJob(job, engine.processDetails(job.jobId)),
      };
    }),
    iot('GetJobDocument', 'GET', '/jobs/{jobId}/job-document', ({ params }) => ({
      document: engine.getJob(params.jobId).document,
    })),
    iot('CancelJob', 'PUT', '/jobs/{jobId}/cancel', ({ params, query, body }) => {
      const job = engine.cancelJob(params.jobId, {
        force: query.get('force') === 'true',
        reasonCode: typeof body.reasonCode === 'string' ? body.reasonCode : undefined,
        comment: typeof body.comment === 'string' ? body.comment : undefined,
      });
      return {
        jobArn: job.jobArn,
        jobId: job.jobId,
        ...(job.description ? { description: job.description } : {}),
      };
    }),
    iot('UpdateJob', 'PATCH', '/jobs/{jobId}', ({ params, body }) => {
      // Validated as CreateJob validates the same fields; only these fields are read.
      const config = parseJobConfig(
        Object.fromEntries(UPDATE_FIELDS.filter(f => f in body).map(f => [f, body[f]])),
        ctx.nowMs(),
      );
      engine.updateJob(params.jobId, {
        description: config.description,
        presignedUrlConfig: config.presignedUrlConfig,
        jobExecutionsRolloutConfig: config.jobExecutionsRolloutConfig,
        abortConfig: config.abortConfig,
        timeoutConfig: config.timeoutConfig,
        jobExecutionsRetryConfig: config.jobExecutionsRetryConfig,
      });
      return {};
    }),
    iot('DeleteJob', 'DELETE', '/jobs/{jobId}', ({ params, query }) => {
      engine.deleteJob(params.jobId, query.get('force') === 'true');
      return {};
    }),
    iot('ListJobs', 'GET', '/jobs', ({ query }) => {
      const status = statusFilter<JobStatus>(query.get('status'), JOB_STATUSES, 'status');
      const selection = query.get('targetSelection');
      const group = query.get('thingGroupName');
      const groupArn = group === null ? undefined : registry.arn(`thinggroup/${group}`);
      const jobs = engine
        .listJobs()
        .filter(
          j =>
            (!status || j.status === status) &&
            (!selection || j.targetSelection === selection) &&
            (!groupArn || j.targets.includes(groupArn)),
        );
      const { page, nextToken } = paginate(jobs, query.get('maxResults'), query.get('nextToken'));
      return { jobs: page.map(controlPlaneJobSummary), ...(nextToken ? { nextToken } : {}) };
    }),
    iot('ListJobExecutionsForJob', 'GET', '/jobs/{jobId}/things', ({ params, query }) => {
      const status = statusFilter<JobExecutionStatus>(
        query.get('status'),
        EXECUTION_STATUSES,
        'status',
      );
      const executions = engine
        .listExecutionsForJob(params.jobId, status)
        .sort((a, b) => (a.thingName < b.thingName ? -1 : 1));
      const { page, nextToken } = paginate(
        executions,
        query.get('maxResults'),
        query.get('nextToken'),
      );
      return {
        executionSummaries: page.map(e => ({
          thingArn: registry.arn(`thing/${e.thingName}`),
          jobExecutionSummary: controlPlaneExecutionSummary(e),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }),
    iot('DescribeJobExecution', 'GET', '/things/{thingName}/jobs/{jobId}', ({ params, query }) => {
      const e = engine.getExecution(
        params.jobId,
        params.thingName,
        optionalNumber(query.get('executionNumber') ?? undefined, 'executionNumber'),
      );
      return {
        execution: {
          ...controlPlaneExecution(e, registry.arn(`thing/${e.thingName}`), ctx.nowMs()),
          thingArn: registry.arn(`thing/${e.thingName}`),
        },
      };
    }),
    iot(
      'CancelJobExecution',
      'PUT',
      '/things/{thingName}/jobs/{jobId}/cancel',
      ({ params, query, body }) => {
        engine.cancelExecution(params.jobId, params.thingName, {
          force: query.get('force') === 'true',
          expectedVersion: optionalNumber(body.expectedVersion, 'expectedVersion'),
          statusDetails: parseStatusDetails(body.statusDetails),
        });
        return {};
      },
    ),
    iot('ListJobExecutionsForThing', 'GET', '/things/{thingName}/jobs', ({ params, query }) => {
      const status = statusFilter<JobExecutionStatus>(
        query.get('status'),
        EXECUTION_STATUSES,
        'status',
      );
      const executions = engine
        .listExecutionsForThing(params.thingName)
        .filter(e => !status || e.status === status);
      const { page, nextToken } = paginate(
        executions,
        query.get('maxResults'),
        query.get('nextToken'),
      );
      return {
        executionSummaries: page.map(e => ({
          jobId: e.jobId,
          jobExecutionSummary: controlPlaneExecutionSummary(e),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }),
    iot('CreateJobTemplate', 'PUT', '/job-templates/{jobTemplateId}', async ({ params, body }) => {
      // CreateJobTemplate takes maintenanceWindows at the top level (API_CreateJobTemplate).
      const config = parseJobConfig(
        {
          ...body,
          ...(body.maintenanceWindows
            ? { schedulingConfig: { maintenanceWindows: body.maintenanceWindows } }
            : {}),
        },
        ctx.nowMs(),
      );
      if (typeof body.jobArn === 'string') {
        const from = engine.getJob(body.jobArn.replace(/^.*:job\//, ''));
        Object.assign(config, { document: config.document ?? from.document });
      }
      const template = engine.templates.create(params.jobTemplateId, config);
      return { jobTemplateArn: template.jobTemplateArn, jobTemplateId: template.jobTemplateId };
    }),
    iot('DescribeJobTemplate', 'GET', '/job-templates/{jobTemplateId}', ({ params }) => {
      const t = engine.templates.get(params.jobTemplateId);
      const { schedulingConfig, ...rest } = controlPlaneJobTemplate(t) as Record<
        string,
        unknown
      > & { schedulingConfig?: { maintenanceWindows?: unknown } };
      return {
        ...rest,
        ...(schedulingConfig?.maintenanceWindows
          ? { maintenanceWindows: schedulingConfig.maintenanceWindows }
          : {}),
      };
    }),
    iot('ListJobTemplates', 'GET', '/job-templates', ({ query }) => {
      const { page, nextToken } = paginate(
        engine.templates.list(),
        query.get('maxResults'),
        query.get('nextToken'),
      );
      return {
        jobTemplates: page.map(t => ({
          jobTemplateArn: t.jobTemplateArn,
          jobTemplateId: t.jobTemplateId,
          description: t.description,
          createdAt: toSeconds(t.createdAt),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }),
  ];
}
