import { describe, expect, it } from 'vitest';
import {
  applyShadowUpdate,
  parseShadowUpdate,
  shadowDelta,
  shadowGetResponse,
  deleteShadow,
  ShadowError,
} from '../shadows/shadow-document';

const T = 1_767_225_600;
const update = (
  current: Parameters<typeof applyShadowUpdate>[0],
  body: Record<string, unknown>,
  ts = T,
) => applyShadowUpdate(current, parseShadowUpdate(body), ts);

// Examples in the shape of https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html
describe('shadow documents', () => {
  it('merges updates, deletes with null and keeps a timestamp per leaf', () => {
    const first = update(undefined, {
      state: { reported: { color: 'red', engine: { on: true, rpm: 900 } } },
    });
    expect(first.record).toMatchObject({
      version: 1,
      state: { reported: { color: 'red', engine: { on: true, rpm: 900 } } },
    });
    expect(first.record.metadata.reported).toEqual({
      color: { timestamp: T },
      engine: { on: { timestamp: T }, rpm: { timestamp: T } },
    });
    const second = update(
      first.record,
      { state: { reported: { engine: { rpm: null }, color: 'green' } } },
      T + 5,
    );
    expect(second.record.state.reported).toEqual({ color: 'green', engine: { on: true } });
    expect(second.record.metadata.reported).toEqual({
      color: { timestamp: T + 5 },
      engine: { on: { timestamp: T } },
    });
    expect(second.documents).toMatchObject({
      previous: { version: 1 },
      current: { version: 2 },
      timestamp: T + 5,
    });
    const third = update(second.record, { state: { desired: { color: 'blue' } } });
    expect(update(third.record, { state: { desired: null } }).record.state.desired).toBeUndefined();
  });

  it('computes the delta per key for objects and whole for arrays', () => {
    expect(
      shadowDelta(
        { a: 1, b: { c: 2, d: 3 }, list: [1, 2] },
        { a: 1, b: { c: 2, d: 4 }, list: [1] },
      ),
    ).toEqual({ b: { d: 3 }, list: [1, 2] });
    expect(shadowDelta({ a: 1 }, { a: 1, extra: true })).toBeUndefined();
    const r = update(undefined, {
      state: { desired: { led: 'on' }, reported: { led: 'off' } },
      clientToken: 'tok',
    });
    expect(r.delta).toEqual({
      version: 1,
      timestamp: T,
      state: { led: 'on' },
      metadata: { led: { timestamp: T } },
      clientToken: 'tok',
    });
    expect(shadowGetResponse(r.record, 'thing', T, 'g')).toMatchObject({
      state: { delta: { led: 'on' } },
      clientToken: 'g',
    });
  });

  it('refuses what the shadow service refuses, with its codes and messages', () => {
    const refuse = (
      body: Record<string, unknown>,
      current?: Parameters<typeof applyShadowUpdate>[0],
    ) => {
      try {
        update(current, body);
      } catch (error) {
        return [(error as ShadowError).code, (error as ShadowError).message];
      }
      return undefined;
    };
    expect(refuse({})).toEqual([400, 'Missing required node: state']);
    expect(refuse({ state: 'x' })).toEqual([400, 'State node must be an object']);
    expect(refuse({ state: { desired: [1] } })).toEqual([400, 'Desired node must be an object']);
    expect(refuse({ state: { other: {} } })).toEqual([
      400,
      "State contains an invalid node: 'other'",
    ]);
    expect(
      refuse({ state: { reported: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }),
    ).toEqual([400, 'JSON contains too many levels of nesting; maximum is 6']);
    expect(
      refuse({ state: { reported: { a: { b: { c: { d: { e: { f: 1 } } } } } } } }),
    ).toBeUndefined();
    expect(refuse({ state: { reported: { big: 'x'.repeat(8200) } } })).toEqual([
      413,
      'The payload exceeds the maximum size allowed',
    ]);
    expect(
      refuse({ state: { reported: {} }, version: 3 }, { state: {}, metadata: {}, version: 2 }),
    ).toEqual([409, 'Version conflict']);
    expect(refuse({ state: {}, clientToken: 'x'.repeat(65) })?.[0]).toBe(400);
  });

  it('continues the version after a delete', () => {
    const r = update(undefined, { state: { reported: { a: 1 } } });
    const deleted = deleteShadow(r.record, 'thing', T);
    expect(deleted.accepted).toEqual({ version: 1, timestamp: T });
    expect(() => shadowGetResponse(deleted.record, 'thing', T)).toThrow(
      "No shadow exists with name: 'thing'",
    );
    expect(update(deleted.record, { state: { reported: { a: 2 } } }).record.version).toBe(2);
  });
});
