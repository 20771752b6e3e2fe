/**
 * Whether a peer address is the loopback interface: IPv4 127/8, IPv6 `::1`, or IPv4-mapped 127/8
 * (`::ffff:127.0.0.1`, as a dual-stack socket reports an IPv4 peer). The local cloud's endpoints
 * trust such peers a little more (plain `ws://` on the WebSocket listener; `aws:SecureTransport` on
 * plain-HTTP S3), since they are on this machine.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
