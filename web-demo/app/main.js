// The visualizer: boot the runtime, load a graph, and re-render the views
// whenever the node, the mechanism, its config or the data change.
//
// URL parameters (all optional): worker=0 runs the library on the main thread;
// nodes, dim, m, seed set the synthetic graph; node and mechanism the first view.
//
// For tests and scripts, <body> carries data-state (booting|busy|ready|error),
// data-render-count (bumped after each completed render), data-view (JSON
// {node, mechanism, options} of that render) and data-cold-start-ms.

import { BOOT_STAGES } from './runtime.js';
import { onBootProgress, runtime, workerMode } from './boot.js';
import { defaultOptions, renderConfigForm } from './controls.js';
import { DemoGraph } from './data/graph.js';
import { DataError, parseEdgeList, parseVectorsFile } from './data/parse.js';
import { downloadBlob, downloadJson, EXPORT_FORMAT, exportedInputs, exportedResults, viewToPng } from './export.js';
import { meanRows, sum, entropy, topKMass } from './stats.js';
import { renderComparison } from './views/compare.js';
import { renderGraph } from './views/graph.js';
import { renderHeatmap } from './views/heatmap.js';
import { SPARSE_MECHANISMS, renderSparse, sparseCard, sparseDetails } from './views/sparse.js';
import { METADATA_SOURCES } from './data/metadata.js';
import { evaluate } from './evaluate.js';
import { loadWeightsFromForm, showWeightsIn } from './trained.js';
import { distanceEffectCard, distanceEffectDetails, renderDistanceEffect } from './views/distance_effect.js';
import { renderLayerLegend } from './views/layers.js';
import { curvedSpace, poincareCard, poincareDetails, renderPoincare } from './views/poincare.js';

const MAX_KNN_VECTORS = 10_000;  // exact kNN in the page is O(N²·D); beyond this ask for an edge list
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const state = {
  rt: null,
  catalog: [],
  graph: null,
  node: 0,
  mechanism: null,
  options: {},
  seq: 0,
  current: null,      // the last rendered view (what the JSON export writes)
  comparison: [],
  coldStartMs: null,
  timings: {},        // boot milestones, ms since navigation start
};

/** Record a boot milestone (ms since navigation start) for the export and the status line. */
function mark(name, at = performance.now()) {
  performance.mark(`ruvector:${name}`, { startTime: at });
  state.timings[name] = Math.round(at);
  return state.timings[name];
}

function setStatus(text, kind = 'busy') {
  $('status').textContent = text;
  $('status').dataset.state = kind;
  document.body.dataset.state = kind;
}

function showMessage(id, text, kind = 'error') {
  $(id).textContent = text;
  $(id).dataset.kind = text ? kind : '';
}

async function boot() {
  document.body.dataset.mode = workerMode ? 'worker' : 'main';
  setStatus(`Loading Pyodide and the library (${workerMode ? 'Web Worker' : 'main thread'})…`, 'booting');
  // The boot itself started in boot.js, before this module loaded.
  onBootProgress((stage, detail, at) => {
    mark(`boot-${stage}`, at);
    $('boot-progress').value = BOOT_STAGES.indexOf(stage) + 1;
    setStatus(`Loading: ${detail || stage}…`, 'booting');
  });
  try {
    state.rt = await runtime;
  } catch (err) {
    setStatus(`The library could not start: ${err.message}`, 'error');
    return;
  }
  mark('runtime-ready');
  const v = state.rt.versions;
  $('runtime-info').textContent = `${state.rt.mode === 'worker' ? 'Web Worker' : 'main thread'} · ruvector-attention ${v.python} · kernel ${v.isa} · Pyodide ${v.pyodide}`;
  state.catalog = await state.rt.mechanisms();
  fillMechanismSelect(params.get('mechanism'));
  wireControls();
  setStatus('Generating the synthetic graph…');
  const ok = await loadSynthetic(readSyntheticParams(true));
  if (!ok) return;
  mark('graph-ready');
  await selectNode(clampNode(Number(params.get('node') ?? state.graph.hub())));
  $('boot-progress').hidden = true;
}

