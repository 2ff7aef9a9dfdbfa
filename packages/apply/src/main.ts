// zync-apply: review and apply staged upstream sessions on E.
//   zync-apply [--db sync.db] list [--all] [--json]
//   zync-apply [--db sync.db] show ID [--dirs NAME:PATH...] [--json]
//   zync-apply [--db sync.db] apply ID [--dirs NAME:PATH...] [--force] [--non-interactive]
//   zync-apply [--db sync.db] discard ID [--non-interactive]
// Parses arguments, opens the daemon's database, wires the parts, prints; failures, and a quit at
// a prompt (QUIT), become one sentence and an exit code (failAndExit). Decides nothing itself.
import { existsSync, realpathSync, statSync } from 'node:fs';
import * as nodePath from 'node:path';
import chalk from 'chalk';
import { hideBin } from 'yargs/helpers';
import { acquireProcessLock, checkDatabaseAccess, checkDirRoots, expandHome, failAndExit, failWithUsage, helpWidth, homePathOption, ignoreClosedStdout, isZyncError, loadYargs, parseDirSpecs, refuseRepeatedOptions, usageError, versionLine, ZyncError, type DirSpec, type ProcessLock } from '@zync/common';
import { applyDiskFullError, DaemonStore, StagingStore } from '@zync/daemon';
import { entryKey, keptDirsOf, noSuchSession, pendingRDirsOf, planEntry, rVersionsByPath } from './apply-plan.js';
import { applySession, checkRootsAvailable, eCurrentOf, readCurrentStates, rootResolver } from './apply-session.js';
import { reconcileDirs } from './dirs.js';
import { formatSessionList, formatShow, sessionJson, showJson, type ShownEntry } from './format.js';
import { discardSession } from './discard-session.js';
import { applyCommand, dbInArgs } from './command-hints.js';
import { askConflict, askYesNo } from './prompts.js';
import { WriteTurn } from './write-turn.js';

const PROGRAM = 'zync-apply';
const DEFAULT_DB = 'sync.db';
const COMMANDS = ['list', 'show', 'apply', 'discard'];

interface Opened {
  daemon: DaemonStore;
  staging: StagingStore;
  stateDir: string;
  /** The database's owner, when root runs this on another user's database (ApplyContext.stateOwner). */
  stateOwner: { uid: number; gid: number } | null;
  /** --db as given, or null for the default: hints name it (applyCommand). */
  given: string | null;
}

/** `given`: --db as given, or undefined for the default, ./sync.db. */
function openDb(given: string | undefined): Opened {
  const db = given ?? DEFAULT_DB;
  // Opening would create an empty database: a wrong --db must be an error, not a fresh log.
  if (!existsSync(db)) {
    throw new ZyncError('BAD_ARGUMENT', `No zync database at ${nodePath.resolve(db)}; pass --db with the daemon's database.`);
  }
  // The real path: the daemon keeps its state (staging, backups) beside it, not beside a link.
  const dbPath = realpathSync(db);
  // Before SQLite makes its files beside the database (even list writes): as another user than
  // its owner (root aside), or through a second hard link, that would break the daemon.
  checkDatabaseAccess(dbPath);
  let daemon: DaemonStore;
  try {
    daemon = DaemonStore.open(dbPath);
  } catch (err) {
    throw applyDiskFullError(err, `open the daemon's state database ${dbPath}, so it changed nothing`, dbPath) ?? err;
  }
  const owner = statSync(dbPath);
  const stateOwner = process.geteuid?.() === 0 && owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : null;
  return { daemon, staging: new StagingStore(daemon.db), stateDir: nodePath.dirname(dbPath), stateOwner, given: given ?? null };
}

async function resolveDirs(daemon: DaemonStore, given: readonly string[] | undefined): Promise<DirSpec[]> {
  const real = (root: string) => {
    try {
      return realpathSync(root);
    } catch {
      return root;
    }
  };
  const recorded = daemon.dirs.map((d) => ({ name: d.name, root: real(d.root) }));
  const specs = given && given.length > 0 ? await checkDirRoots(parseDirSpecs(given)) : null;
  return reconcileDirs(recorded, specs);
}

const print = (text: string) => process.stdout.write(`${text}\n`);

/** The --db in raw arguments, ~ expanded as the option's coerce does (left as it is where that refuses it). */
function givenDb(args: readonly string[]): string | null {
  const db = dbInArgs(args);
  if (db === null) return null;
  try {
    return expandHome(db, '--db');
  } catch {
    return db;
  }
}

