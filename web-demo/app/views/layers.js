// HNSW-layer colours of the neighbour graph and their legend.
// Each neighbour node is filled by its HNSW layer (ColorBrewer Set2: colour-blind
// friendly, distinct from the viridis edge colours); data without layers gets one
// neutral fill and no key. The legend is HTML next to the SVG: one button per layer
// among the neighbours; pressing it (click, Enter or Space) highlights that layer's
// nodes and dims the rest. Colours, layers and counts are data attributes for tests.

export const LAYER_FILL = ['#8da0cb', '#fc8d62', '#66c2a5', '#e78ac3', '#a6d854', '#ffd92f'];
/** Fill of every node when the data has no layers. */
export const NO_LAYER_FILL = '#c9ced6';

/** Fill of a node on `layer`; layers beyond the palette share its last colour (shown as "n+"). */
export function layerFill(graph, layer) {
  return graph.hasLayers ? LAYER_FILL[Math.min(layer, LAYER_FILL.length - 1)] : NO_LAYER_FILL;
}

/** The legend element after the graph view (created on first use). */
function legendBox(view) {
  let box = document.getElementById('layer-legend');
  if (!box) {
    box = document.createElement('div');
    box.id = 'layer-legend';
    box.className = 'layer-legend';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'HNSW layers of the neighbours');
    view.after(box);
  }
  return box;
}

/**
 * @param {HTMLElement} view   the graph view (#graph-view) holding the SVG of renderGraph
 * @param {object} v           {graph, node}
 */
export function renderLayerLegend(view, { graph, node }) {
  const box = legendBox(view);
  box.replaceChildren();
  const nbrs = graph.neighbours(node);
  if (!graph.hasLayers) {
    box.dataset.layers = 'none';
    const note = document.createElement('span');
    note.className = 'muted';
    note.textContent = 'This data has no HNSW layers: nodes are not coloured by layer.';
    box.append(note);
    return box;
  }
  const counts = new Map();
  for (const j of nbrs) counts.set(graph.layers[j], (counts.get(graph.layers[j]) ?? 0) + 1);
  const layers = [...counts.keys()].sort((a, b) => a - b);
  box.dataset.layers = JSON.stringify(layers);
  const label = document.createElement('span');
  label.className = 'muted';
  label.textContent = 'Neighbours by HNSW layer:';
  box.append(label);
  const nodes = () => [...view.querySelectorAll('g.node')];
  const buttons = layers.map((layer) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'layer-key';
    b.dataset.layer = String(layer);
    b.dataset.fill = layerFill(graph, layer);
    b.dataset.count = String(counts.get(layer));
    b.setAttribute('aria-pressed', 'false');
    b.title = `Highlight the neighbours on layer ${layer}`;
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = layerFill(graph, layer);
    b.append(swatch, `layer ${layer} · ${counts.get(layer)}`);
    b.addEventListener('click', () => {
      const on = b.getAttribute('aria-pressed') !== 'true';
      for (const other of buttons) other.setAttribute('aria-pressed', String(on && other === b));
      for (const g of nodes()) {
        const dim = on && g.dataset.layer !== String(layer);
        g.setAttribute('opacity', dim ? '0.25' : '1');
      }
    });
    return b;
  });
  box.append(...buttons);
  return box;
}