// ------------------------------------------------------------------ data

function readSyntheticParams(fromUrl) {
  const pick = (name, id) => Number(fromUrl && params.has(name) ? params.get(name) : $(id).value);
  const p = { numNodes: pick('nodes', 'ds-nodes'), dim: pick('dim', 'ds-dim'), m: pick('m', 'ds-m'), seed: pick('seed', 'ds-seed') };
  $('ds-nodes').value = p.numNodes;
  if (![...$('ds-dim').options].some((o) => Number(o.value) === p.dim)) $('ds-dim').append(new Option(p.dim, p.dim));
  $('ds-dim').value = p.dim;
  $('ds-m').value = p.m;
  $('ds-seed').value = p.seed;
  return p;
}

async function loadSynthetic(p) {
  showMessage('data-message', '');
  setStatus(`Generating a synthetic HNSW graph (${p.numNodes} nodes, dim ${p.dim})…`);
  try {
    const graph = await state.rt.syntheticGraph(p);
    setGraph(graph);
    return true;
  } catch (err) {
    showMessage('data-message', `Could not generate the graph: ${err.message}`);
    setStatus(state.graph ? 'Ready (previous graph kept).' : 'No graph.', state.graph ? 'ready' : 'error');
    return false;
  }
}

async function loadFile() {
  const vecFile = $('file-vectors').files[0];
  const edgeFile = $('file-edges').files[0];
  if (!vecFile) {
    showMessage('data-message', 'Choose a vectors file first (JSON or CSV).');
    return;
  }
  showMessage('data-message', '');
  setStatus(`Reading ${vecFile.name}…`);
  try {
    const parsed = parseVectorsFile(await vecFile.text(), vecFile.name);
    let edges = parsed.edges;
    if (edgeFile) edges = parseEdgeList(await edgeFile.text(), edgeFile.name, parsed);
    const source = { kind: 'file', file: vecFile.name, edges: edgeFile?.name ?? (edges ? vecFile.name : null) };
    let graph;
    if (edges) {
      graph = DemoGraph.fromEdges(parsed, edges, source);
    } else {
      if (parsed.count > MAX_KNN_VECTORS) {
        throw new DataError(`${vecFile.name}: ${parsed.count} vectors; without an edge list at most ${MAX_KNN_VECTORS} are supported (the page computes exact nearest neighbours).`);
      }
      const k = Number($('file-k').value);
      if (!Number.isInteger(k) || k < 1) throw new DataError(`Neighbours per node must be a whole number ≥ 1, got ${$('file-k').value}.`);
      source.knn = k;
      graph = await DemoGraph.fromKnn(parsed, k, source, (f) => setStatus(`Finding nearest neighbours… ${Math.round(f * 100)} %`));
    }
    const isolated = countIsolated(graph);
    if (isolated === graph.count) throw new DataError(`${edgeFile?.name ?? vecFile.name}: no node has any neighbour.`);
    setGraph(graph);
    showMessage('data-message', `Loaded ${graph.count} vectors of dim ${graph.dim}` +
      (isolated ? `; ${isolated} node(s) have no neighbours and show nothing.` : '.'), 'info');
    await selectNode(firstWithNeighbours(graph));
  } catch (err) {
    const what = err instanceof DataError ? err.message : `Could not load ${vecFile.name}: ${err.message}`;
    showMessage('data-message', what);
    setStatus('Ready (the previous data is still shown).', 'ready');
  }
}

function setGraph(graph) {
  // Mechanisms depend on the data only through dim: keep them unless it changed.
  if (state.graph && state.graph.dim !== graph.dim) state.rt.prune();
  state.graph = graph;
  $('node').max = graph.count - 1;
  const layers = graph.layers.reduce((m, x) => Math.max(m, x), 0);
  $('data-summary').textContent = `${graph.count} nodes · dim ${graph.dim} · ${graph.indices.length} links · ` +
    `${layers + 1} HNSW layer(s) · ${describeSource(graph.source)}`;
}

