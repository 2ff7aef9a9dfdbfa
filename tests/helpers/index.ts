export * from './wait.js';
export * from './files.js';
export * from './processes.js';
export * from './protocol-client.js';
