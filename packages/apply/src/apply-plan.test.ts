import { describe, expect, it } from 'vitest';
import type { RVersion, StagedEntry, StagingSession } from '@zync/daemon';
import {
  checkAppliable,
  checkNonInteractive,
  decisionsFor,
  dirsToFinish,
  eChangeFor,
  entryKey,
  inPlaceResolution,
  keptAbove,
  keptDirsOf,
  modeFor,
  pendingBelow,
  orderEntries,
  planApply,
  planEntry,
  rVersionOf,
  rVersionsByPath,
  stepFor,
  workingDirMode,
  type Decision,
  type ECurrent,
  type Step,
} from './apply-plan.js';
import { formatTime } from './local-time.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

const entry = (over: Partial<StagedEntry> = {}): StagedEntry => ({
  staging_id: 'S',
  entry_no: 1,
  base_dir: 'docs',
  path: 'f.txt',
  kind: 'file',
  operation: 'modify',
  checksum: B,
  size: 3,
  mode: 0o644,
  base_mode: null,
  mtime: 1,
  base_checksum: A,
  e_checksum: A,
  conflict: false,
  blob: '1.blob',
  apply_state: 'pending',
  resolution: null,
  backup: null,
  copy_path: null,
  applied_at: null,
  ...over,
});
const del = (over: Partial<StagedEntry> = {}) => entry({ operation: 'delete', checksum: null, size: 0, blob: null, ...over });
const add = (over: Partial<StagedEntry> = {}) => entry({ operation: 'add', base_checksum: null, e_checksum: null, ...over });
const mkdir = (over: Partial<StagedEntry> = {}) =>
  entry({ kind: 'dir', operation: 'add', checksum: null, size: 0, base_checksum: null, e_checksum: null, blob: null, ...over });
const rmdir = (over: Partial<StagedEntry> = {}) => mkdir({ operation: 'delete', ...over });

/** E holding `token`; a file has the default entry's mode unless told otherwise. */
const onE = (token: string | null, mode: number | null = token === null || token === 'dir' ? null : 0o644): ECurrent => ({ token, mode });
const emptyDirOnE: ECurrent = { token: 'dir', mode: null, dir_empty: true };
/** R only changed the permission bits: same content as its base, another mode. */
const chmodOnR = (over: Partial<StagedEntry> = {}) => entry({ checksum: A, mode: 0o755, ...over });

const session = (status: StagingSession['status']): StagingSession => ({
  staging_id: 'S',
  client_id: 'c',
  host_name: null,
  applied_from: null,
  status,
  created: 0,
  updated: 0,
  file_count: 1,
  received_count: 1,
  conflict_count: 0,
  total_bytes: 3,
  reason: status === 'aborted' ? "R's upload was cut off before it finished (Ctrl-C, SIGTERM, or the connection dropped)" : null,
});

describe('checkAppliable', () => {
  it.each<[string, StagingSession | null, boolean]>([
    ['a complete session', session('complete'), true],
    ['an applied session', session('applied'), false],
    ['an aborted session', session('aborted'), false],
    ['a session still uploading', session('in_progress'), false],
    ['an unknown id', null, false],
  ])('%s', (_name, s, ok) => {
    const err = checkAppliable(s, 'S', null);
    expect(err === null).toBe(ok);
    if (err) expect(err.code).toBe('SESSION_NOT_APPLIABLE');
  });

  // As list and show write times, not as raw ISO.
  it.each<[StagingSession['status'], string]>([
    ['applied', `Session S was already applied on ${formatTime(0)}; it cannot be applied twice.`],
    ['discarded', `Session S was discarded on ${formatTime(0)} and cannot be applied; R sends its changes again at its next --update-upstream.`],
  ])('says when a session was %s in the format list uses', (status, message) => {
    expect(checkAppliable(session(status), 'S', null)?.message).toBe(message);
    expect(message).toMatch(/ on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[; ]/);
  });
});

