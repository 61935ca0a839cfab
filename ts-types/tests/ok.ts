// Must type-check: every documented way of calling the public API.
import {
  AttentionError, flat, init, version,
  type AsyncRuntime, type ErrorCode, type Gradients, type MechanismInfo, type Rows2D, type Runtime,
} from '../index.js';
import * as compat from '../compat.js';

export async function mainThread(): Promise<void> {
  const rt: Runtime = await init();
  const rt2: Runtime = await init({ indexURL: '/dist/pyodide/', onProgress: (stage, detail) => void [stage, detail] });
  void rt2;
  const sdpa = new rt.ScaledDotProductAttention({ dim: 4, temperature: 0.5, scale: null, dropout: 0.1, seed: 3 });
  const q = new Float32Array(4);
  const keys = [new Float32Array(4), new Float32Array(4)];
  const out: Float32Array = sdpa.forward(q, keys, [[1, 2], [3, 4]]);
  const w: Float32Array = sdpa.attentionWeights([1, 0, 0, 0], flat(new Float32Array(8), 2), { mask: [true, false] });
  sdpa.forward(q, { data: new Float32Array(8), rows: 2, cols: 4 }, keys, { mask: new Uint8Array([1, 1]) });
  const batch: Rows2D = sdpa.forwardBatch([q, q], keys, keys);
  const perQuery: Rows2D = sdpa.forwardBatch([q], [keys], [keys]);
  const graph: Rows2D = sdpa.forwardGraph(keys, new Int32Array([0, 1, 2]), [1, 0], { values: keys });
  const g: Gradients = sdpa.backward(q, keys, keys, q);
  const gq: Float32Array = g.query;
  const cfg = sdpa.config();
  const dim: number = cfg.dim;
  const scale: number | null = cfg.scale;
  sdpa.loadStateDict(sdpa.stateDict());
  sdpa.train(); sdpa.eval();
  const training: boolean = sdpa.training;
  sdpa.dispose();
  const disposed: boolean = sdpa.disposed;

  const mha = new rt.MultiHeadAttention({ dim: 8, numHeads: 2, valueDim: 4, bias: false });
  const heads: Rows2D = mha.headAttentionWeights(q, keys);
  const h0: Float32Array = mha.headOutput(0, q, keys, keys);
  const numHeads: number = mha.config().numHeads;
  const created = await rt.create('MultiHeadAttention', { dim: 8, numHeads: 2 });
  created.headAttentionWeights(q, keys);

  const m = rt.matrix(new Float32Array(8), 2);
  m.set(new Float32Array(8));
  sdpa.forward(q, m, m);
  const copy: Float32Array = m.toFloat32Array();
  m.dispose();

  const cat: MechanismInfo[] = rt.mechanisms();
  const kinds: string[] = rt.catalog().functions.map(f => `${f.namespace}.${f.name}: ${f.returns}`);
  void kinds;
  const fieldNames: string[] = cat.flatMap(c => c.fields.map(f => f.name));
  const isa: string = rt.versions.isa;
  const graphData = rt.datasets.hnswGraph({ numNodes: 100, dim: 8, seed: 1 });
  const indptr: Int32Array = graphData.indptr;
  void [out, w, batch, perQuery, graph, gq, dim, scale, training, disposed, heads, h0, numHeads, copy,
    fieldNames, isa, indptr];
}

export async function worker(): Promise<void> {
  const rt: AsyncRuntime = await init({ worker: true });
  const sdpa = await rt.create('ScaledDotProductAttention', { dim: 4 });
  const out: Float32Array = await sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]]);
  const name: 'ScaledDotProductAttention' = sdpa.name;
  const mha = await rt.create('MultiHeadAttention', { dim: 4, numHeads: 2 });
  const heads: Rows2D = await mha.headAttentionWeights([1, 0, 0, 0], [[1, 0, 0, 0]]);
  const cat: MechanismInfo[] = await rt.mechanisms();
  const m = await rt.matrix([[1, 0, 0, 0]]);
  await sdpa.forward([1, 0, 0, 0], m, [[1]]);
  await m.dispose();
  await sdpa.dispose();
  const g = await rt.datasets.hnswGraph();
  await rt.terminate();
  void [out, name, heads, cat, g];
}

