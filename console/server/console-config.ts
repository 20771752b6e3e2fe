/**
 * What the console's server needs to know, checked once at start (`loadConsoleConfig`): where the
 * AWS IoT APIs are (the local cloud's endpoints or AWS's), the MQTT-over-WebSocket URL the page
 * connects to, the credentials that sign it, and the Redis queues of the worker (rollouts).
 */

/** AWS credentials; `sessionToken` for temporary ones. */
export interface ConsoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ConsoleConfig {
  /** Where it came from (`<path>/local-cloud.json` or `environment`), for messages. */
  readonly source: string;
  readonly region: string;
  /** True for the local cloud (loopback WebSocket URL served as plain `ws://`). */
  readonly local: boolean;
  /** For the server's AWS SDK calls; absent: the SDK's default provider chain. */
  readonly credentials?: ConsoleCredentials;
  /** `@aws-sdk/client-iot` endpoint; absent: AWS's. */
  readonly iotEndpoint?: string;
  /** `@aws-sdk/client-iot-data-plane` endpoint; absent: `https://` + DescribeEndpoint `iot:Data-ATS`. */
  readonly iotDataEndpoint?: string;
  /** The broker's MQTT-over-WebSocket URL (`…/mqtt`); absent: `wss://` + DescribeEndpoint `iot:Data-ATS` + `/mqtt`. */
  readonly mqttWebSocketUrl?: string;
  /** Signs the page's WebSocket URL; absent: the default provider chain's (the console's role on AWS). */
  readonly browserCredentials?: ConsoleCredentials;
  /** The page's MQTT client id is this prefix and a random suffix (the console policy allows it). */
  readonly clientIdPrefix: string;
  /** Lifetime of a presigned WebSocket URL, seconds. */
  readonly urlExpiresSeconds: number;
  /** The worker's Redis and BullMQ key prefix (rollouts, operator actions). */
  readonly redisUrl: string;
  readonly queuePrefix: string;
}
