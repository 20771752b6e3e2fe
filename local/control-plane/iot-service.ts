/**
 * The AWS IoT side beyond the broker, as one local-cloud service: the jobs engine (MQTT topics,
 * HTTPS jobs data plane, lifecycle events), device shadows (MQTT and HTTPS), the fleet index, and
 * the control plane for `@aws-sdk/client-iot` / `client-iot-data-plane` (SigV4 with the configured
 * credentials). State (jobs, executions, templates, shadows) lives in the state dir and survives
 * restarts. Publishes `endpoints.iot` (control plane and IoT data plane, HTTP on loopback) and
 * `endpoints.iotJobsData` (HTTPS, mutual TLS with the device certificate).
 */
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LocalService, LocalServiceContext } from '../local-cloud-config';
import { FleetIndex, type ConnectivityStatus } from '../fleet-index/fleet-index';
import { parseJobConfig } from '../jobs/create-job-request';
import { JobsEngine, type PersistedJob } from '../jobs/jobs-engine';
import { JobsError } from '../jobs/jobs-error';
import { lifecycleEvent } from '../jobs/jobs-events';
import { jobsFamily, JobsNotifier } from '../jobs/jobs-mqtt-handlers';
import type { JobExecutionRecord, JobTemplateRecord } from '../jobs/job-records';
import {
  hasPresignedUrlPlaceholder,
  parseS3ObjectUrl,
  substitutePresignedUrls,
  type PresignObjectUrl,
} from '../jobs/presigned-urls';
import { certificateIdOfDer } from '../pki/certificate-id';
import { shadowFamily } from '../shadows/shadow-handlers';
import { ShadowStore } from '../shadows/shadow-store';
import { SigV4Error, verifySigV4 } from '../sigv4';
import { JournaledStore } from '../state/journaled-store';
import { dataPlaneRoutes } from './data-plane-routes';
import { authorizeDevice } from './device-authorization';
import { defaultIotStackSettings, iotServiceAppliers } from './iot-appliers';
import { groupMembers, type IotContext } from './iot-context';
import { jobRoutes } from './job-routes';
import { JOBS_DATA_PLANE_ACTIONS, jobsDataPlaneRoutes } from './jobs-data-plane-routes';
import { registryRoutes } from './registry-routes';
import { clientCertificateDer, startRestJsonServer } from './rest-json-server';
import { RestJsonRouter } from './rest-json-router';

/** Options the local cloud does not decide for the IoT service. */
export interface IotServiceOptions {
  /** Clock of the jobs engine and shadows (tests move it to time executions out). @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue 0 */
  readonly controlPlanePort?: number;
  /** @defaultValue 0 */
  readonly jobsDataPort?: number;
  /**
   * S3 endpoint that presigned URLs in job documents point to. @defaultValue the local cloud's S3
   * service (`endpoints.s3`) when it runs; otherwise the S3 URL the job document names
   */
  readonly s3Endpoint?: string;
  /** How often time-driven job work runs (rollout, timeouts, schedules). @defaultValue 1000 ms */
  readonly tickMs?: number;
}

/** The IoT service plus handles for tests and benchmarks. */
export interface IotService extends LocalService {
  /** The running engine (after start). */
  engine(): JobsEngine;
  /** Runs the engine's time-driven work now. */
  tick(): void;
}

/** SigV4 failures in the words AWS REST-JSON services use (HTTP 403). */
function sigv4Refusal(error: SigV4Error): JobsError {
  const type =
    error.code === 'MissingAuthentication'
      ? 'MissingAuthenticationTokenException'
      : error.code === 'InvalidAccessKeyId'
        ? 'UnrecognizedClientException'
        : 'InvalidSignatureException';
  return new JobsError(type, error.message);
}

