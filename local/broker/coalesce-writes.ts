/**
 * One TLS record and one `writev` per connection per turn of the event loop, instead of one per
 * MQTT packet. aedes writes every packet on its own (mqtt-packet corks only the pieces of a single
 * packet), so a device that sends four SUBSCRIBEs in one segment gets four SUBACK records, each
 * encrypted, written and read separately; on loopback each write also runs the receiving side's
 * TCP input in the sender's system call.
 *
 * The first write in a turn corks the socket and an immediate uncorks it, so everything written
 * for that connection while the current I/O events are handled leaves together (Node's TLSWrap
 * joins a multi-buffer write into one SSL_write). Packets are delayed by at most the rest of the
 * current loop turn; their order is unchanged; backpressure (`write()` returning false, `drain`)
 * works as before because corked writes count toward the socket's buffer.
 */
import type { Writable } from 'node:stream';

/** Installs write coalescing on one connection's socket (before any byte is written to it). */
export function coalesceWrites(socket: Writable): void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function coalescedWrite(
    this: Writable,
    ...args: Parameters<Writable['write']>
  ): boolean {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Writable['write'];
}
