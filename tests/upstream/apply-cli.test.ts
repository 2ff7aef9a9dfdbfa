// zync-apply's command line as a script sees it: every refusal is one sentence on stderr with
// its exit status (README "Exit codes"), never a stack trace — a repeated option included; a
// --db that is not the daemon's is refused, not made one.
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonStore } from '@zync/daemon';
import { runCli, sha256File, tempDir } from '../helpers/index.js';

const apply = (args: readonly string[]) => runCli('apply', args);

describe('zync-apply: bad command lines', () => {
  it.each<[string, string[], number, RegExp]>([
    ['a database that does not exist', ['--db', '/nonexistent/sync.db', 'list'], 2, /No zync database at \/nonexistent\/sync\.db/],
    ['--db given twice', ['--db', 'a.db', '--db', 'b.db', 'list'], 2, /--db was given more than once/],
    ['--db given twice, after the command', ['show', 'X', '--db', 'a.db', '--db', 'b.db'], 2, /--db was given more than once/],
    ['no command', [], 2, /Name a command: list, show, apply or discard\./],
    ['show without a session ID', ['show'], 2, /^zync-apply: Name the session by its ID, as zync-apply list shows it\.\n$/],
    ['apply without a session ID', ['apply', '--force'], 2, /^zync-apply: Name the session by its ID, as zync-apply list shows it\.\n$/],
    ['--db without its value', ['list', '--db'], 2, /^zync-apply: --db needs a value\.\n$/],
    ['an unknown command', ['--db', '/nonexistent/sync.db', 'frob'], 2, /^zync-apply: Unknown command "frob"; use list, show, apply or discard\.\n$/],
  ])('%s', async (_d, args, code, message) => {
    const result = await apply(args.map((a) => (a.endsWith('.db') && !a.startsWith('/') ? path.join(tempDir(), a) : a)));
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  // As --dirs does: a quoted or `--db=~/...` ~ reaches zync unexpanded, and named a folder "~".
  it('expands a leading ~ in --db to the home directory', async () => {
    const home = tempDir('zync-home-');
    const cwd = tempDir('zync-cwd-');
    const result = await runCli('apply', ['--db', '~/nosuch.db', 'list'], { env: { HOME: home }, cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`zync-apply: No zync database at ${path.join(home, 'nosuch.db')}; pass --db with the daemon's database.\n`);
  });

  // Pasted as they are, hints open the database named, not ./sync.db.
  it('names the --db given in its hints, quoted for the shell, and none for the default', async () => {
    const dir = path.join(tempDir(), "E's state");
    const db = path.join(dir, 'sync.db');
    await mkdir(dir);
    DaemonStore.open(db).close();
    const named = await apply(['--db', db, 'show', 'nosuch']);
    expect(named.code).toBe(6);
    expect(named.stderr).toBe(`zync-apply: There is no staging session nosuch; run zync-apply --db '${dir.replace("'", "'\\''")}/sync.db' list --all to see the sessions.\n`);
    const byDefault = await runCli('apply', ['show', 'nosuch'], { cwd: dir });
    expect(byDefault.stderr).toBe('zync-apply: There is no staging session nosuch; run zync-apply list --all to see the sessions.\n');
  });

  it("another program's SQLite database is refused with one sentence and left as it was", async () => {
    const db = path.join(tempDir(), 'other.db');
    const store = DaemonStore.open(db);
    // Another program's: tables of its own, none of zync's change log, no schema version.
    store.db.exec('DROP TABLE changes; CREATE TABLE notes (body TEXT)');
    store.db.pragma('user_version = 0');
    store.close();
    const before = await sha256File(db);
    for (const args of [['--db', db, 'list'], ['--db', db, 'show', 'X']]) {
      const result = await apply(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toBe(`zync-apply: ${db} is not a zync-daemon database; pass --db with the daemon's database.\n`);
    }
    expect(await sha256File(db)).toBe(before);
  });
});
