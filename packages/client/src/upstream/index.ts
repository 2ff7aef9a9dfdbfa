// `zync-client --update-upstream`: connects first (HELLO: the token, the protocol, the names E
// serves, its log_id), so whatever stops the run is said before a long scan and before R's roots
// are checked (a missing one is refused: options.roots); then finds R's local
// changes since what R last received from E (find-changes.ts: one directory at a time, with stat;
// hash only suspects; plan-upstream.ts decides) and sends them as one staging session; prints the staging id and counts. Content a
// pending session already holds unchanged is not sent again (staged-records.ts), once E confirms
// (UPSTREAM_STATUS) that the session is still waiting or applied; edits of a session E discarded
// go again (staged-states.ts), and what older sessions E discarded held is forgotten. A file
// that changed while it was being sent (or any entry that no longer holds on R once all is sent:
// a directory removed, a file removed after it went), a path E refuses as
// ignored (R has not pulled E's latest .zyncignore), or an entry of a root unavailable on E (an
// unmounted disk there), is left out and the rest staged; the run
// then ends with LEFT_OUT naming it (exit 11). Any failure throws a
// ZyncError with one sentence; the connection is closed so the daemon aborts a half-sent session.
// Writes nothing in R's roots.
import { describeLinks, IGNORE_FILE, inertLine, isZyncError, MAX_STATUS_IDS, ZyncError, type DirSpec, type Logger, type UpstreamSessionState } from '@zync/common';
import type { Connection } from '../connection.js';
import { unservedDirsError } from '../core/served-dirs.js';
import { runMismatch } from '../core/start-position.js';
import type { ClientStore } from '../store/client-store.js';
import { findLocalChanges, type LocalChanges, type ScanCounts } from './find-changes.js';
import type { UndoneInput } from './plan-reverts.js';
import { describeCounts, fileKey, planUpstream, type HashedFile, type StagedRecord, type UpstreamEntry, type UpstreamPlan } from './plan-upstream.js';
import { leftOutError, outdatedEntries } from './left-out.js';
import { hashSuspects, readLocalNow, rereadEntry, statNow, type HashCounts } from './scan-local.js';
import { describeFromE } from '../core/progress.js';
import { MIN_FROM_E_BYTES, offersFromE } from './from-e.js';
import { sendSession, type UploadObserver } from './send-session.js';
import { StagedRecords } from './staged-records.js';
import { applyStagedStates, describeDropped, neverApplied } from './staged-states.js';

export interface RunUpstreamOptions {
  /** The open client store: what R last received, its position and client id. */
  store: ClientStore;
  /** Path of the same database (sync_client.db), for the staged-records table. */
  dbPath: string;
  /** The --dirs names (the roots as given): each must be one E serves. */
  names: readonly string[];
  /**
   * R's local roots, checked (one missing, or on a disk that seems not mounted, is refused) and
   * resolved: called once E has accepted the connection, so a refused token or a name E does not
   * serve is said first, not a missing root's advice that cannot help.
   */
  roots: () => Promise<readonly DirSpec[]>;
  /** Opens an authenticated connection to the daemon (HELLO done). */
  connect: () => Promise<Connection>;
  log: Logger;
  /** Where the result lines go (stdout by default). */
  print?: (line: string) => void;
  /**
   * Stops the run (SIGINT/SIGTERM): the connection is closed before FINALIZE_UPSTREAM, so the
   * daemon aborts the session and removes what it staged; the run rejects with stoppedError().
   */
  signal?: AbortSignal;
  /** Shows the run's progress. */
  progress?: UpstreamObserver | undefined;
  /**
   * The pid of the running zync-client this upload was handed to (hand-off-upstream.ts): R's pull
   * is its own then, and a refusal that asks for one says to wait for it, not to run one.
   */
  runningClient?: number | undefined;
  /**
   * With --token-file: whether R's file now holds another token than the one the run's last
   * connection presented. An upload E cut for its old token (rotated) then starts again once with
   * it; without (--token), the refused token ends the run (exit 4).
   */
  tokenRenewed?: (() => boolean) | undefined;
}

/**
 * Follows a run through its phases: the scan of R's roots, the hashing of the files that may have
 * changed, then the upload (UploadObserver, from sendSession). Each phase's counters are live:
 * they are read when the display is drawn. end() may come in any phase, and more than once.
 */
