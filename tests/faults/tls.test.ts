// TLS without SSH: the daemon serves wss:// with --tls-cert/--tls-key (a self-signed certificate
// made here with openssl), the client trusts it with --ca. Without --ca, or with another CA, the
// client refuses with one sentence and exit code 4 (the daemon could not prove who it is);
// mismatched schemes and half-given flags are one sentence too.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sameTree, spawnCli, startDaemon, tempDir, waitFor, writeText, type DaemonHandle } from '../helpers/index.js';

/** A self-signed certificate for localhost / 127.0.0.1 (or `altNames`), valid for two days. */
function makeCertificate(dir: string, name: string, altNames = 'IP:127.0.0.1,DNS:localhost'): { cert: string; key: string } {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', `subjectAltName=${altNames}`,
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1);

describe('wss:// with a self-signed certificate', () => {
  let certs: string;
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };
  let e: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    certs = tempDir('zync-certs-');
    good = makeCertificate(certs, 'daemon');
    other = makeCertificate(certs, 'other');
    e = tempDir('zync-e-');
    await writeText(path.join(e, 'a.txt'), 'over TLS\n');
    await writeText(path.join(e, 'sub/b.txt'), 'also over TLS\n');
    daemon = await startDaemon({ dirs: { docs: e }, args: ['--tls-cert', good.cert, '--tls-key', good.key] });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const client = (r: string, extra: string[]) =>
    runCli('client', [
      '--server', daemon.url, '--token', daemon.token, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, ...extra,
    ]);

  it('the daemon says it listens on wss://', () => {
    expect(daemon.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it('syncs a tree with --ca, and sends R\'s edit upstream over the same wss://', async () => {
    const r = tempDir('zync-r-');
    const once = await client(r, ['--ca', good.cert, '--once']);
    expect(once.code, once.stderr).toBe(0);
    await waitFor(() => sameTree(path.join(r, 'docs'), e), { what: 'R to match E' });
    await writeText(path.join(r, 'docs', 'a.txt'), 'edited on R\n');
    const up = await client(r, ['--ca', good.cert, '--update-upstream']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Staged 1 change upstream/);
  });

  it('a continuous client stays connected over wss:// across heartbeats and receives pushes', async () => {
    const r = tempDir('zync-r-');
    const client = spawnCli('client', [
      '--server', daemon.url, '--token', daemon.token, '--ca', good.cert, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--interval', '600',
    ]);
    try {
      await waitFor(() => sameTree(path.join(r, 'docs'), e), { what: 'the initial sync' });
      // Elapsed time is the property here: several heartbeat intervals (2 s) must pass on TLS
      // sockets without either side declaring the other silent.
      const started = Date.now();
      for (let i = 0; Date.now() - started < 7000; i++) {
        await writeText(path.join(e, `pushed-${i}.txt`), `push ${i}\n`);
        await waitFor(() => sameTree(path.join(r, 'docs'), e), { what: `pushed-${i}.txt on R` });
        await waitFor(() => Date.now() - started > (i + 1) * 1000, { intervalMs: 100 });
      }
      expect(client.stderr()).not.toMatch(/went silent|reconnecting/);
      expect(daemon.stderr()).not.toMatch(/went silent/);
      expect(client.stderr().match(/connected to wss:/g)).toHaveLength(1);
    } finally {
      await client.stop();
    }
  });

  it.each([
    { name: 'without --ca', extra: [] as string[] },
    { name: 'with another CA', extra: ['--ca', 'OTHER'] },
  ])('refuses $name with one sentence and exit code 4', async ({ extra }) => {
    const r = tempDir('zync-r-');
    const result = await client(r, [...extra.map((x) => (x === 'OTHER' ? other.cert : x)), '--once']);
    expect(result.code).toBe(4);
    expect(lastLine(result.stderr)).toBe(
      `zync-client: The daemon at ${daemon.url} presented a self-signed certificate, which this client does not trust; pass the daemon's certificate or its CA with --ca FILE.`,
    );
  });

  it('a certificate for another name, trusted with --ca, says which names it holds instead of asking for --ca', async () => {
    const elsewhere = makeCertificate(certs, 'elsewhere', 'DNS:e.example');
    const named = await startDaemon({ dirs: { docs: e }, args: ['--tls-cert', elsewhere.cert, '--tls-key', elsewhere.key] });
    try {
      const r = tempDir('zync-r-');
      const result = await runCli('client', [
        '--server', named.url, '--token', named.token, '--ca', elsewhere.cert, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once',
      ]);
      expect(result.code).toBe(4);
      expect(lastLine(result.stderr)).toBe(
        `zync-client: The daemon at ${named.url} presented a certificate that is for DNS:e.example, not 127.0.0.1; give --server a name the certificate holds, or give the daemon a certificate whose subjectAltName holds 127.0.0.1.`,
      );
    } finally {
      await named.stop();
    }
  });

  it('a continuous client without --ca stops (not retried forever)', async () => {
    const r = tempDir('zync-r-');
    const result = await client(r, []);
    expect(result.code).toBe(4);
  });

  it('wss:// to a daemon that serves plain ws:// is one sentence', async () => {
    const plain = await startDaemon({ dirs: { docs: e }, db: path.join(tempDir('zync-state-'), 'sync.db') });
    try {
      const r = tempDir('zync-r-');
      const result = await runCli('client', [
        '--server', plain.url.replace('ws:', 'wss:'), '--token', plain.token, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once',
      ]);
      expect(result.code).toBe(3);
      expect(lastLine(result.stderr)).toMatch(/^zync-client: Cannot reach the daemon at wss:.*: the TLS handshake failed \(does the daemon serve wss:\/\/ with --tls-cert\?\)\.$/);
    } finally {
      await plain.stop();
    }
  });

  it('ws:// to a daemon that serves wss:// is one sentence saying to use wss://', async () => {
    const r = tempDir('zync-r-');
    const result = await runCli('client', [
      '--server', daemon.url.replace('wss:', 'ws:'), '--token', daemon.token, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once',
    ]);
    expect(result.code).toBe(3);
    expect(lastLine(result.stderr)).toMatch(/^zync-client: Cannot reach the daemon at ws:.*: connection reset, and what answers there speaks TLS; the daemon serves wss:\/\/ \(--tls-cert\): give --server a wss:\/\/ address\.$/);
  });

  it('--ca with a ws:// address is refused', async () => {
    const r = tempDir('zync-r-');
    const result = await runCli('client', ['--server', 'ws://127.0.0.1:9', '--ca', good.cert, '--db', path.join(r, 'c.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once']);
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toBe('zync-client: --ca applies to wss:// addresses only; ws://127.0.0.1:9 is not encrypted.');
  });

  it('--ca naming a file that holds no certificate (the key, say) is refused before connecting', async () => {
    const r = tempDir('zync-r-');
    const result = await client(r, ['--ca', good.key, '--once']);
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toMatch(/^zync-client: The CA file .*daemon-key\.pem holds no PEM certificate \(-----BEGIN CERTIFICATE-----\): it holds a private key; give the certificate instead \(the key stays on E\)\.$/);
    expect(existsSync(path.join(r, 'client.db'))).toBe(false);
    expect(existsSync(path.join(r, 'docs'))).toBe(false);
  });

  it('the daemon refuses a TLS key every user may read, saying how to fix it', async () => {
    const key = path.join(certs, 'open-key.pem');
    copyFileSync(good.key, key);
    chmodSync(key, 0o644);
    const state = tempDir('zync-state-');
    const result = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--token', 't', '--dirs', `docs:${e}`, '--tls-cert', good.cert, '--tls-key', key]);
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toBe(`zync-daemon: The TLS key ${key} can be read by every user (mode 644); run chmod 600 ${key} (or 640 for a group that may read keys).`);
  });

  it.each([
    { name: 'only --tls-cert', args: () => ['--tls-cert', good.cert], message: /^zync-daemon: --tls-cert and --tls-key must be given together\.$/ },
    { name: 'a missing key file', args: () => ['--tls-cert', good.cert, '--tls-key', path.join(certs, 'nope.pem')], message: /^zync-daemon: The TLS key file .*nope\.pem cannot be read \(ENOENT\)\.$/ },
    { name: 'a key that does not belong to the certificate', args: () => ['--tls-cert', good.cert, '--tls-key', other.key], message: /^zync-daemon: .*daemon-cert\.pem and .*other-key\.pem are not a PEM certificate and its private key \(.*key values mismatch\)\.$/ },
    { name: 'a certificate that is not PEM', args: () => ['--tls-cert', path.join(certs, 'garbage.pem'), '--tls-key', good.key], message: /^zync-daemon: .*garbage\.pem and .*daemon-key\.pem are not a PEM certificate and its private key \(.*\)\.$/ },
  ])('the daemon refuses $name with one sentence', async ({ args, message }) => {
    writeFileSync(path.join(certs, 'garbage.pem'), 'not a certificate\n');
    const state = tempDir('zync-state-');
    const result = await runCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--token', 't', '--dirs', `docs:${e}`, ...args()]);
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toMatch(message);
  });
});
