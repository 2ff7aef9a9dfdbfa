import { describe, expect, it } from 'vitest';
import { awayNews } from './away-news.js';

describe('awayNews', () => {
  it.each<[string, string[], string[], { gone: string[]; back: string[] }]>([
    ['nothing away, before or now: nothing said', [], [], { gone: [], back: [] }],
    ["a run's first pass finds a root away: warned", [], ['docs'], { gone: ['docs'], back: [] }],
    ['still away at the next pass: nothing said again', ['docs'], ['docs'], { gone: [], back: [] }],
    ['back: one note', ['docs'], [], { gone: [], back: ['docs'] }],
    ['gone again after coming back: warned again (as from none)', [], ['docs'], { gone: ['docs'], back: [] }],
    ['one more root goes while one stays: only the new one is warned', ['docs'], ['docs', 'code'], { gone: ['code'], back: [] }],
    ['one comes back as another goes', ['docs'], ['code'], { gone: ['code'], back: ['docs'] }],
  ])('%s', (_why, before, now, expected) => {
    expect(awayNews(before, now, (name) => name)).toEqual(expected);
  });

  it("compares R's held roots by name, and gives back the roots themselves", () => {
    const usb = { name: 'docs', root: '/mnt/usb' };
    const code = { name: 'code', root: '/home/r/code' };
    // The pass after: new objects for the same roots.
    expect(awayNews([usb], [{ ...usb }, code], (dir) => dir.name)).toEqual({ gone: [code], back: [] });
    expect(awayNews([usb, code], [{ ...code }], (dir) => dir.name)).toEqual({ gone: [], back: [usb] });
  });
});