describe('planEntry', () => {
  it.each<[string, StagedEntry, string | null | ECurrent, boolean, boolean, Step | null]>([
    ['R edited, E unchanged: write over E (backed up)', entry(), A, false, false, { kind: 'write', backup: true }],
    ['R edited, E edited too: conflict', entry(), C, false, true, null],
    ['R edited, E edited too, --force: write', entry(), C, true, true, { kind: 'write', backup: true }],
    ['R edited, E deleted it: conflict', entry(), null, false, true, null],
    ['R edited, E deleted it, --force: write, nothing to back up', entry(), null, true, true, { kind: 'write', backup: false }],
    ['E already holds R’s content', entry(), B, false, false, { kind: 'unchanged' }],
    ['new on R, absent on E: write', add(), null, false, false, { kind: 'write', backup: false }],
    ['new on R, E made another file there: conflict', add(), C, false, true, null],
    ['R deleted, E unchanged: delete (backed up)', del(), A, false, false, { kind: 'delete', backup: true }],
    ['R deleted, E gone too: nothing', del(), null, false, false, { kind: 'unchanged' }],
    ['R deleted, E edited: conflict', del(), C, false, true, null],
    ['R deleted, E edited, --force: delete (backed up)', del(), C, true, true, { kind: 'delete', backup: true }],
    ['R made a directory, absent on E: make it', mkdir(), null, false, false, { kind: 'write', backup: false }],
    ['R made a directory, E has one too: nothing', mkdir(), 'dir', false, false, { kind: 'unchanged' }],
    ['R made a directory where E has a file: conflict', mkdir(), C, false, true, null],
    ['R made a directory where E has a file, --force: replace (file backed up)', mkdir(), C, true, true, { kind: 'write', backup: true }],
    ['R replaced the file it received with a directory, E unchanged: replace (file backed up)', mkdir({ base_checksum: A }), A, false, false, { kind: 'write', backup: true }],
    ['R replaced the file it received with a directory, E edited the file: conflict', mkdir({ base_checksum: A }), C, false, true, null],
    ['R replaced the file it received with a directory, E made one too: nothing', mkdir({ base_checksum: A }), 'dir', false, false, { kind: 'unchanged' }],
    ['R removed a directory E still has: remove it (if empty)', rmdir(), 'dir', false, false, { kind: 'delete', backup: false }],
    ['R removed a directory E removed too: nothing', rmdir(), null, false, false, { kind: 'unchanged' }],
    ['R removed a directory where E now has a file: conflict', rmdir(), C, false, true, null],
    // E made a directory where R sends a file (after staging): only an empty one may go.
    ['R edited, E replaced the file with an empty directory: conflict', entry(), emptyDirOnE, false, true, null],
    ['R edited, E replaced the file with an empty directory, --force: write over it, nothing to back up', entry(), emptyDirOnE, true, true, { kind: 'write', backup: false }],
    ['R edited, E replaced the file with a directory holding files: conflict', entry(), 'dir', false, true, null],
    ['new on R, E made a directory holding files there, --force: E’s directory stays, said why', add(), 'dir', true, true, { kind: 'keep_e', reason: 'dir_holds_files' }],
    ['R deleted, E replaced the file with a directory, --force: remove it (if empty)', del(), 'dir', true, true, { kind: 'delete', backup: false }],
    ['R changed only the permission bits, E unchanged: set them', chmodOnR(), A, false, false, { kind: 'mode' }],
    ['R changed only the permission bits, E has them already: nothing', chmodOnR(), onE(A, 0o755), false, false, { kind: 'unchanged' }],
    ['R changed only the permission bits, E edited the content: conflict', chmodOnR(), C, false, true, null],
    ['R changed only the permission bits, E deleted it, --force: write', chmodOnR(), null, true, true, { kind: 'write', backup: false }],
    ['E already holds R’s content with other permission bits: set them', entry(), onE(B, 0o600), false, false, { kind: 'mode' }],
    ['R’s mode unknown (staged by an older client): nothing', entry({ mode: null }), onE(B, 0o600), false, false, { kind: 'unchanged' }],
    // R's base mode known (R says what it received): E's own chmod is kept where R made none.
    ['R edited without a chmod, E did chmod +x: write, keeping E’s bits', entry({ base_mode: 0o644 }), onE(A, 0o755), false, false, { kind: 'write', backup: true }],
    ['E already holds R’s content, R made no chmod, E did: nothing', entry({ base_mode: 0o644 }), onE(B, 0o755), false, false, { kind: 'unchanged' }],
    ['R chmod 600, E chmod 755, same content: a conflict', chmodOnR({ mode: 0o600, base_mode: 0o644 }), onE(A, 0o755), false, true, null],
    ['R edited and chmod 600, E chmod 755: a conflict', entry({ mode: 0o600, base_mode: 0o644 }), onE(A, 0o755), false, true, null],
    ['R chmod 600, E chmod 755, --force: R’s bits', chmodOnR({ mode: 0o600, base_mode: 0o644 }), onE(A, 0o755), true, true, { kind: 'mode' }],
    // A run killed between removing E's file (backed up) and making R's directory (classifiedToken).
    ['R replaced the file it received with a directory, a killed run removed E’s file: make it', mkdir({ base_checksum: A, apply_state: 'applying' }), { ...onE(null), removed_by_apply: A }, false, false, { kind: 'write', backup: true }],
    ['… and E had edited that file (taken upstream before the kill): still a conflict', mkdir({ base_checksum: A, apply_state: 'applying' }), { ...onE(null), removed_by_apply: C }, false, true, null],
    ['… not marked applying: E deleted it, a conflict', mkdir({ base_checksum: A }), { ...onE(null), removed_by_apply: A }, false, true, null],
  ])('%s', (_name, e, now, force, conflict, step) => {
    const item = planEntry(e, typeof now === 'object' && now !== null ? now : onE(now), { force });
    expect(item.conflict).toBe(conflict);
    expect(item.step).toEqual(step);
  });

  it.each<[string, StagedEntry, ECurrent, number | null]>([
    ['R made no chmod: E’s bits stay', entry({ base_mode: 0o644 }), onE(A, 0o755), 0o755],
    ['R’s base unknown (older client): R’s bits, as before', entry(), onE(A, 0o755), 0o644],
    ['E deleted it: R’s bits', entry({ base_mode: 0o644 }), onE(null), 0o644],
    ['E’s setuid file given R’s content, R made no chmod: without its set-ID bits', entry({ mode: 0o4755, base_mode: 0o4755 }), onE(A, 0o4755), 0o755],
    ['E’s setgid file given R’s content over E’s edit (--force): without its set-ID bits', entry({ mode: 0o2755, base_mode: 0o2755 }), onE(C, 0o2755), 0o755],
    ['E’s setuid file already holds R’s content: its bits stay', entry({ mode: 0o4755, base_mode: 0o4755 }), onE(B, 0o4755), 0o4755],
  ])('the bits a written file gets: %s', (_name, e, now, mode) => {
    expect(planEntry(e, now, { force: true }).mode).toBe(mode);
  });
});

