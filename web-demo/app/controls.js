// The config form of a mechanism, generated from its catalogue entry
// (ruvector_attention.mechanism_catalog() → rt.mechanisms()), so every
// mechanism the library has gets controls without code here.

/** Constructor fields that are the width of the input vectors: set from the data, not by hand. */
const DATA_DIM_FIELDS = new Set(['dim', 'hiddenDim', 'nodeDim', 'embedDim', 'inputDim', 'queryDim']);

/**
 * Mechanisms whose input width is the sum of two fields (MixedCurvatureAttention:
 * euclideanDim + hyperbolicDim = dim): the first is edited, the second is the rest
 * of the data's dim. Default split: half and half (the second gets the odd one).
 */
const DATA_DIM_PARTS = [['euclideanDim', 'hyperbolicDim']];

export function isDataDimField(field) {
  return DATA_DIM_FIELDS.has(field.name) && field.type === 'int';
}

/** [edited, rest] if the mechanism's width is split over two fields, else null. */
export function dataDimParts(info) {
  const names = new Set(info.fields.map((f) => f.name));
  return DATA_DIM_PARTS.find((parts) => parts.every((p) => names.has(p))) ?? null;
}

/**
 * The fields that follow the data: every dim field = dataDim, and the rest of a
 * split width = dataDim minus its edited part (which must leave at least 1).
 */
export function dataDimOverrides(info, options, dataDim) {
  const out = Object.fromEntries(info.fields.filter(isDataDimField).map((f) => [f.name, dataDim]));
  const parts = dataDimParts(info);
  if (parts) {
    const [edited, rest] = parts;
    const a = options[edited];
    if (dataDim < 2) throw new Error(`${info.name} splits dim into ${edited} + ${rest} (each ≥ 1): the data's dim ${dataDim} is too small`);
    if (!Number.isInteger(a) || a < 1 || a >= dataDim) {
      throw new Error(`${edited} must be a whole number in 1..${dataDim - 1} (${rest} = ${dataDim} − ${edited}), got ${a}`);
    }
    out[rest] = dataDim - a;
  }
  return out;
}

/**
 * The options a mechanism is created with: catalogue defaults, the data's dim
 * for dim fields, then `overrides`. Required fields without a value fall back
 * to their lower bound so the mechanism can still be shown.
 */
export function defaultOptions(info, dataDim, overrides = {}) {
  const options = {};
  for (const f of info.fields) {
    if (isDataDimField(f)) options[f.name] = dataDim;
    else if ('default' in f) options[f.name] = f.default;
    else if (f.type === 'int' || f.type === 'float') options[f.name] = f.min ?? 1;
    else if (f.choices?.length) options[f.name] = f.choices[0];
  }
  const parts = dataDimParts(info);
  if (parts && dataDim >= 2) options[parts[0]] = Math.floor(dataDim / 2);
  // Multi-head mechanisms need heads that divide dim: for data whose dim the
  // default does not divide, take the largest divisor below it (user data of dim 6 → 3 heads).
  if (Number.isInteger(options.numHeads) && dataDim % options.numHeads !== 0) {
    let h = options.numHeads;
    while (h > 1 && dataDim % h !== 0) h--;
    options.numHeads = h;
  }
  const merged = { ...options, ...overrides };
  return parts && dataDim >= 2 ? { ...merged, ...dataDimOverrides(info, merged, dataDim) } : merged;
}

/**
 * Render the inputs for `info` into `container`, filled from `options`.
 * onChange(options) fires (debounced) with the whole new options object when
 * every field is valid, the fields that follow the data (dataDimOverrides) set;
 * onInvalid(message) fires otherwise.
 */
const pendingEdit = new WeakMap();  // container -> debounce timer of its current form

export function renderConfigForm(container, info, options, { dataDim, onChange, onInvalid }) {
  // An edit still waiting in the debounce belongs to the old form (e.g. the
  // change event a blur fires when the user picks another mechanism): drop it.
  clearTimeout(pendingEdit.get(container));
  container.replaceChildren();
  const readers = [];
  for (const f of info.fields) {
    const id = `cfg-${f.name}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.title = f.doc ?? '';
    const caption = document.createElement('span');
    caption.textContent = f.name;
    label.append(caption);
    let input;
    if (f.type === 'bool') {
      label.className = 'check';
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = Boolean(options[f.name]);
      label.prepend(input);
      readers.push(() => [f.name, input.checked]);
    } else if (f.choices?.length) {
      input = document.createElement('select');
      for (const c of f.choices) input.append(new Option(c, c, false, c === options[f.name]));
      label.append(input);
      readers.push(() => [f.name, input.value]);
    } else {
      input = document.createElement('input');
      input.type = f.type === 'str' ? 'text' : 'number';
      if (f.type === 'int') input.step = '1';
      if (f.type === 'float') input.step = stepFor(options[f.name]);
      if (f.min !== undefined) input.min = String(f.min);
      if (f.max !== undefined) input.max = String(f.max);
      const value = options[f.name];
      input.value = value === null || value === undefined ? '' : String(value);
      if (f.nullable) input.placeholder = 'auto (None)';
      label.append(input);
      readers.push(() => [f.name, parseField(f, input.value)]);
    }
    input.id = id;
    input.dataset.field = f.name;
    const parts = dataDimParts(info);
    if (isDataDimField(f) || parts?.[1] === f.name) {
      input.disabled = true;
      const note = document.createElement('span');
      note.className = 'field-note';
      if (isDataDimField(f)) {
        input.value = String(dataDim);
        note.textContent = ' (from the data)';
      } else {
        note.textContent = ` (dim ${dataDim} − ${parts[0]})`;
      }
      caption.append(note);
    }
    if (parts?.[0] === f.name) input.max = String(dataDim - 1);
    if (f.doc) {
      const doc = document.createElement('span');
      doc.className = 'field-note';
      doc.textContent = ` — ${f.doc.replace(/``([^`]*)``/g, '$1')}`;
      caption.append(doc);
    }
    container.append(label);
  }
  const fire = () => {
    clearTimeout(pendingEdit.get(container));
    pendingEdit.set(container, setTimeout(() => {
      try {
        const read = Object.fromEntries(readers.map((r) => r()));
        const follow = dataDimOverrides(info, read, dataDim);
        for (const [name, value] of Object.entries(follow)) {
          const el = container.querySelector(`#cfg-${name}`);
          if (el) el.value = String(value);
        }
        onChange({ ...read, ...follow });
      } catch (err) {
        onInvalid(err.message);
      }
    }, 150));
  };
  container.oninput = fire;
  container.onchange = fire;
}

function parseField(f, raw) {
  const text = raw.trim();
  if (text === '') {
    if (f.nullable) return null;
    throw new Error(`${f.name} needs a value`);
  }
  if (f.type === 'str') return text;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${f.name} must be a number, got "${text}"`);
  if (f.type === 'int' && !Number.isInteger(value)) throw new Error(`${f.name} must be a whole number, got ${text}`);
  if (f.min !== undefined && (value < f.min || (f.minExclusive && value === f.min))) {
    throw new Error(`${f.name} must be ${f.minExclusive ? 'greater than' : 'at least'} ${f.min}, got ${value}`);
  }
  if (f.max !== undefined && (value > f.max || (f.maxExclusive && value === f.max))) {
    throw new Error(`${f.name} must be ${f.maxExclusive ? 'less than' : 'at most'} ${f.max}, got ${value}`);
  }
  return value;
}

function stepFor(value) {
  const v = Math.abs(Number(value) || 0);
  return v >= 10 ? '1' : v >= 1 || v === 0 ? '0.1' : '0.01';
}
