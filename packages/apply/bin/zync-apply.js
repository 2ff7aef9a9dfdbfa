#!/usr/bin/env node
// One bundled file (scripts/bundle-binaries.mjs) starts faster than dist/main.js's module tree.
import '../dist/zync-apply.mjs';