describe('modeFor (three-way permission bits)', () => {
  const f = (mode: number | null, base_mode: number | null) => entry({ mode, base_mode });
  it.each<[string, StagedEntry, number | null, { mode: number | null; conflict: boolean }]>([
    ['older client (no base): R’s bits win, as before', f(0o644, null), 0o755, { mode: 0o644, conflict: false }],
    ['R made no chmod, E made none', f(0o644, 0o644), 0o644, { mode: 0o644, conflict: false }],
    ['R made no chmod, E made one: E’s', f(0o644, 0o644), 0o755, { mode: 0o755, conflict: false }],
    ['R made a chmod, E made none: R’s', f(0o755, 0o644), 0o644, { mode: 0o755, conflict: false }],
    ['both made the same chmod', f(0o755, 0o644), 0o755, { mode: 0o755, conflict: false }],
    ['both made different ones: a conflict (R’s if taken)', f(0o600, 0o644), 0o755, { mode: 0o600, conflict: true }],
    ['E has no file: R’s', f(0o600, 0o644), null, { mode: 0o600, conflict: false }],
    ['R’s bits unknown: E’s stay', f(null, 0o644), 0o755, { mode: 0o755, conflict: false }],
    ['a deletion has none', del({ mode: null, base_mode: 0o644 }), 0o755, { mode: null, conflict: false }],
    ['a directory has none', mkdir({ mode: 0o755 }), null, { mode: null, conflict: false }],
    ['R’s setuid bit never lands (new on R)', f(0o4755, null), null, { mode: 0o755, conflict: false }],
    ['R’s setgid bit never lands (R’s chmod)', f(0o2755, 0o644), 0o644, { mode: 0o755, conflict: false }],
    ['R only added a set-ID bit: E’s bits stay', f(0o4644, 0o644), 0o600, { mode: 0o600, conflict: false }],
    ['E’s own setuid file, R made no chmod: E’s bits stay', f(0o4755, 0o4755), 0o4755, { mode: 0o4755, conflict: false }],
    ['R cleared E’s setuid bit: R’s bits', f(0o755, 0o4755), 0o4755, { mode: 0o755, conflict: false }],
  ])('%s', (_name, e, eMode, expected) => {
    expect(modeFor(e, eMode)).toEqual(expected);
  });
});

