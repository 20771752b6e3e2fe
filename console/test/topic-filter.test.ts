import { describe, expect, it } from 'vitest';
import { topicFilterProblem, topicMatches } from '../web/topic-filter';

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['$aws/things/+/shadow/update/documents', '$aws/things/t1/shadow/update/documents', true],
    ['$aws/things/+/shadow/update/documents', '$aws/things/t1/shadow/update/accepted', false],
    ['$aws/events/presence/connected/+', '$aws/events/presence/connected/t1', true],
    ['$aws/events/presence/connected/+', '$aws/events/presence/disconnected/t1', false],
    ['fleet/telemetry/#', 'fleet/telemetry', true],
    ['fleet/telemetry/#', 'fleet/telemetry/t1/temp', true],
    ['fleet/+', 'fleet/telemetry/t1', false],
    ['#', '$aws/events/presence/connected/t1', false],
    ['+/events/#', '$aws/events/job', false],
  ])('%s matches %s: %s', (filter, topic, want) => {
    expect(topicMatches(filter, topic)).toBe(want);
  });
});

describe('topicFilterProblem', () => {
  it('accepts well-formed filters and names what is wrong with others', () => {
    expect(topicFilterProblem('$aws/things/+/shadow/#')).toBeUndefined();
    expect(topicFilterProblem('')).toMatch(/empty/);
    expect(topicFilterProblem('a/#/b')).toMatch(
      /"#" must be a whole level and the last one \(level 2/,
    );
    expect(topicFilterProblem('a/b+')).toMatch(/"\+" must be a whole level \(level 2 is "b\+"\)/);
  });
});
