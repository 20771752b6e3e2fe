/**
 * The dispatcher for AWS's reserved `$aws/...` request topics (the broker calls it for every
 * authorized PUBLISH from a device). Each topic family — certificates, provisioning templates,
 * and in part 2 shadows and jobs — is one handler file registered here, as aedes dispatches
 * packets to `lib/handlers/*.js` by `cmd`.
 */

/** What a handler gets for one request. */
export interface ReservedRequest {
  readonly topic: string;
  /** Groups captured by the family's `pattern`. */
  readonly match: RegExpExecArray;
  readonly payload: Buffer;
  readonly clientId: string;
  /** Certificate the requesting connection authenticated with; undefined on a SigV4 WebSocket connection. */
  readonly certificateId: string | undefined;
  /**
   * Publishes a JSON reply to the requesting connection only (never to other subscribers), and
   * only if that connection subscribed to a matching filter and its policy allows iot:Receive.
   */
  reply(topic: string, body: unknown): Promise<void>;
}

/** One family of reserved topics. */
export interface ReservedTopicFamily {
  /** For logs, e.g. `create-from-csr`. */
  readonly name: string;
  readonly pattern: RegExp;
  handle(request: ReservedRequest): Promise<void>;
}

/** Routes a request topic to the first family whose pattern matches. */
export class ReservedTopicDispatcher {
  private readonly families: ReservedTopicFamily[] = [];

  /** Adds a family (later parts register shadows and jobs here). */
  register(family: ReservedTopicFamily): this {
    this.families.push(family);
    return this;
  }

  /** The family and match for `topic`, or undefined when no family serves it. */
  route(topic: string): { family: ReservedTopicFamily; match: RegExpExecArray } | undefined {
    for (const family of this.families) {
      const match = family.pattern.exec(topic);
      if (match) return { family, match };
    }
    return undefined;
  }
}
