import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { StagedEntry, StagingSession } from '@zync/daemon';
import { blockedNote, conflictHeadline, decisionLabels, describeBlocked, emptyTally, formatSessionList, formatShow, formatSummary, sessionJson, shortenMiddle, showJson, skippedNote, type ShownEntry } from './format.js';

const plain = new Chalk({ level: 0 });
const NOW = Date.UTC(2026, 10, 25, 18, 47, 0);
const coloured = new Chalk({ level: 1 });

const session = (over: Partial<StagingSession> = {}): StagingSession => ({
  staging_id: '20261122-184700-3fa9c1',
  client_id: 'zync-client-1',
  host_name: null,
  applied_from: null,
  status: 'complete',
  created: Date.UTC(2026, 10, 22, 18, 47, 0),
  updated: Date.UTC(2026, 10, 22, 18, 47, 5),
  file_count: 3,
  received_count: 3,
  conflict_count: 1,
  total_bytes: 10,
  reason: null,
  ...over,
});

const entry = (path: string, over: Partial<StagedEntry> = {}): StagedEntry => ({
  staging_id: 'S',
  entry_no: 1,
  base_dir: 'docs',
  path,
  kind: 'file',
  operation: 'modify',
  checksum: 'b'.repeat(64),
  size: 2048,
  mode: 0o644,
  base_mode: null,
  mtime: 1,
  base_checksum: 'a'.repeat(64),
  e_checksum: 'a'.repeat(64),
  conflict: false,
  blob: '1.blob',
  apply_state: 'pending',
  resolution: null,
  backup: null,
  copy_path: null,
  applied_at: null,
  ...over,
});