describe('stepFor (a person’s decision on a conflict)', () => {
  it.each<[string, StagedEntry, string | null, Decision, Step]>([
    ['take upstream over E’s edit', entry(), C, 'upstream', { kind: 'write', backup: true }],
    ['keep E’s', entry(), C, 'keep_e', { kind: 'keep_e' }],
    ['keep both', entry(), C, 'keep_both', { kind: 'copy' }],
    ['take upstream deletion', del(), C, 'upstream', { kind: 'delete', backup: true }],
    ['keep both on a deletion keeps E’s', del(), C, 'keep_both', { kind: 'keep_e' }],
    ['take upstream where E edited back to R’s content, other mode', entry(), B, 'upstream', { kind: 'mode' }],
  ])('%s', (_name, e, now, decision, step) => {
    expect(stepFor({ entry: e, e_checksum: now, e_mode: now === B ? 0o600 : 0o644, mode: e.mode }, decision)).toEqual(step);
  });

  it('offers "keep both" only where R sends a file and E holds one', () => {
    expect(decisionsFor(del(), C)).toEqual(['upstream', 'keep_e']);
    expect(decisionsFor(mkdir(), C)).toEqual(['upstream', 'keep_e']);
    expect(decisionsFor(entry(), C)).toEqual(['upstream', 'keep_e', 'keep_both']);
    expect(decisionsFor(entry(), null)).toEqual(['upstream', 'keep_e']); // E deleted it: nothing to keep beside
  });

  it('where R sends a file and E holds a directory, offers R’s file only over an empty one', () => {
    expect(decisionsFor(entry(), 'dir', true)).toEqual(['upstream', 'keep_e']);
    expect(decisionsFor(entry(), 'dir', false)).toEqual(['keep_e']);
    expect(decisionsFor(add(), 'dir')).toEqual(['keep_e']);
    expect(decisionsFor(del(), 'dir')).toEqual(['upstream', 'keep_e']); // removed only if empty (the shell's rmdir)
  });

  it.each<[string, boolean, Decision, Step]>([
    ['take upstream over an empty directory: write, nothing to back up', true, 'upstream', { kind: 'write', backup: false }],
    ['take upstream over a directory holding files: E’s stays', false, 'upstream', { kind: 'keep_e', reason: 'dir_holds_files' }],
    ['keep both over a directory: E’s stays', false, 'keep_both', { kind: 'keep_e' }],
    ['keep E’s directory', false, 'keep_e', { kind: 'keep_e' }],
  ])('R’s file, E’s directory: %s', (_name, empty, decision, step) => {
    expect(stepFor({ entry: entry(), e_checksum: 'dir', e_mode: null, e_dir_empty: empty, mode: 0o644 }, decision)).toEqual(step);
  });

  it('"keep both" where E holds no file keeps E’s', () => {
    expect(stepFor({ entry: entry(), e_checksum: null, e_mode: null, mode: null }, 'keep_both')).toEqual({ kind: 'keep_e' });
  });

  it('taking R’s version where E deleted the file re-creates it, with nothing to back up', () => {
    expect(stepFor({ entry: entry(), e_checksum: null, e_mode: null, mode: null }, 'upstream')).toEqual({ kind: 'write', backup: false });
  });
});

describe('eChangeFor', () => {
  it.each<[string, StagedEntry, string | null, string | null]>([
    ['R edited, E edited', entry(), C, 'modified'],
    ['R edited, E deleted', entry(), null, 'deleted'],
    ['R deleted, E edited', del(), C, 'modified'],
    ['new on R, new on E', add(), C, 'added_file'],
    ['R made a directory, E a file', mkdir(), C, 'added_file'],
    ['R removed a directory, E put a file there', rmdir(), C, 'replaced_with_file'],
    ['R edited, E unchanged', entry(), A, null],
  ])('%s', (_name, e, now, expected) => {
    expect(eChangeFor(e, now)).toBe(expected);
  });
});

