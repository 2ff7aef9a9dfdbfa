import { describe, expect, it } from 'vitest';
import { checkDatabaseKind } from './database-kind.js';

const daemon = { program: 'zync-daemon', latest: 8, table: 'changes', advice: "pass --db with the daemon's database" };

describe('checkDatabaseKind', () => {
  it.each([
    { name: 'a new, empty file', facts: { userVersion: 0, tables: [] } },
    { name: 'an older database of its own', facts: { userVersion: 3, tables: ['meta', 'changes'] } },
    { name: 'a current one', facts: { userVersion: 8, tables: ['meta', 'changes', 'clients'] } },
  ])('takes $name', ({ facts }) => {
    expect(() => checkDatabaseKind('/s/sync.db', facts, daemon)).not.toThrow();
  });

  it.each([
    { name: "another program's database", facts: { userVersion: 0, tables: ['foo'] }, message: "/s/sync.db is not a zync-daemon database; pass --db with the daemon's database." },
    { name: "the other binary's, of an older schema", facts: { userVersion: 5, tables: ['meta', 'entries'] }, message: "/s/sync.db is not a zync-daemon database; pass --db with the daemon's database." },
    { name: "the other binary's, of a newer schema", facts: { userVersion: 12, tables: ['meta', 'entries'] }, message: "/s/sync.db is not a zync-daemon database; pass --db with the daemon's database." },
    { name: "a newer zync's", facts: { userVersion: 9, tables: ['meta', 'changes'] }, message: 'Database /s/sync.db has schema version 9, newer than this zync build knows (8); use a newer zync.' },
  ])('refuses $name with one sentence', ({ facts, message }) => {
    expect(() => checkDatabaseKind('/s/sync.db', facts, daemon)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message }));
  });
});
