/**
 * The HTTPS jobs data plane for `@aws-sdk/client-iot-jobs-data-plane`
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_Operations_AWS_IoT_Jobs_Data_Plane.html):
 * GetPendingJobExecutions, StartNextPendingJobExecution, DescribeJobExecution,
 * UpdateJobExecution. Callers authenticate with their device certificate (mutual TLS); each
 * call is authorized by the certificate's IoT policies for the action (`iot:GetPendingJobExecutions`
 * …) on the thing's ARN, with thing policy variables resolved only when the certificate is
 * attached to the thing in the path (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html).
 * A version mismatch is a ConflictException (409) here; the MQTT API calls it VersionMismatch.
 */
import {
  optionalCount,
  parseExecutionUpdate,
  parseStatusDetails,
  parseStepTimeout,
} from '../jobs/execution-update';
import { JobsError } from '../jobs/jobs-error';
import { dataPlaneExecution, executionState, mqttSummary } from '../jobs/job-wire';
import type { IotContext } from './iot-context';
import type { RestRoute } from './rest-json-router';

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return value === true || value === 'true';
}

async function conflictsAsHttp<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof JobsError && error.type === 'VersionConflictException')
      throw new JobsError('ConflictException', error.message, error.executionState);
    throw error;
  }
}

/** The routes (signing name `iot-jobs-data`), bound to the IoT context. */
export function jobsDataPlaneRoutes(ctx: IotContext): RestRoute[] {
  const { engine } = ctx;
  const route = (
    operation: string,
    method: string,
    path: string,
    handle: RestRoute['handle'],
  ): RestRoute => ({ operation, method, path, signingName: 'iot-jobs-data', handle });
  const text = async (jobId: string): Promise<string> =>
    JSON.stringify(await ctx.documentFor(jobId));
  return [
    route('GetPendingJobExecutions', 'GET', '/things/{thingName}/jobs', ({ params }) => {
      const { inProgress, queued } = engine.pendingExecutions(params.thingName);
      return { inProgressJobs: inProgress.map(mqttSummary), queuedJobs: queued.map(mqttSummary) };
    }),
    route(
      'StartNextPendingJobExecution',
      'PUT',
      '/things/{thingName}/jobs/$next',
      async ({ params, body }) => {
        const e = engine.startNext(params.thingName, {
          statusDetails: parseStatusDetails(body.statusDetails),
          stepTimeoutInMinutes: parseStepTimeout(body.stepTimeoutInMinutes),
        });
        return e ? { execution: dataPlaneExecution(e, ctx.nowMs(), await text(e.jobId)) } : {};
      },
    ),
    route(
      'DescribeJobExecution',
      'GET',
      '/things/{thingName}/jobs/{jobId}',
      async ({ params, query }) => {
        const e =
          params.jobId === '$next'
            ? engine.nextExecution(params.thingName)
            : engine.getExecution(
                params.jobId,
                params.thingName,
                optionalCount(query.get('executionNumber'), 'executionNumber'),
              );
        if (!e)
          throw new JobsError(
            'ResourceNotFoundException',
            `thing ${params.thingName} has no pending job execution`,
          );
        return {
          execution: dataPlaneExecution(
            e,
            ctx.nowMs(),
            flag(query.get('includeJobDocument'), true) ? await text(e.jobId) : undefined,
          ),
        };
      },
    ),
    route('UpdateJobExecution', 'POST', '/things/{thingName}/jobs/{jobId}', ({ params, body }) =>
      conflictsAsHttp(async () => {
        const e = engine.updateExecution(
          params.thingName,
          params.jobId,
          parseExecutionUpdate(body),
        );
        return {
          ...(flag(body.includeJobExecutionState, false)
            ? { executionState: executionState(e) }
            : {}),
          ...(flag(body.includeJobDocument, false)
            ? { jobDocument: await text(params.jobId) }
            : {}),
        };
      }),
    ),
  ];
}

/** The IoT policy action of each data-plane operation. */
export const JOBS_DATA_PLANE_ACTIONS: Readonly<Record<string, string>> = {
  GetPendingJobExecutions: 'iot:GetPendingJobExecutions',
  StartNextPendingJobExecution: 'iot:StartNextPendingJobExecution',
  DescribeJobExecution: 'iot:DescribeJobExecution',
  UpdateJobExecution: 'iot:UpdateJobExecution',
};