async function list(o: Opened, args: { all: boolean; json: boolean }): Promise<void> {
  const sessions = o.staging.listSessions({ all: args.all });
  const applied = new Map(sessions.map((s) => [s.staging_id, o.staging.appliedCount(s.staging_id)]));
  const superseded = o.staging.supersededSessions();
  if (args.json) print(JSON.stringify(sessions.map((s) => sessionJson(s, applied.get(s.staging_id), superseded.get(s.staging_id))), null, 2));
  else print(formatSessionList(sessions, chalk, { all: args.all, db: o.given, now: Date.now(), applied, superseded }));
}

async function show(o: Opened, args: { id: string; dirs: string[] | undefined; json: boolean }): Promise<void> {
  const session = o.staging.getSession(args.id);
  if (!session) throw noSuchSession(args.id, o.given);
  const entries = o.staging.listEntries(args.id);
  const rootOf = rootResolver(await resolveDirs(o.daemon, args.dirs));
  await checkRootsAvailable(o.daemon, entries, rootOf);
  const states = await readCurrentStates(entries, rootOf);
  const keptDirs = keptDirsOf(entries);
  const rDirs = pendingRDirsOf(entries);
  const rVersions = rVersionsByPath(o.staging.otherRVersions(args.id));
  const shown: ShownEntry[] = entries.map((entry) => {
    const e = eCurrentOf(states.get(entryKey(entry)) ?? null);
    const item = planEntry(entry, e, { force: false, keptDirs, rDirs, rVersions });
    return {
      entry,
      e_checksum: e.token,
      e_mode: e.mode,
      conflict: entry.apply_state === 'applied' ? false : item.conflict,
      e_changed_since_base: item.e_changed_since_base,
      kept_above: entry.apply_state === 'applied' || item.step?.kind !== 'skip' ? null : item.step.kept,
      e_blocked: entry.apply_state === 'applied' ? null : item.blocked,
      r_version: entry.apply_state === 'applied' ? null : item.r_version,
    };
  });
  if (args.json) print(JSON.stringify(showJson(session, shown), null, 2));
  // On a terminal, rows fit its width; piped, paths stay whole for a script to read.
  else print(formatShow(session, shown, chalk, Date.now(), terminalColumns()));
}

/**
 * The lock of one session, held for a whole apply or discard of it: IN_USE (exit 8) naming the
 * run that holds it. None for an id that names no session: the command refuses it itself.
 */
function lockSession(o: Opened, id: string): ProcessLock | null {
  if (!/^[\w-]+$/.test(id) || !o.staging.getSession(id)) return null;
  const path = `${o.daemon.path}.apply-${id}.lock`;
  try {
    return acquireProcessLock(path, PROGRAM, `session ${id} of ${o.daemon.path}`);
  } catch (err) {
    // A full state disk: the lock file is the first thing a run writes (opening wrote nothing).
    throw applyDiskFullError(err, `write its lock file ${path}, so it changed nothing`, o.daemon.path) ?? err;
  }
}

async function apply(o: Opened, args: { id: string; dirs: string[] | undefined; force: boolean; nonInteractive: boolean }): Promise<void> {
  const interactive = !args.nonInteractive && process.stdin.isTTY === true && process.stdout.isTTY === true;
  // Ctrl-C or SIGTERM ends the run between entries, as a quit at a prompt does: no temp file in
  // E's tree, no entry half done. A second one ends it at once.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => (stop.signal.aborted ? process.exit(130) : stop.abort(signal));
  // SIGHUP (the terminal or SSH session went) too: not Node's abrupt default mid-entry.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const writeTurn = new WriteTurn({ dbPath: o.daemon.path, program: PROGRAM, say: print, signal: stop.signal });
  const outcome = await applySession(
    {
      daemon: o.daemon,
      staging: o.staging,
      stateDir: o.stateDir,
      db: o.given,
      stateOwner: o.stateOwner,
      keepOwners: process.geteuid?.() === 0,
      dirs: await resolveDirs(o.daemon, args.dirs),
      chalk,
      print,
      ask: interactive ? (question) => askConflict(question, stop.signal) : null,
      force: args.force,
      stop: stop.signal,
      writeTurn,
    },
    args.id,
  ).finally(() => writeTurn.give());
  if (outcome.summary !== '') print(outcome.summary);
  if (outcome.quit) throw outcome.quit;
}

async function discard(o: Opened, args: { id: string; nonInteractive: boolean }): Promise<void> {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  // Discarding cannot be undone: without a terminal to ask on, only an explicit flag says yes.
  // Refused only where the question would be asked: a session that cannot be discarded (or is
  // no such session) is said to be so first, rather than sending the user to --non-interactive.
  // Refused as apply refuses conflicts without a terminal (exit code 6): the arguments are fine.
  const noTerminal = () =>
    Promise.reject(
      new ZyncError(
        'SESSION_NOT_APPLIABLE',
        `Session ${args.id} was not discarded: discarding asks for confirmation on a terminal; run ${applyCommand(o.given, 'discard', args.id)} in a terminal, or pass --non-interactive to discard without asking.`,
      ),
    );
  const confirm = args.nonInteractive ? null : interactive ? askYesNo : noTerminal;
  print(await discardSession({ staging: o.staging, stateDir: o.stateDir, db: o.given, confirm }, args.id));
}