export function iotService(options: IotServiceOptions = {}): IotService {
  const settings = defaultIotStackSettings();
  let engineRef: JobsEngine | undefined;
  const now = options.now ?? Date.now;
  return {
    name: 'iot',
    appliers: iotServiceAppliers(settings),
    engine: () => {
      if (!engineRef) throw new Error('the IoT service has not started');
      return engineRef;
    },
    tick: () => engineRef?.tick(),
    async start(ctx: LocalServiceContext) {
      const { registry, broker } = ctx;
      const store = new JournaledStore(join(ctx.stateDir, 'jobs'));
      const shadows = new ShadowStore(ctx.stateDir, now);
      const connectivity = new Map<string, ConnectivityStatus>();
      broker.aedes.on('client', client =>
        connectivity.set(client.id, { connected: true, timestamp: Date.now() }),
      );
      broker.aedes.on('clientDisconnect', client =>
        connectivity.set(client.id, {
          connected: false,
          timestamp: Date.now(),
          disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
        }),
      );

      const publishRaw = (
        topic: string,
        payload: Buffer,
        qos: 0 | 1,
        retain: boolean,
      ): Promise<void> =>
        new Promise(resolve =>
          broker.aedes.publish(
            { cmd: 'publish', topic, payload, qos, retain, dup: false } as never,
            () => resolve(),
          ),
        );
      const publish = (topic: string, body: unknown): Promise<void> =>
        publishRaw(topic, Buffer.from(JSON.stringify(body)), 0, false);

      const engine = new JobsEngine({
        now,
        arn: resource => registry.arn(resource),
        resolveTarget(arn) {
          const thing = /:thing\/([^/]+)$/.exec(arn)?.[1];
          if (thing !== undefined) {
            if (!registry.getThing(thing))
              throw new JobsError(
                'ResourceNotFoundException',
                `target ${arn}: thing ${thing} does not exist`,
              );
            return [thing];
          }
          const group = /:thinggroup\/([^/]+)$/.exec(arn)?.[1];
          if (group === undefined)
            throw new JobsError(
              'InvalidRequestException',
              `targets: ${arn} is neither a thing nor a thing group ARN`,
            );
          if (!registry.getThingGroup(group))
            throw new JobsError(
              'ResourceNotFoundException',
              `target ${arn}: thing group ${group} does not exist`,
            );
          // A job for a group reaches the things of its child groups too.
          return groupMembers(registry, group);
        },
        isTargeted(arn, thingName) {
          const thing = registry.getThing(thingName);
          if (!thing) return false;
          const group = /:thinggroup\/([^/]+)$/.exec(arn)?.[1];
          if (group === undefined) return /:thing\/([^/]+)$/.exec(arn)?.[1] === thingName;
          // The thing's groups and their ancestors.
          const seen = new Set<string>();
          const stack = [...thing.thingGroupNames];
          while (stack.length > 0) {
            const name = stack.pop()!;
            if (name === group) return true;
            if (seen.has(name)) continue;
            seen.add(name);
            const parent = registry.getThingGroup(name)?.parentGroupName;
            if (parent) stack.push(parent);
          }
          return false;
        },
      });
      engine.restore(
        Object.values(store.all<PersistedJob>('jobs')),
        Object.values(store.all<JobExecutionRecord>('executions')),
        Object.values(store.all<JobTemplateRecord>('templates')),
      );
      engineRef = engine;

      // Presigned URLs for job documents: the local S3 when it runs, else the URL the document names.
      // (read at use: services started after this one, such as S3, are known by then).
      // The SDK modules are imported once (a dynamic import per presign went through the module
      // loader every time: ~5 % of the local cloud's CPU while 2,000 devices asked for their job).
      // A URL presigned within the same second for the same object and expiry is the same URL
      // (SigV4's X-Amz-Date has whole seconds), so one signature serves every device of that second.
      const s3Clients = new Map<string, import('@aws-sdk/client-s3').S3Client>();
      let presignModules:
        | Promise<
            [typeof import('@aws-sdk/client-s3'), typeof import('@aws-sdk/s3-request-presigner')]
          >
        | undefined;
      const presignedThisSecond = new Map<string, { second: number; url: Promise<string> }>();
      const presign: PresignObjectUrl = async (objectUrl, expiresInSec) => {
        const s3Endpoint = options.s3Endpoint ?? ctx.endpoints().s3;
        const second = Math.floor(Date.now() / 1000);
        const cacheKey = `${s3Endpoint}|${objectUrl}|${expiresInSec}`;
        const cached = presignedThisSecond.get(cacheKey);
        if (cached?.second === second) return cached.url;
        const url = presignNow(s3Endpoint, objectUrl, expiresInSec, second);
        if (presignedThisSecond.size > 256) presignedThisSecond.clear();
        presignedThisSecond.set(cacheKey, { second, url });
        url.catch(() => presignedThisSecond.delete(cacheKey));
        return url;
      };
      const presignNow = async (
        s3Endpoint: string | null | undefined,
        objectUrl: string,
        expiresInSec: number,
        second: number,
      ): Promise<string> => {
        const { bucket, key } = parseS3ObjectUrl(objectUrl);
        const [{ S3Client, GetObjectCommand }, { getSignedUrl }] = await (presignModules ??=
          Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]));
        const endpoint = s3Endpoint ?? new URL(objectUrl).origin;
        let client = s3Clients.get(endpoint);
        if (!client) {
          client = new S3Client({
            endpoint,
            region: ctx.region,
            credentials: ctx.credentials,
            forcePathStyle: true,
          });
          s3Clients.set(endpoint, client);
        }
        return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: expiresInSec,
          signingDate: new Date(second * 1000),
        });
      };
      const plainDocuments = new Map<string, unknown>();
      const documentFor = async (jobId: string): Promise<unknown> => {
        const cached = plainDocuments.get(jobId);
        if (cached !== undefined) return cached;
        const job = engine.getJob(jobId);
        const text = job.document ?? '{}';
        if (!hasPresignedUrlPlaceholder(text)) {
          const parsed: unknown = JSON.parse(text);
          plainDocuments.set(jobId, parsed);
          return parsed;
        }
        return substitutePresignedUrls(text, job.presignedUrlConfig?.expiresInSec ?? 3600, presign);
      };
      const fetchDocumentSource = async (url: string): Promise<string> => {
        let response: Response;
        try {
          response = await fetch(await presign(url, 60));
        } catch (error) {
          throw new JobsError(
            'InvalidRequestException',
            `documentSource ${url}: could not be read (${(error as Error).message})`,
          );
        }
        if (!response.ok)
          throw new JobsError(
            'InvalidRequestException',
            `documentSource ${url}: S3 answered ${response.status}`,
          );
        return response.text();
      };

      const index = new FleetIndex({
        registry,
        shadows,
        connectivity: thing => connectivity.get(thing),
        config: settings.indexing,
      });
      const jobsDeps = { engine, publish, nowMs: now, documentFor };
      const notifier = new JobsNotifier(jobsDeps);
      engine.onEvent(event => {
        switch (event.kind) {
          case 'job':
            store.set('jobs', event.job.record.jobId, event.job);
            break;
          case 'execution':
            store.set(
              'executions',
              `${event.execution.jobId}|${event.execution.thingName}|${event.execution.executionNumber}`,
              event.execution,
            );
            break;
          case 'template':
            store.set('templates', event.template.jobTemplateId, event.template);
            break;
          case 'templateDeleted':
            store.set('templates', event.jobTemplateId, null);
            break;
          case 'pending':
            notifier.pendingChanged(event.thingName);
            break;
          case 'jobDeleted':
            store.set('jobs', event.jobId, null);
            for (const e of event.executions)
              store.set('executions', `${e.jobId}|${e.thingName}|${e.executionNumber}`, null);
            break;
        }
        const lifecycle = lifecycleEvent(
          event,
          settings.events,
          thing => registry.arn(`thing/${thing}`),
          now(),
        );
        if (lifecycle) void publish(lifecycle.topic, lifecycle.body);
      });
      registry.onThingChanged(thing => engine.thingMembershipChanged(thing.thingName));

      // Job templates the stack declares (immutable on AWS: a changed one is replaced).
      for (const { id, body } of settings.jobTemplates) {
        const config = parseJobConfig(
          {
            ...body,
            ...(body.maintenanceWindows
              ? { schedulingConfig: { maintenanceWindows: body.maintenanceWindows } }
              : {}),
          },
          now(),
        );
        const existing = engine.templates.list().find(t => t.jobTemplateId === id);
        const fingerprint = (c: object) =>
          createHash('sha256').update(JSON.stringify(c)).digest('hex');
        if (existing) {
          const { jobTemplateId: _i, jobTemplateArn: _a, createdAt: _c, ...current } = existing;
          if (fingerprint(current) === fingerprint(config)) continue;
          engine.templates.delete(id);
        }
        engine.templates.create(id, config);
      }

      ctx.dispatcher
        .register(shadowFamily({ shadows, publish, nowMs: now }))
        .register(jobsFamily(jobsDeps));

      const iotCtx: IotContext = {
        engine,
        registry,
        shadows,
        index,
        nowMs: now,
        publish,
        // HTTPS Publish to a shadow request topic reaches the shadow service, as on AWS
        // (the broker itself only dispatches publishes made over MQTT).
        async publishRaw(topic, payload, qos, retain) {
          await publishRaw(topic, payload, qos, retain);
          const routed = ctx.dispatcher.route(topic);
          if (routed?.family.name !== 'shadow') return;
          await routed.family.handle({
            topic,
            match: routed.match,
            payload,
            clientId: 'iotdata-publish',
            certificateId: '',
            reply: async () => {},
          });
        },
        documentFor,
        fetchDocumentSource,
        endpoints: {},
      };
      const controlRouter = new RestJsonRouter().add(
        ...jobRoutes(iotCtx),
        ...registryRoutes(iotCtx),
        ...dataPlaneRoutes(iotCtx),
      );
      const control = await startRestJsonServer({
        name: 'iot',
        router: controlRouter,
        host: ctx.host,
        port: options.controlPlanePort ?? 0,
        log: ctx.log,
        authenticate(req: IncomingMessage, route, body) {
          try {
            return verifySigV4(
              { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
              { service: route.signingName, region: ctx.region, credentials: [ctx.credentials] },
              createHash('sha256').update(body).digest('hex'),
            );
          } catch (error) {
            if (error instanceof SigV4Error) throw sigv4Refusal(error);
            throw error;
          }
        },
      });
      const jobsData = await startRestJsonServer({
        name: 'iot-jobs-data',
        router: new RestJsonRouter().add(...jobsDataPlaneRoutes(iotCtx)),
        host: ctx.host,
        port: options.jobsDataPort ?? 0,
        log: ctx.log,
        tls: {
          keyPem: ctx.serverTls.keyPem,
          certPem: ctx.serverTls.certPem,
          caCertPem: ctx.serverTls.caCertPem,
          requestCert: true,
        },
        authenticate(req: IncomingMessage) {
          const der = clientCertificateDer(req);
          if (!der)
            throw new JobsError(
              'UnauthorizedException',
              'the jobs data plane needs a device certificate (mutual TLS)',
            );
          return certificateIdOfDer(der);
        },
        invoke(route, certificateId, request) {
          authorizeDevice(
            registry,
            certificateId,
            JOBS_DATA_PLANE_ACTIONS[route.operation],
            request.params.thingName,
          );
          return route.handle(request);
        },
      });
      Object.assign(iotCtx.endpoints, {
        'iot:Data-ATS': `localhost:${broker.port}`,
        'iot:Data': `localhost:${broker.port}`,
        'iot:Jobs': `localhost:${jobsData.port}`,
      });

      const timer = setInterval(() => engine.tick(), options.tickMs ?? 1000);
      timer.unref();
      return {
        endpoints: { iot: control.url, iotJobsData: jobsData.url },
        async close() {
          clearInterval(timer);
          await Promise.all([control.close(), jobsData.close()]);
          shadows.close();
          store.close();
          engineRef = undefined;
        },
      };
    },
  };
}
