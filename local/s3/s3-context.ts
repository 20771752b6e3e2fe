import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SigV4Identity } from '../sigv4';
import type { BucketState, ObjectStore } from './object-store';

/** One authenticated S3 request, as handlers see it. */
export interface S3Context {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly store: ObjectStore;
  readonly identity: SigV4Identity;
  /** Path-style bucket name (first path segment, decoded). */
  readonly bucket: string;
  /** Object key (rest of the path, decoded), '' for bucket requests. */
  readonly key: string;
  readonly query: URLSearchParams;
  readonly requestId: string;
  readonly region: string;
  readonly now: () => number;
}

/** The bucket of the request, or NoSuchBucket. */
export type RequireBucket = (ctx: S3Context) => BucketState;
