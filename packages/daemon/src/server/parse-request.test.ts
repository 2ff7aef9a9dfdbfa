import { describe, expect, it } from 'vitest';
import { parseRequest } from './parse-request.js';

describe('parseRequest', () => {
  it.each([
    { name: 'not JSON', text: '{nope', id: null, code: 'BAD_MESSAGE' },
    { name: 'JSON but not an object', text: '[1,2]', id: null, code: 'BAD_MESSAGE' },
    { name: 'null', text: 'null', id: null, code: 'BAD_MESSAGE' },
    { name: 'no operation', text: '{"id":4}', id: 4, code: 'BAD_MESSAGE' },
    { name: 'unknown operation', text: '{"operation":"RM_RF","id":5}', id: 5, code: 'UNKNOWN_OPERATION' },
    { name: 'missing id', text: '{"operation":"PING"}', id: null, code: 'BAD_MESSAGE' },
    { name: 'negative id', text: '{"operation":"PING","id":-1}', id: null, code: 'BAD_MESSAGE' },
    { name: 'wrong field type', text: '{"operation":"GET_CHANGES","id":6,"since_sequence":"0"}', id: 6, code: 'BAD_MESSAGE' },
    { name: 'limit above the page size', text: '{"operation":"GET_CHANGES","id":7,"since_sequence":0,"limit":100000}', id: 7, code: 'BAD_MESSAGE' },
    { name: 'parent traversal', text: '{"operation":"GET_FILE","id":8,"base_dir":"d","path":"../etc/passwd"}', id: 8, code: 'UNSAFE_PATH' },
    { name: 'inner traversal', text: '{"operation":"GET_FILE","id":9,"base_dir":"d","path":"a/../../b"}', id: 9, code: 'UNSAFE_PATH' },
    { name: 'absolute path', text: '{"operation":"GET_FILE","id":10,"base_dir":"d","path":"/etc/passwd"}', id: 10, code: 'UNSAFE_PATH' },
    { name: 'backslash', text: '{"operation":"GET_FILE","id":11,"base_dir":"d","path":"..\\\\x"}', id: 11, code: 'UNSAFE_PATH' },
    { name: 'NUL byte', text: '{"operation":"GET_FILE","id":12,"base_dir":"d","path":"a\\u0000b"}', id: 12, code: 'UNSAFE_PATH' },
    {
      name: 'upstream traversal',
      text: JSON.stringify({ operation: 'UPSTREAM_FILE', id: 13, base_dir: 'd', path: 'x/../../y', checksum: null, size: 0, base_checksum: null, delete: true }),
      id: 13,
      code: 'UNSAFE_PATH',
    },
  ])('$name -> $code', ({ text, id, code }) => {
    const parsed = parseRequest(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ id, status: 'error', code, error: expect.any(String) });
  });

  it.each([
    { text: '{"operation":"PING","id":1}', operation: 'PING' },
    { text: '{"operation":"GET_CHANGES","id":2,"since_sequence":10}', operation: 'GET_CHANGES' },
    { text: '{"operation":"GET_FILE","id":3,"base_dir":"d","path":"a/b c.txt"}', operation: 'GET_FILE' },
  ])('accepts $operation', ({ text, operation }) => {
    const parsed = parseRequest(text);
    expect(parsed.ok && parsed.request.operation).toBe(operation);
  });

  it('fills the default page size', () => {
    const parsed = parseRequest('{"operation":"GET_CHANGES","id":2,"since_sequence":10}');
    expect(parsed.ok && parsed.request.operation === 'GET_CHANGES' && parsed.request.limit).toBe(1000);
  });
});
