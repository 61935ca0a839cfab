// Export: the current weights, scores, outputs and inputs as JSON and the current view
// (graph + heatmap) as PNG.

export const EXPORT_FORMAT = 'ruvector-attention-weights/1';

const rowsOf = (flat, dim) => Array.from({ length: flat.length / dim }, (_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim)));

/** The query's Euclidean inputs, as plain arrays; the values are the keys. */
export function exportedInputs(graph, node) {
  return {
    inputs: { query: Array.from(graph.vector(node)), keys: graph.neighbours(node).map((j) => Array.from(graph.vector(j))),
      values: 'the keys' },
    scoresAre: 'ln w - max ln w per head: the pre-softmax scores up to the constant softmax removes (null: weight 0)',
  };
}

/**
 * What one mechanism computed (evaluate.js): scores, output, metadata, the weights'
 * origin, and — when its inputs were mapped into the ball — the inputs it got.
 */
export function exportedResults(r, dim) {
  return {
    scores: r.scores, output: r.output, ...(r.outputError ? { outputError: r.outputError } : {}),
    metadata: r.metadata, weightsFrom: r.weightsFrom, ball: r.ball,
    inputs: r.ball ? { query: Array.from(r.inputs.query), keys: rowsOf(r.inputs.keys, dim) } : 'euclidean',
  };
}

export function downloadBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadJson(doc, fileName) {
  downloadBlob(new Blob([JSON.stringify(doc, null, 1)], { type: 'application/json' }), fileName);
}

/** Rasterise the SVG graph and the heatmap canvas side by side, with a title line. */
export async function viewToPng({ svg, heatmap, title, subtitle }) {
  const graphImg = await svgToImage(svg);
  const pad = 20;
  const headH = 56;
  const gw = graphImg.width;
  const gh = graphImg.height;
  const hmW = heatmap.width / (window.devicePixelRatio || 1);
  const hmH = heatmap.height / (window.devicePixelRatio || 1);
  const width = pad * 3 + gw + Math.max(hmW, 320);
  const height = headH + pad + Math.max(gh, hmH) + pad;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1d2433';
  ctx.font = '600 18px system-ui, sans-serif';
  ctx.fillText(title, pad, 28);
  ctx.fillStyle = '#5b6470';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(subtitle, pad, 48);
  ctx.drawImage(graphImg, pad, headH + pad, gw, gh);
  ctx.drawImage(heatmap, pad * 2 + gw, headH + pad, hmW, hmH);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png');
  });
}

function svgToImage(svg) {
  const text = new XMLSerializer().serializeToString(svg);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('the graph could not be rasterised'));
    };
    img.src = url;
  });
}
