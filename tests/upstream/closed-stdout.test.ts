// Output nobody reads any more is not a failure: `zync-client --update-upstream | head -1` and
// `zync-apply list | head -1` close the pipe early, and the command still does its work and
// exits 0, without an unhandled EPIPE and a stack trace. Here the reader closes stdout at once.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientArgs, syncedPair } from '../client/support.js';
import { spawnCli } from '../helpers/index.js';
import { runApply, type SessionJson } from './support.js';

describe('a closed stdout', () => {
  it('does not fail --update-upstream (the session is staged) nor zync-apply list', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'a.txt'), 'R edit\n');
      const upstream = spawnCli('client', clientArgs(setup, ['--update-upstream']));
      upstream.proc.stdout!.destroy();
      expect(await upstream.exited, upstream.stderr()).toBe(0);
      expect(upstream.stderr()).not.toMatch(/EPIPE|unexpected error/);

      const listed = await runApply(daemon, ['list', '--json']);
      const sessions = JSON.parse(listed.stdout) as SessionJson[];
      expect(sessions.map((s) => s.status)).toEqual(['complete']);

      const list = spawnCli('apply', ['--db', daemon.db, 'list']);
      list.proc.stdout!.destroy();
      expect(await list.exited, list.stderr()).toBe(0);
      expect(list.stderr()).not.toMatch(/EPIPE|unexpected error/);
    } finally {
      await daemon.stop();
    }
  });
});