describe('planApply / checkNonInteractive', () => {
  const entries = [
    entry({ path: 'clean.txt', entry_no: 1 }),
    entry({ path: 'both.txt', entry_no: 2 }),
    entry({ path: 'done.txt', entry_no: 3, apply_state: 'applied', resolution: 'upstream' }),
  ];
  const current = new Map([
    [entryKey(entries[0]!), onE(A)],
    [entryKey(entries[1]!), onE(C)],
  ]);

  it('re-checks conflicts against E now and skips applied entries', () => {
    const plan = planApply(entries, current, { force: false });
    expect(plan.done).toBe(1);
    expect(plan.conflicts).toBe(1);
    expect(plan.items.map((i) => [i.entry.path, i.conflict])).toEqual([
      ['clean.txt', false],
      ['both.txt', true],
    ]);
  });

  it('a conflict at staging that E has since resolved is no conflict', () => {
    const staged = [entry({ conflict: true, e_checksum: C })];
    const plan = planApply(staged, new Map([[entryKey(staged[0]!), onE(B)]]), { force: false });
    expect(plan.conflicts).toBe(0);
    expect(plan.items[0]!.step).toEqual({ kind: 'unchanged' });
  });

  it.each([
    ['refuses without --force when a conflict remains', false, 'SESSION_NOT_APPLIABLE'],
    ['allows with --force', true, null],
  ] as const)('%s', (_name, force, code) => {
    const plan = planApply(entries, current, { force });
    expect(checkNonInteractive(plan, 'S', { force, db: null })?.code ?? null).toBe(code);
  });
});

describe('below a directory of R’s where E’s version was kept', () => {
  const notes = mkdir({ path: 'notes', base_checksum: A, entry_no: 1 });
  const kept = new Set([entryKey(notes)]);

  it.each<[string, StagedEntry, string | null]>([
    ['a file R put in it', add({ path: 'notes/a' }), 'notes'],
    ['a directory R made in it', mkdir({ path: 'notes/sub' }), 'notes'],
    ['a file deeper down', add({ path: 'notes/sub/b' }), 'notes'],
    ['the directory itself', notes, null],
    ['a sibling whose name starts alike', add({ path: 'notes.txt' }), null],
    ['the same path in another base dir', add({ path: 'notes/a', base_dir: 'other' }), null],
  ])('keptAbove: %s', (_name, e, expected) => {
    expect(keptAbove(e, kept)).toBe(expected);
  });

  it('keptAbove names the outermost kept directory (an inner one was only skipped)', () => {
    expect(keptAbove(add({ path: 'notes/sub/b' }), new Set([entryKey({ base_dir: 'docs', path: 'notes/sub' }), entryKey(notes)]))).toBe('notes');
  });

  it('planEntry skips such an entry, whatever E holds and even with --force: it is no conflict', () => {
    for (const force of [false, true]) {
      const item = planEntry(add({ path: 'notes/a', conflict: true }), onE(C), { force, keptDirs: kept });
      expect(item.conflict).toBe(false);
      expect(item.step).toEqual({ kind: 'skip', kept: 'notes' });
    }
  });

  it('planApply remembers what an earlier run kept, and skips what lies below it', () => {
    const entries = [
      { ...notes, apply_state: 'applied' as const, resolution: 'kept_e' as const },
      add({ path: 'notes/a', entry_no: 2 }),
      add({ path: 'other.txt', entry_no: 3 }),
    ];
    const plan = planApply(entries, new Map(), { force: true });
    expect([...plan.kept_dirs]).toEqual([entryKey(notes)]);
    expect(plan.items.map((i) => [i.entry.path, i.step])).toEqual([
      ['notes/a', { kind: 'skip', kept: 'notes' }],
      ['other.txt', { kind: 'write', backup: false }],
    ]);
  });

  it.each<[string, StagedEntry, boolean]>([
    ['R’s directory, E’s version kept', { ...notes, apply_state: 'applied', resolution: 'kept_e' }, true],
    ['R’s directory, made', { ...notes, apply_state: 'applied', resolution: 'upstream' }, false],
    ['R’s directory, not decided yet', { ...notes, resolution: 'kept_e' }, false],
    ['a directory R removed, kept because it holds files', rmdir({ path: 'notes', apply_state: 'applied', resolution: 'kept_e' }), false],
    ['a file, E’s version kept', entry({ path: 'notes', apply_state: 'applied', resolution: 'kept_e' }), false],
  ])('keptDirsOf: %s', (_name, e, included) => {
    expect(keptDirsOf([e]).size).toBe(included ? 1 : 0);
  });

  it('pendingBelow counts what keeping E’s version would leave out', () => {
    const entries = [notes, mkdir({ path: 'notes/sub' }), add({ path: 'notes/a' }), add({ path: 'notes/b', apply_state: 'applied' }), add({ path: 'notes.txt' })];
    expect(pendingBelow(entries, notes)).toBe(2);
  });
});

