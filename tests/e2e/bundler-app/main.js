// A tiny app as a user writes it: scaled dot-product attention on the main thread,
// or in a worker with ?worker=1. It serves the Pyodide files at ./pyodide/ next to
// the page (?indexURL=… points elsewhere) and publishes what happened as JSON in
// document.body.dataset.result for the test to read.
import { init, AttentionError } from 'ruvector-attention';

const params = new URLSearchParams(location.search);
const worker = params.get('worker') === '1';
const indexURL = params.get('indexURL') ?? './pyodide/';
const query = [0.5, -1.25, 2];
const keys = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [-2, 0.5, 0.25]];
const values = [[1, 2], [3, 4], [5, 6], [7, 8], [-1, 0.5]];

function report(result) {
  document.getElementById('result').textContent = JSON.stringify(result, null, 1);
  document.body.dataset.result = JSON.stringify(result);
}

try {
  const t0 = performance.now();
  const rt = await init({ worker, indexURL });
  const bootMs = performance.now() - t0;
  const sdpa = worker
    ? await rt.create('ScaledDotProductAttention', { dim: 3 })
    : new rt.ScaledDotProductAttention({ dim: 3 });
  const out = Array.from(await sdpa.forward(query, keys, values));
  report({ mode: rt.mode, versions: rt.versions, bootMs, query, keys, values, out });
} catch (e) {
  report({ error: { attentionError: e instanceof AttentionError, code: e.code, message: e.message } });
}
