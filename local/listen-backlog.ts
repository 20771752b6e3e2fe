/**
 * Pending connections the kernel may queue before an endpoint of the local cloud accepts them.
 * A fleet rebooting into a new release connects within a second or two, and devices notified of
 * a job open their download connections together. Node's default accept backlog (511) overflowed
 * then: the kernel dropped handshakes, and of 5,000 devices ~2,000 connects timed out and had to
 * be retried (after 1 s, 3 s, ...). The kernel caps the value at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;