export function errors(e: unknown): ErrorCode | undefined {
  if (e instanceof AttentionError) {
    const code: ErrorCode = e.code;
    const msg: string = e.message;
    void msg;
    return code;
  }
  return undefined;
}

export async function compatUsage(): Promise<number> {
  await compat.init();
  const dp = new compat.DotProductAttention(4);
  const r: Float32Array = dp.compute([1, 0, 0, 0], [[1, 0, 0, 0]], [new Float32Array(2)]);
  dp.computeWithMask([1, 0, 0, 0], [[1, 0, 0, 0]], [[1, 2]], [true]);
  const mha = new compat.MultiHeadAttention(8, 2);
  const headDim: number = mha.headDim;
  void [r, version, compat.info().supportedTypes];
  return headDim + dp.dim + mha.numHeads;
}

// sparse / efficient attention
export async function sparseUsage(rt: Runtime): Promise<number> {
  const flash = await rt.create('FlashAttention', { dim: 4, blockSize: 7, causal: true });
  const block: number = flash.blockSize;
  const lin = await rt.create('LinearAttention', { dim: 4, numFeatures: 64, kernel: 'elu+1', seed: 3 });
  lin.redrawFeatures();
  const lg = await rt.create('LocalGlobalAttention', { dim: 4, localWindow: 10, globalNodes: 5 });
  const mask: Uint8Array = lg.attentionMask(1000, { hnswLayers: new Int32Array(1000) });
  const out: Float32Array = lg.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], { metadata: { distances: [0.5] } });
  const rows: Rows2D = lg.forwardGraph([[1, 0, 0, 0], [0, 1, 0, 0]], [0, 1, 2], [1, 0], { hnswLayers: [0, 2] });
  await compat.init();
  const c = new compat.LocalGlobalAttention(4, 10, 5);
  const f = new compat.FlashAttention(4, 16);
  const l = new compat.LinearAttention(4, 64);
  void [out, c.compute([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]])];
  return block + mask.length + rows.rows + lin.numFeatures + c.windowSize + c.globalTokens + f.blockSize + l.features;
}

// graph-aware attention
export async function graphUsage(rt: Runtime): Promise<number> {
  const rope = await rt.create('GraphRoPE', { dim: 4, base: 100 });
  const cfgBase: number = rope.config().base;
  const r: Float32Array = rope.applyRotation([1, 0, 0, 0], 1.5);
  const rows: Float32Array = rope.applyRotation([[1, 0, 0, 0], [0, 1, 0, 0]], [1, 2]);
  const out: Float32Array = rope.forwardWithMetadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], { distances: [2] },
    { queryDistance: 0.5 });
  const hnsw = await rt.create('HNSWAwareAttention', { dim: 4, maxLayers: 4, numHeads: 2 });
  const hw = hnsw.headAttentionWeights([1, 0, 0, 0], [[1, 0, 0, 0]], { metadata: { hnswLayers: new Int32Array(1) } });
  const st = await rt.create('StructuralAttention', { dim: 4, structuralDim: 3 });
  const g = st.backward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], [1], { metadata: { structuralFeatures: [[1, 0.5, 0]] } });
  const cross = await rt.create('CrossSpaceAttention', { dim: 4, fusion: 'linear' });
  const x: Float32Array = cross.forwardCross([1, 0, 0, 0], [[1, 0, 0, 0]], [[0, 1, 0, 0]]);
  await compat.init();
  const c = new compat.GraphRoPeAttention({ dim: 4, maxPosition: 32, base: 10000 });
  const c2 = new compat.GraphRoPeAttention(4, 64);
  const y: Float32Array = c.computeWithPositions([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], 0, [3]);
  const p: number = compat.GraphRoPeAttention.distanceToPosition(20, 16);
  void [r, rows, out, x, y, c.applyRotary([1, 0, 0, 0], 2)];
  return cfgBase + hw.rows + g.params['struct_proj.weight']!.length + p + c.maxPosition + c2.dim;
}