describe('session list', () => {
  it('JSON carries the documented fields', () => {
    expect(sessionJson(session())).toMatchObject({
      staging_id: '20261122-184700-3fa9c1',
      status: 'complete',
      file_count: 3,
      conflict_count: 1,
      created: '2026-11-22T18:47:00.000Z',
    });
  });

  it('a plain table when piped: aligned, no escapes', () => {
    const out = formatSessionList([session(), session({ staging_id: 'X', status: 'aborted', received_count: 1, conflict_count: 0 })], plain, { all: true, db: null, now: NOW });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^STAGING ID\s+STATUS\s+FILES\s+CONFLICTS AT STAGING\s+FROM\s+CREATED$/);
    expect(lines[1]).toMatch(/^20261122-184700-3fa9c1\s+complete\s+3\s+1\s+zync-client-1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(3 days ago\)$/);
    expect(lines[2]).toMatch(/^X\s+aborted\s+1\/3\s+0/);
    expect(out).not.toContain('\u001b[');
    expect(lines[1]!.indexOf('complete')).toBe(lines[0]!.indexOf('STATUS'));
  });

  it.each<[string, StagingSession['status'], boolean]>([
    ['a session waiting to be applied', 'complete', true],
    ['only finished sessions', 'applied', false],
  ])('says that conflicts were counted at staging and how to count them now (%s)', (_name, status, hint) => {
    const out = formatSessionList([session({ status })], plain, { all: true, db: null, now: NOW });
    expect(out.split('\n')[1]).toMatch(/\s1\s+zync-client-1\s+\d{4}-/); // the column keeps the staged count
    expect(out.includes("Conflicts as counted when each session was staged; zync-apply show ID counts them against E's files now.")).toBe(hint);
  });

  it('a session an interrupted apply left half done says how far it got', () => {
    const out = formatSessionList([session({ file_count: 500, received_count: 500 })], plain, { all: false, db: null, now: NOW, applied: new Map([['20261122-184700-3fa9c1', 120]]) });
    expect(out.split('\n')[1]).toMatch(/^20261122-184700-3fa9c1\s+partly applied \(120\/500\)\s+500\s/);
    expect(sessionJson(session(), 2)).toMatchObject({ status: 'complete', applied_count: 2 });
  });

  it('names the R that sent each session by its host name, when its client gave one, and how old it is', () => {
    const out = formatSessionList([session({ host_name: 'r-laptop' })], plain, { all: false, db: null, now: NOW });
    expect(out.split('\n')[1]).toMatch(/^20261122-184700-3fa9c1\s+complete\s+3\s+1\s+r-laptop\s+\S+ \S+ \(3 days ago\)$/);
    expect(formatShow(session({ host_name: 'r-laptop' }), [], plain, NOW).split('\n')[0]).toMatch(/from r-laptop \(zync-client-1\)  created \S+ \S+ \(3 days ago\)$/);
    expect(formatShow(session(), [], plain, NOW).split('\n')[0]).toMatch(/from zync-client-1  created /);
    expect(sessionJson(session({ host_name: 'r-laptop' }))).toMatchObject({ host_name: 'r-laptop', client_id: 'zync-client-1' });
    expect(sessionJson(session())).toMatchObject({ host_name: null });
    // A host name is R's to choose: printed inert.
    expect(formatSessionList([session({ host_name: 'evil\u001b[2K' })], plain, { all: false, db: null, now: NOW })).toContain('evil\\x1b[2K');
  });

  it('coloured on a terminal', () => {
    expect(formatSessionList([session()], coloured, { all: false, db: null, now: NOW })).toContain('\u001b[36mcomplete');
  });

  it.each<[string, { count: number; by: string[] }, RegExp]>([
    ['every path sent again later', { count: 3, by: ['S2'] }, /^20261122-184700-3fa9c1\s+superseded by S2\s+3\s/],
    ['some paths sent again later', { count: 2, by: ['S2', 'S3'] }, /^20261122-184700-3fa9c1\s+complete, 2\/3 superseded by S2, S3\s+3\s/],
  ])('a session later sessions supersede says by which (%s)', (_why, superseded, line) => {
    const out = formatSessionList([session()], plain, { all: false, db: null, now: NOW, superseded: new Map([['20261122-184700-3fa9c1', superseded]]) });
    expect(out.split('\n')[1]).toMatch(line);
    expect(out).toContain('Superseded: a later session from the same R holds those paths again; zync-apply discard ID drops an older session.');
    expect(sessionJson(session(), 0, superseded)).toMatchObject({ superseded_count: superseded.count, superseded_by: superseded.by });
  });

  it('a discarded session is listed as such (list --all)', () => {
    expect(formatSessionList([session({ status: 'discarded' })], plain, { all: true, db: null, now: NOW }).split('\n')[1]).toMatch(/^\S+\s+discarded\s/);
  });

  it.each([
    [false, /waiting to be applied/],
    [true, /^No staging sessions\.$/],
  ])('says so when there is nothing (all: %s)', (all, text) => {
    expect(formatSessionList([], plain, { all, db: null, now: NOW })).toMatch(text);
  });
});

