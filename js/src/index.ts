// Public entry of the npm package `ruvector-attention` (types: ts-types/index.d.ts).
import { boot, JS_VERSION } from './boot.ts';
import { AttentionError } from './errors.ts';
import { makeRuntime } from './runtime.ts';
import { bootWorker } from './worker/client.ts';
import type { AsyncRuntime, FlatRows, InitOptions, Runtime } from '../../ts-types/index.d.ts';

export { AttentionError } from './errors.ts';
export const version: string = JS_VERSION;

// One boot per mode, shared by concurrent callers; forgotten after a failure so
// the next init() retries. The first caller's options win.
let mainRuntime: Promise<Runtime> | null = null;
let workerRuntime: Promise<AsyncRuntime> | null = null;

export function init(options: InitOptions = {}): Promise<Runtime | AsyncRuntime> {
  if (typeof options !== 'object' || options === null) {
    return Promise.reject(new AttentionError('INVALID_CONFIG', 'init(options) expects an object'));
  }
  if (options.worker) {
    workerRuntime ??= bootWorker(options).then(rt => {
      const terminate = rt.terminate.bind(rt);
      // after terminate() a new init({ worker: true }) boots a fresh worker
      (rt as { terminate: () => Promise<void> }).terminate = async () => { workerRuntime = null; await terminate(); };
      return rt;
    }, e => { workerRuntime = null; throw e; });
    return workerRuntime;
  }
  mainRuntime ??= boot(options.indexURL, options.onProgress).then(makeRuntime, e => { mainRuntime = null; throw e; });
  return mainRuntime;
}

export function flat(data: Float32Array, rows: number): FlatRows {
  return { data, rows };
}