function describeSource(s) {
  if (s.kind === 'synthetic') return `synthetic, seed ${s.seed}, M ${s.m}`;
  return s.knn ? `${s.file}, ${s.knn} nearest neighbours` : `${s.file} + edges from ${s.edges}`;
}

function countIsolated(g) {
  let n = 0;
  for (let i = 0; i < g.count; i++) if (g.indptr[i + 1] === g.indptr[i]) n++;
  return n;
}

function firstWithNeighbours(g) {
  for (let i = 0; i < g.count; i++) if (g.indptr[i + 1] > g.indptr[i]) return i;
  return 0;
}

function clampNode(i) {
  return Number.isInteger(i) && i >= 0 && i < state.graph.count ? i : 0;
}

// ------------------------------------------------------------------ mechanisms

function fillMechanismSelect(wanted) {
  const select = $('mechanism');
  select.replaceChildren(...state.catalog.map((m) => new Option(m.name, m.name)));
  const names = state.catalog.map((m) => m.name);
  state.mechanism = names.includes(wanted) ? wanted : names.includes('MultiHeadAttention') ? 'MultiHeadAttention' : names[0];
  select.value = state.mechanism;
}

function infoOf(name) {
  return state.catalog.find((m) => m.name === name);
}

function resetOptions(options = null) {
  const info = infoOf(state.mechanism);
  state.options = options ?? defaultOptions(info, state.graph.dim);
  $('mechanism-summary').textContent = plainText(info.summary);
  renderConfigForm($('config-fields'), info, state.options, {
    dataDim: state.graph.dim,
    onChange: (options) => {
      showMessage('config-message', '');
      state.options = options;  // the form sets the fields that follow the data
      showWeightsSource();
      refresh();
    },
    onInvalid: (message) => showMessage('config-message', message),
  });
  const heads = $('graph-head');
  heads.replaceChildren(new Option('mean over heads', 'mean'));
  showWeightsSource();
}

const showWeightsSource = () => showWeightsIn(state.rt, state.mechanism, state.options);

async function loadWeights() {
  const options = await loadWeightsFromForm(state.rt, infoOf(state.mechanism), state.options, state.graph.dim, setStatus);
  if (!options) return;
  resetOptions(options);
  await refresh();
}

/** Docstring text without reStructuredText markup (``code``, :class:`X`). */
function plainText(text) {
  return (text ?? '').replace(/:[a-z]+:`([^`]*)`/g, '$1').replace(/``([^`]*)``/g, '$1');
}

// ------------------------------------------------------------------ rendering

async function selectNode(i) {
  state.node = i;
  $('node').value = i;
  if (!state.options || !infoOf(state.mechanism) || state.optionsDim !== state.graph.dim) {
    resetOptions();
    state.optionsDim = state.graph.dim;
  }
  await refresh();
}

