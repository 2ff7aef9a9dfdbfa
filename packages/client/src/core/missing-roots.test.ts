import { describe, expect, it } from 'vitest';
import { missingRootUpstreamError, missingRootWarning, rootsToFetchAgain, type MissingRoot } from './missing-roots.js';

const docs = { name: 'docs', root: '/r/docs', real: '/r/docs' };
const code = { name: 'code', root: '/r/code', real: '/r/code' };
const bound = new Map([['docs', '/r/docs'], ['code', '/r/code']]);

describe('rootsToFetchAgain', () => {
  it.each<[string, (MissingRoot & { real: string })[], string[], string[]]>([
    ['nothing missing', [], ['docs'], []],
    ['a missing root R received files into', [docs], ['docs'], ['docs']],
    ['a missing root R never received anything into (first run, or E has nothing there)', [docs], [], []],
    ['only the missing ones with records, in --dirs order', [docs, code], ['code'], ['code']],
    ['records of a root that is present do not count', [code], ['docs'], []],
    ['a root --dirs gives a new place that does not exist yet (a moved root, not a missing one)', [{ ...docs, root: '/new/docs', real: '/new/docs' }], ['docs'], []],
    ['the same place reached through a symbolic link', [{ ...docs, root: '/link/docs' }], ['docs'], ['docs']],
  ])('%s', (_name, missing, recorded, expected) => {
    const names = rootsToFetchAgain(missing, { hasRecords: (name) => recorded.includes(name), boundRoot: (name) => bound.get(name) }).map((d) => d.name);
    expect(names).toEqual(expected);
  });
});

describe('the sentences', () => {
  it('name the root and its path, and say what happens next', () => {
    expect(missingRootWarning(docs)).toBe(`The local directory for "docs" (/r/docs) was missing; it is made again and E's files there are fetched again.`);
    const err = missingRootUpstreamError(docs);
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toBe(
      'Directory "docs" does not exist: /r/docs; nothing is sent upstream — put it back (if it moved, give zync-client its new place in --dirs: ' +
        "R's edits there stay R's), or run zync-client without --update-upstream (restart it if it runs as a service) to make it again and fetch E's files there.",
    );
  });
});