export interface UpstreamObserver extends UploadObserver {
  scanning(scanned: Readonly<ScanCounts>): void;
  hashing(totals: Readonly<HashCounts>, hashed: Readonly<HashCounts>): void;
}

/** A run stopped by a signal: exit 3, as for a pull stopped before R was up to date. */
export function stoppedError(): ZyncError {
  return new ZyncError('CONNECTION_FAILED', 'Stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.');
}

export interface UpstreamResult {
  staging_id: string | null;
  file_count: number;
  conflict_count: number;
  already_staged: number;
}

/**
 * Said when a rotation of E's token cut the upload and R's token file holds the new token: E keeps
 * nothing of a session cut before FINALIZE_UPSTREAM (the protocol cannot resume it), so it goes again.
 */
export const UPLOAD_AGAIN_NOTE =
  "E rotated its token and ended the upload's connection, made with the old one; E keeps nothing of that attempt, so the upload starts again with the new token from the token file.";

/** A connection E ended (or refused) for a token R's token file no longer holds: worth one more try. */
function renewedRotation(options: RunUpstreamOptions, err: unknown): boolean {
  return !options.signal?.aborted && isZyncError(err) && err.code === 'UNAUTHORIZED' && options.tokenRenewed?.() === true;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export async function runUpstream(options: RunUpstreamOptions): Promise<UpstreamResult> {
  try {
    return await scanAndSend(options);
  } finally {
    options.progress?.end();
  }
}

/** The options, with R's roots checked and resolved. */
type RunWithRoots = RunUpstreamOptions & { dirs: readonly DirSpec[] };

async function scanAndSend(options: RunUpstreamOptions): Promise<UpstreamResult> {
  const { store, log, signal } = options;
  const stopIfAsked = () => {
    if (signal?.aborted) throw stoppedError();
  };
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const position = store.position();
  if (position.log_id === null) {
    throw new ZyncError('UPSTREAM_STATE', 'R has not synced with E yet; run zync-client once before --update-upstream.');
  }
  const logId = position.log_id;

  let connection: Connection | null = null;
  // Connects for the status question and the upload alike; again when the connection made before
  // the scan was lost meanwhile (a restarted daemon, a dropped tunnel: the scan may take minutes).
  const connect = async (): Promise<Connection> => {
    if (connection?.isOpen) return connection;
    stopIfAsked();
    // Stopped while connecting: said as any other stop.
    const open = await options.connect().catch((err: unknown) => {
      stopIfAsked();
      throw err;
    });
    connection = open;
    stopIfAsked();
    // As a pull words it (BAD_ARGUMENT, exit 2, naming what E serves), for every --dirs name.
    const unserved = unservedDirsError(open.hello.dirs, options.names);
    if (unserved) throw unserved;
    if (open.hello.log_id !== logId) {
      throw new ZyncError('RESYNC_REQUIRED', `E's change log was recreated since R last synced; ${pullFirst(options.runningClient, 'resync')}.`);
    }
    // The records' sequences and "R has pulled E's whole log" name the log R pulled, not this one.
    if (runMismatch(store.position(), open.hello)) {
      throw new ZyncError('RESYNC_REQUIRED', `E's database was restored from an older copy since R last synced; ${pullFirst(options.runningClient, 'resync')}.`);
    }
    return open;
  };
  try {
    // Before the scan, which hashes R's edits and may take minutes on a big tree: a refused token,
    // a wrong --server, an unreachable daemon, a name E does not serve or a recreated log is said
    // at once. The connection stays open meanwhile (the scan awaits its I/O, so heartbeats go on).
    const early = await connect();
    const stopWatching = early.onClose((err) => {
      if (signal?.aborted) return;
      // A rotation R's token file followed is no refusal to check: the next connection presents the new token.
      const why = renewedRotation(options, err) ? "E rotated its token and ended the connection made with the old one; R's token file holds the new one." : err.message;
      log.info(`${why} Connecting again once R's roots are scanned.`);
    });
    let withRoots: RunWithRoots;
    let scanned: { found: LocalChanges; hashed: HashedFile[] };
    try {
      withRoots = { ...options, dirs: await options.roots() };
      // A pull stopped abruptly mid-batch left E's changes on R's disk unrecorded (files placed,
      // deletions made): the scan would take them for R's edits and send them back to E. Only a
      // pull tells them apart (its placement notes), and the mark stays until one has recorded
      // them all (ClientStore.openBatch): a pull cut again before it reached them keeps it. Said
      // after E's and the roots' own trouble, which a pull would not help with (the directories
      // it opened are given back by then).
      const names = withRoots.dirs.map((dir) => dir.name);
      // A name no pull has brought up to date has no records, or part of them (its first pull
      // cut): every file in its root not recorded (a copy of E's files, say) would go to E as R's
      // new file, and one E changed since as R's edit of it.
      // Handed over: the running client was given these roots (hand-off-match.ts), and one bound
      // elsewhere is one it has not reached E with since it started; its first pull binds and
      // resyncs it there. Waited for as a name it never pulled is, not refused as a wrong --dirs.
      if (options.runningClient !== undefined) {
        const moved = withRoots.dirs.filter((dir) => (store.boundRoot(dir.name) ?? dir.root) !== dir.root);
        if (moved.length > 0) {
          const said = moved.map((dir) => `--dirs ${inertLine(dir.name)} is at a new place on R (${inertLine(dir.root)}) that no pull has resynced yet (it was synced into ${inertLine(store.boundRoot(dir.name)!)})`);
          throw new ZyncError(
            'RESYNC_REQUIRED',
            `${said.join('; ')}, so R cannot tell E's files there from R's own; ${pullFirst(options.runningClient, 'resync')}. Nothing was sent.`,
          );
        }
      }
      const synced = new Set(store.syncedDirs());
      const neverPulled = names.filter((name) => !synced.has(name));
      if (neverPulled.length > 0) {
        throw new ZyncError(
          'RESYNC_REQUIRED',
          `${neverPulled.map((name) => `--dirs ${inertLine(name)}`).join(', ')}: no pull has brought ${neverPulled.length === 1 ? 'it' : 'them'} up to date from E on this state yet, so R cannot tell E's files there from R's own (all would be sent as R's new files); ${pullFirst(options.runningClient, 'pull')}. Nothing was sent.`,
        );
      }
      if (store.hasUnfinishedBatch(names)) {
        throw new ZyncError(
          'RESYNC_REQUIRED',
          `A pull was stopped abruptly (killed) before it recorded what it changed on R, and no pull has finished that since: an upload now would send those changes of E back to E as R's edits${unfinishedPathsSaid(store.unfinishedPaths(names))}; ${pullFirst(options.runningClient, 'finish')}. Nothing was sent.`,
        );
      }
      scanned = await scanAndHash(withRoots);
    } finally {
      stopWatching();
    }
    stopIfAsked();
    const run = { logId, ...scanned, connect, stopIfAsked };
    // Lines the cut attempt printed ("Not sent: …", a session E discarded) are not printed twice.
    const said = new Set<string>();
    try {
      return await planAndSend(withRoots, {
        ...run,
        print: (line) => {
          said.add(line);
          print(line);
        },
      });
    } catch (err) {
      if (!renewedRotation(options, err)) throw err;
      // Not scanned again: the plan is made again from the scan (E's answers may have changed)
      // and sent over a connection made with the token file's token; each file is read as it goes.
      log.info(UPLOAD_AGAIN_NOTE);
      return await planAndSend(withRoots, {
        ...run,
        print: (line) => {
          if (!said.has(line)) print(line);
        },
      });
    }
  } finally {
    await (connection as Connection | null)?.close();
  }
}

/**
 * The paths the stopped pull may have placed that no pull has recorded since, and why each blocks:
 * R's file there cannot be told from R's own edit until a pull records it.
 */
function unfinishedPathsSaid(paths: readonly { base_dir: string; path: string; why: 'in-flight' | 'unrecorded' | 'awaits-e' }[]): string {
  if (paths.length === 0) return '';
  const said = (list: typeof paths) => list.map((p) => inertLine(`${p.base_dir}/${p.path}`)).join(', ');
  const inFlight = paths.filter((p) => p.why === 'in-flight');
  const pending = paths.filter((p) => p.why === 'unrecorded');
  const awaiting = paths.filter((p) => p.why === 'awaits-e');
  const parts = [
    ...(inFlight.length === 0 ? [] : [`in flight when it was stopped: ${said(inFlight)}`]),
    ...(pending.length === 0 ? [] : [`not yet recorded: ${said(pending)}, which a pull that cannot apply says why`]),
    ...(awaiting.length === 0 ? [] : [`E could not serve ${said(awaiting)} since (gone or unreadable there): recorded once E logs its deletion or new state`]),
  ];
  return ` (${parts.join('; ')})`;
}

/**
 * What to do before --update-upstream can run: a pull that ends up to date. A one-shot runs one;
 * one handed to a running client cannot (that client holds the state): it pulls at its next pass.
 */
function pullFirst(runningClient: number | undefined, what: 'finish' | 'resync' | 'pull'): string {
  if (runningClient === undefined) {
    if (what === 'pull') return 'pull first (zync-client --once with these --dirs), then --update-upstream again';
    return what === 'finish'
      ? 'run zync-client --once until it ends up to date, then --update-upstream again'
      : 'run zync-client once to resync, then --update-upstream';
  }
  const does = { finish: 'finishes it', resync: 'resyncs', pull: 'pulls it' }[what];
  return (
    `the zync-client running on this state (pid ${runningClient}) ${does} at its next pull, ` +
    'once E is reachable (or at its --interval): run --update-upstream again after that pull, or stop that client and run zync-client --once first'
  );
}

/** R's changes since what it received: the scan of its roots, then the hashing of the suspects. */
async function scanAndHash({ store, dirs, log, progress }: RunWithRoots): Promise<{ found: LocalChanges; hashed: HashedFile[] }> {
  const looked: ScanCounts = { files: 0, suspects: 0 };
  progress?.scanning(looked);
  const found = await findLocalChanges(store, dirs, log, looked);
  const { toHash, deleted } = found;
  log.debug({ files: found.files, suspects: toHash.length, deleted: deleted.length }, 'scanned local roots');
  if (found.links.count > 0) log.info(`${describeLinks(found.links)} not sent upstream: zync syncs regular files and directories only`);
  const hashing: HashCounts = { files: 0, bytes: 0 };
  progress?.hashing({ files: toHash.length, bytes: toHash.reduce((sum, f) => sum + f.size, 0) }, hashing);
  const hashed = await hashSuspects(
    dirs,
    toHash,
    (file, code) => log.warn({ code }, `cannot read ${inertLine(`${file.base_dir}/${file.path}`)}: not sent upstream`),
    hashing,
  );
  return { found, hashed };
}

async function planAndSend(
  options: RunWithRoots,
  run: {
    logId: string;
    found: LocalChanges;
    hashed: HashedFile[];
    connect: () => Promise<Connection>;
    stopIfAsked: () => void;
    print: (line: string) => void;
  },
): Promise<UpstreamResult> {
  const { store, dirs, log, signal, progress } = options;
  const { logId, found, hashed, connect, stopIfAsked, print } = run;
  const { deleted } = found;
  const records = StagedRecords.open(options.dbPath);
  try {
    const recorded = records.load(logId);
    const baseInput = { hashed, deleted, received: new Map(found.received.map((f) => [fileKey(f.base_dir, f.path), f])), dirs: found.dirs };
    // Records where the scan found nothing to send may be edits R undid since (plan-reverts.ts).
    const first = planUpstream({ ...baseInput, staged: recorded });
    const input = { ...baseInput, undone: await readUndone(store, dirs, recorded, first) };
    let staged = recorded;
    let plan = planUpstream({ ...input, staged });
    let appliedIds = new Set<string>();
    // Edits a session on E holds are only skipped (or undone) while that session can still be applied: ask.
    // Older sessions behind the records too: what E discarded of them is history R needs no more.
    const needed = [...plan.already_staged, ...plan.reverted].map((e) => e.staging_id).concat(plan.withheld.flatMap((w) => w.staged_in ?? []));
    const older = records.olderSessions(logId);
    const asked = [...new Set([...needed, ...older])];
    if (asked.length > 0) {
      const asking = await connect();
      const states = await askSessionStates(asking, asked, needed.length > 0 ? log : null);
      stopIfAsked();
      records.forgetSessions(neverApplied(older, states));
      // R's pull forgets the records whose applied change it sees; with E's whole log pulled, one still standing never arrives.
      const { kept, dropped } = applyStagedStates(recorded, states, store.position().sequence >= asking.hello.last_sequence);
      for (const d of dropped) print(describeDropped(d));
      if (dropped.length > 0) {
        staged = kept;
        plan = planUpstream({ ...input, staged });
      }
      appliedIds = new Set(asked.filter((id) => states.get(id) === 'applied'));
    }
    const scanned = {
      baseDirs: new Set(dirs.map((d) => d.name)),
      stillPending: new Set([...plan.entries, ...plan.already_staged].map((e) => fileKey(e.base_dir, e.path))),
    };
    // Records at or below a path held back stay: what they stand for was neither sent nor undone.
    for (const w of plan.withheld) {
      for (const r of staged.values()) {
        if (r.base_dir === w.base_dir && (r.path === w.path || r.path.startsWith(`${w.path}/`))) scanned.stillPending.add(fileKey(r.base_dir, r.path));
      }
    }
    const applied = plan.already_staged.filter((e) => appliedIds.has(e.staging_id));
    const waiting = plan.already_staged.filter((e) => !appliedIds.has(e.staging_id));
    const already = plan.already_staged.length;
    const sessionsOf = (items: readonly { staging_id: string }[]) => [...new Set(items.map((e) => e.staging_id))].join(', ');
    const alreadyParts = [
      ...(waiting.length === 0 ? [] : [`${plural(waiting.length, 'change')} already staged in ${sessionsOf(waiting)} ${waiting.length === 1 ? 'is' : 'are'} waiting for zync-apply on E`]),
      ...(applied.length === 0 ? [] : [`${plural(applied.length, 'change')} applied on E in ${sessionsOf(applied)} ${applied.length === 1 ? 'reaches' : 'reach'} R at its next pull`]),
    ];
    const alreadyNote = already === 0 ? '' : ` Not sent again: ${alreadyParts.join('; ')}.`;
    for (const w of plan.withheld) {
      if (w.staged_in && w.staged_in.length > 0) {
        print(
          `Not sent: ${inertLine(`${w.base_dir}/${w.path}`)} — R replaced the directory it staged in ${w.staged_in.join(', ')} with a file, ` +
            `which cannot go upstream while that session waits on E (${plural(w.changes, 'change')} held back). ` +
            `Apply or discard ${w.staged_in.length === 1 ? 'that session' : 'those sessions'} on E, then run zync-client and --update-upstream again.`,
        );
        continue;
      }
      print(
        `Not sent: ${inertLine(`${w.base_dir}/${w.path}`)} — R replaced this directory with a file, which zync cannot stage on E yet ` +
          `(${plural(w.changes, 'change')} held back). Make that change on E, or give the file another name on R.`,
      );
    }
    if (plan.entries.length === 0) {
      records.update(logId, [], scanned, Date.now());
      print(
        already === 0
          ? plan.withheld.length > 0
            ? 'Nothing else to send upstream.'
            : 'Nothing to send upstream: no local changes since what R last received from E.'
          : waiting.length === already
            ? `Nothing new to send upstream: ${plural(already, 'change')} ${already === 1 ? 'is' : 'are'} already staged in ${sessionsOf(waiting)}, waiting for zync-apply on E.`
            : `Nothing new to send upstream: ${alreadyParts.join('; ')}.`,
      );
      // The sessions may be news (a run cut before E's answer, or handed to a running client): how to review them.
      const waitingIds = [...new Set(waiting.map((e) => e.staging_id))];
      if (waitingIds.length > 0) print(`On E, review and apply ${waitingIds.length === 1 ? 'it' : 'them'} with: ${waitingIds.map((id) => `zync-apply apply ${id}`).join('; ')}`);
      return { staging_id: null, file_count: 0, conflict_count: 0, already_staged: already };
    }

    const open = await connect();
    // Closing fails every request in flight; sendSession then never sends FINALIZE_UPSTREAM. Once
    // FINALIZE is out, E may complete the session whatever R does: its answer is awaited, so R
    // records what it staged rather than reporting a stop E never saw (and staging it twice).
    let finalizing = false;
    // The session FINALIZE_UPSTREAM went out for, and its entries: E may stage it though its answer is lost.
    let finalized: { stagingId: string; went: readonly UpstreamEntry[] } | null = null;
    const stop = () => {
      if (finalizing) log.info('the session is being finalized on E; finishing that first');
      else void open.close();
    };
    signal?.addEventListener('abort', stop, { once: true });
    try {
      stopIfAsked();
      // Records of what goes, written before FINALIZE_UPSTREAM leaves: a run killed while E
      // completes the session would otherwise leave R without them, and R's next edit of such a
      // path would meet the session's content, applied on E, as E's change (a conflict copy).
      // Written for a session E then refuses, they name one UPSTREAM_STATUS reports as unknown,
      // and its edits are sent again. A left-out path keeps what an earlier session recorded.
      const record = (stagingId: string | null, went: readonly UpstreamEntry[]) =>
        records.update(
          logId,
          went.map((e) => ({
            base_dir: e.base_dir,
            path: e.path,
            staging_id: stagingId!,
            kind: e.kind,
            operation: e.operation,
            checksum: e.checksum,
            base_checksum: e.base_checksum,
            mode: e.mode ?? null,
            base_mode: e.base_mode ?? null,
          })),
          scanned,
          Date.now(),
        );
      // Contents E likely holds still (a rename or copy on R): received from E at some path, or
      // sent in a session whose record stands (waiting on E, its staged copy there).
      const large = plan.entries.flatMap((e) => (e.checksum !== null && e.size >= MIN_FROM_E_BYTES ? [e.checksum] : []));
      const contentsOnE = new Set(large.length > 0 ? store.findByChecksums(large, 1).keys() : []);
      for (const r of staged.values()) if (r.kind === 'file' && r.operation !== 'delete' && r.checksum !== null) contentsOnE.add(r.checksum);
      const daemonTakesFromE = open.hello.upstream_from_e === true;
      let result;
      try {
        result = await sendSession(open, dirs, plan.entries, {
          fromE: (entry) => offersFromE(entry, contentsOnE, daemonTakesFromE),
          ...(signal ? { signal } : {}),
          onFinalize: (stagingId, went) => {
            finalizing = true;
            finalized = { stagingId, went };
            record(stagingId, went);
          },
          progress,
          reread: (entry) => rereadEntry(dirs, entry),
          outdated: async (went) => outdatedEntries(went, await statNow(dirs, went)),
        });
      } catch (err) {
        if (signal?.aborted) throw stoppedError();
        if (finalized === null) throw err;
        return await finalizedUnanswered(finalized, err, { connect, print, already });
      }
      const { session: sent, left_out, ignored, unavailable } = result;
      if (sent === null) record(null, []);
      const named = (list: readonly UpstreamEntry[]) => list.map((e) => `${e.base_dir}/${e.path}`);
      const unavailableRoots = [...result.unavailable_roots].map(([base_dir, reason]) => ({
        base_dir,
        reason,
        paths: named(unavailable.filter((e) => e.base_dir === base_dir)),
      }));
      // R's own .zyncignore change, staged and not applied on E yet: what E ignores waits for it.
      const rulesStagedIn = new Map<string, string>();
      for (const e of waiting) if (e.path === IGNORE_FILE) rulesStagedIn.set(e.base_dir, e.staging_id);
      if (sent !== null) for (const e of result.sent) if (e.path === IGNORE_FILE) rulesStagedIn.set(e.base_dir, sent.staging_id);
      const leftOut = () => leftOutError(named(left_out), named(ignored), unavailableRoots, rulesStagedIn);
      if (sent === null) {
        print(`Nothing staged upstream: every change was left out.${alreadyNote}`);
        throw leftOut();
      }
      print(
        `Staged ${plural(sent.file_count, 'change')} upstream as session ${sent.staging_id} ` +
          `(${describeCounts(result.sent)}; ${plural(sent.conflict_count, 'conflict')}).${alreadyNote}`,
      );
      const byPath = (a: { base_dir: string; path: string }, b: { base_dir: string; path: string }) =>
        `${a.base_dir}/${a.path}`.localeCompare(`${b.base_dir}/${b.path}`);
      if (result.from_e.files > 0) print(`  ${describeFromE(result.from_e.files, result.from_e.bytes)}, not sent.`);
      for (const c of [...sent.conflicts].sort(byPath)) print(`  conflict: ${c.base_dir}/${c.path} (${c.reason})`);
      const went = new Set(result.sent.map((e) => fileKey(e.base_dir, e.path)));
      for (const u of plan.reverted) {
        if (went.has(fileKey(u.base_dir, u.path))) print(`  undone on R: ${inertLine(`${u.base_dir}/${u.path}`)} (staged in ${u.staging_id}; sent as R holds it now)`);
      }
      print(`On E, review and apply it with: zync-apply apply ${sent.staging_id}`);
      // Staged, but not all of it: said last, with its own exit code, so a script can tell.
      if (left_out.length > 0 || ignored.length > 0 || unavailable.length > 0) throw leftOut();
      return { staging_id: sent.staging_id, file_count: sent.file_count, conflict_count: sent.conflict_count, already_staged: already };
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  } finally {
    records.close();
  }
}

/** What UPSTREAM_STATUS says of a session E staged (finalized), applied since or not. */
const STAGED_STATES: ReadonlySet<UpstreamSessionState> = new Set(['pending', 'partly_applied', 'applied']);

/**
 * The connection failed (cut, E restarted or rotated its token) after FINALIZE_UPSTREAM went out
 * and before its answer came: E may have staged the session all the same. Asked on a new
 * connection, a staged session is reported as staged, with its id and the command that reviews it
 * (before: the run failed as if nothing had happened, and the next one said the changes were
 * "already staged"); one E does not hold fails as before (E keeps nothing of it; sent again);
 * no answer says that E may hold it.
 */
async function finalizedUnanswered(
  finalized: { stagingId: string; went: readonly UpstreamEntry[] },
  err: unknown,
  run: { connect: () => Promise<Connection>; print: (line: string) => void; already: number },
): Promise<UpstreamResult> {
  const { stagingId, went } = finalized;
  let state: UpstreamSessionState | undefined;
  try {
    state = (await askSessionStates(await run.connect(), [stagingId], null)).get(stagingId);
  } catch {
    const said = err instanceof Error ? err.message : String(err);
    throw new ZyncError(
      isZyncError(err) ? err.code : 'CONNECTION_FAILED',
      `${said} This came after session ${stagingId} went to E to be finalized, so E may have staged it: run --update-upstream again once E can be reached; it says whether E holds that session, and sends nothing twice.`,
      { cause: err },
    );
  }
  if (state === undefined || !STAGED_STATES.has(state)) throw err;
  run.print(
    `Staged ${plural(went.length, 'change')} upstream as session ${stagingId} (${describeCounts(went)}); ` +
      `the connection was lost before E's answer, so its conflicts are not listed here: zync-apply show ${stagingId} lists them.`,
  );
  run.print(`On E, review and apply it with: zync-apply apply ${stagingId}`);
  return { staging_id: stagingId, file_count: went.length, conflict_count: 0, already_staged: run.already };
}

/**
 * R's disk and store at the staged records' paths the plan sends nothing for: the input of
 * revertOf. A few paths (what R staged and has not received back), looked at one by one.
 */
async function readUndone(
  store: ClientStore,
  dirs: readonly DirSpec[],
  recorded: ReadonlyMap<string, StagedRecord>,
  plan: UpstreamPlan,
): Promise<UndoneInput[]> {
  const planned = new Set([...plan.entries, ...plan.already_staged].map((e) => fileKey(e.base_dir, e.path)));
  const open = [...recorded.values()].filter((r) => !planned.has(fileKey(r.base_dir, r.path)));
  const local = await readLocalNow(dirs, open);
  return open.flatMap((record) => {
    const now = local.get(fileKey(record.base_dir, record.path));
    if (!now) return [];
    const got = store.getEntry(record.base_dir, record.path);
    return [{ record, local: now, received: got ? { kind: got.kind, checksum: got.checksum, mode: got.mode } : null }];
  });
}

/**
 * UPSTREAM_STATUS for these staging ids, a page at a time. A daemon too old to know the question
 * says nothing: its sessions are taken as waiting, as before it was asked (said in `log`, if given).
 */
async function askSessionStates(connection: Connection, stagingIds: readonly string[], log: Logger | null): Promise<Map<string, UpstreamSessionState>> {
  const states = new Map<string, UpstreamSessionState>();
  try {
    for (let at = 0; at < stagingIds.length; at += MAX_STATUS_IDS) {
      const answer = await connection.request('UPSTREAM_STATUS', { staging_ids: stagingIds.slice(at, at + MAX_STATUS_IDS) });
      for (const s of answer.sessions) states.set(s.staging_id, s.state);
    }
  } catch (err) {
    if (!(err instanceof ZyncError && err.code === 'UNKNOWN_OPERATION')) throw err;
    log?.info('the daemon does not report staging sessions (an older zync); edits already staged are not sent again');
  }
  return states;
}
