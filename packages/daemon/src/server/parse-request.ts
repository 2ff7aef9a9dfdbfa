// Turns one text frame into a validated request or the error response that answers it. Every
// failure has a stable code: BAD_MESSAGE (not JSON, not an object, wrong fields) or
// UNKNOWN_OPERATION; the error echoes the request's id when one could be read, else null.
// Pure: no sockets.
import { checkRelativePath, isZyncError, MAX_REQUEST_ID, OPERATIONS, Request, type ErrorCode, type ErrorResponse } from '@zync/common';

export type ParsedRequest = { ok: true; request: Request } | { ok: false; error: ErrorResponse };

export function errorResponse(id: number | null, code: ErrorCode, error: string): ErrorResponse {
  return { id, status: 'error', code, error };
}

function readableId(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_REQUEST_ID ? value : null;
}

export function parseRequest(text: string): ParsedRequest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: errorResponse(null, 'BAD_MESSAGE', 'The message is not valid JSON.') };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: errorResponse(null, 'BAD_MESSAGE', 'The message is not a JSON object.') };
  }
  const fields = data as Record<string, unknown>;
  const id = readableId(fields.id);
  const operation = fields.operation;
  if (typeof operation !== 'string') {
    return { ok: false, error: errorResponse(id, 'BAD_MESSAGE', 'The message has no "operation" string.') };
  }
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    return { ok: false, error: errorResponse(id, 'UNKNOWN_OPERATION', `Unknown operation ${JSON.stringify(operation.slice(0, 64))}.`) };
  }
  const parsed = Request.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'message';
    return { ok: false, error: errorResponse(id, 'BAD_MESSAGE', `Invalid ${operation} request: ${where}: ${issue?.message ?? 'invalid'}.`) };
  }
  const request = parsed.data;
  // Paths are checked here once for every operation that names one; nothing unsafe gets further.
  if ('path' in request) {
    try {
      checkRelativePath(request.path);
    } catch (err) {
      return { ok: false, error: errorResponse(request.id, 'UNSAFE_PATH', isZyncError(err) ? err.message : 'Unsafe path.') };
    }
  }
  return { ok: true, request };
}
