import type { ChangeEntry } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { fetchedModes, planEntry, planPull, sessionsStillReturning, type PlanInput, type PullAction, type StagedAtPath } from './plan-pull.js';
import type { EntryKey, LocalState, RecordedEntry } from './types.js';

const A = 'a'.repeat(64); // what R last received
const B = 'b'.repeat(64); // E's new content
const C = 'c'.repeat(64); // R's own edit

const entry = (operation: ChangeEntry['operation'], over: Partial<ChangeEntry> = {}): ChangeEntry => ({
  sequence: 10,
  operation,
  kind: 'file',
  base_dir: 'd',
  path: 'f.txt',
  checksum: operation === 'delete' ? null : B,
  size: operation === 'delete' ? 0 : 3,
  mtime: 5000,
  mode: 0o644,
  timestamp: 5000,
  ...over,
});
const dirEntry = (operation: ChangeEntry['operation'], path = 'sub', mode = 0o755): ChangeEntry =>
  entry(operation, { kind: 'dir', path, checksum: null, size: 0, mode });
const rec = (over: Partial<RecordedEntry> = {}): RecordedEntry => ({
  base_dir: 'd',
  path: 'f.txt',
  kind: 'file',
  checksum: A,
  size: 3,
  mtime: 1000,
  mode: 0o644,
  local_size: 3,
  local_mtime: 1000,
  local_ino: 7,
  sequence: 1,
  seen_gen: 1,
  ...over,
});
const dirRec = (path = 'sub') => rec({ path, kind: 'dir', checksum: null, local_size: null, local_mtime: null, local_ino: null });
const file = (over: Partial<Extract<LocalState, { kind: 'file' }>> = {}): LocalState => ({ kind: 'file', size: 3, mtime: 1000, ino: 7, mode: 0o644, ...over });
const absent: LocalState = { kind: 'absent' };
const dir = (mode = 0o755): LocalState => ({ kind: 'dir', mode });

