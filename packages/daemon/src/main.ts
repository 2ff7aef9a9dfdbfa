// zync-daemon: parse the command line, wire the daemon, run until SIGINT/SIGTERM/SIGHUP. Every failure
// before serving (bad arguments, missing directory, port in use, unreadable db) exits non-zero
// with one sentence via failAndExit.
import { hideBin } from 'yargs/helpers';
import { checkDirRoots, createLogger, failAndExit, failWithUsage, helpWidth, loadYargs, ignoreClosedStdout, LOG_FORMATS, LOG_LEVELS, parseDirSpecs, homePathOption, parseNumberOption, refusePrivatePathsInRoots, refuseRepeatedOptions, resolveToken, TokenFile, versionLine, type LogFormat, type LogLevel } from '@zync/common';
import { runDaemon } from './daemon.js';
import { MAINTENANCE_DEFAULTS, maintenanceSchedule } from './maintenance.js';
import { RESCAN_DEFAULT_MINUTES } from './watcher.js';
import { SECRET_ADVICE } from './private-locations.js';
import { readTlsFiles } from './tls-files.js';

const PROGRAM = 'zync-daemon';

async function main(): Promise<void> {
  ignoreClosedStdout();
  const argv = await loadYargs()(hideBin(process.argv))
    .scriptName(PROGRAM)
    .usage('$0 --dirs NAME:PATH... [options]\n\nServes a change log of the directories over WebSocket.')
    .option('host', { type: 'string', default: 'localhost', describe: 'Address to listen on' })
    .option('port', { type: 'string', default: '8000', describe: 'Port to listen on (0: any free port)' })
    .option('db', { type: 'string', default: 'sync.db', coerce: homePathOption('db'), describe: 'Daemon database; its directory holds the token and staging' })
    .option('dirs', { type: 'string', array: true, describe: 'Directories to serve, as NAME:PATH (required)' })
    .option('token', { type: 'string', describe: 'Token clients must present (else ZYNC_TOKEN, else <statedir>/zync.token)' })
    .option('token-file', { type: 'string', coerce: homePathOption('token-file'), describe: 'Read the access token from this file (mode 0600)' })
    .option('log-level', { choices: LOG_LEVELS, default: 'info' as LogLevel, describe: 'Log verbosity (logs go to stderr)' })
    .option('log-format', { choices: LOG_FORMATS, default: 'text' as LogFormat, describe: 'text: a dated line per record; json: an object per line, for log collectors' })
    .option('tls-cert', { type: 'string', coerce: homePathOption('tls-cert'), describe: 'Serve wss:// with this certificate (PEM; with --tls-key)' })
    .option('tls-key', { type: 'string', coerce: homePathOption('tls-key'), describe: 'Private key (PEM) for --tls-cert' })
    .option('compact-interval', { type: 'string', default: String(MAINTENANCE_DEFAULTS.compactIntervalMinutes), describe: 'Minutes between log compactions and retention sweeps (0: never)' })
    .option('tombstone-days', { type: 'string', default: String(MAINTENANCE_DEFAULTS.tombstoneDays), describe: 'Days deletions stay in the log; clients further behind resync' })
    .option('rescan-interval', { type: 'string', default: String(RESCAN_DEFAULT_MINUTES), describe: 'Minutes between full rescans of the roots (0: never)' })
    .option('retention-days', { type: 'string', default: String(MAINTENANCE_DEFAULTS.retentionDays), describe: 'Days applied/aborted upstream leftovers and apply backups are kept' })
    .requiresArg(['host', 'port', 'db', 'token-file', 'log-level', 'log-format', 'tls-cert', 'tls-key', 'compact-interval', 'tombstone-days', 'rescan-interval', 'retention-days'])
    .conflicts('token', 'token-file')
    .check((args) => refuseRepeatedOptions(args, ['dirs']))
    .strict()
    .wrap(helpWidth())
    .version(versionLine())
    .help()
    .fail(failWithUsage({ program: PROGRAM, args: hideBin(process.argv) }))
    .parseAsync();

  // Numbers are read as typed, so that a refusal quotes the input.
  const port = parseNumberOption('port', argv.port, { min: 0, max: 65535, integer: true });
  const maintenance = maintenanceSchedule({
    compactIntervalMinutes: parseNumberOption('compact-interval', argv['compact-interval'], { min: 0 }),
    tombstoneDays: parseNumberOption('tombstone-days', argv['tombstone-days'], { min: 0 }),
    retentionDays: parseNumberOption('retention-days', argv['retention-days'], { min: 0 }),
  });
  const rescanMinutes = parseNumberOption('rescan-interval', argv['rescan-interval'], { min: 0 });
  const log = createLogger(PROGRAM, argv['log-level'], { format: argv['log-format'] });
  const dirs = await checkDirRoots(parseDirSpecs(argv.dirs ?? []));
  // Secrets in a watched root would be synced to R. The TLS certificate is public (R may hold a
  // copy for --ca), so it may live anywhere.
  await refusePrivatePathsInRoots(dirs, [
    ...(argv['token-file'] === undefined ? [] : [{ what: 'The token file', path: argv['token-file'], advice: SECRET_ADVICE }]),
    ...(argv['tls-key'] === undefined ? [] : [{ what: 'The TLS key', path: argv['tls-key'], advice: SECRET_ADVICE }]),
  ]);
  // A token file is read again when it changes (a rotated token); --token and ZYNC_TOKEN are fixed.
  const tokenFile = argv['token-file'];
  const token = tokenFile === undefined ? await resolveToken({ token: argv.token }) : await TokenFile.open(tokenFile);
  const tls = await readTlsFiles(argv['tls-cert'], argv['tls-key'], log);
  // Handlers before the start: a signal in the moment after "listening" is logged must not meet
  // Node's default action (an abrupt end). One during start-up ends the setting up of the watches
  // at once and the start-up scan at its next directory (a big tree can take minutes), and stops
  // the daemon without listening; a second one ends it at once.
  const stopping = new AbortController();
  const started = runDaemon({ host: argv.host, port, dbPath: argv.db, dirs, token, log, tls, maintenance, rescanEveryMs: rescanMinutes * 60_000, stopping: stopping.signal });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping.abort();
    log.info(`${signal}: shutting down`);
    started
      .then((daemon) => daemon.close())
      .then(
        () => process.exit(0),
        (err: unknown) => failAndExit(PROGRAM, err),
      );
  };
  // SIGHUP too: closing the SSH session that started the daemon sends it, and Node's default
  // action ends the process abruptly (exit 129, its lock and WAL left behind).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  await started;
}

main().catch((err: unknown) => failAndExit(PROGRAM, err));
