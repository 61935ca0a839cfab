// Constants replaced by esbuild at build time (js/build/dist.mjs).
declare const __TARGET__: 'node' | 'browser';
declare const __RUVECTOR_VERSION__: string;
/** dist/pyodide/ relative to the bundle's own directory. */
declare const __PYODIDE_DIR__: string;
/** The worker script, relative to the bundle's own directory. */
declare const __WORKER_FILE__: string;
