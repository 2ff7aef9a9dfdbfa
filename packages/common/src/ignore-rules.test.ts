import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher, loadIgnoreMatcher, QUESTIONS_PER_RULE_SET } from './ignore-rules.js';

describe('createIgnoreMatcher', () => {
  const matcher = createIgnoreMatcher('build/\n*.log\n!keep.log\n/top-only.txt\n');

  it.each([
    ['a git folder', '.git', true, true],
    ['a file inside .git', '.git/config', false, true],
    ['a nested .git file', 'sub/.git/HEAD', false, true],
    ['a worktree\'s or submodule\'s .git file', 'sub/.git', false, true],
    ['a file named 4913 (vim\'s probe lives for microseconds; mail folders hold such names)', 'inbox/4913', false, false],
    ['a vim swap file', 'src/.main.ts.swp', false, true],
    ['an emacs backup', 'notes.txt~', false, true],
    ['an emacs lock', 'src/.#main.ts', false, true],
    ['an emacs auto-save file', 'src/#main.ts#', false, true],
    ['a name that only starts with #', '#main.ts', false, false],
    ["a JetBrains safe write's temp file", 'src/main.ts___jb_tmp___', false, true],
    ["a JetBrains safe write's old file", 'src/main.ts___jb_old___', false, true],
    ['a name that only holds ___jb_tmp___', 'a___jb_tmp___b.txt', false, false],
    ['a zync temp file', 'dir/.zync-tmp-a.txt-0a1b2c', false, true],
    ["the client's holding area", '.zync-tmp-deleted', true, true],
    ['a file held in it', '.zync-tmp-deleted/0a1b2c3d', false, true],
    ['a conflict copy', 'dir/report.zync-conflict-20261122-184700-R.txt', false, true],
    ['a .zyncignore dir rule', 'build', true, true],
    ['a file under an ignored dir', 'build/out.js', false, true],
    ['a .zyncignore glob', 'logs/server.log', false, true],
    ['a negated rule', 'keep.log', false, false],
    ['an anchored rule at the top', 'top-only.txt', false, true],
    ['an anchored rule below the top', 'sub/top-only.txt', false, false],
    ['an ordinary file', 'src/main.ts', false, false],
    ['the .zyncignore itself', '.zyncignore', false, false],
    ['a file named like a dir rule', 'src/build.ts', false, false],
  ])('%s (%s) ignored: %s', (_why, rel, isDir, expected) => {
    expect(matcher(rel, isDir)).toBe(expected);
  });

  it.each(['!.*\n', '!.zync-tmp-*\n', '*\n!*/\n!*\n'])('never syncs zync\'s own temp names, whatever the rules re-include (%j)', (rules) => {
    const open = createIgnoreMatcher(rules);
    expect(open('.zync-tmp-deleted', true)).toBe(true);
    expect(open('.zync-tmp-deleted/0a1b', false)).toBe(true);
    expect(open('sub/.zync-tmp-a.txt-0a1b2c', false)).toBe(true);
    expect(open('sub/x.zync-conflict-20261122-184700-R.txt', false)).toBe(true);
    expect(open('sub/ordinary.txt', false)).toBe(false);
  });

  it.each(['*\n', '.*\n', '.zyncignore\n'])('never ignores the root .zyncignore itself, whatever its rules say (%j)', (rules) => {
    const strict = createIgnoreMatcher(rules);
    expect(strict('.zyncignore', false)).toBe(false);
    expect(strict('sub/.zyncignore', false)).toBe(true);
  });

  it('answers the same after its rules are compiled afresh (every QUESTIONS_PER_RULE_SET questions)', () => {
    const long = createIgnoreMatcher('build/\n*.log\n!keep.log\n');
    const answers: string[] = [];
    for (let i = 0; i < QUESTIONS_PER_RULE_SET * 2.5; i++) {
      const [path, isDir, ignored] = ([[`src/f${i}.ts`, false, false], [`build/f${i}.js`, false, true], [`logs/f${i}.log`, false, true], ['keep.log', false, false], ['build', true, true]] as const)[i % 5]!;
      if (long(path, isDir) !== ignored) answers.push(`${path}: ${!ignored}`);
    }
    expect(answers).toEqual([]);
  });

  it('applies only the defaults without a .zyncignore', () => {
    const defaults = createIgnoreMatcher(null);
    expect(defaults('a.log', false)).toBe(false);
    expect(defaults('.hg', true)).toBe(true);
  });
});

describe('loadIgnoreMatcher', () => {
  it('refuses a .zyncignore it cannot read, naming it, instead of syncing without its rules', async () => {
    const root = mkdtempSync(nodePath.join(tmpdir(), 'zync-ignore-'));
    try {
      mkdirSync(nodePath.join(root, '.zyncignore')); // read fails with EISDIR, as it would with EACCES
      await expect(loadIgnoreMatcher(root)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining(`${root}/.zyncignore (EISDIR)`) });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes a missing .zyncignore for no rules of the root\'s own', async () => {
    const root = mkdtempSync(nodePath.join(tmpdir(), 'zync-ignore-'));
    try {
      const matcher = await loadIgnoreMatcher(root);
      expect(matcher('notes.txt', false)).toBe(false);
      expect(matcher('.DS_Store', false)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
