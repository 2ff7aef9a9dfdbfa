import { describe, expect, it } from 'vitest';
import { clearTextWarning, isLoopbackAddress } from './listen-exposure.js';

describe('isLoopbackAddress', () => {
  it.each<[string, string, boolean]>([
    ['the IPv4 wildcard listens on every interface', '0.0.0.0', false],
    ['the IPv6 wildcard too', '::', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['any address in 127.0.0.0/8', '127.0.0.2', true],
    ['the top of 127.0.0.0/8', '127.255.255.254', true],
    ['IPv6 loopback', '::1', true],
    ['IPv6 loopback written out', '0:0:0:0:0:0:0:1', true],
    ['IPv4 loopback mapped into IPv6', '::ffff:127.0.0.1', true],
    ['localhost', 'localhost', true],
    ['localhost in capitals', 'LOCALHOST', true],
    ['a LAN address', '192.168.1.5', false],
    ['a LAN address mapped into IPv6', '::ffff:192.168.1.5', false],
    ['an address just past 127.0.0.0/8', '128.0.0.1', false],
    ['a global IPv6 address', '2001:db8::1', false],
    ['a host name: may resolve anywhere', 'lab-box.example.org', false],
    ['a name that only starts like localhost', 'localhost.example.org', false],
  ])('%s: %s', (_why, host, expected) => {
    expect(isLoopbackAddress(host)).toBe(expected);
  });
});

describe('clearTextWarning', () => {
  it.each<[string, string, string, boolean, RegExp | null]>([
    ['loopback without TLS: no warning', '127.0.0.1', '127.0.0.1', false, null],
    ['localhost bound to ::1: no warning', 'localhost', '::1', false, null],
    ['every interface with TLS: no warning', '0.0.0.0', '0.0.0.0', true, null],
    ['every interface without TLS: warned', '0.0.0.0', '0.0.0.0', false, /^listening on 0\.0\.0\.0 without TLS: .*unencrypted; listen on 127\.0\.0\.1 .*SSH tunnel, or serve wss:\/\/ with --tls-cert and --tls-key$/],
    ['a name bound to a LAN address: both named', 'lab-box', '192.168.1.5', false, /^listening on lab-box \(192\.168\.1\.5\) without TLS/],
    ['a name bound to loopback: no warning', 'lab-box', '127.0.1.1', false, null],
    ['--host "" (every interface): the address bound', '', '::', false, /^listening on :: without TLS/],
  ])('%s', (_why, host, address, tls, expected) => {
    const warning = clearTextWarning(host, address, tls);
    if (expected === null) expect(warning).toBeNull();
    else expect(warning).toMatch(expected);
  });
});
