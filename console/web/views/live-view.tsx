/**
 * Live topics: subscribe to a filter and watch messages arrive, newest first (what AWS calls the
 * MQTT test client). Straight from the broker; the console's IoT policy decides what may be
 * subscribed, and a refused filter says so.
 */
import { useState } from 'preact/hooks';
import { clock, perFrame } from '../format';
import { useSubscription } from '../hooks';
import { topicFilterProblem } from '../topic-filter';

interface Message {
  readonly n: number;
  readonly at: number;
  readonly topic: string;
  readonly text: string;
  readonly bytes: number;
}

/** Filters inside the console policy (`infra/console-policy-document.ts`). */
const SUGGESTED = [
  '$aws/things/+/shadow/update/documents',
  '$aws/events/presence/connected/+',
  '$aws/events/presence/disconnected/+',
  '$aws/events/job/#',
  '$aws/events/jobExecution/#',
  '$aws/things/+/jobs/notify-next',
  'fleet/telemetry/#',
];

/** Messages kept on the page. */
const KEEP = 300;

function pretty(payload: Uint8Array): string {
  const text = new TextDecoder().decode(payload);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function LiveView() {
  const [draft, setDraft] = useState('$aws/things/+/shadow/update/documents');
  const [filter, setFilter] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [paused, setPaused] = useState(false);
  const [buffer] = useState<{ list: Message[]; count: number }>(() => ({ list: [], count: 0 }));
  const [, setTick] = useState(0);
  const [rerender] = useState(() => perFrame(() => setTick(t => t + 1)));
  const refused = useSubscription(filter, (topic, payload) => {
    buffer.count += 1;
    if (paused) return;
    buffer.list.unshift({
      n: buffer.count,
      at: Date.now(),
      topic,
      text: pretty(payload),
      bytes: payload.length,
    });
    if (buffer.list.length > KEEP) buffer.list.length = KEEP;
    rerender();
  });
  const subscribe = (e: Event) => {
    e.preventDefault();
    const p = topicFilterProblem(draft.trim());
    setProblem(p);
    if (!p) {
      buffer.list = [];
      buffer.count = 0;
      setFilter(draft.trim());
    }
  };
  return (
    <section>
      <div class="title-row">
        <h1>Live topics</h1>
        <span class="summary">
          {filter ? `${buffer.count} messages on ${filter}` : 'not subscribed'}
        </span>
      </div>
      <form class="toolbar" onSubmit={subscribe}>
        <input
          class="wide mono"
          value={draft}
          onInput={e => setDraft((e.target as HTMLInputElement).value)}
          aria-label="topic filter"
          placeholder="topic filter, e.g. $aws/things/+/shadow/update/documents"
        />
        <button type="submit" class="primary">
          Subscribe
        </button>
        {filter && (
          <button type="button" onClick={() => setFilter(undefined)}>
            Unsubscribe
          </button>
        )}
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          onClick={() => {
            buffer.list = [];
            rerender();
          }}
        >
          Clear
        </button>
      </form>
      <p class="muted hint">
        The console's IoT policy allows:
        {SUGGESTED.map(f => (
          <button type="button" class="linkish mono" onClick={() => setDraft(f)}>
            {f}
          </button>
        ))}
      </p>
      {problem && <p class="error">{problem}</p>}
      {refused && (
        <p class="error">
          The broker refused {filter}: the console's IoT policy does not allow subscribing to it.
        </p>
      )}
      <div class="messages">
        {buffer.list.map(m => (
          <div class="message" key={m.n}>
            <div class="message-head">
              <span class="mono muted">{clock(m.at)}</span>
              <span class="mono topic">{m.topic}</span>
              <span class="muted">{m.bytes} B</span>
            </div>
            <pre>{m.text}</pre>
          </div>
        ))}
        {filter && buffer.list.length === 0 && (
          <p class="empty">Waiting for messages on {filter}…</p>
        )}
      </div>
    </section>
  );
}
