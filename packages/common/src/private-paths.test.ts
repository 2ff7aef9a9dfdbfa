import { describe, expect, it } from 'vitest';
import { findPrivatePathInRoot, type PrivatePath } from './private-paths.js';

const dirs = [
  { name: 'docs', root: '/srv/docs' },
  { name: 'code', root: '/srv/code' },
];
const token = (...locations: string[]): PrivatePath => ({ what: 'The token file', path: locations[0]!, locations, advice: 'move it' });

describe('findPrivatePathInRoot', () => {
  it.each([
    { name: 'nothing to check', paths: [], refusal: null },
    { name: 'outside every root', paths: [token('/home/me/zync.token')], refusal: null },
    { name: 'beside the roots', paths: [token('/srv/zync.token')], refusal: null },
    { name: 'a sibling whose name starts like a root', paths: [token('/srv/docs2/zync.token')], refusal: null },
    {
      name: 'directly in a root',
      paths: [token('/srv/docs/zync.token')],
      refusal: 'The token file /srv/docs/zync.token is inside the watched directory "docs" (/srv/docs); move it.',
    },
    { name: 'deep in the second root', paths: [token('/srv/code/a/b/t')], refusal: /"code" \(\/srv\/code\)/ },
    { name: 'the root itself', paths: [token('/srv/docs')], refusal: /"docs"/ },
    {
      name: 'outside as given, inside once symlinks are resolved: named as given',
      paths: [token('/home/me/link/t', '/srv/docs/t')],
      refusal: /^The token file \/home\/me\/link\/t is inside the watched directory "docs"/,
    },
    { name: 'inside as given, outside once resolved (a symlink in a root)', paths: [token('/srv/docs/out/t', '/elsewhere/t')], refusal: /"docs"/ },
    {
      name: 'the first offender is named',
      paths: [token('/home/me/t'), { what: 'The TLS key', path: '/srv/code/k.pem', locations: ['/srv/code/k.pem'], advice: 'move it' }],
      refusal: /^The TLS key \/srv\/code\/k\.pem/,
    },
  ])('$name', ({ paths, refusal }) => {
    const found = findPrivatePathInRoot(paths, dirs);
    if (refusal === null) expect(found).toBeNull();
    else expect(found).toMatch(refusal);
  });
});
