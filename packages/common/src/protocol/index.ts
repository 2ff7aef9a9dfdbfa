export * from './version.js';
export * from './errors.js';
export * from './messages.js';
export * from './framing.js';
export * from './close-codes.js';
export * from './hand-off.js';
