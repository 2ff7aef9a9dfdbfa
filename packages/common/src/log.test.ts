import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFormat } from './log.js';

function capture(format: LogFormat, level: 'info' | 'warn' = 'info') {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createLogger('zync-test', level, { format, destination: out });
  return { logger, lines: () => text.split('\n').filter((line) => line !== '') };
}

describe('createLogger', () => {
  it('text: one line per record, dated with its UTC offset, fields on the same line, token redacted', () => {
    const { logger, lines } = capture('text');
    logger.warn({ code: 'DISK_FULL', token: 's3cret-token' }, 'disk full');
    logger.info('pull: 3 files');
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] WARN \(zync-test\): disk full \{"code":"DISK_FULL","token":"\[redacted\]"\}$/);
    expect(lines()[1]).toMatch(/\] INFO \(zync-test\): pull: 3 files$/);
    expect(lines().join('\n')).not.toContain('s3cret');
  });

  it('json: one object per line with an ISO time in UTC, the level as a word, msg and fields', () => {
    const { logger, lines } = capture('json');
    logger.warn({ code: 'DISK_FULL', token: 's3cret-token' }, 'disk full');
    logger.info('pull: 3 files');
    const records = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ level: 'warn', name: 'zync-test', msg: 'disk full', code: 'DISK_FULL', token: '[redacted]' });
    expect(records[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(records[0]).not.toHaveProperty('pid');
    expect(records[1]).toMatchObject({ level: 'info', msg: 'pull: 3 files' });
  });

  it('keeps to the level in either format', () => {
    for (const format of ['text', 'json'] as const) {
      const { logger, lines } = capture(format, 'warn');
      logger.info('not shown');
      logger.error('shown');
      expect(lines()).toHaveLength(1);
      expect(lines()[0]).toContain('shown');
    }
  });
});