describe('orderEntries', () => {
  it('makes directories parents first, then files in arrival order, then removes directories children first', () => {
    const ordered = orderEntries([
      rmdir({ path: 'old', entry_no: 1 }),
      entry({ path: 'new/deep/f.txt', entry_no: 2 }),
      mkdir({ path: 'new/deep', entry_no: 3 }),
      rmdir({ path: 'old/sub', entry_no: 4 }),
      del({ path: 'old/sub/x.txt', entry_no: 5 }),
      mkdir({ path: 'new', entry_no: 6 }),
      add({ path: 'a.txt', entry_no: 7 }),
    ]);
    expect(ordered.map((e) => e.path)).toEqual(['new', 'new/deep', 'new/deep/f.txt', 'old/sub/x.txt', 'a.txt', 'old/sub', 'old']);
  });
});

describe('where E’s tree blocks the path (a file where R needs a directory, a link)', () => {
  const fileAt = (path: string): ECurrent => ({ token: null, mode: null, blocked: { path, kind: 'file' } });
  const linkAt = (path: string): ECurrent => ({ token: null, mode: null, blocked: { path, kind: 'link' } });

  it.each<[string, StagedEntry, ECurrent, { force: boolean; rDirs?: Set<string> }, boolean, Step | null]>([
    ['R added a file below E’s file: a conflict', add({ path: 'd/x.txt' }), fileAt('d'), { force: false }, true, null],
    ['R made a directory below E’s file: a conflict', mkdir({ path: 'd/sub' }), fileAt('d'), { force: false }, true, null],
    ['--force replaces E’s file with R’s directory', add({ path: 'd/x.txt' }), fileAt('d'), { force: true }, true, { kind: 'write', backup: false, replace_above: 'd' }],
    ['--force keeps a link above', entry({ path: 'ld/f' }), linkAt('ld'), { force: true }, true, { kind: 'keep_e', reason: 'blocked' }],
    ['--force keeps a link at the path itself', entry({ path: 's.txt' }), linkAt('s.txt'), { force: true }, true, { kind: 'keep_e', reason: 'blocked' }],
    ['R deleted a file below E’s file: nothing of R’s there, nothing to do', del({ path: 'd/old.txt' }), fileAt('d'), { force: false }, false, { kind: 'unchanged' }],
    ['R deleted a file E replaced with a link: a conflict, the link stays', del({ path: 's.txt' }), linkAt('s.txt'), { force: true }, true, { kind: 'keep_e', reason: 'blocked' }],
    [
      'R makes that very directory itself: its own entry is the conflict',
      add({ path: 'd/x.txt' }),
      fileAt('d'),
      { force: false, rDirs: new Set([entryKey({ base_dir: 'docs', path: 'd' })]) },
      false,
      { kind: 'write', backup: false },
    ],
  ])('%s', (_d, e, current, options, conflict, step) => {
    const item = planEntry(e, current, options);
    expect(item.conflict).toBe(conflict);
    expect(item.step).toEqual(step);
  });

  it('offers R’s version over E’s file only, never over a link', () => {
    expect(decisionsFor(add({ path: 'd/x.txt' }), null, false, { path: 'd', kind: 'file' })).toEqual(['upstream', 'keep_e']);
    expect(decisionsFor(add({ path: 'ld/x.txt' }), null, false, { path: 'ld', kind: 'link' })).toEqual(['keep_e']);
    expect(decisionsFor(entry({ path: 'p' }), null, false, { path: 'p', kind: 'special' })).toEqual(['keep_e']);
  });

  it('a person keeping E’s version keeps it, with the reason said', () => {
    const item = planEntry(add({ path: 'd/x.txt' }), fileAt('d'), { force: false });
    expect(stepFor(item, 'keep_e')).toEqual({ kind: 'keep_e', reason: 'blocked' });
    expect(stepFor(item, 'upstream')).toEqual({ kind: 'write', backup: false, replace_above: 'd' });
  });

  it('planApply counts them, so --non-interactive refuses the session', () => {
    const entries = [add({ path: 'd/x.txt', entry_no: 1 }), entry({ path: 'top.txt', entry_no: 2 })];
    const plan = planApply(entries, new Map([[entryKey(entries[0]!), fileAt('d')], [entryKey(entries[1]!), onE(A)]]), { force: false });
    expect(plan.conflicts).toBe(1);
    expect(checkNonInteractive(plan, 'S', { force: false, db: null })?.code).toBe('SESSION_NOT_APPLIABLE');
  });
});

