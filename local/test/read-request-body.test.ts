import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestBody } from '../read-request-body';

// A real HTTP server that echoes the body's length, or the error, with a 16-byte limit.
const server = createServer((req, res) => {
  readRequestBody(req, 16, message => new RangeError(message)).then(
    body => res.end(`ok ${body.length}`),
    (error: Error) => res.writeHead(413).end(`${error.name}: ${error.message}`),
  );
});
let url = '';
beforeAll(async () => {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

describe('readRequestBody', () => {
  it('returns a body up to the limit, in one buffer', async () => {
    const res = await fetch(url, { method: 'POST', body: 'x'.repeat(16) });
    expect(await res.text()).toBe('ok 16');
  });

  it("refuses a body over the limit with the caller's error", async () => {
    const res = await fetch(url, { method: 'POST', body: 'x'.repeat(17) });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('RangeError: request body exceeds 16 bytes');
  });
});
