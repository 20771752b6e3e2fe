/**
 * The shadow topic family for the reserved-topic dispatcher:
 * `$aws/things/<thing>/shadow[/name/<name>]/(get|update|delete)`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html#reserved-topics-shadow).
 *
 * Inputs: the request payload (JSON; `clientToken`, `state`, `version`).
 * Outputs, published by the shadow service to every subscriber the policies let receive them (as
 * AWS does, not only to the requester): `<op>/accepted` or `<op>/rejected` (`{code, message,
 * timestamp, clientToken}`); for an accepted update also `update/documents` and, when desired
 * and reported differ, `update/delta`.
 * Error codes: 400, 404, 409, 413 (device-shadow-error-messages.html).
 * The broker has already checked iot:Publish on the request topic against the IoT policies.
 */
import type { ReservedTopicFamily } from '../broker/reserved-topics';
import { parseShadowPayload, ShadowError } from './shadow-document';
import { shadowTopicPrefix, type ShadowKey, type ShadowStore } from './shadow-store';

/** Publishes a JSON message from the broker itself (subject to each subscriber's iot:Receive). */
export type BrokerPublish = (topic: string, body: unknown) => Promise<void>;

/** Builds the shadow family. */
export function shadowFamily(deps: {
  shadows: ShadowStore;
  publish: BrokerPublish;
  nowMs?: () => number;
}): ReservedTopicFamily {
  const now = deps.nowMs ?? Date.now;
  return {
    name: 'shadow',
    pattern: /^\$aws\/things\/([^/]+)\/shadow\/(?:name\/([^/]+)\/)?(get|update|delete)$/,
    async handle(request) {
      const key: ShadowKey = { thingName: request.match[1], shadowName: request.match[2] };
      const operation = request.match[3];
      const prefix = `${shadowTopicPrefix(key)}/${operation}`;
      let clientToken: string | undefined;
      try {
        const body = parseShadowPayload(request.payload);
        if (typeof body.clientToken === 'string') clientToken = body.clientToken;
        if (operation === 'get')
          return await deps.publish(`${prefix}/accepted`, deps.shadows.get(key, body));
        if (operation === 'delete')
          return await deps.publish(`${prefix}/accepted`, deps.shadows.delete(key, body));
        const result = deps.shadows.update(key, body);
        await deps.publish(`${prefix}/accepted`, result.accepted);
        if (result.delta) await deps.publish(`${prefix}/delta`, result.delta);
        await deps.publish(`${prefix}/documents`, result.documents);
      } catch (error) {
        if (!(error instanceof ShadowError)) throw error;
        await deps.publish(`${prefix}/rejected`, {
          code: error.code,
          message: error.message,
          timestamp: Math.floor(now() / 1000),
          ...(clientToken === undefined ? {} : { clientToken }),
        });
      }
    },
  };
}
