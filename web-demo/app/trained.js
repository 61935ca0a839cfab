// Trained weights for the selected mechanism, from a .safetensors upload: the file's
// tensors go through the library's loadStateDict (names and shapes checked there). A
// file the library saved (mechanism.save(path), ra.save) also names its
// mechanism and config: another mechanism is refused, a width other than the data's
// is refused, and the other config fields take the file's values — weights trained
// with 2 heads are shown with 2 heads, not silently under the page's 4.

import { DataError } from './data/parse.js';
import { parseSafetensors } from './data/safetensors.js';
import { dataDimOverrides, dataDimParts, isDataDimField } from './controls.js';

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * The options the file's weights belong to. `parsed` is parseSafetensors' result,
 * `info` the selected mechanism's catalogue entry. Returns { options, adopted }
 * (adopted: [field, value] pairs taken from the file).
 */
export function optionsForFile(parsed, fileName, info, options, dataDim) {
  if (parsed.mechanism && parsed.mechanism !== info.name) {
    throw new DataError(`${fileName} holds ${parsed.mechanism} weights; the selected mechanism is ${info.name}. ` +
      `Select ${parsed.mechanism} first.`);
  }
  if (!parsed.config) return { options, adopted: [] };
  const fields = new Set(info.fields.map((f) => f.name));
  const followsData = new Set([...info.fields.filter(isDataDimField).map((f) => f.name), dataDimParts(info)?.[1]]);
  const saved = Object.fromEntries(Object.entries(parsed.config).map(([k, v]) => [camel(k), v]));
  const out = { ...options };
  const adopted = [];
  for (const [name, value] of Object.entries(saved)) {
    if (!fields.has(name)) throw new DataError(`${fileName}: its config has ${name}, which ${info.name} does not take`);
    if (followsData.has(name) || JSON.stringify(out[name]) === JSON.stringify(value)) continue;
    out[name] = value;
    adopted.push([name, value]);
  }
  let widths;
  try {
    widths = dataDimOverrides(info, out, dataDim);
  } catch (err) {
    throw new DataError(`${fileName}: ${err.message}`);
  }
  for (const [name, value] of Object.entries(widths)) {
    if (name in saved && saved[name] !== value) {
      throw new DataError(`${fileName}: weights for ${name} = ${saved[name]}; the data (vectors of dim ${dataDim}) ` +
        `gives ${name} = ${value}`);
    }
  }
  return { options: { ...out, ...widths }, adopted };
}

/**
 * Read `file` (a File) and load it into (info.name, options') in `rt` (the page's
 * DemoRuntime). Resolves to { options, adopted, tensors: number of tensors }.
 */
export async function loadWeightsFile(rt, file, info, options, dataDim) {
  const parsed = parseSafetensors(await file.arrayBuffer(), file.name);
  const chosen = optionsForFile(parsed, file.name, info, options, dataDim);
  await rt.loadWeights(info.name, chosen.options, parsed.tensors, file.name);
  return { ...chosen, tensors: Object.keys(parsed.tensors).length };
}

function say(text, kind = 'error') {
  const el = document.getElementById('weights-message');
  el.textContent = text;
  el.dataset.kind = text ? kind : '';
}

/** #weights-source: which weights (name, options) use, seeded or a loaded file; #weights-reset follows. */
export function showWeightsIn(rt, name, options) {
  const from = rt.weightsOf(name, options);
  document.getElementById('weights-source').textContent = from
    ? `Weights: trained, from ${from.file} (${from.tensors.length} tensors).` : 'Weights: the seeded initialisation.';
  document.getElementById('weights-reset').disabled = !from;
}

/**
 * The "Load weights" button: the file chosen in #weights-file into the selected
 * mechanism, the outcome in #weights-message. Resolves to the options the
 * mechanism now runs with, or null (nothing changed).
 */
export async function loadWeightsFromForm(rt, info, options, dataDim, setStatus) {
  const file = document.getElementById('weights-file').files[0];
  if (!file) {
    say('Choose a .safetensors file first.');
    return null;
  }
  say('');
  setStatus(`Loading ${file.name} into ${info.name}…`);
  try {
    const loaded = await loadWeightsFile(rt, file, info, options, dataDim);
    say(`Loaded ${loaded.tensors} tensors from ${file.name} into ${info.name}` + (loaded.adopted.length
      ? `; from its config: ${loaded.adopted.map(([k, v]) => `${k} = ${v}`).join(', ')}.` : '.'), 'info');
    return loaded.options;
  } catch (err) {
    say(`${file.name}: ${err.message}${err.code ? ` [${err.code}]` : ''}`);
    setStatus('Ready (the weights in use are unchanged).', 'ready');
    return null;
  }
}
