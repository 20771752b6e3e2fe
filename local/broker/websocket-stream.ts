/**
 * An MQTT connection's byte stream over a `ws` WebSocket: `ws`'s own duplex adapter, plus
 * `_writev` so that writes made while the stream is corked leave as one binary frame.
 *
 * Why: mqtt-packet writes a packet in pieces (fixed header, topic, payload) between `cork()` and
 * an `uncork()` on the next tick (`writeToStream.js`). Without `_writev` every piece became its
 * own WebSocket frame — three or more frames, and as many `send` calls, per PUBLISH. MQTT over
 * WebSockets allows a packet to span frames (MQTT 3.1.1 §6.0), so both are correct; one frame per
 * burst is what TCP/TLS sockets get from corking too.
 */
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/** The duplex stream aedes reads MQTT packets from and writes them to. */
export function mqttWebSocketStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  stream._writev = (chunks, callback) => {
    ws.send(
      chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map(c => c.chunk as Buffer)),
      { binary: true },
      callback,
    );
  };
  return stream;
}
