import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateJobCommand, IoTClient } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtaError } from '../errors/ota-error';
import { buildJobDocument, parseJobDocument } from '../job-document';
import { s3ObjectUrl } from '../presigned-url-placeholder';
import {
  buildCreateJobInput,
  parseRolloutPlan,
  rolloutJobId,
  type CreateJobContext,
} from '../rollout-plan';
import { releaseIdOf } from '../release-manifest';
import { sampleManifest } from './sample-release';

const plansDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../plans');
const loadPlan = (name: string) =>
  parseRolloutPlan(readFileSync(resolve(plansDir, `${name}.json`), 'utf8'));

const manifest = sampleManifest();
const document = buildJobDocument(manifest, {
  objectUrl: s3ObjectUrl({
    region: 'eu-west-1',
    bucket: 'fleet-firmware-dev',
    key: `firmware/${manifest.sha256}.bin`,
  }),
});
const now = new Date('2026-11-23T10:00:20Z');
const ctx: CreateJobContext = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '123456789012',
  presignRoleArn: 'arn:aws:iam::123456789012:role/fleet-dev-ota-presign',
  expiresInSec: 3600,
  now,
};

/** The top-level members of the CreateJob request body, from the API reference's request syntax. */
const DOCUMENTED_BODY_MEMBERS = [
  'abortConfig',
  'description',
  'destinationPackageVersions',
  'document',
  'documentParameters',
  'documentSource',
  'jobExecutionsRetryConfig',
  'jobExecutionsRolloutConfig',
  'jobTemplateArn',
  'namespaceId',
  'presignedUrlConfig',
  'schedulingConfig',
  'tags',
  'targets',
  'targetSelection',
  'timeoutConfig',
];

describe('buildCreateJobInput', () => {
  it('maps the canary stage to CreateJob: group ARNs, document, presigning, rate, abort, timeout, retries', () => {
    const stage = loadPlan('canary-then-fleet').stages[0];
    const input = buildCreateJobInput(stage, document, ctx);
    const releaseId = releaseIdOf(manifest);
    expect(input).toEqual({
      jobId: `${releaseId}-canary`,
      targets: ['arn:aws:iot:eu-west-1:123456789012:thinggroup/canary'],
      document: expect.any(String),
      description: `OTA 1.4.0 (${releaseId}) to esp32, stage canary`,
      targetSelection: 'SNAPSHOT',
      presignedUrlConfig: { roleArn: ctx.presignRoleArn, expiresInSec: 3600 },
      tags: [
        { Key: 'esp32-fleet:release', Value: releaseId },
        { Key: 'esp32-fleet:stage', Value: 'canary' },
      ],
      jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
      abortConfig: {
        criteriaList: [
          {
            failureType: 'ALL',
            action: 'CANCEL',
            thresholdPercentage: 20,
            minNumberOfExecutedThings: 1,
          },
        ],
      },
      timeoutConfig: { inProgressTimeoutInMinutes: 60 },
      jobExecutionsRetryConfig: {
        criteriaList: [{ failureType: 'TIMED_OUT', numberOfRetries: 2 }],
      },
    });
    expect(parseJobDocument(input.document)).toEqual(document);
  });

  it('maps an exponential rate with its cap', () => {
    const input = buildCreateJobInput(loadPlan('exponential').stages[0], document, ctx);
    expect(input.jobExecutionsRolloutConfig).toEqual({
      exponentialRate: {
        baseRatePerMinute: 10,
        incrementFactor: 1.5,
        rateIncreaseCriteria: { numberOfSucceededThings: 50 },
      },
      maximumPerMinute: 1000,
    });
    expect(input.targetSelection).toBe('CONTINUOUS');
    // endAfterMinutes 10080 from now (no scheduled start), rounded up to the minute.
    expect(input.schedulingConfig).toEqual({
      endTime: '2026-11-30T10:01',
      endBehavior: 'STOP_ROLLOUT',
    });
  });

  it('makes a job with maintenance windows a scheduled job, 30 minutes ahead at the earliest', () => {
    const input = buildCreateJobInput(loadPlan('nightly').stages[0], document, ctx);
    expect(input.schedulingConfig).toEqual({
      startTime: '2026-11-23T10:31',
      maintenanceWindows: [{ startTime: 'cron(0 2 * * ? *)', durationInMinutes: 180 }],
    });
  });

  it('schedules a stage whose start is 30 minutes or more ahead, and starts one whose time has come', () => {
    const stage = loadPlan('canary-then-fleet').stages[1];
    const later = buildCreateJobInput(stage, document, {
      ...ctx,
      startAt: new Date('2026-11-24T02:00:00Z'),
    });
    expect(later.schedulingConfig).toEqual({ startTime: '2026-11-24T02:00' });
    const due = buildCreateJobInput(stage, document, {
      ...ctx,
      startAt: new Date('2026-11-23T09:00:00Z'),
    });
    expect(due.schedulingConfig).toBeUndefined();
  });

  it('refuses a start less than 30 minutes ahead, saying to create the job at that time', () => {
    const stage = loadPlan('canary-then-fleet').stages[1];
    expect(() =>
      buildCreateJobInput(stage, document, { ...ctx, startAt: new Date('2026-11-23T10:20:00Z') }),
    ).toThrow(
      /startAt: 2026-11-23T10:20:00.000Z is less than 30 minutes after now .* create the job at its start time instead/,
    );
  });

  it.each([
    ['expiresInSec', { expiresInSec: 30 }, 'expected an integer from 60 to 3600'],
    ['region', { region: 'Ireland' }, 'expected a region such as "eu-west-1"'],
    ['accountId', { accountId: '1234' }, 'expected 12 digits'],
    ['presignRoleArn', { presignRoleArn: 'fleet-role' }, 'expected an IAM role ARN'],
    ['startAt', { startAt: new Date('2028-01-01T00:00:00Z') }, 'more than 365 days ahead'],
  ])('refuses a bad context.%s, naming it', (field, patch, message) => {
    try {
      buildCreateJobInput(loadPlan('exponential').stages[0], document, { ...ctx, ...patch });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OtaError);
      expect((error as OtaError).field).toBe(field);
      expect((error as OtaError).message).toContain(message);
    }
  });

  it('passes a job template ARN through', () => {
    const arn = 'arn:aws:iot:eu-west-1:123456789012:jobtemplate/fleet-dev-ota';
    expect(
      buildCreateJobInput(loadPlan('exponential').stages[0], document, {
        ...ctx,
        jobTemplateArn: arn,
      }).jobTemplateArn,
    ).toBe(arn);
  });

  it('gives the same job id for the same release and stage, within AWS job id rules', () => {
    const stage = loadPlan('nightly').stages[1];
    const a = buildCreateJobInput(stage, document, ctx).jobId;
    const b = buildCreateJobInput(stage, document, {
      ...ctx,
      now: new Date('2026-12-01T00:00:00Z'),
    }).jobId;
    expect(a).toBe(b);
    expect(a).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(rolloutJobId('v' + 'x'.repeat(24) + '-' + 'f'.repeat(16), 's'.repeat(21))).toHaveLength(
      64,
    );
    expect(() => rolloutJobId('v1.4.0', 'canary')).toThrow(/breaks AWS's rules/);
  });

  it('targets groups, never things: the input does not grow with the fleet', () => {
    for (const name of ['canary-then-fleet', 'nightly', 'exponential']) {
      for (const stage of loadPlan(name).stages) {
        const input = buildCreateJobInput(stage, document, ctx);
        expect(input.targets).toHaveLength(stage.targets.length);
        for (const target of input.targets ?? [])
          expect(target).toMatch(
            /^arn:aws:iot:eu-west-1:123456789012:thinggroup\/[A-Za-z0-9:_-]+$/,
          );
      }
    }
  });
});