/** rt.graph: CSR converters, synchronous on the main thread, Promises in the worker. */
export async function graphHelpersUsage(rt: Runtime, wrt: AsyncRuntime): Promise<number> {
  const indptr = Int32Array.from([0, 1, 2]), indices = Int32Array.from([1, 0]);
  const hops: Float32Array = rt.graph.bfsDistances(indptr, indices, 0, { unreachable: -1 });
  const feats: Rows2D = rt.graph.structuralFeatures([0, 1, 2], [1, 0]);
  const remote: Rows2D = await wrt.graph.structuralFeatures(indptr, indices);
  const remoteHops: Float32Array = await wrt.graph.bfsDistances(indptr, indices, 1);
  return hops.length + feats.cols + remote.rows + remoteHops.length;
}

// geometric attention
export async function geometricUsage(rt: Runtime): Promise<number> {
  const h = await rt.create('HyperbolicAttention', { dim: 2, curvature: -1, learnCurvature: true });
  const d: number = h.poincareDistance([0.1, 0.2], [0.3, 0.1]);
  const p: Float32Array = h.logMap([0.1, 0.2], h.expMap([0.1, 0.2], h.projectToBall([3, 4], 1e-3)));
  const m = await rt.create('ManifoldAttention', { dim: 2, k: 0.5 });
  const mixed = await rt.create('MixedCurvatureAttention', { euclideanDim: 2, hyperbolicDim: 2 });
  const scores: Rows2D = mixed.spaceScores([1, 0, 0.1, 0], [[1, 0, 0.1, 0]]);
  const g = await rt.create('EdgeFeaturedAttention', { nodeDim: 4, edgeDim: 2, numHeads: 2 });
  const out: Float32Array = g.forwardWithEdges([1, 0, 0, 1], [[1, 0, 0, 0]], [[1, 0, 0, 0]], [[1, 0]]);
  const hw: Rows2D = g.headAttentionWeights([1, 0, 0, 1], [[1, 0, 0, 0]], { edgeFeatures: [[1, 0]] });
  return d + p.length + m.curvature + h.curvature + scores.rows + out.length + hw.rows;
}

export async function geometryUsage(rt: Runtime, wrt: AsyncRuntime): Promise<number> {
  const d: number = rt.geometric.poincareDistance([0.1, 0.2], [0.3, 0.1], { k: -0.5 });
  const ds: Float32Array = rt.geometric.poincareDistance([[0.1, 0.2]], [0.3, 0.1]);
  const x: Float32Array = rt.geometric.expMap0([0.1, 0.2]);
  const xs: Rows2D = rt.geometric.logMap0([[0.1, 0.2], [0.3, 0.1]]);
  const mid: Float32Array = rt.geometric.gyromidpoint([[0.1, 0.2], [0.3, 0.1]], [1, 2], { k: -1 });
  const wd: number = await wrt.geometric.poincareDistance([0.1, 0.2], [0.3, 0.1]);
  const wx: Float32Array = await wrt.geometric.mobiusAdd([0.1, 0.2], [0.3, 0.1]);
  await compat.init();
  const hyp = compat.HyperbolicAttention.withConfig(4, -1, false, 0.5);
  const edge = compat.EdgeFeaturedAttention.simple(4, 2, 2);
  const dual = new compat.DualSpaceAttention({ dim: 4, curvature: -1, euclideanWeight: 0.5, hyperbolicWeight: 0.5 });
  const sc: compat.SpaceContributions = dual.getSpaceContributions([0.1, 0.2, 0.1, 0], [[0.1, 0.2, 0.1, 0]]);
  const e: Float32Array = edge.computeWithEdges([1, 0, 0, 1], [[1, 0, 0, 0]], [[1, 0, 0, 0]], [[1, 0]]);
  const f: number = compat.poincareDistance([0.1], [0.2]) + compat.expMap([0.1], [0.2], -1)[0]!;
  return d + ds.length + x.length + xs.rows + mid.length + wd + wx.length + hyp.curvature + sc.euclideanScores.length
    + e.length + f + compat.logMap([0.1], [0.2]).length + compat.mobiusAddition([0.1], [0.2]).length
    + compat.projectToPoincareBall([2]).length;
}
