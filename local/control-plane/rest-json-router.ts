/**
 * A small router for AWS REST-JSON services (`@aws-sdk/client-iot`, `client-iot-data-plane`,
 * `client-iot-jobs-data-plane`): routes are the `http` traits of the SDK models (method and URI
 * template with `{label}` and greedy `{label+}`), e.g. `PUT /jobs/{jobId}` for CreateJob.
 */
import { JobsError } from '../jobs/jobs-error';

/** What a handler receives. */
export interface RestRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A handler's answer: a JSON body (status 200), or raw bytes. */
export type RestResponse =
  Record<string, unknown> | { readonly raw: Buffer; readonly contentType: string } | undefined;

/** One operation. */
export interface RestRoute {
  /** For logs and errors: the AWS operation name. */
  readonly operation: string;
  readonly method: string;
  /** URI template from the SDK model, e.g. `/things/{thingName}/jobs/{jobId}`. */
  readonly path: string;
  /** SigV4 signing name of the client that calls it (`iot`, `iotdata`, `iot-jobs-data`). */
  readonly signingName: string;
  handle(request: RestRequest): RestResponse | Promise<RestResponse>;
}

interface Compiled {
  readonly route: RestRoute;
  readonly regex: RegExp;
  readonly names: string[];
}

/** See the file header. */
/** A route of the IoT control plane (SigV4 signing name `iot`). */
export function iotRoute(
  operation: string,
  method: string,
  path: string,
  handle: RestRoute['handle'],
): RestRoute {
  return { operation, method, path, signingName: 'iot', handle };
}

export class RestJsonRouter {
  private readonly compiled: Compiled[] = [];

  add(...routes: RestRoute[]): this {
    for (const route of routes) {
      const names: string[] = [];
      const pattern = route.path
        .replace(/[.$^()|]/g, '\\$&')
        .replace(/\{([A-Za-z]+)(\+?)\}/g, (_m, name: string, greedy: string) => {
          names.push(name);
          return greedy ? '(.+)' : '([^/]+)';
        });
      this.compiled.push({ route, regex: new RegExp(`^${pattern}$`), names });
    }
    // Literal segments win over labels (`/thing-groups/addThingToThingGroup` before `/thing-groups/{name}`).
    this.compiled.sort(
      (a, b) =>
        b.route.path.replace(/\{[^}]+\}/g, '').length -
        a.route.path.replace(/\{[^}]+\}/g, '').length,
    );
    return this;
  }

  /** The route and decoded path parameters, or a JobsError (404 unknown path, 405-like wrong method). */
  match(method: string, rawPath: string): { route: RestRoute; params: Record<string, string> } {
    // `$next` may arrive percent-encoded; `$` never occurs in thing names or job ids.
    const path = rawPath.replace(/%24/gi, '$');
    let pathMatched = false;
    for (const c of this.compiled) {
      const m = c.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return { route: c.route, params };
    }
    throw new JobsError(
      pathMatched ? 'InvalidRequestException' : 'ResourceNotFoundException',
      `${method} ${path} is not an operation this local endpoint serves`,
    );
  }
}