/** A short description of an action, for readable tables. */
function describeAction(action: PullAction): string {
  switch (action.type) {
    case 'fetch':
      return `fetch${action.source ? ` from ${action.source.path}` : ''}${action.keepCopy ? ' keeping a copy' : ''}${action.clearDir ? ` clearing the dir (${action.clearDir})` : ''}${action.appendFrom === undefined ? '' : ` after ${action.appendFrom}`}`;
    case 'mkdir':
      return `mkdir${action.moveAside !== 'none' ? ` (${action.moveAside})` : ''}`;
    case 'record':
      return action.keepBase ? 'record, keep R edit' : 'record';
    case 'delete-file':
      return `${action.keepCopy ? 'delete keeping a copy' : 'delete'}${action.chmodded === undefined ? '' : ` (R's chmod ${action.chmodded.toString(8)})`}`;
    default:
      return action.type;
  }
}

describe('planEntry', () => {
  it.each<[string, ChangeEntry, RecordedEntry | null, LocalState, string]>([
    // E adds or modifies a file
    ['new file, nothing on R', entry('add'), null, absent, 'fetch'],
    ['modified on E, unchanged on R', entry('modify'), rec(), file(), 'fetch'],
    ['modified on E, R touched it without changing bytes', entry('modify'), rec(), file({ mtime: 9, checksum: A }), 'fetch'],
    ['modified on E, edited on R', entry('modify'), rec(), file({ size: 9, checksum: C }), 'fetch keeping a copy'],
    ['modified on E to what R already wrote', entry('modify'), rec(), file({ size: 9, checksum: B, mtime: 5000 }), 'record'],
    ['R already has it but the mtime differs', entry('modify'), rec(), file({ checksum: B, mtime: 42 }), 'set-attributes'],
    ['only the exec bit changed on E', entry('modify', { checksum: A, mtime: 1000, mode: 0o755 }), rec(), file(), 'set-attributes'],
    ['nothing changed (replayed entry)', entry('modify', { checksum: A, mtime: 1000 }), rec(), file(), 'record'],
    ['R edited, E still has the base R edited (resync)', entry('add', { checksum: A }), rec(), file({ size: 9, checksum: C }), 'record, keep R edit'],
    ['R deleted it locally, E modified it', entry('modify'), rec(), absent, 'fetch'],
    ['untracked file on R with other bytes', entry('add'), null, file({ checksum: C }), 'fetch keeping a copy'],
    ['untracked file on R with the same bytes', entry('add', { mtime: 1000 }), null, file({ checksum: B }), 'record'],
    ['E replaced the directory R received with a file', entry('add'), dirRec('f.txt'), dir(), 'fetch clearing the dir (e-replaced-dir)'],
    ['E added a file where R made a directory of its own', entry('add'), null, dir(), 'fetch clearing the dir (e-added-file)'],
    ['E changed a file R had replaced with a directory', entry('modify'), rec(), dir(), 'fetch clearing the dir (e-changed-file)'],
    ['a symlink on R where E has a file', entry('add'), null, { kind: 'other' }, 'fetch keeping a copy'],
    ['both sides replaced the directory with a file, other bytes', entry('add'), dirRec('f.txt'), file({ checksum: C }), 'fetch keeping a copy'],
    ['both sides replaced the directory with the same file', entry('add', { mtime: 1000 }), dirRec('f.txt'), file({ checksum: B }), 'record'],
    // E deletes a file
    ['deleted on E, unchanged on R', entry('delete'), rec(), file(), 'delete'],
    ['deleted on E, touched on R (same bytes)', entry('delete'), rec(), file({ mtime: 9, checksum: A }), 'delete'],
    ['deleted on E, edited on R', entry('delete'), rec(), file({ checksum: C, size: 9 }), 'delete keeping a copy'],
    ['deleted on E, already gone on R', entry('delete'), rec(), absent, 'forget'],
    ['deleted on E, never received, R has its own file', entry('delete'), null, file({ checksum: C }), 'forget'],
    ['deleted on E, R has a dir there', entry('delete'), rec(), dir(), 'forget'],
    // directories
    ['new dir', dirEntry('add'), null, absent, 'mkdir'],
    ['dir already there', dirEntry('add'), null, dir(), 'record'],
    ['dir already there with other permission bits (resync)', dirEntry('add', 'sub', 0o700), null, dir(0o755), 'set-dir-mode'],
    ['chmod of a dir on E', dirEntry('modify', 'sub', 0o750), dirRec(), dir(0o755), 'set-dir-mode'],
    ['chmod of a dir on E that R already has', dirEntry('modify', 'sub', 0o750), dirRec(), dir(0o750), 'record'],
    ['chmod of a dir on E that R no longer has', dirEntry('modify', 'sub', 0o700), dirRec(), absent, 'mkdir'],
    ['dir where R has an unchanged file', dirEntry('add', 'f.txt'), rec(), file(), 'mkdir (remove)'],
    ['dir where R has an edited file', dirEntry('add', 'f.txt'), rec(), file({ checksum: C, size: 9 }), 'mkdir (keep-copy)'],
    ['dir where R has its own file', dirEntry('add', 'f.txt'), null, file(), 'mkdir (keep-copy)'],
    ['dir deleted on E', dirEntry('delete'), dirRec(), dir(), 'delete-dir'],
    ['dir deleted on E, already gone', dirEntry('delete'), dirRec(), absent, 'forget'],
    ['dir deleted on E, a file there on R', dirEntry('delete'), dirRec(), file(), 'forget'],
    // a batch that collapsed a change of kind: the last entry's kind is not the one R holds
    ['E made the file R received a dir, then deleted it', dirEntry('delete', 'f.txt'), rec(), file(), 'delete'],
    ['E made the file R edited a dir, then deleted it', dirEntry('delete', 'f.txt'), rec(), file({ checksum: C, size: 9 }), 'delete keeping a copy'],
    ['E made the dir R received a file, then deleted it', entry('delete', { path: 'sub' }), dirRec(), dir(), 'delete-dir'],
  ])('%s', (_name, e, recorded, local, expected) => {
    expect(describeAction(planEntry({ entry: e, recorded, local }))).toBe(expected);
  });

  it('removes an unrecorded dir where the page shows E making one, as a pull in between would (a run killed after its mkdir)', () => {
    const input = { entry: entry('delete', { path: 'sub' }), recorded: null, local: dir(0o700) };
    expect(describeAction(planEntry({ ...input, eMadeDir: true }))).toBe('delete-dir');
    // Without that, the dir is R's own: left alone.
    expect(describeAction(planEntry(input))).toBe('forget');
  });

  it("keeps a file R never received as a conflict copy where E deleted the path and E once held that content, in a resync R's state cannot be placed in", () => {
    const input = { entry: entry('delete'), recorded: null, local: file({ checksum: 'b'.repeat(64) }) };
    expect(describeAction(planEntry({ ...input, heldByEBefore: true }))).toBe('delete keeping a copy');
    // Otherwise R's own: left alone.
    expect(describeAction(planEntry(input))).toBe('forget');
  });

  it("leaves R's own dir where a resync replays a deletion R had applied before it (before: removed as E's)", () => {
    const input = { entry: dirEntry('delete', 'tmp1'), recorded: null, local: dir(0o755), eMadeDir: true };
    expect(describeAction(planEntry({ ...input, replayed: true }))).toBe('forget');
    // A deletion R had not applied yet: a dir there is E's (a killed run's), as before.
    expect(describeAction(planEntry(input))).toBe('delete-dir');
  });

  it('finishes an unrecorded owner-only dir (made by a stopped run) instead of counting a mode change R never made', () => {
    const finishes = (recorded: RecordedEntry | null, mode: number) => {
      const action = planEntry({ entry: dirEntry('add', 'sub', 0o755), recorded, local: dir(mode) });
      return action.type === 'set-dir-mode' ? action.finishes === true : action.type;
    };
    expect(finishes(null, 0o700)).toBe(true);
    // R's own directory with other bits, or one R received: E's mode is a mode change.
    expect(finishes(null, 0o750)).toBe(false);
    expect(finishes(dirRec(), 0o700)).toBe(false);
  });

  it('marks E\'s change to a file R deleted as restored, to be said; a new file or E\'s unchanged one is not', () => {
    const restored = (e: ChangeEntry, recorded: RecordedEntry | null) => {
      const action = planEntry({ entry: e, recorded, local: absent });
      return action.type === 'fetch' ? (action.restored ?? 'no') : action.type;
    };
    expect(restored(entry('modify'), rec())).toBe('content');
    expect(restored(entry('modify', { checksum: A, mode: 0o755 }), rec())).toBe('mode');
    expect(restored(entry('add'), null)).toBe('no');
    expect(restored(entry('modify', { checksum: A }), rec())).toBe('no');
  });

  it('copies content R holds under another name instead of downloading (a rename on E)', () => {
    const sources = new Map<string, EntryKey>([[B, { base_dir: 'd', path: 'old-name.txt' }]]);
    expect(describeAction(planEntry({ entry: entry('add'), recorded: null, local: absent }, sources))).toBe('fetch from old-name.txt');
  });

  it('does not copy a path onto itself', () => {
    const sources = new Map<string, EntryKey>([[B, { base_dir: 'd', path: 'f.txt' }]]);
    expect(describeAction(planEntry({ entry: entry('add'), recorded: null, local: absent }, sources))).toBe('fetch');
  });

  // Only content R received unchanged may be held for later copies: R's edits go to conflict copies.
  it.each<[string, ChangeEntry, LocalState, string | undefined]>([
    ['unchanged on R', entry('delete'), file(), A],
    ['touched on R, same bytes', entry('delete'), file({ mtime: 9, checksum: A }), A],
    ['edited on R', entry('delete'), file({ checksum: C, size: 9 }), undefined],
    ["chmodded on R (R's bits)", entry('delete'), file({ mode: 0o755 }), undefined],
    ['E made it a dir, then deleted it', dirEntry('delete', 'f.txt'), file(), A],
  ])('a deletion of a file %s names the content it received to hold: %s', (_name, e, local, received) => {
    const action = planEntry({ entry: e, recorded: rec(), local });
    expect(action.type).toBe('delete-file');
    expect(action.type === 'delete-file' ? action.received : 'n/a').toBe(received);
  });

  // A large file E grew is fetched after the bytes R holds only where R holds them as received.
  const BIG = 4 * 1024 * 1024;
  const big = { recorded: rec({ size: BIG, local_size: BIG }), local: file({ size: BIG }) };
  it.each<[string, ChangeEntry, RecordedEntry, LocalState, string]>([
    ['E appended to a large file unchanged on R', entry('modify', { size: BIG + 10 }), big.recorded, big.local, `fetch after ${BIG}`],
    ['E appended, R touched it (same bytes)', entry('modify', { size: BIG + 10 }), big.recorded, file({ size: BIG, mtime: 9, checksum: A }), `fetch after ${BIG}`],
    ['E appended, R edited it', entry('modify', { size: BIG + 10 }), big.recorded, file({ size: BIG + 3, mtime: 9, checksum: C }), 'fetch keeping a copy'],
    ['E rewrote it the same size', entry('modify', { size: BIG }), big.recorded, big.local, 'fetch'],
    ['E appended to a small file', entry('modify', { size: 10 }), rec(), file(), 'fetch'],
  ])('%s', (_name, e, recorded, local, expected) => {
    expect(describeAction(planEntry({ entry: e, recorded, local }))).toBe(expected);
  });

  // A resync's entry is E's state: where it is what R received and R holds nothing, R deleted it.
  it.each<[string, string, string, ChangeEntry, RecordedEntry | null]>([
    ['a file R deleted, E holds it as received', 'record, keep R edit', 'fetch', entry('add', { checksum: A }), rec()],
    ['a dir R deleted, E holds it as received', 'record, keep R edit', 'mkdir', dirEntry('add'), { ...dirRec(), mode: 0o755 }],
    ['a file R deleted, E changed its content', 'fetch', 'fetch', entry('add'), rec()],
    ['a file R deleted, E chmodded it', 'fetch', 'fetch', entry('add', { checksum: A, mode: 0o755 }), rec()],
    ['a dir R deleted, E chmodded it', 'mkdir', 'mkdir', dirEntry('add', 'sub', 0o700), { ...dirRec(), mode: 0o755 }],
    ['a file R received as a dir', 'fetch', 'fetch', entry('add', { path: 'sub', checksum: A }), dirRec()],
    ['nothing received', 'fetch', 'fetch', entry('add', { checksum: A }), null],
  ])('nothing on R, %s: in a resync %s, in a pull %s', (_name, inResync, inPull, e, recorded) => {
    expect(describeAction(planEntry({ entry: e, recorded, local: absent, resyncing: true }))).toBe(inResync);
    expect(describeAction(planEntry({ entry: e, recorded, local: absent }))).toBe(inPull);
  });

  it('refuses to plan on a stat it cannot trust', () => {
    expect(() => planEntry({ entry: entry('modify'), recorded: rec(), local: file({ mtime: 9 }) })).toThrow(/needs a local hash/);
  });
});

// Permission bits are merged apart from the content, against the bits R received (rec(): 0o644).
describe('planEntry: permission bits, three-way beside the content', () => {
  /** The action with its permission decision, for readable tables. */
  const bitsOf = (action: PullAction): string => {
    const fields = action as { keepBits?: number; replacedBits?: number; bits?: number; receivedBits?: true };
    const parts = [describeAction(action)];
    if (fields.keepBits !== undefined) parts.push(`keep R's ${fields.keepBits.toString(8)}`);
    if (fields.bits !== undefined) parts.push(`E's ${fields.bits.toString(8)}`);
    if (fields.replacedBits !== undefined) parts.push(`replacing R's ${fields.replacedBits.toString(8)}`);
    if (fields.receivedBits) parts.push("E's bits received");
    return parts.join(', ');
  };
  const D = 'd'.repeat(64);
  it.each<[string, ChangeEntry, LocalState, string]>([
    // R's chmod, E's content change (R's content as received)
    ['R chmod +x, E changed the content', entry('modify'), file({ mode: 0o755, checksum: A }), "fetch, keep R's 755"],
    ['R chmod +x, E changed the content and made the same chmod', entry('modify', { mode: 0o755 }), file({ mode: 0o755, checksum: A }), 'fetch'],
    ['R chmod 600, E changed the content and chmod 700', entry('modify', { mode: 0o700 }), file({ mode: 0o600, checksum: A }), "fetch, replacing R's 600"],
    ["R chmod +x and edited, E changed the content: the copy keeps R's bits, and so does the file", entry('modify'), file({ size: 9, mode: 0o755, checksum: C }), "fetch keeping a copy, keep R's 755"],
    ["R chmod 600 and edited, E changed the content and chmod 700: the copy has R's bits, nothing more to say", entry('modify', { mode: 0o700 }), file({ size: 9, mode: 0o600, checksum: C }), 'fetch keeping a copy'],
    // E holds R's content (a touch on E, a resync): R's chmod stays
    ['R chmod +x, E touched the file', entry('modify', { checksum: A, mtime: 2000 }), file({ mode: 0o755, checksum: A }), "set-attributes, keep R's 755"],
    ["R chmod +x, E's entry replayed (resync): R's bits stay R's", entry('add', { checksum: A, mtime: 1000 }), file({ mode: 0o755, checksum: A }), "record, keep R's 755"],
    ['R chmod 600, E chmod 700', entry('modify', { checksum: A, mtime: 1000, mode: 0o700 }), file({ mode: 0o600, checksum: A }), "set-attributes, replacing R's 600"],
    // E's chmod, R's content edit (not staged): R's edit stands with E's bits
    ['R edited, E chmod +x', entry('modify', { checksum: A, mode: 0o755 }), file({ size: 9, checksum: C }), "record, keep R edit, E's 755"],
    ['R edited, nothing changed on E', entry('modify', { checksum: A }), file({ size: 9, checksum: C }), 'record, keep R edit'],
    ["R edited and chmod +x, E's bits as received", entry('modify', { checksum: A }), file({ size: 9, checksum: C, mode: 0o755 }), 'record, keep R edit'],
    ['R edited and chmod 600, E chmod 700', entry('modify', { checksum: A, mode: 0o700 }), file({ size: 9, checksum: C, mode: 0o600 }), "record, keep R edit, E's 700, replacing R's 600"],
    // Recorded, or E's revert to 644 would later read as R's 755 standing against E's none.
    ["R edited and made E's chmod too", entry('modify', { checksum: A, mode: 0o755 }), file({ size: 9, checksum: C, mode: 0o755 }), "record, keep R edit, E's bits received"],
    // E deletes the file: R's chmod is R's edit, kept as a copy like a content edit (before: gone unsaid)
    ['R chmod +x, E deleted the file', entry('delete'), file({ mode: 0o755, checksum: A }), "delete keeping a copy (R's chmod 755)"],
    ['R chmod +x, E deleted the file (stat as recorded: no hash)', entry('delete'), file({ mode: 0o755 }), "delete keeping a copy (R's chmod 755)"],
    ['R chmod +x and edited, E deleted the file', entry('delete'), file({ size: 9, mode: 0o755, checksum: C }), 'delete keeping a copy'],
    ['no chmod on R, E deleted the file', entry('delete'), file({ mode: 0o100644 }), 'delete'],
  ])('%s', (_name, e, local, expected) => {
    expect(bitsOf(planEntry({ entry: e, recorded: rec(), local }))).toBe(expected);
  });

  // A root without Unix modes (vfat) shows 755 for every file: R recorded that once it wrote it.
  it.each<[string, ChangeEntry, LocalState, string]>([
    ['E deleted the file: no chmod of R\'s, no copy', entry('delete'), file({ mode: 0o755 }), 'delete'],
    ['E changed the content: E\'s bits, nothing kept', entry('modify'), file({ mode: 0o755, checksum: A }), 'fetch'],
    ['E chmodded: E\'s bits, nothing said', entry('modify', { checksum: A, mode: 0o600 }), file({ mode: 0o755, checksum: A }), 'set-attributes'],
    ['R chmodded after all (its disk shows other bits than once written): kept', entry('delete'), file({ mode: 0o700 }), "delete keeping a copy (R's chmod 700)"],
    ["E's entry replayed (resync): nothing to set", entry('add', { checksum: A, mtime: 1000 }), file({ mode: 0o755, checksum: A }), 'record'],
  ])('on a root without Unix modes: %s', (_name, e, local, expected) => {
    expect(bitsOf(planEntry({ entry: e, recorded: rec({ local_mode: 0o755 }), local }))).toBe(expected);
  });

  it("gives R's staged edit E's chmod where the session carries no chmod of R's", () => {
    const input = { entry: entry('modify', { checksum: A, mode: 0o755 }), recorded: rec(), local: file({ size: 9, checksum: C }), inDir: true };
    const sent = (mode: number, base_mode: number | null): StagedAtPath => ({ kind: 'file', operation: 'modify', checksum: C, base_checksum: A, mode, base_mode });
    expect(bitsOf(planEntry({ ...input, staged: [sent(0o644, 0o644)] }))).toBe("record, keep R edit, E's 755");
    expect(bitsOf(planEntry({ ...input, staged: [sent(0o644, 0o644), { ...sent(0o644, 0o644), checksum: D }] }))).toBe("record, keep R edit, E's 755");
    // A session that carries R's chmod meets E's on E's apply, where a person decides.
    expect(bitsOf(planEntry({ ...input, local: file({ size: 9, checksum: C, mode: 0o600 }), staged: [sent(0o600, 0o644)] }))).toBe('record, keep R edit');
    expect(bitsOf(planEntry({ ...input, staged: [sent(0o600, 0o644), sent(0o644, 0o644)] }))).toBe('record, keep R edit');
  });

  // E applied the session holding R's edit but kept its own version (keep E's, keep both): every
  // combination of what R changed (content, bits, both) and what E changed — E's entry after the
  // apply is E's version; R's edit goes to a conflict copy (content), or gives way with a line (bits).
  describe('R\'s edit in a session E applied but did not take', () => {
    const sent = (checksum: string, mode: number): StagedAtPath => ({ kind: 'file', operation: 'modify', checksum, base_checksum: A, mode, base_mode: 0o644, staging_id: 'S1', settled: true });
    it.each<[string, StagedAtPath, ChangeEntry, RecordedEntry, LocalState, string]>([
      // R content + bits, E bits: R pulled E's chmod while the session waited (R's edit stood)
      ['R edited and chmod 700, E chmod 755', sent(C, 0o700), entry('modify', { checksum: A, mode: 0o755 }), rec(), file({ size: 9, checksum: C, mode: 0o700 }), 'fetch keeping a copy'],
      ['R edited, E chmod 755 (an older client: no base bits)', { ...sent(C, 0o644), base_mode: null }, entry('modify', { checksum: A, mode: 0o755 }), rec(), file({ size: 9, checksum: C }), 'fetch keeping a copy'],
      // R bits, E content: R's chmod stood on E's content (recorded with E's bits)
      ['R chmod 700, E changed the content', sent(A, 0o700), entry('modify'), rec({ checksum: B }), file({ checksum: B, mode: 0o700 }), "set-attributes, replacing R's 700"],
      // R content + bits, E content: R's content already went to a copy at the pull, its chmod stood
      ['R edited and chmod 700, E changed the content', sent(C, 0o700), entry('modify'), rec({ checksum: B }), file({ checksum: B, mode: 0o700 }), "set-attributes, replacing R's 700"],
      // Neither pulled in between: the page holds E's change and the apply's entry, collapsed
      ['R edited and chmod 700, E changed the content (one page)', sent(C, 0o700), entry('modify'), rec(), file({ size: 9, checksum: C, mode: 0o700 }), 'fetch keeping a copy'],
      ['R chmod 700, E changed the content (one page)', sent(A, 0o700), entry('modify'), rec(), file({ checksum: A, mode: 0o700 }), "fetch, replacing R's 700"],
      // R's bits already E's (both chmodded: E's won at the pull): nothing more
      ['R chmod 700, E chmod 755, R has E\'s bits', sent(A, 0o700), entry('modify', { checksum: A, mode: 0o755, mtime: 1000 }), rec({ mode: 0o755 }), file({ checksum: A, mode: 0o755 }), 'record'],
      // R edited again since: a new edit on E's base, which stands (it goes upstream next)
      ['R edited again since', sent(C, 0o700), entry('modify', { checksum: A, mode: 0o755 }), rec(), file({ size: 9, checksum: D, mode: 0o644 }), "record, keep R edit, E's 755"],
    ])('%s', (_name, staged, e, recorded, local, expected) => {
      expect(bitsOf(planEntry({ entry: e, recorded, local, staged: [staged], inDir: true }))).toBe(expected);
    });

    it('waits for the apply while the session is not settled', () => {
      const staged = { ...sent(C, 0o700), settled: false };
      const input = { entry: entry('modify', { checksum: A, mode: 0o755 }), recorded: rec(), local: file({ size: 9, checksum: C, mode: 0o700 }), inDir: true };
      expect(bitsOf(planEntry({ ...input, staged: [staged] }))).toBe('record, keep R edit');
    });

    it("is R's edit returned where E's entry holds what the settled session sent", () => {
      const input = { entry: entry('modify', { checksum: C, mode: 0o700 }), recorded: rec(), local: file({ size: 9, checksum: D, mode: 0o700 }), inDir: true };
      expect(planEntry({ ...input, staged: [sent(C, 0o700)] })).toMatchObject({ type: 'record-staged' });
    });
  });

  // E applied the session, but logged this entry before its apply began (the apply's own entry is
  // in a later page): the apply's outcome for the path is still to come, so R's file waits for it.
  describe("R's edit in a session E applied after this entry", () => {
    const later = (checksum: string, mode = 0o644): StagedAtPath => ({ kind: 'file', operation: 'modify', checksum, base_checksum: A, mode, base_mode: 0o644, staging_id: 'S1', appliedLater: true });
    it.each<[string, StagedAtPath[], ChangeEntry, LocalState, string]>([
      ['E changed the content before the apply took R\'s edit or kept its own', [later(C)], entry('modify'), file({ size: 9, checksum: C }), 'await-apply'],
      ['E chmodded before the apply (R edited and chmodded)', [later(C, 0o700)], entry('modify', { checksum: A, mode: 0o755 }), file({ size: 9, checksum: C, mode: 0o700 }), 'await-apply'],
      // R's file is not what the session sent: the usual rules, as for a session still waiting
      ['R edited again since staging', [later(C)], entry('modify'), file({ size: 9, checksum: D }), 'fetch keeping a copy'],
      ['R holds E\'s content already', [later(C)], entry('modify', { mtime: 1000 }), file({ checksum: B }), 'record'],
      ['R undid its edit', [later(C)], entry('modify'), file(), 'fetch'],
      // Another session of R's is settled against this entry: E's entry is that apply's outcome
      ['an earlier session settled against this entry', [{ ...later(D), appliedLater: false, settled: true }, later(C)], entry('modify'), file({ size: 9, checksum: C }), 'fetch keeping a copy'],
    ])('%s', (_name, staged, e, local, expected) => {
      expect(describeAction(planEntry({ entry: e, recorded: rec(), local, staged, inDir: true }))).toBe(expected);
    });

    it("is R's edit returned where E's entry holds what the session sent", () => {
      const input = { entry: entry('modify', { checksum: C }), recorded: rec(), local: file({ size: 9, checksum: D }), inDir: true };
      expect(planEntry({ ...input, staged: [later(C)] })).toMatchObject({ type: 'record-staged' });
    });

    it('plans nothing on disk for it: neither a copy nor a download', () => {
      const plan = planPull([{ entry: entry('modify'), recorded: rec(), local: file({ size: 9, checksum: C }), staged: [later(C)], inDir: true }]);
      expect(plan.attributes).toMatchObject([{ type: 'await-apply', staging_id: 'S1' }]);
      expect(plan.download).toEqual([]);
    });
  });

  it("leaves E's chmod for later where R's staged record predates base bits: E applying it brings them", () => {
    const staged: StagedAtPath[] = [{ kind: 'file', operation: 'modify', checksum: C, base_checksum: A, mode: 0o644 }];
    const input = { entry: entry('modify', { checksum: A, mode: 0o755 }), recorded: rec(), local: file({ size: 9, checksum: C }), inDir: true };
    expect(bitsOf(planEntry({ ...input, staged }))).toBe('record, keep R edit');
    expect(bitsOf(planEntry({ ...input, staged: [{ ...staged[0]!, base_mode: null }] }))).toBe('record, keep R edit');
    // E applied R's edit, keeping its chmod: R's file gets it then.
    expect(planEntry({ ...input, entry: entry('modify', { checksum: C, mode: 0o755 }), local: file({ size: 9, checksum: D }), staged })).toMatchObject({ type: 'record-staged' });
    expect(planEntry({ ...input, entry: entry('modify', { checksum: C, mode: 0o755 }), staged })).toMatchObject({ type: 'set-attributes' });
  });

  it("never weighs bits against a file R never received: E's", () => {
    expect(bitsOf(planEntry({ entry: entry('add', { mtime: 1000 }), recorded: null, local: file({ mode: 0o600, checksum: B }) }))).toBe('set-attributes');
  });

  it("writes R's kept bits and records the entry's mode as received, whatever E serves meanwhile", () => {
    const e = entry('modify');
    expect(fetchedModes({ entry: e }, 0o644)).toEqual({ write: 0o644, record: 0o644 });
    expect(fetchedModes({ entry: e, keepBits: 0o755 }, 0o644)).toEqual({ write: 0o755, record: 0o644 });
    // E chmodded again before the download: its entry meets R's chmod later, as both sides' change.
    expect(fetchedModes({ entry: e, keepBits: 0o755 }, 0o700)).toEqual({ write: 0o755, record: 0o644 });
  });
});

describe('planEntry: E\'s change meets what R staged upstream', () => {
  const D = 'd'.repeat(64); // what R staged, later applied on E
  const sent = (over: Partial<StagedAtPath> = {}): StagedAtPath => ({ kind: 'file', operation: 'modify', checksum: D, base_checksum: A, mode: 0o644, ...over });
  const gone: StagedAtPath = { kind: 'file', operation: 'delete', checksum: null, base_checksum: A, mode: null };
  // R's directory of the path is there (inDir), unless a row says otherwise.
  it.each<[string, ChangeEntry, RecordedEntry | null, LocalState, StagedAtPath, string]>([
    // R's own edit comes back: recorded as received, R's disk left as it is
    ['E applied R\'s edit, R edited again since', entry('modify', { checksum: D }), rec(), file({ size: 9, checksum: C }), sent(), 'record-staged'],
    ['E applied R\'s edit, R deleted the file since', entry('modify', { checksum: D }), rec(), absent, sent(), 'record-staged'],
    ['E applied R\'s edit, R put back what it had received', entry('modify', { checksum: D }), rec(), file(), sent(), 'record-staged'],
    ['E applied R\'s new file, R edited it again since', entry('add', { checksum: D }), null, file({ checksum: C }), sent({ operation: 'add', base_checksum: null }), 'record-staged'],
    ['E applied R\'s deletion, R made the file again since', entry('delete'), rec(), file({ size: 9, checksum: C }), gone, 'record-staged'],
    // the usual rules
    ['E applied R\'s edit, R still holds it', entry('modify', { checksum: D, mtime: 1000 }), rec(), file({ size: 9, checksum: D, mtime: 1000 }), sent(), 'record'],
    // a chmod R made after staging is R's edit too; E's bits where R made none since
    ['E applied R\'s edit, R made it executable since', entry('modify', { checksum: D }), rec(), file({ size: 9, checksum: D, mode: 0o755 }), sent(), 'record-staged'],
    ['E applied R\'s edit with E\'s bits, R changed none since', entry('modify', { checksum: D, mode: 0o600 }), rec(), file({ size: 9, checksum: D }), sent(), 'set-attributes'],
    ['E applied R\'s edit, R holds it with the bits E gave', entry('modify', { checksum: D, mode: 0o755 }), rec(), file({ size: 9, checksum: D, mode: 0o755 }), sent(), 'set-attributes'],
    ['E applied R\'s edit staged before modes were kept', entry('modify', { checksum: D }), rec(), file({ size: 9, checksum: D, mode: 0o755 }), sent({ mode: null }), 'set-attributes'],
    ['E applied R\'s edit and changed it again: a conflict with R\'s later edit', entry('modify'), rec(), file({ size: 9, checksum: C }), sent(), 'fetch keeping a copy'],
    ['E\'s change is not what R staged, R unchanged', entry('modify'), rec(), file(), sent(), 'fetch'],
    ['E deleted the file R staged an edit of', entry('delete'), rec(), file({ size: 9, checksum: C }), sent(), 'delete keeping a copy'],
    ['E changed the file R staged a deletion of', entry('modify', { checksum: D }), rec(), file({ size: 9, checksum: C }), gone, 'fetch keeping a copy'],
    // R received E's own change since it staged: E's change now is E's decision
    ['R pulled E\'s other change since staging, then E took R\'s', entry('modify', { checksum: D }), rec({ checksum: B }), file({ checksum: B }), sent(), 'fetch'],
    ['R pulled E\'s other change and edited it, then E took R\'s', entry('modify', { checksum: D }), rec({ checksum: B }), file({ size: 9, checksum: C }), sent(), 'fetch keeping a copy'],
    // a directory or a link R put there since goes the usual way
    ['E applied R\'s edit, R made a directory there since', entry('modify', { checksum: D }), rec(), dir(), sent(), 'fetch clearing the dir (e-changed-file)'],
    ['E applied R\'s edit, R put a link there since', entry('modify', { checksum: D }), rec(), { kind: 'other' }, sent(), 'fetch keeping a copy'],
  ])('%s', (_name, e, recorded, local, staged, expected) => {
    expect(describeAction(planEntry({ entry: e, recorded, local, staged: [staged], inDir: local.kind === 'absent' }))).toBe(expected);
  });

  // R sent the path again before E applied the first session: each pending session counts.
  const E2 = 'e'.repeat(64); // R's second edit, staged in a later session
  it.each<[string, ChangeEntry, RecordedEntry | null, LocalState, StagedAtPath[], string]>([
    ['E applied the older of two sessions, R holds the newer edit', entry('modify', { checksum: D }), rec(), file({ size: 9, checksum: E2 }), [sent(), sent({ checksum: E2 })], 'record-staged'],
    ['E applied the older session, R deleted the file since and staged that', entry('modify', { checksum: D }), rec(), absent, [sent(), gone], 'record-staged'],
    ['E applied the newer session first, R holds it', entry('modify', { checksum: E2, mtime: 1000 }), rec(), file({ size: 9, checksum: E2, mtime: 1000 }), [sent(), sent({ checksum: E2 })], 'record'],
    // R recorded the first session's content when E applied it: the next session's base on E is that
    [
      'E applied R\'s deletion after R\'s new file, R made it again since',
      entry('delete'),
      rec({ checksum: D }),
      file({ size: 9, checksum: E2 }),
      [sent({ operation: 'add', base_checksum: null }), { ...gone, base_checksum: null }, sent({ operation: 'add', checksum: E2, base_checksum: null })],
      'record-staged',
    ],
    ['E applied a second edit R staged from the first', entry('modify', { checksum: E2 }), rec({ checksum: D }), file({ size: 9, checksum: C }), [sent(), sent({ checksum: E2 })], 'record-staged'],
    // E's own content, never staged by R, is E's change: a conflict with R's pending edit
    ['E\'s own edit while two sessions of R\'s wait', entry('modify'), rec(), file({ size: 9, checksum: E2 }), [sent(), sent({ checksum: E2 })], 'fetch keeping a copy'],
    ['E\'s own edit after applying R\'s first session', entry('modify'), rec({ checksum: D }), file({ size: 9, checksum: E2 }), [sent(), sent({ checksum: E2 })], 'fetch keeping a copy'],
    // a base that is only a later session's content is none: sessions are not applied backwards
    ['R\'s older content after its newer one was received', entry('modify', { checksum: D }), rec({ checksum: E2 }), file({ size: 9, checksum: C }), [sent(), sent({ checksum: E2 })], 'fetch keeping a copy'],
  ])('%s', (_name, e, recorded, local, staged, expected) => {
    expect(describeAction(planEntry({ entry: e, recorded, local, staged, inDir: local.kind === 'absent' }))).toBe(expected);
  });

  // Where a later session already holds what R has now, the log says so instead of "goes upstream next time".
  it.each<[string, ChangeEntry, LocalState, StagedAtPath[], string | undefined]>([
    ['R\'s newer edit is staged in the later session', entry('modify', { checksum: D }), file({ size: 9, checksum: E2 }), [sent({ staging_id: 'S1' }), sent({ checksum: E2, staging_id: 'S2' })], 'S2'],
    ['R\'s deletion since is staged in the later session', entry('modify', { checksum: D }), absent, [sent({ staging_id: 'S1' }), { ...gone, staging_id: 'S2' }], 'S2'],
    ['R\'s file made again is staged in the later session', entry('delete'), file({ size: 9, checksum: E2 }), [{ ...gone, staging_id: 'S1' }, sent({ operation: 'add', checksum: E2, base_checksum: null, staging_id: 'S2' })], 'S2'],
    ['R edited again after the later session', entry('modify', { checksum: D }), file({ size: 9, checksum: C }), [sent({ staging_id: 'S1' }), sent({ checksum: E2, staging_id: 'S2' })], undefined],
    ['R made a chmod after the later session', entry('modify', { checksum: D }), file({ size: 9, checksum: E2, mode: 0o755 }), [sent({ staging_id: 'S1' }), sent({ checksum: E2, staging_id: 'S2' })], undefined],
    ['R deleted the file after the later session', entry('modify', { checksum: D }), absent, [sent({ staging_id: 'S1' }), sent({ checksum: E2, staging_id: 'S2' })], undefined],
    ['one session only: nothing staged since', entry('modify', { checksum: D }), file({ size: 9, checksum: C }), [sent({ staging_id: 'S1' })], undefined],
  ])('%s', (_name, e, local, staged, stagedIn) => {
    const action = planEntry({ entry: e, recorded: rec(), local, staged, inDir: local.kind === 'absent' });
    expect(action.type).toBe('record-staged');
    expect(action.type === 'record-staged' ? action.stagedIn : null).toBe(stagedIn);
  });

  it("takes E's change back to an older session's content, after the page showed E holding the newer one, for E's own", () => {
    const older = sent();
    const newer = sent({ checksum: E2 });
    expect(sessionsStillReturning([older, newer], new Set([E2, D]))).toEqual([newer]);
    expect(sessionsStillReturning([older, newer], new Set([D]))).toEqual([older, newer]);
    expect(sessionsStillReturning([older, newer], undefined)).toEqual([older, newer]);
    // Both applied, then E's person reverted to the older: a conflict with R's edit, not R's own.
    const input = { entry: entry('modify', { checksum: D }), recorded: rec(), local: file({ size: 9, checksum: E2 }), inDir: true };
    expect(describeAction(planEntry({ ...input, staged: sessionsStillReturning([older, newer], new Set([E2, D])) }))).toBe('fetch keeping a copy');
    expect(describeAction(planEntry({ ...input, staged: sessionsStillReturning([older, newer], new Set([D])) }))).toBe('record-staged');
  });

  it("gives R's later content E's bits where R kept the bits it sent (E's chmod), and not where R made its own", () => {
    const eChmod = entry('modify', { checksum: D, mode: 0o755 });
    const plan = (local: LocalState) => planEntry({ entry: eChmod, recorded: rec(), local, staged: [sent()], inDir: true });
    expect(plan(file({ size: 9, checksum: C }))).toMatchObject({ type: 'record-staged', bits: 0o755 });
    expect(plan(file({ size: 9, checksum: C, mode: 0o600 }))).not.toHaveProperty('bits');
    expect(planEntry({ entry: entry('modify', { checksum: D }), recorded: rec(), local: file({ size: 9, checksum: C }), staged: [sent()], inDir: true })).not.toHaveProperty('bits');
  });

  it('takes a file gone with its directory for no deletion of R\'s: E\'s file comes back (R replaced the directory with a file, say)', () => {
    const input = { entry: entry('add', { path: 'sub/f.txt', checksum: D }), recorded: null, local: absent, staged: [sent({ operation: 'add', base_checksum: null })] };
    expect(describeAction(planEntry({ ...input, inDir: false }))).toBe('fetch');
    expect(describeAction(planEntry(input))).toBe('fetch');
    expect(describeAction(planEntry({ ...input, inDir: true }))).toBe('record-staged');
  });
});

describe('planPull', () => {
  it('orders a batch: parents first, copies before downloads and deletions, children deleted first', () => {
    const plan = planPull([
      { entry: dirEntry('delete', 'old'), recorded: dirRec('old'), local: dir() },
      { entry: dirEntry('delete', 'old/deeper'), recorded: dirRec('old/deeper'), local: dir() },
      { entry: entry('delete', { path: 'old/a.txt' }), recorded: rec({ path: 'old/a.txt' }), local: file() },
      { entry: dirEntry('add', 'new/inner'), recorded: null, local: absent },
      { entry: dirEntry('add', 'new'), recorded: null, local: absent },
      { entry: entry('add', { path: 'new/a.txt', checksum: A }), recorded: null, local: absent },
      { entry: entry('add', { path: 'new/b.txt' }), recorded: null, local: absent },
    ], new Map([[A, { base_dir: 'd', path: 'old/a.txt' }]]));
    const paths = (phase: keyof typeof plan) => plan[phase].map((a) => a.entry.path);
    expect(paths('mkdir')).toEqual(['new', 'new/inner']);
    expect(paths('copy')).toEqual(['new/a.txt']);
    expect(paths('download')).toEqual(['new/b.txt']);
    expect(paths('delete-files')).toEqual(['old/a.txt']);
    expect(paths('delete-dirs')).toEqual(['old/deeper', 'old']);
    expect(paths('dir-modes')).toEqual(['new/inner', 'new']);
  });

  it('gives directories E\'s mode last, children first: a made one and a chmod of an existing one', () => {
    const plan = planPull([
      { entry: dirEntry('add', 'priv', 0o500), recorded: null, local: absent },
      { entry: dirEntry('modify', 'priv/inner', 0o000), recorded: null, local: absent },
      { entry: entry('add', { path: 'priv/inner/a.txt' }), recorded: null, local: absent },
      { entry: dirEntry('modify', 'shared', 0o750), recorded: dirRec('shared'), local: dir(0o755) },
    ]);
    expect(plan.mkdir.map((a) => a.entry.path)).toEqual(['priv', 'priv/inner']);
    expect(plan.download.map((a) => a.entry.path)).toEqual(['priv/inner/a.txt']);
    expect(plan['dir-modes'].map((a) => (a.type === 'set-dir-mode' ? `${a.entry.path} ${a.entry.mode.toString(8)}${a.made ? ' made' : ''}` : a.type))).toEqual([
      'priv/inner 0 made',
      'priv 500 made',
      'shared 750',
    ]);
  });
});

describe('planPull: R\'s chmod and E\'s rename (a deletion and an add of the same content)', () => {
  const X = 'e'.repeat(64);
  const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // sha256 of nothing
  const renamed = (
    over: {
      addMode?: number;
      addLocal?: LocalState;
      adds?: string[];
      rBits?: number;
      rContent?: string;
      rLocalMode?: number;
      alsoDeleted?: string[];
      empty?: true;
      staged?: boolean;
      /** A run killed before its record placed the new file with these bits (and mtime, E's by default): adopted with E's bits. */
      placed?: { mode: number; mtime?: number };
    } = {},
  ) => {
    const size = over.empty ? 0 : 3;
    const content = over.empty ? EMPTY : X;
    // R holds these as received, unchmodded.
    const deleted = (path: string, bits: number) => ({
      entry: entry('delete', { path }),
      recorded: rec({ path, checksum: content, size, local_size: size, ...(over.rLocalMode === undefined ? {} : { local_mode: over.rLocalMode }) }),
      local: file({ mode: bits, ...(over.rContent ? { size: 9, checksum: over.rContent } : { size, checksum: content }) }),
    });
    const staged = over.staged ? { staged: [{ kind: 'file', operation: 'modify', checksum: content, base_checksum: content, mode: 0o755, base_mode: 0o644 } satisfies StagedAtPath] } : {};
    return [
      { ...deleted('a.sh', over.rBits ?? 0o755), ...staged },
      ...(over.alsoDeleted ?? []).map((path) => deleted(path, 0o644)),
      ...(over.adds ?? ['b.sh']).map((path) => {
        const add = entry('add', { path, checksum: content, size, mode: over.addMode ?? 0o644 });
        if (!over.placed) return { entry: add, recorded: null, local: over.addLocal ?? absent };
        const mtime = over.placed.mtime ?? add.mtime;
        const placed = file({ checksum: content, size, ino: 8, mtime, mode: over.placed.mode });
        return { entry: add, recorded: rec({ path, checksum: content, size, mode: add.mode, local_size: size, local_mtime: mtime, local_ino: 8 }), local: placed };
      }),
    ];
  };
  const summary = (plan: ReturnType<typeof planPull>) =>
    Object.values(plan)
      .flat()
      .map((a) => {
        if (a.type === 'delete-file') return `${a.entry.path}: ${describeAction(a)}${a.carriedTo ? ` → ${a.carriedTo.path}` : ''}`;
        if (a.type === 'fetch') return `${a.entry.path}: ${describeAction(a)}${a.keepBits === undefined ? '' : ` with R's ${a.keepBits.toString(8)}`}`;
        if (a.type === 'record' || a.type === 'set-attributes') return `${a.entry.path}: ${a.type}${a.keepBits === undefined ? '' : ` keeping R's ${a.keepBits.toString(8)}`}`;
        return `${a.entry.path}: ${a.type}`;
      });
  it.each<[string, ReturnType<typeof renamed>, string[]]>([
    ["R's chmod goes to the new name, no copy", renamed(), ["b.sh: fetch with R's 755", "a.sh: delete (R's chmod 755) → b.sh"]],
    ['without a chmod on R, a plain rename', renamed({ rBits: 0o644 }), ['b.sh: fetch', 'a.sh: delete']],
    ["E chmodded it too: the copy keeps R's bits", renamed({ addMode: 0o700 }), ['b.sh: fetch', "a.sh: delete keeping a copy (R's chmod 755)"]],
    ['E copied it to two names: which one is unsure, the copy', renamed({ adds: ['b.sh', 'c.sh'] }), ['b.sh: fetch', 'c.sh: fetch', "a.sh: delete keeping a copy (R's chmod 755)"]],
    ['R has a file of its own at the new name: the copy', renamed({ addLocal: file({ checksum: C }) }), ['b.sh: fetch keeping a copy', "a.sh: delete keeping a copy (R's chmod 755)"]],
    ['R also edited the content: a content edit, the copy', renamed({ rContent: C }), ['b.sh: fetch', 'a.sh: delete keeping a copy']],
    ["R's disk shows the bits it had once written (vfat): a plain rename", renamed({ rLocalMode: 0o755 }), ['b.sh: fetch', 'a.sh: delete']],
    // `mv a2.sh b.sh; rm a1.sh` of two equal files: b.sh is a2's, not the chmodded a1's.
    ['E deleted another file of that content too: which one moved is unsure, the copy', renamed({ alsoDeleted: ['a2.sh'] }), ['b.sh: fetch', "a.sh: delete keeping a copy (R's chmod 755)", 'a2.sh: delete']],
    // `rm old/marker; touch new/.keep`: empty files are no rename of each other.
    ['empty content: no rename, the copy', renamed({ empty: true }), ['b.sh: fetch', "a.sh: delete keeping a copy (R's chmod 755)"]],
    [
      "E also wrote that content over a file of R's: two adds, the copy",
      [...renamed(), { entry: entry('add', { path: 'c.sh', checksum: X }), recorded: null, local: file({ size: 9, checksum: C }) }],
      ['b.sh: fetch', 'c.sh: fetch keeping a copy', "a.sh: delete keeping a copy (R's chmod 755)"],
    ],
    // A session on E holds R's chmod for a.sh: carried, it would go again for b.sh (twice on E).
    ["R's chmod already staged: a deletion's copy, as with a delete", renamed({ staged: true }), ['b.sh: fetch', "a.sh: delete keeping a copy (R's chmod 755)"]],
    // A run made the carry and was killed before deleting a.sh and recording the batch.
    ["a killed run placed b.sh with R's 755: the old name goes, no copy", renamed({ placed: { mode: 0o755 } }), ["b.sh: record keeping R's 755", "a.sh: delete (R's chmod 755) → b.sh"]],
    ["same, b.sh touched since: its mtime is set, the old name goes", renamed({ placed: { mode: 0o755, mtime: 9000 } }), ["b.sh: set-attributes keeping R's 755", "a.sh: delete (R's chmod 755) → b.sh"]],
    ["b.sh has other bits of R's (700): which chmod is unsure, the copy", renamed({ placed: { mode: 0o700 } }), ["b.sh: record keeping R's 700", "a.sh: delete keeping a copy (R's chmod 755)"]],
    ["b.sh has E's bits (R chmodded a.sh after the kill): the copy", renamed({ placed: { mode: 0o644 } }), ['b.sh: record', "a.sh: delete keeping a copy (R's chmod 755)"]],
    ["R's chmod already staged: the copy, b.sh keeps R's bits", renamed({ placed: { mode: 0o755 }, staged: true }), ["b.sh: record keeping R's 755", "a.sh: delete keeping a copy (R's chmod 755)"]],
  ])('%s', (_name, inputs, expected) => {
    expect(summary(planPull(inputs))).toEqual(expected);
  });

  it("writes R's bits on the new file and records E's, so the chmod goes upstream", () => {
    const fetch = planPull(renamed()).download[0]!;
    expect(fetch.type === 'fetch' && fetchedModes(fetch, 0o644)).toEqual({ write: 0o755, record: 0o644 });
  });
});

describe('planPull noting where E moved what it deleted (words only)', () => {
  const [X1, X2, X3] = ['1'.repeat(64), '2'.repeat(64), '3'.repeat(64)];
  /** R holds `path` as received with `content`; `edited`: R changed it since. */
  const gone = (path: string, content: string, edited = false): PlanInput => ({
    entry: entry('delete', { path }),
    recorded: rec({ path, checksum: content }),
    local: edited ? file({ size: 9, checksum: C }) : file({ checksum: content }),
  });
  const goneDir = (path: string): PlanInput => ({ entry: dirEntry('delete', path), recorded: dirRec(path), local: dir() });
  const added = (path: string, content: string): PlanInput => ({ entry: entry('add', { path, checksum: content }), recorded: null, local: absent });
  const addedDir = (path: string): PlanInput => ({ entry: dirEntry('add', path), recorded: null, local: absent });
  const moves = (plan: ReturnType<typeof planPull>) =>
    Object.values(plan)
      .flat()
      .flatMap((a) => ((a.type === 'delete-file' || a.type === 'delete-dir') && a.movedTo ? [`${a.entry.path} → ${a.movedTo.path}`] : []))
      .sort();
  it.each<[string, PlanInput[], string[]]>([
    ['`mv a b`: each file and the directory moved, R\'s edited one too', [gone('a/x', X1, true), gone('a/y', X2), goneDir('a'), addedDir('b'), added('b/x', X1), added('b/y', X2)], ['a → b', 'a/x → b/x', 'a/y → b/y']],
    ['a directory below one moved', [gone('a/s/x', X1), goneDir('a/s'), goneDir('a'), added('b/s/x', X1)], ['a → b', 'a/s → b/s', 'a/s/x → b/s/x']],
    ['twins (equal content) go with their directory', [gone('a/x', X1), gone('a/y', X3), gone('a/z', X3), goneDir('a'), added('b/x', X1), added('b/y', X3), added('b/z', X3)], ['a → b', 'a/x → b/x', 'a/y → b/y', 'a/z → b/z']],
    ['`rm a/y; mv a/x c/x`: the file moved, the directory did not', [gone('a/x', X1), gone('a/y', X2), goneDir('a'), added('c/x', X1)], ['a/x → c/x']],
    ['files of one directory moved to two: the directory did not', [gone('a/x', X1), gone('a/y', X2), goneDir('a'), added('b/x', X1), added('c/y', X2)], ['a/x → b/x', 'a/y → c/y']],
    ['a plain deletion', [gone('a/x', X1), goneDir('a')], []],
    ['content E wrote at two names: which one is unsure', [gone('x', X1), added('b', X1), added('c', X1)], []],
  ])('%s', (_name, inputs, expected) => {
    expect(moves(planPull(inputs))).toEqual(expected);
  });
});
