// Path attacks both ways. Toward R: a hostile daemon names paths with `..`, absolute paths,
// backslashes, NUL, newlines, percent-encoding (taken literally, never decoded) and paths through
// a symlink R has inside its root; R's client writes, creates and deletes nothing outside its
// root. A real daemon whose directory R has replaced by a symlink to elsewhere cannot make the
// client write through it either. Toward E: GET_FILE and UPSTREAM_FILE with the same list plus
// symlinks inside E's root that point out of it: the daemon never serves what lies outside, never
// stages through such a link, and zync-apply never writes through one that appeared after staging.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponse, type ChangeEntry } from '@zync/common';
import { connect, exists, runCli, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from '../client/fake-daemon.js';
import { clientArgs, waitForDaemonToSee, type ClientSetup } from '../client/support.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Every file below dir (relative path -> content), following nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [rel, entry] of Object.entries(await treeDigest(dir))) out[rel] = entry.kind === 'dir' ? 'dir' : entry.sha256!;
  return out;
}

describe('a hostile daemon naming unsafe paths', () => {
  const TOKEN = 'fake-token';
  let fake: FakeDaemon | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('cannot make the client write, create or delete anything outside its root; encoded names stay literal', async () => {
    const base = tempDir('zync-hostile-');
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    mkdirSync(root, { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'victim.txt'), 'R keeps this outside its root\n');
    symlinkSync(outside, path.join(root, 'link'));
    const before = await snapshot(outside);

    const evil = Buffer.from('pwned\n');
    const refused = [
      '../outside/escape.txt',
      '../../escape.txt',
      'a/../../outside/x.txt',
      '/etc/zync-evil.txt',
      `${outside}/abs.txt`,
      'a\\..\\..\\outside\\b.txt',
      '..\\outside\\c.txt',
      'nul.txt\u0000/../../outside/d.txt',
      'line\nbreak.txt',
      'carriage\rreturn.txt',
      'tab\there.txt',
      './dot.txt',
      'a//b.txt',
      'trailing/',
      'link/through-link.txt',
      'link/deeper/through-link.txt',
    ];
    // Literal names: percent signs and look-alike dots are ordinary characters.
    const literal = ['%2e%2e%2fpct.txt', '%2e%2e/pct-dir.txt', '..%2f..%2fpct2.txt', '%2E%2E%5Cpct3.txt', '\u2025/dot-leader.txt', 'ok.txt'];
    let seq = 0;
    const entries: ChangeEntry[] = [];
    const files: Record<string, Buffer> = {};
    for (const p of [...refused, ...literal]) {
      const content = literal.includes(p) ? Buffer.from(`literal ${p}\n`) : evil;
      entries.push(fileEntry(++seq, 'docs', p, content));
      files[`docs/${p}`] = content;
    }
    const dirEntry = (p: string, operation: 'add' | 'delete' = 'add'): ChangeEntry => ({
      sequence: ++seq, operation, kind: 'dir', base_dir: 'docs', path: p, checksum: null, size: 0, mtime: 1_700_000_000_000, mode: 0o755, timestamp: 1_700_000_000_000,
    });
    const deleteEntry = (p: string): ChangeEntry => ({ ...fileEntry(++seq, 'docs', p, Buffer.alloc(0)), operation: 'delete', checksum: null });
    entries.push(
      dirEntry('../outside/new-dir'),
      dirEntry('link/new-dir'),
      dirEntry('/tmp/zync-evil-dir'),
      deleteEntry('../outside/victim.txt'),
      deleteEntry('link/victim.txt'),
      dirEntry('link', 'delete'),
      fileEntry(++seq, 'secret', 'x.txt', evil),
    );
    fake = await startFakeDaemon({ token: TOKEN, dirs: ['docs', 'other'], changes: entries, files: { ...files, 'secret/x.txt': evil } });

    const result = await runCli('client', ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--once']);
    expect(result.code, result.stderr).toBe(0);
    expect(await snapshot(outside)).toEqual(before);
    expect(await exists('/etc/zync-evil.txt')).toBe(false);
    expect(await exists('/tmp/zync-evil-dir')).toBe(false);
    expect(lstatSync(path.join(root, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(root, 'link'))).toBe(outside);
    const tree = await treeDigest(root);
    expect(Object.keys(tree).sort()).toEqual(['%2E%2E%5Cpct3.txt', '%2e%2e', '%2e%2e%2fpct.txt', '%2e%2e/pct-dir.txt', '..%2f..%2fpct2.txt', 'ok.txt', '\u2025', '\u2025/dot-leader.txt'].sort());
    for (const p of literal) expect(await readFile(path.join(root, p), 'utf8')).toBe(`literal ${p}\n`);
    // Every refusal is reported (one line each), and the log is acknowledged past them.
    expect(result.stderr.match(/Refused path|symbolic link/g)?.length ?? 0).toBeGreaterThanOrEqual(refused.length);
    expect(fake.acks.at(-1)).toBe(seq);
  });
});

describe('R replaced a directory by a symlink pointing out of its root', () => {
  let e: string;
  let r: string;
  let outside: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  const once = () => runCli('client', clientArgs(setup, ['--once']));

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    outside = tempDir('zync-outside-');
    writeFileSync(path.join(outside, 'f.txt'), 'outside f\n');
    mkdirSync(path.join(e, 'sub/deeper'), { recursive: true });
    writeFileSync(path.join(e, 'sub/f.txt'), 'E f v1\n');
    writeFileSync(path.join(e, 'sub/deeper/g.txt'), 'E g v1\n');
    writeFileSync(path.join(e, 'top.txt'), 'E top v1\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('before the first sync: E\'s directory is created for real, R\'s link is kept aside, nothing written through it', async () => {
    symlinkSync(outside, path.join(r, 'sub'));
    const before = await snapshot(outside);
    const result = await once();
    expect(result.code, result.stderr).toBe(0);
    expect(await snapshot(outside)).toEqual(before);
    expect(lstatSync(path.join(r, 'sub')).isDirectory()).toBe(true);
    expect(await readFile(path.join(r, 'sub/f.txt'), 'utf8')).toBe('E f v1\n');
    expect(await readFile(path.join(r, 'sub/deeper/g.txt'), 'utf8')).toBe('E g v1\n');
    // R's symlink is R's own thing: kept beside, as a conflict copy, still pointing where it did.
    const kept = (await readdir(r)).filter((n) => n.startsWith('sub.zync-conflict-'));
    expect(kept).toHaveLength(1);
    expect(readlinkSync(path.join(r, kept[0]!))).toBe(outside);
  });

  it('after a sync: E\'s changes below the directory are not written through R\'s new link', async () => {
    // R moves the real directory away and puts a link to `outside` in its place.
    await rename(path.join(r, 'sub'), path.join(r, 'sub-moved'));
    await symlink(outside, path.join(r, 'sub'));
    const before = await snapshot(outside);
    await writeFile(path.join(e, 'sub/f.txt'), 'E f v2 — must not land outside R\n');
    await writeFile(path.join(e, 'sub/new.txt'), 'E new\n');
    await writeFile(path.join(e, 'sub/deeper/g.txt'), 'E g v2\n');
    await writeFile(path.join(e, 'top.txt'), 'E top v2\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await once();
    expect(await snapshot(outside)).toEqual(before);
    // Unrelated changes still arrive; the refused ones are reported.
    expect(await readFile(path.join(r, 'top.txt'), 'utf8')).toBe('E top v2\n');
    expect(lstatSync(path.join(r, 'sub')).isSymbolicLink()).toBe(true);
    expect(result.stderr).toMatch(/symbolic link/);
  });

  it('a file symlink on R is replaced, never written through', async () => {
    writeFileSync(path.join(outside, 'target.txt'), 'outside target\n');
    rmSync(path.join(r, 'top.txt'));
    symlinkSync(path.join(outside, 'target.txt'), path.join(r, 'top.txt'));
    const before = await snapshot(outside);
    await writeFile(path.join(e, 'top.txt'), 'E top v3\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await once();
    expect(await snapshot(outside)).toEqual(before);
    expect(lstatSync(path.join(r, 'top.txt')).isFile()).toBe(true);
    expect(await readFile(path.join(r, 'top.txt'), 'utf8')).toBe('E top v3\n');
    expect(result.stderr).not.toMatch(/unexpected error/);
    // R's link is kept beside (treeDigest lists no links, so look for it directly).
    const kept = (await readdir(r)).filter((n) => n.startsWith('top.zync-conflict-'));
    expect(kept).toHaveLength(1);
    expect(readlinkSync(path.join(r, kept[0]!))).toBe(path.join(outside, 'target.txt'));
  });
});

describe('toward the daemon: GET_FILE and UPSTREAM_FILE with unsafe paths', () => {
  let e: string;
  let outside: string;
  let daemon: DaemonHandle;
  let client: RawClient;
  const SECRET = 'OUTSIDE SECRET, never served\n';

  beforeAll(async () => {
    e = tempDir('zync-e-');
    outside = tempDir('zync-outside-');
    writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    writeFileSync(path.join(e, 'hello.txt'), 'hello\n');
    writeFileSync(path.join(e, '%2e%2e%2fsecret.txt'), 'a literal name inside E\n');
    mkdirSync(path.join(e, 'sub'));
    mkdirSync(path.join(e, 'sub2'));
    writeFileSync(path.join(e, 'sub/secret.txt'), 'X'.repeat(SECRET.length));
    symlinkSync(outside, path.join(e, 'link-out'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(e, 'file-link'));
    daemon = await startDaemon({ dirs: { w: e } });
    client = await connect(daemon.url, daemon.token);
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
  });

  const toOutside = () => path.relative(e, path.join(outside, 'secret.txt'));

  it.each([
    { name: 'parent traversal', p: () => toOutside(), code: 'UNSAFE_PATH' },
    { name: 'traversal after a real directory', p: () => `sub/../${toOutside()}`, code: 'UNSAFE_PATH' },
    { name: 'an absolute path', p: () => path.join(outside, 'secret.txt'), code: 'UNSAFE_PATH' },
    { name: 'backslashes', p: () => toOutside().replaceAll('/', '\\'), code: 'UNSAFE_PATH' },
    { name: 'a NUL byte', p: () => `hello.txt\u0000/${toOutside()}`, code: 'UNSAFE_PATH' },
    { name: 'a newline', p: () => 'hello.txt\n', code: 'UNSAFE_PATH' },
    { name: 'a percent-encoded traversal (literal, not in the log)', p: () => `%2e%2e%2f${toOutside().replaceAll('/', '%2f')}`, code: 'NOT_FOUND' },
    { name: 'a directory symlink to outside', p: () => 'link-out/secret.txt', code: 'NOT_FOUND' },
    { name: 'a file symlink to outside', p: () => 'file-link', code: 'NOT_FOUND' },
  ])('GET_FILE with $name -> $code, and no content', async ({ p, code }) => {
    const result = await client.getFile('w', p());
    expect(ErrorResponse.parse(result.header).code).toBe(code);
    expect(result.content.length).toBe(0);
  });

  it('GET_FILE takes a percent-encoded name literally', async () => {
    const result = await client.getFile('w', '%2e%2e%2fsecret.txt');
    expect(result.end).toMatchObject({ status: 'ok', operation: 'FILE_END' });
    expect(result.content.toString()).toBe('a literal name inside E\n');
  });

  it('GET_FILE of a logged file whose directory became a symlink to outside never serves the outside file', async () => {
    rmSync(path.join(e, 'sub'), { recursive: true });
    symlinkSync(outside, path.join(e, 'sub'));
    const result = await client.getFile('w', 'sub/secret.txt');
    expect(result.header.status).toBe('error');
    expect(['UNSAFE_PATH', 'NOT_FOUND', 'FILE_CHANGED']).toContain(result.header.code);
    expect(result.content.toString()).not.toContain('OUTSIDE');
  });

  it('UPSTREAM_FILE refuses every unsafe path, stages nothing through a link, and apply writes only inside E', async () => {
    const hello = await client.request('HELLO', { client_id: 'hostile-r', protocol: 2 });
    expect(hello.status).toBe('ok');
    const prepared = await client.request('PREPARE_UPSTREAM', { file_count: 2 });
    const stagingId = prepared.staging_id as string;
    const evil = Buffer.from('pwned\n');
    // Sent by hand (ids far from the raw client's own) so the body can carry the request's id.
    let nextId = 10_000;
    const send = (fields: Record<string, unknown>, body: Buffer | null) => {
      const id = nextId++;
      client.sendRaw(JSON.stringify({ operation: 'UPSTREAM_FILE', id, staging_id: stagingId, ...fields }));
      if (body && body.length) client.sendBinary(id, body);
      return client.nextMessage((m) => m.id === id);
    };
    const file = (p: string, base_dir = 'w') => ({ base_dir, path: p, checksum: sha256(evil), size: evil.length, base_checksum: null });
    const cases: { fields: Record<string, unknown>; body: Buffer | null; code: string }[] = [
      { fields: file(toOutside()), body: evil, code: 'UNSAFE_PATH' },
      { fields: file(path.join(outside, 'abs.txt')), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('..\\x.txt'), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('x.txt\u0000'), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('x\n.txt'), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('link-out/planted.txt'), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('sub/planted.txt'), body: evil, code: 'UNSAFE_PATH' },
      { fields: file('file-link'), body: evil, code: 'UNSAFE_PATH' },
      { fields: { ...file('link-out/secret.txt'), checksum: null, size: 0, delete: true }, body: null, code: 'UNSAFE_PATH' },
      { fields: { ...file('link-out/new-dir'), checksum: null, size: 0, kind: 'dir' }, body: null, code: 'UNSAFE_PATH' },
      { fields: file('x.txt', '..'), body: evil, code: 'UNKNOWN_BASE_DIR' },
    ];
    for (const c of cases) {
      const reply = await send(c.fields, c.body);
      expect({ path: c.fields.path, code: reply.code }).toEqual({ path: c.fields.path, code: c.code });
    }
    // Two good entries: a literal percent-encoded name, and a file in a real directory.
    expect(await send(file('%2e%2e%2fup.txt'), evil)).toMatchObject({ status: 'ok' });
    expect(await send(file('sub2/later.txt'), evil)).toMatchObject({ status: 'ok' });
    const finalized = await client.request('FINALIZE_UPSTREAM', { staging_id: stagingId });
    expect(finalized).toMatchObject({ status: 'ok', file_count: 2 });
    expect((await readdir(path.join(daemon.stateDir, 'zync-staging', stagingId))).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/\.blob$/)]));
    expect(await readdir(path.join(daemon.stateDir, 'zync-staging', stagingId))).toHaveLength(2);

    // Between staging and apply, E's sub2 becomes a symlink to outside: apply must not follow it.
    rmSync(path.join(e, 'sub2'), { recursive: true });
    symlinkSync(outside, path.join(e, 'sub2'));
    const before = await snapshot(outside);
    const applied = await runCli('apply', ['--db', daemon.db, 'apply', stagingId, '--non-interactive']);
    expect(await snapshot(outside)).toEqual(before);
    expect(await exists(path.join(outside, 'later.txt'))).toBe(false);
    // E's link in the way is a conflict (nothing changed without a person or --force) ...
    expect(applied.code).toBe(6);
    expect(applied.stderr).toMatch(/has 1 conflict \(first: w\/sub2\/later\.txt\); nothing was changed/);
    // ... and even --force keeps the link: nothing is written through it.
    const forced = await runCli('apply', ['--db', daemon.db, 'apply', stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("Kept E's symbolic link w/sub2: zync does not write through one, so R's w/sub2/later.txt was not applied.");
    expect(await snapshot(outside)).toEqual(before);
    expect(await exists(path.join(outside, 'later.txt'))).toBe(false);
  });
});
