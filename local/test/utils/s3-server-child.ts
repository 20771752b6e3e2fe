/**
 * Runs a local S3 endpoint in its own process for crash tests: `node --import tsx
 * s3-server-child.ts <stateDir> <region> <accessKeyId> <secretAccessKey>`; prints
 * `{"url": …}` on one line once listening, then serves until killed.
 */
import { startS3Server } from '../../s3/s3-server';

const [stateDir, region, accessKeyId, secretAccessKey] = process.argv.slice(2);
const server = await startS3Server({
  stateDir,
  region,
  credentials: [{ accessKeyId, secretAccessKey }],
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
