// Permission bits are reconciled three-way, like content: R tells E which bits it received
// (base_mode). An edit R sends without a chmod of its own keeps a `chmod +x` E made meanwhile
// (the old behaviour silently undid it); a chmod on both sides to different bits is a conflict
// that show names and a non-interactive apply refuses until --force takes R's bits.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonHandle } from '../helpers/index.js';
import { runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('upstream: permission bits, three-way', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'tool.sh'), '#!/bin/sh\necho v1\n', { mode: 0o644 });
      await writeFile(path.join(e, 'notes.txt'), 'notes\n', { mode: 0o644 });
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('R’s edit without a chmod keeps the chmod +x E made meanwhile', async () => {
    await writeFile(path.join(r, 'tool.sh'), '#!/bin/sh\necho v2 from R\n');
    await chmod(path.join(e, 'tool.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const stagingId = stagingIdFrom(sent.stdout);

    const shown = await runApply(daemon, ['show', stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/tool\.sh\s+modify\s+\d+ B\s+ok: E unchanged since R's base; E's permissions 755 stay \(R made no chmod\)$/m);

    const applied = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readFile(path.join(e, 'tool.sh'), 'utf8')).toBe('#!/bin/sh\necho v2 from R\n');
    expect(await modeOf(path.join(e, 'tool.sh'))).toBe(0o755);

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'tool.sh'))).toBe(0o755);
  });

  it('different chmods on both sides are a conflict: show names it, a non-interactive apply refuses, --force takes R’s', async () => {
    await chmod(path.join(r, 'notes.txt'), 0o600);
    await chmod(path.join(e, 'notes.txt'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    const stagingId = stagingIdFrom(sent.stdout);

    const shown = await runApply(daemon, ['show', stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('1 entry, 1 conflict against E now');
    expect(shown.stdout).toMatch(/notes\.txt\s+modify\s+\d+ B\s+CONFLICT: permissions: R 644 -> 600, E 644 -> 755/m);

    const refused = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(await modeOf(path.join(e, 'notes.txt'))).toBe(0o755);

    const forced = await runApply(daemon, ['apply', stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/1 permission change/);
    expect(await modeOf(path.join(e, 'notes.txt'))).toBe(0o600);
  });
});
