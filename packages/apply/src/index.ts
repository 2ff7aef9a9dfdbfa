// @zync/apply as a library: the pure planning and formatting behind zync-apply, and the apply
// executor, for tests and other tools. The binary is main.ts.
export * from './apply-plan.js';
export { applySession, readCurrentStates, rootResolver, type ApplyContext, type ApplyOutcome } from './apply-session.js';
export { reconcileDirs } from './dirs.js';
export { planDiscard, type DiscardPlan } from './discard-plan.js';
export { discardQuestion, discardSession, type DiscardContext } from './discard-session.js';
export { formatBytes, isBinary, renderDiff, MAX_DIFF_BYTES, type DiffSide } from './diff-view.js';
export * from './format.js';
