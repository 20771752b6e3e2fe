/**
 * The operator's web console: Fleet, Rollouts, Live topics and a page per device, switched by
 * the URL's hash (`#/fleet`, `#/rollouts`, `#/live`, `#/things/<name>`) so the server serves one
 * page. Live data comes from the broker over MQTT/WebSockets (`broker.ts`); the rest from the
 * server's routes (`api.ts`).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { broker } from './broker';
import { perFrame } from './format';
import { useBrokerState, useSubscription } from './hooks';
import { PRESENCE_FILTERS, PresenceBook } from './presence';
import { DeviceView } from './views/device-view';
import { FleetView } from './views/fleet-view';
import { LiveView } from './views/live-view';
import { RolloutsView } from './views/rollouts-view';

const presence = new PresenceBook();

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/fleet');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/fleet');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function BrokerBadge() {
  const state = useBrokerState();
  const label =
    state === 'connected'
      ? 'broker connected'
      : state === 'connecting'
        ? 'connecting…'
        : 'broker offline';
  return (
    <span
      class={`broker broker-${state}`}
      title={
        state === 'connected' ? `MQTT over WebSockets as ${broker.clientId}` : broker.lastError
      }
      data-broker={state}
    >
      <span class="dot" />
      {label}
    </span>
  );
}

function App() {
  const hash = useHash();
  const [, setRevision] = useState(0);
  const [rerender] = useState(() => perFrame(() => setRevision(presence.revision)));
  const onPresence = (topic: string, payload: Uint8Array) => {
    if (presence.apply(topic, payload)) rerender();
  };
  useSubscription(PRESENCE_FILTERS[0], onPresence);
  useSubscription(PRESENCE_FILTERS[1], onPresence);
  const thing = /^#\/things\/(.+)$/.exec(hash);
  const tab = thing ? 'fleet' : hash.slice(2);
  const link = (name: string, label: string) => (
    <a href={`#/${name}`} class={tab === name ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <span class="brand">esp32-fleet</span>
        <nav>
          {link('fleet', 'Fleet')}
          {link('rollouts', 'Rollouts')}
          {link('live', 'Live topics')}
        </nav>
        <BrokerBadge />
      </header>
      <main>
        {thing ? (
          <DeviceView thingName={decodeURIComponent(thing[1])} presence={presence} />
        ) : tab === 'rollouts' ? (
          <RolloutsView />
        ) : tab === 'live' ? (
          <LiveView />
        ) : (
          <FleetView presence={presence} />
        )}
      </main>
    </>
  );
}

broker.start();
render(<App />, document.getElementById('app')!);
