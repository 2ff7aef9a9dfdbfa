// zync-client's state on a file system that records no owners: a FAT stick mounted umask=000
// without uid= (here a vfat image through fusefat) gives every file root's uid, whoever makes it.
// The user's own state then looks root's, yet SQLite's side files are as writable as the database,
// so the guard against another user's state (the daemon's, zync-apply's and the client's) must
// not refuse it. Needs root (mounting, setpriv), fusefat and mkfs.vfat (Debian: fusefat,
// dosfstools); skipped with the reason otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/index.js';

const OWNER = 65534; // nobody: R's user
const as = (uid: number) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
const TESTS = fileURLToPath(new URL('..', import.meta.url));
const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });

function fatUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: no vfat image can be mounted';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: fusefat cannot mount';
  for (const tool of ['fusefat', 'mkfs.vfat']) {
    try {
      run(['sh', '-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}
const unavailable = fatUnavailable();

/** Runs checkDatabaseAccess as `uid` in a node of its own: "ok" or the refusal's code and sentence. */
function checkAs(uid: number, db: string): string {
  const script = `import { checkDatabaseAccess } from '@zync/common';
try { checkDatabaseAccess(process.argv[1], 'client'); console.log('ok'); } catch (err) { console.log(err.code + ': ' + err.message); }`;
  return execFileSync(as(uid)[0]!, [...as(uid).slice(1), process.execPath, '--input-type=module', '-e', script, db], { cwd: TESTS, encoding: 'utf8' }).trim();
}

describe.skipIf(unavailable !== null)(`a client state where every file is root's${unavailable ? ` (${unavailable})` : ''}`, () => {
  let mount: string | undefined;

  beforeAll(() => {
    const image = path.join(tempDir('zync-fat-'), 'stick.img');
    run(['truncate', '-s', '16M', image]);
    run(['mkfs.vfat', image]);
    const dir = tempDir('zync-stick-');
    // allow_other, no default_permissions: every user may write, as on a stick mounted umask=000.
    run(['fusefat', '-o', 'rw+,allow_other', image, dir]);
    mount = dir;
  });
  afterAll(() => {
    if (mount) run(['fusermount', '-u', '-z', mount]);
  });

  // The real client cannot run on fusefat (its WAL index cannot be mapped there: "disk I/O
  // error"), so the guard is asked directly, as the client asks it before opening its state.
  it("lets its user open the state it made, which the stick says is root's, and leaves no probe", () => {
    const db = path.join(mount!, 'sync_client.db');
    execFileSync(as(OWNER)[0]!, [...as(OWNER).slice(1), 'sh', '-c', 'echo state > "$1"', 'sh', db]);
    expect(statSync(db).uid).toBe(0);
    // Before: PERMISSION_DENIED, "belongs to root (uid 0), not to nobody (uid 65534); run this as root".
    expect(checkAs(OWNER, db)).toBe('ok');
    expect(readdirSync(mount!)).toEqual(['sync_client.db']);
  });

  it("still refuses root's state where the file system records owners", () => {
    const dir = tempDir('zync-rstate-');
    chmodSync(dir, 0o777);
    const db = path.join(dir, 'sync_client.db');
    writeFileSync(db, 'state\n', { mode: 0o666 });
    expect(checkAs(OWNER, db)).toMatch(/^PERMISSION_DENIED: The database .* belongs to root \(uid 0\), not to nobody \(uid 65534\)/);
    expect(readdirSync(dir)).toEqual(['sync_client.db']);
  });
});
