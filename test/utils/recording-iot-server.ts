/**
 * A small stand-in for the AWS IoT control plane, for worker tests while the local cloud's own
 * control plane (issue 6) is not there yet: it answers `@aws-sdk/client-iot`'s CreateJob,
 * DescribeJob, CancelJob and GetStatistics over HTTP with AWS's REST-JSON shapes and error names,
 * records every call, and lets the test set each job's execution counts and the fleet-index
 * counts ("device outcomes"). Not SigV4-checked. Listens on 127.0.0.1:0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly operation: 'CreateJob' | 'DescribeJob' | 'CancelJob' | 'GetStatistics';
  readonly jobId?: string;
  readonly body: Record<string, unknown>;
  readonly query?: Record<string, string>;
}

export interface RecordedJob {
  readonly jobId: string;
  readonly request: Record<string, unknown>;
  status: 'IN_PROGRESS' | 'CANCELED' | 'COMPLETED';
  createdAt: number;
  counts: Partial<
    Record<
      | 'numberOfQueuedThings'
      | 'numberOfInProgressThings'
      | 'numberOfSucceededThings'
      | 'numberOfFailedThings'
      | 'numberOfRejectedThings'
      | 'numberOfTimedOutThings'
      | 'numberOfCanceledThings'
      | 'numberOfRemovedThings',
      number
    >
  >;
  comment?: string;
  reasonCode?: string;
}

export interface RecordingIotServer {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  readonly jobs: Map<string, RecordedJob>;
  /** Answers GetStatistics: the count for a query string. @defaultValue 0 */
  statistics: (queryString: string) => number;
  /** When it returns true for a CreateJob, the job is created but no response is ever sent (a crash window). */
  holdCreateJob: (jobId: string) => boolean;
  /** When it returns an error for a CreateJob, that error is answered and no job is made. */
  failCreateJob: (jobId: string) => { status: number; type: string; message: string } | undefined;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startRecordingIotServer(): Promise<RecordingIotServer> {
  const calls: RecordedCall[] = [];
  const jobs = new Map<string, RecordedJob>();
  const held: ServerResponse[] = [];
  const state: RecordingIotServer = {
    endpoint: '',
    calls,
    jobs,
    statistics: () => 0,
    holdCreateJob: () => false,
    failCreateJob: () => undefined,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const cancel = /^\/jobs\/([^/]+)\/cancel$/.exec(url.pathname);
    const job = /^\/jobs\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'PUT' && job) {
      const jobId = decodeURIComponent(job[1]);
      calls.push({ operation: 'CreateJob', jobId, body });
      const failure = state.failCreateJob(jobId);
      if (failure) return send(res, failure.status, { message: failure.message }, failure.type);
      if (jobs.has(jobId))
        return send(
          res,
          409,
          { message: `Job ${jobId} already exists`, resourceId: jobId },
          'ResourceAlreadyExistsException',
        );
      jobs.set(jobId, {
        jobId,
        request: body,
        status: 'IN_PROGRESS',
        createdAt: Date.now(),
        counts: {},
      });
      if (state.holdCreateJob(jobId)) {
        held.push(res);
        return;
      }
      return send(res, 200, {
        jobId,
        jobArn: `arn:aws:iot:eu-west-1:000000000000:job/${jobId}`,
        description: body.description,
      });
    }
    if (req.method === 'GET' && job) {
      const jobId = decodeURIComponent(job[1]);
      calls.push({ operation: 'DescribeJob', jobId, body });
      const j = jobs.get(jobId);
      if (!j)
        return send(
          res,
          404,
          { message: `Job ${jobId} does not exist` },
          'ResourceNotFoundException',
        );
      return send(res, 200, {
        documentSource: undefined,
        job: {
          jobId,
          jobArn: `arn:aws:iot:eu-west-1:000000000000:job/${jobId}`,
          status: j.status,
          targets: j.request.targets,
          targetSelection: j.request.targetSelection,
          createdAt: j.createdAt / 1000,
          lastUpdatedAt: Date.now() / 1000,
          comment: j.comment,
          reasonCode: j.reasonCode,
          jobProcessDetails: j.counts,
        },
      });
    }
    if (req.method === 'PUT' && cancel) {
      const jobId = decodeURIComponent(cancel[1]);
      calls.push({ operation: 'CancelJob', jobId, body, query });
      const j = jobs.get(jobId);
      if (!j)
        return send(
          res,
          404,
          { message: `Job ${jobId} does not exist` },
          'ResourceNotFoundException',
        );
      if (j.status === 'COMPLETED')
        return send(
          res,
          400,
          { message: `Job ${jobId} is already completed` },
          'InvalidRequestException',
        );
      j.status = 'CANCELED';
      j.comment = body.comment as string | undefined;
      j.reasonCode = body.reasonCode as string | undefined;
      return send(res, 200, { jobId, jobArn: `arn:aws:iot:eu-west-1:000000000000:job/${jobId}` });
    }
    if (req.method === 'POST' && url.pathname === '/indices/statistics') {
      calls.push({ operation: 'GetStatistics', body });
      return send(res, 200, { statistics: { count: state.statistics(String(body.queryString)) } });
    }
    send(
      res,
      404,
      { message: `no route ${req.method} ${url.pathname}` },
      'ResourceNotFoundException',
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  (state as { endpoint: string }).endpoint =
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