describe('CreateJob input on the wire (the real @aws-sdk/client-iot against a local HTTP server)', () => {
  let server: Server;
  let endpoint: string;
  const requests: { method: string; path: string; body: string }[] = [];

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((done, fail) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk as Buffer));
      req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      req.on('error', fail);
    });
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then(body => {
        requests.push({ method: req.method ?? '', path: req.url ?? '', body });
        const jobId = decodeURIComponent((req.url ?? '').split('/')[2] ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ jobArn: `arn:aws:iot:eu-west-1:123456789012:job/${jobId}`, jobId }),
        );
      });
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>(done => server.close(() => done()));
  });

  it('sends one PUT /jobs/<jobId> per stage whose body has only documented members', async () => {
    const client = new IoTClient({
      region: 'eu-west-1',
      endpoint,
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      maxAttempts: 1,
    });
    try {
      const plan = loadPlan('canary-then-fleet');
      for (const stage of plan.stages) {
        const input = buildCreateJobInput(stage, document, ctx);
        const output = await client.send(new CreateJobCommand(input));
        expect(output.jobId).toBe(input.jobId);
      }
    } finally {
      client.destroy();
    }
    expect(requests).toHaveLength(2);
    const [canary, fleet] = requests;
    expect(canary.method).toBe('PUT');
    expect(canary.path).toBe(`/jobs/${releaseIdOf(manifest)}-canary`);
    for (const request of requests) {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      expect(DOCUMENTED_BODY_MEMBERS).toEqual(expect.arrayContaining(Object.keys(body)));
      expect(typeof body.document).toBe('string');
      expect(parseJobDocument(body.document)).toEqual(document);
    }
    const fleetBody = JSON.parse(fleet.body) as Record<string, unknown>;
    expect(fleetBody.jobExecutionsRolloutConfig).toEqual({
      exponentialRate: {
        baseRatePerMinute: 20,
        incrementFactor: 2,
        rateIncreaseCriteria: { numberOfSucceededThings: 200 },
      },
      maximumPerMinute: 1000,
    });
    expect(fleetBody.targets).toEqual(['arn:aws:iot:eu-west-1:123456789012:thinggroup/fleet']);
    expect(fleetBody.presignedUrlConfig).toEqual({
      roleArn: ctx.presignRoleArn,
      expiresInSec: 3600,
    });
  });
});