describe('show', () => {
  const shown: ShownEntry[] = [
    { entry: entry('clean.txt'), e_checksum: 'a'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: false },
    { entry: entry('both.txt', { conflict: true }), e_checksum: 'c'.repeat(64), e_mode: 0o644, conflict: true, e_changed_since_base: true },
    { entry: entry('same.txt'), e_checksum: 'b'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: true },
    { entry: entry('gone.txt', { operation: 'delete', checksum: null, size: 0 }), e_checksum: 'a'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: false },
    { entry: entry('resolved.txt', { conflict: true }), e_checksum: 'b'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: true },
    { entry: entry('done.txt', { apply_state: 'applied', resolution: 'kept_both' }), e_checksum: null, e_mode: null, conflict: false, e_changed_since_base: true },
    { entry: entry('made', { kind: 'dir', operation: 'add', checksum: null, base_checksum: null, size: 0 }), e_checksum: null, e_mode: null, conflict: false, e_changed_since_base: false },
    { entry: entry('tool.sh', { checksum: 'a'.repeat(64), mode: 0o755 }), e_checksum: 'a'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: false },
    { entry: entry('deleted-on-e.txt', { conflict: true }), e_checksum: null, e_mode: null, conflict: true, e_changed_since_base: true },
    { entry: entry('e-chmod.sh', { base_mode: 0o644 }), e_checksum: 'a'.repeat(64), e_mode: 0o755, conflict: false, e_changed_since_base: false },
  ];
  const modeConflict: ShownEntry = {
    entry: entry('both-chmod.sh', { checksum: 'a'.repeat(64), mode: 0o600, base_mode: 0o644 }),
    e_checksum: 'a'.repeat(64),
    e_mode: 0o755,
    conflict: true,
    e_changed_since_base: false,
  };

  it.each([
    ['clean.txt', /clean\.txt\s+modify\s+2\.0 KiB\s+ok: E unchanged since R's base$/m],
    ['both.txt', /both\.txt\s+modify\s+2\.0 KiB\s+CONFLICT: E changed it too$/m],
    ['deleted-on-e.txt', /deleted-on-e\.txt\s+modify\s+2\.0 KiB\s+CONFLICT: E deleted it$/m],
    ['e-chmod.sh', /e-chmod\.sh\s+modify\s+2\.0 KiB\s+ok: E unchanged since R's base; E's permissions 755 stay \(R made no chmod\)$/m],
    ['same.txt', /same\.txt\s+modify\s+2\.0 KiB\s+ok: E already holds R's version$/m],
    ['gone.txt', /gone\.txt\s+delete\s+-\s+ok/m],
    ['resolved.txt', /resolved\.txt.*ok: E already holds R's version \(at staging: conflict\)$/m],
    ['done.txt', /done\.txt.*resolved \(kept both\)$/m],
    ['made/', /made\/\s+add\s+-\s+ok/m],
    ['tool.sh', /tool\.sh\s+modify\s+2\.0 KiB\s+ok: same content, permissions 644 -> 755$/m],
  ])('%s', (_name, line) => {
    expect(formatShow(session(), shown, plain, NOW)).toMatch(line);
  });

  it('fits a terminal by shortening a long path in the middle, and says so; whole without a width', () => {
    const long = `${'d/'.repeat(60)}${'n'.repeat(120)}.txt`;
    const withLong = [...shown, { ...shown[0]!, entry: { ...shown[0]!.entry, path: long } }];
    const fitted = formatShow(session(), withLong, plain, NOW, 100);
    // The PATH column gives way; a row with a long STATE of its own may still run over.
    const row = fitted.split('\n').find((l) => l.includes('…'));
    expect(row?.length, fitted).toBeLessThanOrEqual(100);
    expect(fitted).toMatch(/d\/d\/.*…n+\.txt\s+modify/);
    expect(fitted).toContain('--json, or piping the output, shows them whole');
    const whole = formatShow(session(), withLong, plain, NOW);
    expect(whole).toContain(long);
    expect(whole).not.toContain('…');
    // Rows that fit are left as they are, without the note.
    expect(formatShow(session(), shown, plain, NOW, 200)).toBe(formatShow(session(), shown, plain, NOW));
  });

  it('shortens in the middle, keeping more of the end, never splitting a character', () => {
    expect(shortenMiddle('abcdef', 6)).toBe('abcdef');
    expect(shortenMiddle('abcdefghij', 7)).toBe('ab…ghij');
    expect(Array.from(shortenMiddle('😀'.repeat(30), 10))).toHaveLength(10);
  });

  it('counts conflicts against E now in the heading', () => {
    expect(formatShow(session(), shown, plain, NOW)).toMatch(/10 entries, 2 conflicts against E now/);
  });

  it('both sides changing the permission bits differently is a conflict it names', () => {
    expect(formatShow(session(), [modeConflict], plain, NOW)).toMatch(/both-chmod\.sh\s+modify\s+2\.0 KiB\s+CONFLICT: permissions: R 644 -> 600, E 644 -> 755 \(at staging: clean\)$/m); // staging compares content only
  });

  it('shows control characters in R’s paths and client id as escapes, keeping the columns aligned', () => {
    const hostile: ShownEntry[] = [
      { entry: entry('a\u009b2K\u202egnp.exe'), e_checksum: 'a'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: false },
      { entry: entry('b.txt'), e_checksum: 'a'.repeat(64), e_mode: 0o644, conflict: false, e_changed_since_base: false },
    ];
    for (const chalk of [plain, coloured]) {
      const out = formatShow(session({ client_id: 'r1\u001b[2K\rtrusted\nfake line' }), hostile, chalk, NOW);
      expect(out.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(out).toContain('from r1\\x1b[2K\\x0dtrusted\\x0afake line');
      expect(out).toContain('a\\x9b2K\\u202egnp.exe');
    }
    const lines = formatShow(session(), hostile, plain, NOW).split('\n');
    const row = (name: string) => lines.find((l) => l.includes(name))!;
    expect(row('b.txt').indexOf('modify')).toBe(row('gnp.exe').indexOf('modify'));
  });

  it('JSON has both the conflict now and at staging', () => {
    const json = showJson(session(), shown);
    expect(json.conflict_count_now).toBe(2);
    expect(json.entries.find((e) => e.path === 'deleted-on-e.txt')).toMatchObject({ conflict: true, e_change: 'deleted' });
    expect(json.entries.find((e) => e.path === 'clean.txt')).toMatchObject({ e_change: null });
    expect(json.entries.find((e) => e.path === 'resolved.txt')).toMatchObject({ conflict: false, conflict_at_staging: true, e_changed_since_base: true });
  });
});

describe('a conflict, as the prompt puts it', () => {
  const A = 'a'.repeat(64);
  const C = 'c'.repeat(64);
  const dir = (over: Partial<StagedEntry> = {}) => entry('d', { kind: 'dir', operation: 'add', checksum: null, base_checksum: null, size: 0, blob: null, ...over });

  it.each<[string, StagedEntry, string | null, string]>([
    ['both edited', entry('f'), C, 'R modified it; E changed it too.'],
    ['R edited, E deleted', entry('f'), null, 'R modified it; E deleted it.'],
    ['R deleted, E edited', entry('f', { operation: 'delete', checksum: null }), C, 'R deleted it; E changed it too.'],
    ['both added', entry('f', { operation: 'add', base_checksum: null }), C, 'R added it; E added a file there.'],
    ['R made a directory where E added a file', dir(), C, 'R made a directory here; E added a file there.'],
    ['R made a directory over a file E then deleted', dir({ base_checksum: A }), null, 'R replaced the file with a directory; E deleted it.'],
    ['R removed a directory E replaced with a file', dir({ operation: 'delete' }), C, 'R removed the directory; E replaced the directory with a file.'],
    ['R edited a file E replaced with a directory', entry('f'), 'dir', 'R modified it; E replaced the file with a directory.'],
    ['R added a file where E made a directory', entry('f', { operation: 'add', base_checksum: null }), 'dir', 'R added it; E made a directory there.'],
  ])('%s', (_name, e, now, text) => {
    expect(conflictHeadline(e, now)).toBe(text);
  });

  it.each<[string, StagedEntry, string | null, string]>([
    ['only the permission bits', entry('f', { checksum: A, mode: 0o600, base_mode: 0o644 }), A, 'Both changed the permissions: R 644 -> 600, E 644 -> 755.'],
    ['content and bits', entry('f', { mode: 0o600, base_mode: 0o644 }), C, 'R modified it; E changed it too. Both changed the permissions: R 644 -> 600, E 644 -> 755.'],
  ])('a permission conflict: %s', (_name, e, now, text) => {
    expect(conflictHeadline(e, now, 0o755)).toBe(text);
  });

  it.each<[string, StagedEntry, string | null, Record<string, string>]>([
    [
      'E edited the file',
      entry('f'),
      C,
      { upstream: "take upstream: R's version replaces E's (E's is backed up)", keep_e: "keep E's version" },
    ],
    [
      'E deleted the file R edited',
      entry('f'),
      null,
      { upstream: "take upstream: R's version re-creates the file (E has nothing to back up)", keep_e: "keep E's version: the file stays deleted" },
    ],
    ['R deleted, E edited', entry('f', { operation: 'delete', checksum: null }), C, { upstream: "take upstream: delete E's file (it is backed up)" }],
    ['R made a directory where E has a file', dir(), C, { upstream: "take upstream: make R's directory (E's file is backed up)" }],
    ['R made a directory over a file E deleted', dir({ base_checksum: A }), null, { upstream: "take upstream: make R's directory", keep_e: "keep E's version: nothing there" }],
    ['same content, both changed the bits', entry('f', { checksum: A, mode: 0o600, base_mode: 0o644 }), A, { upstream: "take upstream: give E's file R's permission bits (600)", keep_e: "keep E's version" }],
  ])('choices: %s', (_name, e, now, labels) => {
    expect(decisionLabels(e, now)).toMatchObject(labels);
  });

  it.each<[string, boolean, Record<string, string>]>([
    [
      'empty',
      true,
      { upstream: "take upstream: R's file replaces E's empty directory (nothing to back up)", keep_e: "keep E's version: the empty directory stays" },
    ],
    ['holding files', false, { keep_e: "keep E's directory (R's file cannot replace a directory that holds files)" }],
  ])('choices where R sends a file and E holds a directory (%s)', (_name, empty, labels) => {
    expect(decisionLabels(entry('f'), 'dir', { dirEmpty: empty })).toMatchObject(labels);
  });

  it.each<[string, StagedEntry, { path: string; kind: 'file' | 'link' | 'special' }, string, string, string]>([
    [
      'a file where R needs a directory',
      entry('d/x.txt', { operation: 'add', base_checksum: null }),
      { path: 'd', kind: 'file' },
      'R added it; E replaced the directory d with a file.',
      "keep E's file d (R's entry is not applied)",
      "Kept E's file docs/d: R's docs/d/x.txt needs a directory there, so it was not applied.",
    ],
    [
      'a link above',
      entry('ld/f'),
      { path: 'ld', kind: 'link' },
      'R modified it; E holds a symbolic link at ld.',
      "keep E's symbolic link ld (R's entry is not applied)",
      "Kept E's symbolic link docs/ld: zync does not write through one, so R's docs/ld/f was not applied.",
    ],
    [
      'a FIFO at the path',
      entry('p', { operation: 'delete', checksum: null }),
      { path: 'p', kind: 'special' },
      'R deleted it; E holds a socket, FIFO or device at p.',
      "keep E's socket, FIFO or device p (R's entry is not applied)",
      "Kept E's socket, FIFO or device docs/p: zync does not replace one, so R's docs/p was not applied.",
    ],
  ])('where E’s tree blocks the path: %s', (_name, e, blocked, headline, keep, note) => {
    expect(conflictHeadline(e, null, null, blocked)).toBe(headline);
    expect(decisionLabels(e, null, { blocked }).keep_e).toBe(keep);
    expect(blockedNote(e, blocked)).toBe(note);
  });

  it('says what taking R’s version over E’s file does, and that a link is never written through', () => {
    expect(decisionLabels(entry('d/x'), null, { blocked: { path: 'd', kind: 'file' } }).upstream).toBe("take upstream: replace E's file d with a directory (E's file is backed up)");
    expect(describeBlocked({ path: 'ld', kind: 'link' })).toBe('E holds a symbolic link at ld; zync never writes through one.');
    expect(describeBlocked({ path: 'l\u001b[2Jd', kind: 'link' })).not.toContain('\u001b');
  });
});

describe('keeping E’s version where R made a directory with entries in it', () => {
  const C = 'c'.repeat(64);
  const dir = (over: Partial<StagedEntry> = {}) => entry('notes', { kind: 'dir', operation: 'add', checksum: null, base_checksum: 'a'.repeat(64), size: 0, blob: null, ...over });

  it.each<[string, StagedEntry, string | null, number, string]>([
    ['E edited the file', dir(), C, 3, "keep E's file (R's directory is not made, nor the 3 entries R put in it)"],
    ['E deleted the file', dir(), null, 1, "keep E's version: nothing there (R's directory is not made, nor the 1 entry R put in it)"],
    ['nothing below', dir(), C, 0, "keep E's version"],
  ])('the prompt says what is left out: %s', (_name, e, now, below, label) => {
    expect(decisionLabels(e, now, { below }).keep_e).toBe(label);
  });

  it('the summary counts the skipped entries and says why', () => {
    const out = formatSummary({
      staging_id: 'S',
      db: null,
      tally: { ...emptyTally(), written: 1, kept_e: 1, skipped: 3 },
      finished: true,
      remaining: 0,
      backupDir: null,
      copies: [],
      notes: [skippedNote('docs/notes', 3), skippedNote('docs/more', 1)],
    });
    expect(out).toEqual([
      "Applied session S: 1 written, 0 deleted, 1 kept E's version, 3 skipped.",
      "Kept E's version of docs/notes: R's directory was not made, and the 3 entries R put in it were skipped.",
      "Kept E's version of docs/more: R's directory was not made, and the 1 entry R put in it was skipped.",
    ]);
  });
});

describe('summary', () => {
  it('names the counts and where backups went', () => {
    const out = formatSummary({
      staging_id: 'S',
      db: null,
      tally: { ...emptyTally(), written: 2, modes: 1, deleted: 1, dirs_created: 1, kept_both: 1 },
      finished: true,
      remaining: 0,
      backupDir: '/state/zync-backups/S',
      copies: ['/E/a.zync-conflict-20261122-184700-upstream.txt'],
    });
    expect(out).toEqual([
      'Applied session S: 2 written, 1 permission change, 1 deleted, 1 directory created, 1 kept both.',
      "E's previous versions were backed up under /state/zync-backups/S",
      "Upstream version kept beside E's as /E/a.zync-conflict-20261122-184700-upstream.txt",
    ]);
  });

  it('says how many conflicts --force settled as R’s version', () => {
    const out = formatSummary({ staging_id: 'S', db: null, tally: { ...emptyTally(), written: 2, deleted: 1, forced: 3 }, finished: true, remaining: 0, backupDir: '/b/S', copies: [] });
    expect(out).toEqual(["Applied session S: 2 written, 1 deleted, 3 conflicts resolved as R's version (--force).", "E's previous versions were backed up under /b/S"]);
  });

  it('shows control characters in a conflict copy’s name and in notes as escapes', () => {
    const out = formatSummary({
      staging_id: 'S',
      db: null,
      tally: emptyTally(),
      finished: true,
      remaining: 0,
      backupDir: null,
      copies: ['/E/a\u009b2K.zync-conflict-20261122-184700-upstream.txt'],
      notes: ["Kept E's directory docs/\u202eb (R removed it): it still holds files R does not have."],
    });
    expect(out).toContain("Upstream version kept beside E's as /E/a\\x9b2K.zync-conflict-20261122-184700-upstream.txt");
    expect(out).toContain("Kept E's directory docs/\\u202eb (R removed it): it still holds files R does not have.");
  });

  // After a quit the first line is the one sentence the binary exits with (QUIT): what was
  // applied, and how to continue.
  it('tells in one sentence how to continue after quit', () => {
    const out = formatSummary({ staging_id: 'S', db: null, tally: { ...emptyTally(), written: 1 }, finished: false, remaining: 2, backupDir: '/b/S', copies: [] });
    expect(out).toEqual([
      'Quit at the prompt: session S is partly applied (1 written, 0 deleted; 2 left), and what was applied stays — run zync-apply apply S again to continue.',
      "E's previous versions were backed up under /b/S",
    ]);
  });

  it.each([
    ['before anything was applied', 0, 'Quit at the prompt: nothing of session S was applied (3 left) — run zync-apply apply S again to continue.'],
    ['after an earlier run applied some', 2, 'Quit at the prompt: nothing more of session S was applied (2 applied before; 3 left) — run zync-apply apply S again to continue.'],
  ])('a quit that applied nothing says so (%s)', (_name, before, text) => {
    const out = formatSummary({ staging_id: 'S', db: null, tally: emptyTally(), finished: false, remaining: 3, applied_before: before, backupDir: null, copies: [] });
    expect(out).toEqual([text]);
  });

  it('names the signal that stopped the run, not a prompt', () => {
    const out = formatSummary({ staging_id: 'S', db: null, tally: { ...emptyTally(), written: 1 }, finished: false, stopped_by: 'SIGTERM', remaining: 2, backupDir: null, copies: [] });
    expect(out).toEqual(['Stopped by SIGTERM: session S is partly applied (1 written, 0 deleted; 2 left), and what was applied stays — run zync-apply apply S again to continue.']);
  });
});