async function main(): Promise<void> {
  ignoreClosedStdout();
  let opened: Opened | null = null;
  const open = (db: string | undefined) => (opened ??= openDb(db));
  const args = hideBin(process.argv);
  try {
    await loadYargs()(args)
      .scriptName(PROGRAM)
      .usage('$0 [--db sync.db] <list|show|apply|discard> ...')
      .wrap(helpWidth())
      .option('db', { type: 'string', defaultDescription: JSON.stringify(DEFAULT_DB), requiresArg: true, coerce: homePathOption('db'), describe: "The daemon's database (staged sessions and the change log)" })
      .command(
        'list',
        'List staged sessions (waiting to be applied; --all: every session)',
        (y) =>
          y
            .option('all', { type: 'boolean', default: false, describe: 'Include applied, aborted and discarded sessions' })
            .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
        (argv) => list(open(argv.db), { all: argv.all, json: argv.json }),
      )
      .command(
        'show <id>',
        "Show a session's entries and how each stands against E now",
        (y) =>
          y
            .positional('id', { type: 'string', demandOption: true, describe: 'Staging id' })
            .option('dirs', { type: 'string', array: true, describe: "NAME:PATH pairs (default: the daemon's mapping)" })
            .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
        (argv) => show(open(argv.db), { id: argv.id, dirs: argv.dirs, json: argv.json }),
      )
      .command(
        'apply <id>',
        'Apply a session to E (asks about each conflict)',
        (y) =>
          y
            .positional('id', { type: 'string', demandOption: true, describe: 'Staging id' })
            .option('dirs', { type: 'string', array: true, describe: "NAME:PATH pairs (default: the daemon's mapping)" })
            .option('force', { type: 'boolean', default: false, describe: "Take R's version for every conflict (E's files are backed up)" })
            .option('non-interactive', { type: 'boolean', default: false, describe: 'Never prompt; refuse a session with conflicts unless --force' }),
        (argv) => {
          const db = open(argv.db);
          // Two applies of one session would race on its state; applies of different sessions
          // take turns at writing only (WriteTurn), so one left at a prompt blocks no one.
          const lock = lockSession(db, argv.id);
          return apply(db, { id: argv.id, dirs: argv.dirs, force: argv.force, nonInteractive: argv['non-interactive'] }).finally(() => lock?.release());
        },
      )
      .command(
        'discard <id>',
        'Drop a session none of which was applied (asks); R resends its edits',
        (y) =>
          y
            .positional('id', { type: 'string', demandOption: true, describe: 'Staging id' })
            .option('non-interactive', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' }),
        (argv) => {
          const db = open(argv.db);
          // An apply of this session at the same time would write the entries this discards;
          // discarding writes nothing into E's tree, so other sessions' applies go on.
          const lock = lockSession(db, argv.id);
          return discard(db, { id: argv.id, nonInteractive: argv['non-interactive'] }).finally(() => lock?.release());
        },
      )
      .demandCommand(1, 'Name a command: list, show, apply or discard.')
      .check((args) => refuseRepeatedOptions(args, ['dirs']))
      .strict()
      .version(versionLine())
      .fail((message, err) => {
        if (isZyncError(err)) throw err;
        // yargs' own words for show, apply or discard without their ID, refused before it hands
        // over --db: the hint names the one in the arguments.
        if (!err && message?.startsWith('Not enough non-option arguments')) {
          throw usageError(`Name the session by its ID, as ${applyCommand(givenDb(args), 'list')} shows it.`);
        }
        return failWithUsage({ program: PROGRAM, args, commands: COMMANDS })(message, err);
      })
      .parseAsync();
  } catch (err) {
    // SQLite's "database or disk is full" from a write outside an entry (where the apply began,
    // the session's completion): DISK_FULL, exit code 7, as at the open.
    const db = (opened as Opened | null)?.daemon.path;
    throw (db !== undefined && !isZyncError(err) && applyDiskFullError(err, `write the daemon's state database ${db}`, db)) || err;
  } finally {
    (opened as Opened | null)?.daemon.close();
  }
}

// Exit only once stdout is flushed: on a pipe (`| jq`) Node writes asynchronously, and exiting
// at once would cut off whatever did not fit in the pipe's buffer (a large `show --json`).
main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (err: unknown) => failAndExit(PROGRAM, err),
);

/** The terminal's width when stdout is one (a pty that reports none: $COLUMNS, else 80); else undefined. */
function terminalColumns(): number | undefined {
  if (process.stdout.isTTY !== true) return undefined;
  if (process.stdout.columns > 0) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : 80;
}
