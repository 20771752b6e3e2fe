/**
 * `@aws-sdk/client-iot-data-plane` operations (signing name `iotdata`): GetThingShadow,
 * UpdateThingShadow, DeleteThingShadow, ListNamedShadowsForThing and Publish
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_Operations_AWS_IoT_Data_Plane.html).
 * Shadow updates over HTTPS publish the same MQTT messages as updates over MQTT
 * (`/update/accepted`, `/update/delta`, `/update/documents`). Shadow error codes map to the
 * data-plane exceptions: 400 InvalidRequestException, 404 ResourceNotFoundException,
 * 409 ConflictException, 413 RequestEntityTooLargeException.
 */
import { JobsError, type IotExceptionType } from '../jobs/jobs-error';
import { parseShadowPayload, ShadowError } from '../shadows/shadow-document';
import { shadowTopicPrefix, type ShadowKey } from '../shadows/shadow-store';
import type { IotContext } from './iot-context';
import type { RestRoute } from './rest-json-router';

const SHADOW_EXCEPTION: Record<number, IotExceptionType> = {
  400: 'InvalidRequestException',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
};

function json(body: unknown): { raw: Buffer; contentType: string } {
  return { raw: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

async function shadowCall<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ShadowError)
      throw new JobsError(SHADOW_EXCEPTION[error.code] ?? 'InvalidRequestException', error.message);
    throw error;
  }
}

/** The routes, bound to the IoT context. */
export function dataPlaneRoutes(ctx: IotContext): RestRoute[] {
  const data = (
    operation: string,
    method: string,
    path: string,
    handle: RestRoute['handle'],
  ): RestRoute => ({ operation, method, path, signingName: 'iotdata', handle });
  const keyOf = (thingName: string, query: URLSearchParams): ShadowKey => ({
    thingName,
    shadowName: query.get('name') ?? undefined,
  });
  return [
    data('GetThingShadow', 'GET', '/things/{thingName}/shadow', ({ params, query }) =>
      shadowCall(() => json(ctx.shadows.get(keyOf(params.thingName, query), {}))),
    ),
    data('UpdateThingShadow', 'POST', '/things/{thingName}/shadow', ({ params, query, rawBody }) =>
      shadowCall(async () => {
        const key = keyOf(params.thingName, query);
        const result = ctx.shadows.update(key, parseShadowPayload(rawBody));
        const prefix = `${shadowTopicPrefix(key)}/update`;
        await ctx.publish(`${prefix}/accepted`, result.accepted);
        if (result.delta) await ctx.publish(`${prefix}/delta`, result.delta);
        await ctx.publish(`${prefix}/documents`, result.documents);
        return json(result.accepted);
      }),
    ),
    data('DeleteThingShadow', 'DELETE', '/things/{thingName}/shadow', ({ params, query }) =>
      shadowCall(async () => {
        const key = keyOf(params.thingName, query);
        const accepted = ctx.shadows.delete(key, {});
        await ctx.publish(`${shadowTopicPrefix(key)}/delete/accepted`, accepted);
        return json(accepted);
      }),
    ),
    data(
      'ListNamedShadowsForThing',
      'GET',
      '/api/things/shadow/ListNamedShadowsForThing/{thingName}',
      ({ params }) => ({
        results: ctx.shadows.namedShadows(params.thingName),
        timestamp: Math.floor(ctx.nowMs() / 1000),
      }),
    ),
    data('Publish', 'POST', '/topics/{topic+}', async ({ params, query, rawBody }) => {
      const qos = query.get('qos') === '1' ? 1 : 0;
      if (query.get('qos') !== null && !['0', '1'].includes(query.get('qos')!))
        throw new JobsError('InvalidRequestException', 'qos: AWS IoT supports 0 and 1');
      const retain = query.get('retain') === 'true';
      if (retain && params.topic.startsWith('$aws/'))
        throw new JobsError(
          'InvalidRequestException',
          `topic ${params.topic}: RETAIN is not allowed on reserved topics`,
        );
      await ctx.publishRaw(params.topic, rawBody, qos, retain);
      return {};
    }),
  ];
}
