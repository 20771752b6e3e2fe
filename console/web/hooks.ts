/** Small preact hooks the views share: the broker's state, a subscription, a polled resource. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { broker, type BrokerState, type MessageHandler } from './broker';

/** Re-renders on every broker state change. */
export function useBrokerState(): BrokerState {
  const [state, setState] = useState(broker.state);
  useEffect(() => broker.onChange(() => setState(broker.state)), []);
  return state;
}

/**
 * Subscribes `filter` while the component is mounted (undefined: nothing). The latest `handler`
 * is used without subscribing again. Returns whether the broker refused the filter.
 */
export function useSubscription(filter: string | undefined, handler: MessageHandler): boolean {
  const latest = useRef(handler);
  latest.current = handler;
  const [refused, setRefused] = useState(false);
  useEffect(() => {
    setRefused(false);
    if (!filter) return;
    return broker.subscribe(
      filter,
      (t, p) => latest.current(t, p),
      () => setRefused(true),
    );
  }, [filter]);
  return refused;
}

export interface Polled<T> {
  readonly data?: T;
  readonly error?: string;
  readonly loading: boolean;
  reload(): void;
}

/** Loads `load()` now, whenever `deps` change, and every `everyMs` (0: once). */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      latest
        .current()
        .then(
          data => live && setState({ data, loading: false }),
          (error: Error) => live && setState(s => ({ ...s, error: error.message, loading: false })),
        )
        .finally(() => {
          if (live && everyMs > 0) timer = setTimeout(run, everyMs);
        });
    };
    setState(s => ({ ...s, loading: true }));
    run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick, everyMs]);
  return { ...state, reload: () => setTick(t => t + 1) };
}
