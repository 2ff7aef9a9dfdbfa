// zync-apply's command line as a script sees it: every refusal is one sentence on stderr with
// its exit status (README "Exit codes"), never a stack trace — a repeated option included.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/index.js';

const apply = (args: readonly string[]) => runCli('apply', args);

describe('zync-apply: bad command lines', () => {
  it.each<[string, string[], number, RegExp]>([
    ['a database that does not exist', ['--db', '/nonexistent/sync.db', 'list'], 2, /No zync database at \/nonexistent\/sync\.db/],
    ['--db given twice', ['--db', 'a.db', '--db', 'b.db', 'list'], 2, /--db was given more than once/],
    ['--db given twice, after the command', ['show', 'X', '--db', 'a.db', '--db', 'b.db'], 2, /--db was given more than once/],
    ['no command', [], 2, /Name a command: list, show, apply or discard\./],
    ['--db without its value', ['list', '--db'], 2, /^zync-apply: --db needs a value\.\n$/],
  ])('%s', async (_d, args, code, message) => {
    const result = await apply(args.map((a) => (a.endsWith('.db') && !a.startsWith('/') ? path.join(tempDir(), a) : a)));
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });
});