async function refresh() {
  const seq = ++state.seq;
  const { graph, node, mechanism } = state;
  const options = { ...state.options };
  const info = infoOf(mechanism);
  const nbrs = graph.neighbours(node);
  $('node-info').textContent = `node ${graph.label(node)} · layer ${graph.layers[node]} · ${nbrs.length} neighbours`;
  if (nbrs.length === 0) {
    showEmpty(`Node ${graph.label(node)} has no neighbours: nothing to attend to. Pick another node.`);
    document.body.dataset.view = JSON.stringify({ node, mechanism, options });
    document.body.dataset.renderCount = String(Number(document.body.dataset.renderCount ?? 0) + 1);
    setStatus(`Node ${graph.label(node)} has no neighbours.`, 'ready');
    return;
  }
  setStatus(`Computing ${mechanism} for node ${graph.label(node)}…`);
  const query = Float32Array.from(graph.vector(node));
  const keys = graph.keysOf(node);
  let main;
  try {
    main = await evaluate(state.rt, { name: mechanism, info, options, graph, node });
  } catch (err) {
    if (seq !== state.seq) return;
    const message = `${mechanism}: ${err.message}${err.code ? ` [${err.code}]` : ''}`;
    showMessage('config-message', message);
    const sameView = state.current && state.current.mechanism === mechanism && state.current.node === node
      && state.current.graph === graph;
    if (sameView) {  // a config edit: the view of the last valid config stays, with the message
      setStatus('The last change could not be computed; the previous view is kept.', 'ready');
      return;
    }
    // Never another mechanism's (or node's, or data set's) weights under this name: clear, show the error.
    showEmpty(`${message} — nothing to show.`);
    document.body.dataset.view = JSON.stringify({ node, mechanism, options, error: message });
    document.body.dataset.renderCount = String(Number(document.body.dataset.renderCount ?? 0) + 1);
    setStatus(`${mechanism} could not be computed (see the message).`, 'ready');
    return;
  }
  if (seq !== state.seq) return;  // a newer request has started; its result wins
  showMessage('config-message', '');
  state.current = { node, neighbours: nbrs, mechanism, options, graph, ...main };
  renderViews();
  if (state.coldStartMs === null) {
    // Cold start = navigation start → the first weights on screen (the comparison follows).
    state.coldStartMs = mark('first-weights');
    document.body.dataset.coldStartMs = state.coldStartMs.toFixed(0);
  }
  // mask pattern / approximation error of the sparse mechanisms
  const sparseView = sparseCard($('views'), $('compare-card'));
  let sparse = null;
  if (SPARSE_MECHANISMS.has(mechanism)) {
    try {
      sparse = await sparseDetails(state.rt, { mechanism, options, query, keys, n: nbrs.length,
        layers: nbrs.map((j) => graph.layers[j]) });
    } catch (err) {
      sparse = { kind: 'error', message: `${err.code ?? 'ERROR'}: ${err.message}` };
    }
    if (seq !== state.seq) return;
  }
  renderSparse(sparseView, mechanism, sparse);
  // the Poincaré disk of the curved mechanisms
  const diskView = poincareCard($('views'), $('compare-card'));
  let disk = null;
  if (curvedSpace(mechanism, options, graph.dim)) {
    try {
      disk = await poincareDetails(state.rt.rt.geometric, { mechanism, options, ...main.inputs, ball: main.ball,
        n: nbrs.length, dim: graph.dim, weights: meanRows(main.weights) });
    } catch (err) {
      disk = { kind: 'error', message: `${err.code ?? 'ERROR'}: ${err.message}` };
    }
    if (seq !== state.seq) return;
  }
  renderPoincare(diskView, mechanism, disk);
  const comparison = await compareAll();
  if (seq !== state.seq) return;
  state.comparison = comparison;
  renderCompareTable();
  // GraphRoPE with the latent distances vs without (= SDPA), for the mechanisms that read distances
  const distanceView = distanceEffectCard($('views'), $('compare-card'));
  distanceView.hidden = METADATA_SOURCES[mechanism]?.field !== 'distances';
  if (!distanceView.hidden) {
    const effect = await distanceEffectDetails(state.rt, { graph, node, query, keys, options })
      .catch((err) => ({ node, error: `${err.code ?? 'ERROR'}: ${err.message}` }));
    if (seq !== state.seq) return;
    renderDistanceEffect(distanceView, graph, effect);
  }
  // Free mechanisms of configs no longer shown (each config edit creates one).
  state.rt.prune(new Set(comparison.map((r) => state.rt.keyOf(r.name, r.options))));
  document.body.dataset.view = JSON.stringify({ node, mechanism, options });
  document.body.dataset.renderCount = String(Number(document.body.dataset.renderCount ?? 0) + 1);
  setStatus(`Ready · first weights ${(state.coldStartMs / 1000).toFixed(2)} s after page load (${state.rt.mode === 'worker' ? 'worker' : 'main thread'})`, 'ready');
}