describe('read-only directories R made (workingDirMode, dirsToFinish)', () => {
  const made = (path: string, mode: number, over: Partial<StagedEntry> = {}) =>
    mkdir({ path, mode, apply_state: 'applied', resolution: 'upstream', ...over });

  it('makes R’s directory writable and searchable for its owner while entries go in', () => {
    expect(workingDirMode(0o555)).toBe(0o755);
    expect(workingDirMode(0o500)).toBe(0o700);
    expect(workingDirMode(0o755)).toBe(0o755);
  });

  it('gives back R’s bits deepest first, only where E’s directory still has the working bits', () => {
    const entries = [made('ro', 0o555), made('ro/inner', 0o500), made('open', 0o755), made('changed', 0o555), made('kept', 0o555, { resolution: 'kept_e' })];
    const onE = new Map([
      [entryKey({ base_dir: 'docs', path: 'ro' }), 0o755],
      [entryKey({ base_dir: 'docs', path: 'ro/inner' }), 0o700],
      [entryKey({ base_dir: 'docs', path: 'open' }), 0o755],
      [entryKey({ base_dir: 'docs', path: 'changed' }), 0o750], // E chmodded it since: E's
      [entryKey({ base_dir: 'docs', path: 'kept' }), 0o755],
    ]);
    expect(dirsToFinish(entries, onE).map((d) => [d.entry.path, d.mode])).toEqual([
      ['ro/inner', 0o500],
      ['ro', 0o555],
    ]);
  });

  it.each([
    { description: 'E had R’s version before this apply', over: {}, resolution: 'unchanged' },
    { description: 'an earlier run, killed before recording, put it there', over: { apply_state: 'applying' as const }, resolution: 'upstream' },
    {
      description: 'an earlier run was writing a conflict copy (keep both): E’s own file',
      over: { apply_state: 'applying' as const, copy_path: 'docs/f.zync-conflict-20260101-000000-upstream.txt' },
      resolution: 'unchanged',
    },
  ])('an entry E already holds is recorded as $resolution when $description (inPlaceResolution)', ({ over, resolution }) => {
    expect(inPlaceResolution(mkdir({ path: 'ro', mode: 0o555, ...over }))).toBe(resolution);
  });
});

describe('R’s other sessions over the same path (rVersionOf)', () => {
  const v = (staging_id: string, earlier: boolean, checksum: string | null): RVersion => ({
    base_dir: 'docs',
    path: 'f.txt',
    kind: 'file',
    operation: checksum === null ? 'delete' : 'modify',
    checksum,
    staging_id,
    earlier,
  });
  const plan = (e: StagedEntry, token: string | null, versions: RVersion[], force = false) =>
    planEntry(e, onE(token), { force, rVersions: rVersionsByPath(versions) });

  it.each<[string, string | null, RVersion[], { staging_id: string; earlier: boolean } | null]>([
    ['none', C, [], null],
    ['E holds an earlier session’s content', C, [v('S0', true, C)], { staging_id: 'S0', earlier: true }],
    ['E holds a later session’s content', C, [v('S0', true, C), v('S2', false, C)], { staging_id: 'S2', earlier: false }],
    ['a later session deleted it, and E has nothing', null, [v('S2', false, null)], { staging_id: 'S2', earlier: false }],
    ['E holds something else', A, [v('S0', true, C)], null],
  ])('%s', (_d, token, versions, expected) => {
    expect(rVersionOf(token, versions)).toEqual(expected);
  });

  it('R’s own earlier version on E is no conflict: R’s new one is written over it (backed up)', () => {
    const item = plan(entry({ checksum: B }), C, [v('S0', true, C)]);
    expect(item.conflict).toBe(false);
    expect(item.step).toEqual({ kind: 'write', backup: true });
  });

  it('R’s later version on E is never replaced by this older session, --force included', () => {
    const item = plan(entry({ checksum: B }), C, [v('S2', false, C)], true);
    expect(item.conflict).toBe(false);
    expect(item.step).toEqual({ kind: 'superseded', by: 'S2' });
  });

  it('an edit of E’s own is still a conflict', () => {
    expect(plan(entry({ checksum: B }), C, [v('S0', true, A)]).conflict).toBe(true);
  });
});
