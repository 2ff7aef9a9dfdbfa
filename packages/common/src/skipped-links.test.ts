import { describe, expect, it } from 'vitest';
import { describeLinks, newLinkTally, noteLink } from './skipped-links.js';

describe('describeLinks', () => {
  it.each([
    ['one link: singular, its name', ['a/.bin/tsc'], '1 symbolic link (a/.bin/tsc) is'],
    ['three links: all named, no ellipsis', ['x', 'y', 'z'], '3 symbolic links (x, y, z) are'],
    ['five links: three named, then an ellipsis', ['a', 'b', 'c', 'd', 'e'], '5 symbolic links (a, b, c, …) are'],
    ['a control character in a name is made inert', ['bad\u001b[2Kname'], '1 symbolic link (bad\\x1b[2Kname) is'],
  ])('%s', (_name, paths, expected) => {
    const tally = newLinkTally();
    for (const p of paths) noteLink(tally, p);
    expect(describeLinks(tally)).toBe(expected);
    expect(tally.examples.length).toBeLessThanOrEqual(3);
  });
});
