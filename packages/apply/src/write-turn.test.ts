import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WriteTurn } from './write-turn.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-turn-'));
// Another zync-apply, as a lock sees one: alive, with "zync" on its command line.
const other = spawn('sh', ['-c', 'sleep 60', 'zync-apply'], { stdio: 'ignore' });
afterAll(() => {
  other.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('WriteTurn', () => {
  it('takes the lock beside the database, again at once while held, and gives it back', async () => {
    const dbPath = path.join(dir, 'a.db');
    const turn = new WriteTurn({ dbPath, program: 'zync-apply', say: () => undefined });
    expect(await turn.take()).toBe(true);
    expect(existsSync(`${dbPath}.apply.lock`)).toBe(true);
    expect(await turn.take()).toBe(true);
    turn.give();
    expect(existsSync(`${dbPath}.apply.lock`)).toBe(false);
    turn.give(); // given twice: harmless
  });

  it('waits for a live holder, saying once whom it waits for, and takes the turn once it is free', async () => {
    const dbPath = path.join(dir, 'b.db');
    writeFileSync(`${dbPath}.apply.lock`, `${other.pid}\n`);
    const said: string[] = [];
    const turn = new WriteTurn({ dbPath, program: 'zync-apply', say: (line) => said.push(line), pollMs: 10 });
    const taken = turn.take();
    const deadline = Date.now() + 5_000;
    while (said.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    rmSync(`${dbPath}.apply.lock`);
    expect(await taken).toBe(true);
    // Said once over the whole wait, however many times the lock was looked at.
    expect(said).toEqual([expect.stringContaining(`Waiting for another zync-apply (pid ${other.pid}) to finish writing into E's tree`)]);
    turn.give();
  });

  it('gives up when stopped while waiting', async () => {
    const dbPath = path.join(dir, 'c.db');
    writeFileSync(`${dbPath}.apply.lock`, `${other.pid}\n`);
    const stop = new AbortController();
    const turn = new WriteTurn({ dbPath, program: 'zync-apply', say: () => undefined, signal: stop.signal, pollMs: 1000 });
    const taken = turn.take();
    stop.abort();
    expect(await taken).toBe(false);
    expect(existsSync(`${dbPath}.apply.lock`)).toBe(true); // the holder's, left alone
  });
});
