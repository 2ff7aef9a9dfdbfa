// Whether the daemon's listening address lets other machines in while nothing encrypts the
// traffic. zync is meant to be reached through an SSH tunnel ending on loopback; ws:// on any
// other address carries the token and every file in clear over the network. Pure: the shell
// passes the address the socket was actually bound to (a --host name is resolved by then).
import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4'); // BlockList matches its IPv4-mapped forms too (::ffff:127.0.0.1)
loopback.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 and `localhost`; false for wildcards (0.0.0.0, ::), other addresses and other names. */
export function isLoopbackAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return host.toLowerCase() === 'localhost';
  return loopback.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The start-up warning for plain ws:// beyond loopback; null on loopback or with TLS.
 * `host` is --host as given, `address` the one bound (shown too when they differ).
 */
export function clearTextWarning(host: string, address: string, tls: boolean): string | null {
  if (tls || isLoopbackAddress(address)) return null;
  const where = host === address || host === '' ? address : `${host} (${address})`; // --host "" binds every interface
  return (
    `listening on ${where} without TLS: other machines can connect, and the token and every file cross the network unencrypted; ` +
    'listen on 127.0.0.1 (--host 127.0.0.1) and reach the daemon through the SSH tunnel, or serve wss:// with --tls-cert and --tls-key'
  );
}
