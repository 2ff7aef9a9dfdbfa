// --update-upstream keeps the connection it made before the scan open while R's roots are scanned;
// when E ends it meanwhile, one info line says why and that it connects again after the scan. E
// ending it for a rotated token that R's token file already holds is said as the rotation it is,
// not as "refused the token … check --token" (which the next connection, with the file's new
// token, contradicts); with R's file still holding the old token, the refusal is said as it is.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createForwardingLogger, ZyncError } from '@zync/common';
import { afterAll, expect, it } from 'vitest';
import type { Connection } from '../connection.js';
import { ClientStore } from '../store/client-store.js';
import { runUpstream } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-early-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REFUSED = 'The daemon at ws://127.0.0.1:8000 refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.';

/** The connection made before the scan: the HELLO a daemon serving "docs" answers, and a close E can make. */
function earlyConnection(): { connection: Connection; closeFromE: (err: ZyncError) => void } {
  const listeners = new Set<(err: ZyncError) => void>();
  let open = true;
  const fake = {
    url: 'ws://127.0.0.1:8000',
    hello: { log_id: 'log-1', last_sequence: 0, dirs: ['docs'], protocol: 2 },
    get isOpen() {
      return open;
    },
    onClose(listener: (err: ZyncError) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      open = false;
    },
  };
  const closeFromE = (err: ZyncError) => {
    open = false;
    for (const listener of listeners) listener(err);
  };
  return { connection: fake as unknown as Connection, closeFromE };
}

it.each([
  ["R's token file holds the new token", true, "E rotated its token and ended the connection made with the old one; R's token file holds the new one. Connecting again once R's roots are scanned."],
  ["R's token file still holds the old token", false, `${REFUSED} Connecting again once R's roots are scanned.`],
])('says a rotation that closes the connection during the scan, when %s', async (name, renewed, line) => {
  const base = path.join(dir, name.replace(/\W+/g, '-'));
  const root = path.join(base, 'docs');
  mkdirSync(root, { recursive: true });
  const store = ClientStore.open(path.join(base, 'sync_client.db'));
  try {
    store.startResync('log-1');
    store.finishResync(['docs']);
    const { connection, closeFromE } = earlyConnection();
    const lines: string[] = [];
    const printed: string[] = [];
    await runUpstream({
      store,
      dbPath: path.join(base, 'sync_client.db'),
      names: ['docs'],
      // E closes the connection while R's roots are looked at.
      roots: async () => {
        closeFromE(new ZyncError('UNAUTHORIZED', REFUSED));
        return [{ name: 'docs', root }];
      },
      connect: async () => connection,
      log: createForwardingLogger('zync-client', 'info', (record) => lines.push(`${record.level}: ${record.msg}`)),
      print: (text) => printed.push(text),
      tokenRenewed: () => renewed,
    });
    expect(lines).toEqual([`info: ${line}`]);
    expect(printed).toEqual(['Nothing to send upstream: no local changes since what R last received from E.']);
  } finally {
    store.close();
  }
});
