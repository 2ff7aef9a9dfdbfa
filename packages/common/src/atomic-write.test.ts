import { linkSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { open } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AtomicFileWriter, chmodUnsupported, linkIntoPlace, writeFileAtomic } from './atomic-write.js';
import { sha256 } from './hash.js';

/** FileHandle's prototype, so a test can make the disk fail under the writer. */
async function fileHandlePrototype(dir: string): Promise<object> {
  const probe = path.join(dir, 'probe');
  const handle = await open(probe, 'w');
  await handle.close();
  rmSync(probe);
  return Object.getPrototypeOf(handle) as object;
}

describe('atomic writes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the target with the new content, mode and mtime', async () => {
    const target = path.join(dir, 'a.sh');
    writeFileSync(target, 'old');
    const mtime = Date.UTC(2020, 0, 1);
    await writeFileAtomic(target, 'new', { mode: 0o755, mtime, expectedChecksum: sha256('new') });
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(statSync(target).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['a.sh']);
  });

  it.each([
    ['255 ASCII bytes', 'a'.repeat(251) + '.txt'],
    ['85 three-byte characters (255 bytes)', '日'.repeat(85)],
    ['63 four-byte characters (252 bytes)', '😀'.repeat(63)],
  ])('writes a file whose name takes %s', async (_why, name) => {
    const target = path.join(dir, name);
    await writeFileAtomic(target, 'long', { expectedChecksum: sha256('long') });
    expect(readFileSync(target, 'utf8')).toBe('long');
    rmSync(target);
  });

  it('keeps an mtime before 1970 (Node would read negative seconds as "now")', async () => {
    const target = path.join(dir, 'old.txt');
    const mtime = Date.UTC(1960, 0, 1, 12, 0, 0, 250);
    await writeFileAtomic(target, 'old', { mtime, expectedChecksum: sha256('old') });
    expect(statSync(target).mtimeMs).toBe(mtime);
    rmSync(target);
  });

  it('leaves the target untouched and no temp file when the checksum is wrong', async () => {
    const target = path.join(dir, 'b.txt');
    writeFileSync(target, 'keep me');
    await expect(writeFileAtomic(target, 'corrupt', { expectedChecksum: sha256('other') })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'))).toEqual([]);
  });

  it('never shows partial content at the target while writing', async () => {
    const target = path.join(dir, 'c.bin');
    const writer = await AtomicFileWriter.create(target);
    await writer.write(Buffer.alloc(1000, 1));
    expect(() => statSync(target)).toThrow();
    await writer.abort();
    expect(readdirSync(dir).some((n) => n.startsWith('.zync-tmp-'))).toBe(false);
  });

  describe('writes in batches', () => {
    afterEach(() => vi.restoreAllMocks());

    it.each([
      { name: 'many frame-sized chunks', chunks: Array.from({ length: 40 }, (_, i) => 256 * 1024 + (i % 3)) },
      { name: 'odd sizes, some empty', chunks: [1, 0, 4095, 4097, 0, 3 * 1024 * 1024 + 7, 9] },
      { name: 'one chunk of 9 MiB', chunks: [9 * 1024 * 1024] },
    ])('keeps content and checksum with $name', async ({ chunks }) => {
      const target = path.join(dir, 'many.bin');
      const parts = chunks.map((n, i) => Buffer.alloc(n, i + 1));
      const writer = await AtomicFileWriter.create(target);
      for (const part of parts) await writer.write(part);
      const whole = Buffer.concat(parts);
      const result = await writer.commit({ expectedChecksum: sha256(whole) });
      expect(result.size).toBe(whole.length);
      expect(result.file.size).toBe(whole.length);
      expect(readFileSync(target).equals(whole)).toBe(true);
    });

    it('resolves write() once its chunk is written, so a caller counts what the writer holds; chunks not waited for share a writev', async () => {
      const proto = (await fileHandlePrototype(dir)) as { writev: (...args: unknown[]) => Promise<unknown> };
      const writev = proto.writev;
      let release!: () => void;
      const disk = new Promise<void>((resolve) => (release = resolve));
      const spy = vi.spyOn(proto, 'writev').mockImplementation(async function (this: unknown, ...args: unknown[]) {
        await disk;
        return writev.apply(this, args);
      });
      const target = path.join(dir, 'counted.bin');
      const writer = await AtomicFileWriter.create(target);
      const chunks = [1, 2, 3].map((i) => Buffer.alloc(256 * 1024, i));
      let done = 0;
      const writes = chunks.map((chunk) => writer.write(chunk).then(() => void done++));
      await new Promise((resolve) => setImmediate(resolve));
      const heldBack = done;
      release();
      await Promise.all(writes);
      const batches = spy.mock.calls.map((args) => (args[0] as Buffer[]).length);
      await writer.commit({ expectedChecksum: sha256(Buffer.concat(chunks)) });
      expect(heldBack).toBe(0);
      expect(batches).toEqual([1, 2]);
      expect(readFileSync(target).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('starts write-back in the background while a large file is written, then commits it', async () => {
      const proto = (await fileHandlePrototype(dir)) as { datasync: () => Promise<void> };
      const datasync = vi.spyOn(proto, 'datasync');
      const target = path.join(dir, 'large.bin');
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const writer = await AtomicFileWriter.create(target);
      for (let i = 0; i < 130; i++) await writer.write(chunk);
      const result = await writer.commit();
      expect(datasync).toHaveBeenCalled();
      expect(result.size).toBe(130 * chunk.length);
      expect(statSync(target).size).toBe(130 * chunk.length);
    });

    it('reports a failed write by the next write or the commit, and leaves no temp file', async () => {
      const proto = (await fileHandlePrototype(dir)) as { writev: () => Promise<unknown> };
      vi.spyOn(proto, 'writev').mockRejectedValue(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
      const target = path.join(dir, 'full.bin');
      writeFileSync(target, 'keep me');
      const writer = await AtomicFileWriter.create(target);
      const chunk = Buffer.alloc(256 * 1024, 1);
      const failure = (async () => {
        for (let i = 0; i < 64; i++) await writer.write(chunk);
        await writer.commit();
      })();
      await expect(failure).rejects.toMatchObject({ code: 'DISK_FULL' });
      await writer.abort();
      expect(readFileSync(target, 'utf8')).toBe('keep me');
      expect(readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'))).toEqual([]);
    });

    it('abort waits for a write in flight and removes the temp file', async () => {
      const target = path.join(dir, 'aborted.bin');
      const writer = await AtomicFileWriter.create(target);
      await writer.write(Buffer.alloc(3 * 1024 * 1024, 2));
      await writer.abort();
      expect(() => statSync(target)).toThrow();
      expect(readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'))).toEqual([]);
    });
  });
});

describe('a download kept and resumed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-resume-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const temps = () => readdirSync(dir).filter((n) => n.startsWith('.zync-tmp-'));

  it('keeps what was written, then resumes after it and commits the whole file', async () => {
    const target = path.join(dir, 'big.bin');
    const first = await AtomicFileWriter.create(target);
    await first.write(Buffer.from('first half, '));
    expect(await first.keep()).toBe(12);
    expect(readFileSync(first.tempPath, 'utf8')).toBe('first half, ');
    expect(readdirSync(dir)).not.toContain('big.bin');

    const second = await AtomicFileWriter.resume(target, first.tempPath);
    expect(second.bytesWritten).toBe(12);
    await second.write(Buffer.from('second half'));
    await second.commit({ expectedChecksum: sha256('first half, second half') });
    expect(readFileSync(target, 'utf8')).toBe('first half, second half');
    expect(temps()).toEqual([]);
  });

  it('starts over when told to, and a wrong prefix fails the checksum instead of landing', async () => {
    const target = path.join(dir, 'c.bin');
    const first = await AtomicFileWriter.create(target);
    await first.write(Buffer.from('stale bytes'));
    await first.keep();

    const restarted = await AtomicFileWriter.resume(target, first.tempPath);
    await restarted.restart();
    await restarted.write(Buffer.from('fresh'));
    await restarted.commit({ expectedChecksum: sha256('fresh') });
    expect(readFileSync(target, 'utf8')).toBe('fresh');

    const again = await AtomicFileWriter.create(target);
    await again.write(Buffer.from('wrong start '));
    await again.keep();
    const resumed = await AtomicFileWriter.resume(target, again.tempPath);
    await resumed.write(Buffer.from('and the rest'));
    await expect(resumed.commit({ expectedChecksum: sha256('right start and the rest') })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(readFileSync(target, 'utf8')).toBe('fresh');
    expect(temps()).toEqual([]);
  });

  it('keeps nothing when nothing was written', async () => {
    const writer = await AtomicFileWriter.create(path.join(dir, 'e.bin'));
    expect(await writer.keep()).toBe(0);
    expect(temps()).toEqual([]);
  });

  it('refuses a path that is not a temp file beside the target', async () => {
    const target = path.join(dir, 'd.bin');
    writeFileSync(path.join(dir, 'other.bin'), 'x');
    await expect(AtomicFileWriter.resume(target, path.join(dir, 'other.bin'))).rejects.toThrow(/not a temp file/);
    await expect(AtomicFileWriter.resume(target, path.join(tmpdir(), '.zync-tmp-d.bin-000000000000'))).rejects.toThrow(/not a temp file/);
  });

  it('refuses a temp file that is also the target (a kill between link and unlink), leaving both as they are', async () => {
    const target = path.join(dir, 'l.bin');
    const temp = path.join(dir, '.zync-tmp-l.bin-000000000001');
    writeFileSync(temp, 'placed');
    linkSync(temp, target);
    await expect(AtomicFileWriter.resume(target, temp)).rejects.toThrow(/already linked into place/);
    expect(readFileSync(target, 'utf8')).toBe('placed');
    unlinkSync(temp);
  });
});

describe('a file put where nothing was (expectNothing)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-nothing-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function writerFor(name: string, content: string): Promise<AtomicFileWriter> {
    const writer = await AtomicFileWriter.create(path.join(dir, name));
    await writer.write(Buffer.from(content));
    return writer;
  }

  it('is linked into place without the check: no moment in which a file made there is replaced', async () => {
    const target = path.join(dir, 'new.txt');
    const writer = await writerFor('new.txt', 'from E');
    const check = vi.fn(async () => undefined);
    const { file } = await writer.commit({ expectedChecksum: sha256('from E'), mode: 0o640, mtime: Date.UTC(2021, 0, 1), beforeRename: check, expectNothing: true });
    expect(check).not.toHaveBeenCalled();
    expect(readFileSync(target, 'utf8')).toBe('from E');
    const info = statSync(target);
    expect([info.nlink, info.ino, info.mode & 0o777, info.mtimeMs]).toEqual([1, file.ino, 0o640, Date.UTC(2021, 0, 1)]);
    expect(readdirSync(dir)).toEqual(['new.txt']);
  });

  it.each([
    { what: 'a file', make: (target: string) => writeFileSync(target, 'made on this side') },
    { what: 'a symbolic link that points nowhere', make: (target: string) => symlinkSync('nowhere', target) },
    { what: 'a directory', make: (target: string) => mkdirSync(target) },
  ])('leaves $what made there since to the check, which may refuse', async ({ make }) => {
    const target = path.join(dir, 'raced');
    rmSync(target, { recursive: true, force: true });
    const writer = await writerFor('raced', 'from E');
    make(target);
    const before = lstatSync(target);
    const refuse = vi.fn(async () => {
      throw new Error('changed meanwhile');
    });
    await expect(writer.commit({ beforeRename: refuse, expectNothing: true })).rejects.toThrow(/changed meanwhile/);
    expect(refuse).toHaveBeenCalledOnce();
    expect(lstatSync(target)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs });
    expect(readdirSync(dir).filter((n) => n !== 'new.txt')).toEqual(['raced']);
  });

  it('renames over what the check moved aside', async () => {
    const target = path.join(dir, 'moved.txt');
    const writer = await writerFor('moved.txt', 'from E');
    writeFileSync(target, 'made on this side');
    await writer.commit({ beforeRename: async () => renameSync(target, `${target}.copy`), expectNothing: true });
    expect(readFileSync(target, 'utf8')).toBe('from E');
    expect(readFileSync(`${target}.copy`, 'utf8')).toBe('made on this side');
  });
});

describe('linkIntoPlace', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-link-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts the file at the target under one name, or leaves both as they were', () => {
    const temp = path.join(dir, '.zync-tmp-a-1');
    writeFileSync(temp, 'new');
    expect(linkIntoPlace(temp, path.join(dir, 'a'))).toBe(true);
    expect(readdirSync(dir)).toEqual(['a']);
    expect(statSync(path.join(dir, 'a')).nlink).toBe(1);

    writeFileSync(temp, 'newer');
    expect(linkIntoPlace(temp, path.join(dir, 'a'))).toBe(false);
    expect(readFileSync(path.join(dir, 'a'), 'utf8')).toBe('new');
    expect(readFileSync(temp, 'utf8')).toBe('newer');
  });
});

describe('chmodUnsupported', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  it.each<[string, unknown, boolean, boolean]>([
    ['fusefat: not implemented', errno('ENOSYS'), false, true],
    ['not supported', errno('EOPNOTSUPP'), false, true],
    ['vfat without quiet refuses the chmod of a file just made', errno('EPERM'), true, true],
    ['EPERM on a file R did not just make may be ownership', errno('EPERM'), false, false],
    ['anything else', errno('EACCES'), true, false],
  ])('%s', (_why, err, ownFile, expected) => {
    expect(chmodUnsupported(err, ownFile)).toBe(expected);
  });
});
