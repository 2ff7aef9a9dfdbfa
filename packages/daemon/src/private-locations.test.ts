import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realLocation, refusePrivatePathsInRoots } from '@zync/common';
import { SECRET_ADVICE, statePaths } from './private-locations.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'zync-private-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const root = path.join(base, 'root');
mkdirSync(path.join(root, 'state'), { recursive: true });
symlinkSync(path.join(root, 'state'), path.join(base, 'link-to-state'));
symlinkSync(root, path.join(base, 'link-to-root'));
// Links whose targets do not exist yet: a --db made through the link at first start.
symlinkSync(path.join(root, 'state', 'new.db'), path.join(base, 'dangling-to-root.db'));
symlinkSync('dangling-to-root.db', path.join(base, 'relative-to-dangling.db'));
symlinkSync('loop-b', path.join(base, 'loop-a'));
symlinkSync('loop-a', path.join(base, 'loop-b'));
mkdirSync(path.join(base, 'outside'));
const dirs = [{ name: 'docs', root }];

describe('realLocation', () => {
  it.each([
    { name: 'an existing path is its real path', given: 'link-to-state', real: 'root/state' },
    { name: 'a missing file below a symlink', given: 'link-to-state/sync.db', real: 'root/state/sync.db' },
    { name: 'missing directories below a symlink', given: 'link-to-root/a/b/sync.db', real: 'root/a/b/sync.db' },
    { name: 'a plain missing path', given: 'outside/new/sync.db', real: 'outside/new/sync.db' },
    { name: 'a symlink to a file not made yet', given: 'dangling-to-root.db', real: 'root/state/new.db' },
    { name: 'a relative symlink to such a symlink', given: 'relative-to-dangling.db', real: 'root/state/new.db' },
    { name: 'a loop of symlinks ends (opening it fails later)', given: 'loop-a', real: 'loop-a' },
  ])('$name', async ({ given, real }) => {
    expect(await realLocation(path.join(base, given))).toBe(path.join(base, real));
  });
});

describe('refusePrivatePathsInRoots', () => {
  it.each([
    { name: 'a database outside every root', db: 'outside/sync.db', refused: null },
    { name: 'a database not yet made, in a directory not yet made, outside', db: 'outside/new/sync.db', refused: null },
    { name: 'a database in a root', db: 'root/sync.db', refused: /^The state directory .*\/root is inside the watched directory "docs"/ },
    { name: 'a database in a new directory of a root', db: 'root/x/y/sync.db', refused: /^The state directory .*\/root\/x\/y is inside/ },
    { name: 'a state directory linked into a root', db: 'link-to-state/sync.db', refused: /^The state directory .*\/link-to-state is inside/ },
    { name: 'a database linked into a root, not made yet', db: 'dangling-to-root.db', refused: /^The database .*\/dangling-to-root\.db is inside/ },
    { name: 'a state directory that holds a root', db: 'root/../sync.db', refused: null },
  ])('$name', async ({ db, refused }) => {
    const check = refusePrivatePathsInRoots(dirs, statePaths(path.join(base, db)));
    if (refused === null) await expect(check).resolves.toBeUndefined();
    else await expect(check).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(refused) });
  });

  it('refuses a state directory that would put staging or backups in a root', async () => {
    const staging = path.join(base, 'outside', 'zync-staging');
    mkdirSync(staging);
    await expect(refusePrivatePathsInRoots([{ name: 'odd', root: staging }], statePaths(path.join(base, 'outside', 'sync.db')))).rejects.toMatchObject({
      message: expect.stringMatching(/^The staging directory .* is inside the watched directory "odd"/),
    });
  });

  it('names a secret as given, with the advice', async () => {
    const key = path.join(base, 'link-to-root', 'key.pem');
    await expect(refusePrivatePathsInRoots(dirs, [{ what: 'The TLS key', path: key, advice: SECRET_ADVICE }])).rejects.toMatchObject({
      message: `The TLS key ${key} is inside the watched directory "docs" (${root}); ${SECRET_ADVICE}.`,
    });
  });
});
