// Starts the library the moment the page opens, before the rest of the page's
// modules have loaded (index.html runs this module first); main.js picks up the
// same promise. Progress events that arrive before anyone listens are replayed.

import { bootRuntime } from './runtime.js';

/** ?worker=0 runs the library on the main thread; the default is a Web Worker. */
export const workerMode = new URLSearchParams(location.search).get('worker') !== '0';

const events = [];          // [stage, detail, ms since navigation start]
const listeners = new Set();

/** fn(stage, detail, atMs) for every boot stage, including those already past. */
export function onBootProgress(fn) {
  for (const e of events) fn(...e);
  listeners.add(fn);
}

export const runtime = bootRuntime({
  worker: workerMode,
  onProgress: (stage, detail) => {
    const e = [stage, detail, performance.now()];
    events.push(e);
    for (const fn of listeners) fn(...e);
  },
});
// main.js awaits and reports a failure; this keeps it from being an unhandled rejection meanwhile.
runtime.catch(() => {});
