// WebSocket close codes zync sends beyond RFC 6455's own (4000–4999 are the application's). A
// client turns each into the sentence it says for the same cause met another way.

/**
 * The daemon's accepted token changed (its token file was rewritten) and this connection's token
 * is no longer it: 4000 + the HTTP 401 the same token now gets at the upgrade. The client says
 * what it says for that 401.
 */
export const CLOSE_TOKEN_REVOKED = 4401;