/** Clear the views (an isolated node): nothing stale stays on screen or in the export. */
function showEmpty(message) {
  state.current = null;
  state.comparison = [];
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = message;
  $('graph-view').replaceChildren(note);
  $('heatmap-table').replaceChildren();
  $('heatmap-legend').replaceChildren();
  $('compare-table').replaceChildren();
  const canvas = $('heatmap');
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
  $('weights-check').textContent = '';
  $('layer-legend')?.replaceChildren();
  for (const card of ['distance-card', 'sparse-card', 'poincare-card']) if ($(card)) $(card).hidden = true;
}

function renderViews() {
  const { graph } = state;
  const { node, weights, mechanism } = state.current;
  const heads = $('graph-head');
  if (heads.options.length !== weights.length + 1) {
    heads.replaceChildren(new Option('mean over heads', 'mean'), ...weights.map((_, h) => new Option(`head ${h}`, String(h))));
  }
  const pick = heads.value === 'mean' ? meanRows(weights) : weights[Number(heads.value)] ?? meanRows(weights);
  renderGraph($('graph-view'), { graph, node, weights: pick, onPick: (j) => selectNode(j) });
  renderLayerLegend($('graph-view'), { graph, node });
  const columns = graph.neighbours(node).map((j) => graph.label(j));
  renderHeatmap({ canvas: $('heatmap'), tip: $('heatmap-tip'), legend: $('heatmap-legend'), table: $('heatmap-table') },
    { weights, columns, range: $('heatmap-range').value, layers: graph.hasLayers ? graph.neighbours(node).map((j) => graph.layers[j]) : null,
      caption: `${mechanism}: weights of query node ${graph.label(node)} over its neighbours (nearest first)` });
  const sums = weights.map(sum);
  const ok = sums.every((s) => Math.abs(s - 1) < 1e-4);
  $('weights-check').dataset.ok = String(ok);
  $('weights-check').textContent = ok ? `Σ = 1 per head (${weights.length} head${weights.length > 1 ? 's' : ''})`
    : `Σ per head: ${sums.map((s) => s.toFixed(4)).join(', ')}`;
}

async function compareAll() {
  const results = [];
  for (const info of state.catalog) {
    const options = info.name === state.mechanism ? state.options : defaultOptions(info, state.graph.dim);
    try {
      // graph-aware mechanisms get metadata from the graph on screen, curved ones ball inputs
      const r = await evaluate(state.rt, { name: info.name, info, options, graph: state.graph, node: state.node });
      results.push({ name: info.name, options, ...(r.metadata ? { metadataFrom: METADATA_SOURCES[info.name].source } : {}), ...r });
    } catch (err) {
      results.push({ name: info.name, options, error: `${err.code ?? 'ERROR'}: ${err.message}` });
    }
  }
  return results;
}

function renderCompareTable() {
  renderComparison($('compare-table'), state.comparison, {
    k: compareK(),
    current: state.mechanism,
    onSelect: (name) => {
      state.mechanism = name;
      $('mechanism').value = name;
      resetOptions();
      refresh();
    },
  });
}

function compareK() {
  const k = Number($('compare-k').value);
  return Number.isInteger(k) && k >= 1 ? k : 3;
}

// ------------------------------------------------------------------ export

