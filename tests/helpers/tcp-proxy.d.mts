// TypeScript resolves `./tcp-proxy.mjs` to this file; the declarations live in tcp-proxy.d.ts.
export * from './tcp-proxy.js';