function exportDocument() {
  const { graph } = state;
  const { node, neighbours, mechanism, options, weights, timeMs } = state.current;
  const k = compareK();
  const stats = (w) => ({ sums: w.map(sum), entropy: w.map(entropy), topKMass: w.map((row) => topKMass(row, k)) });
  return {
    format: EXPORT_FORMAT,
    runtime: { mode: state.rt.mode, versions: state.rt.versions },
    coldStartMs: state.coldStartMs,
    bootTimings: state.timings,
    dataset: { ...graph.source, numNodes: graph.count, dim: graph.dim },
    node, label: graph.label(node), layer: graph.layers[node],
    neighbours, neighbourLabels: neighbours.map((j) => graph.label(j)),
    neighbourLayers: neighbours.map((j) => graph.layers[j]), edgeLayers: graph.neighbourLayers(node),
    topK: k,
    ...exportedInputs(graph, node),
    current: { mechanism, options, weights, timeMs, ...stats(weights), ...exportedResults(state.current, graph.dim) },
    comparison: state.comparison.map((r) => (r.error ? r : { name: r.name, options: r.options, metadataFrom: r.metadataFrom,
      weights: r.weights, timeMs: r.timeMs, ...stats(r.weights), ...exportedResults(r, graph.dim) })),
  };
}

async function exportPng() {
  const { mechanism, node } = state.current;
  const blob = await viewToPng({
    svg: $('graph-view').querySelector('svg'),
    heatmap: $('heatmap'),
    title: `${mechanism} · query node ${state.graph.label(node)}`,
    subtitle: `${describeSource(state.graph.source)} · ${state.graph.count} nodes, dim ${state.graph.dim} · ruvector-attention ${state.rt.versions.python}`,
  });
  downloadBlob(blob, `attention-${mechanism}-node${node}.png`);
}

// ------------------------------------------------------------------ wiring

function wireControls() {
  $('controls').addEventListener('submit', (ev) => ev.preventDefault());
  for (const radio of document.querySelectorAll('input[name="source"]')) {
    radio.addEventListener('change', () => {
      const file = radio.value === 'file' && radio.checked;
      $('synthetic-fields').hidden = file;
      $('file-fields').hidden = !file;
    });
  }
  $('ds-generate').addEventListener('click', async () => {
    if (await loadSynthetic(readSyntheticParams(false))) await selectNode(clampNode(state.graph.hub()));
  });
  $('file-load').addEventListener('click', loadFile);
  $('weights-load').addEventListener('click', loadWeights);
  $('weights-reset').addEventListener('click', () => {
    state.rt.resetWeights(state.mechanism, state.options);
    showMessage('weights-message', '');
    showWeightsSource();
    refresh();
  });
  $('node').addEventListener('change', () => {
    const i = Number($('node').value);
    if (i === state.node && state.current?.node === i) return;  // e.g. the change event of a blur
    if (!Number.isInteger(i) || i < 0 || i >= state.graph.count) {
      showMessage('data-message', `Node must be a whole number in 0..${state.graph.count - 1}, got ${$('node').value}.`);
      return;
    }
    showMessage('data-message', '');
    selectNode(i);
  });
  $('node-random').addEventListener('click', () => selectNode(Math.floor(Math.random() * state.graph.count)));
  $('node-hub').addEventListener('click', () => selectNode(state.graph.hub()));
  $('mechanism').addEventListener('change', () => {
    if ($('mechanism').value === state.mechanism) return;
    state.mechanism = $('mechanism').value;
    resetOptions();
    refresh();
  });
  $('graph-head').addEventListener('change', () => state.current && renderViews());
  $('heatmap-range').addEventListener('change', () => state.current && renderViews());
  $('compare-k').addEventListener('change', () => state.comparison.length && renderCompareTable());
  $('export-json').addEventListener('click', () => {
    if (!state.current) return;
    downloadJson(exportDocument(), `attention-${state.current.mechanism}-node${state.current.node}.json`);
  });
  $('export-png').addEventListener('click', () => {
    if (!state.current) return;
    exportPng().catch((err) => setStatus(`PNG export failed: ${err.message}`, 'error'));
  });
  window.addEventListener('resize', () => state.current && renderViews());
}

boot().catch((err) => setStatus(`Unexpected error: ${err.message}`, 'error'));
