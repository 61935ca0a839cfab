// A mechanism's forward without the Python layer: JS calls the kernel's wasm
// export itself on Python-owned heap buffers. At n = 1000 this saves ~14 µs a call
// (the JS→Python proxy call, the Python method, ctypes); for SDPA that is 40 % of it.
//
// The mechanism's Python class says how (its `_direct_plan`, see core/base.py
// `direct_plan`): the kernel symbol, its arguments typed from _kernel.SIGNATURES with
// placeholders for the call's inputs, and the shapes it accepts. Python stays the
// only validator: the direct path is taken only for calls whose shapes Python
// accepts, and every other call, and every call whose kernel status is not OK (a
// NaN, an overflow), goes through Python, which raises the typed error. Results are
// bit-identical to the Python path: the same kernel on the same bytes.
import type { Bridge, KernelExport } from './bridge.ts';
import type { BytesArg, FloatArg, MatrixArg } from './inputs.ts';

type ArgType = 'ptr' | 'i64' | 'i32' | 'f32' | 'f64' | 'u64';
type Placeholder = 'query' | 'keys' | 'values' | 'mask' | 'n' | 'dv' | 'out';
type PlanValue = Placeholder | number | null | { scratch: number };

/** Python's `direct_plan` (core/base.py). */
export interface DirectPlan {
  library: string;
  symbol: string;
  dim: number;
  valueDim: number | null;  // null: any value width
  outLength: number | null;  // null: the value width
  args: [ArgType, PlanValue][];
}

/** A plan bound to its kernel export, with its constant arguments converted once;
 *  null when the mechanism has none (or none now). */
export type Direct = {
  plan: DirectPlan;
  kernel: KernelExport;
  template: (number | bigint)[];  // the arguments, constants filled in
  fills: [index: number, what: Placeholder | 'scratch', big: boolean][];  // filled per call
  scratch: number;  // floats of scratch the kernel needs
} | null;

// Float slots the direct path writes: the first three are those Python's forward reads;
// the mask goes to byte slot MASK.
const QUERY = 0, KEYS = 1, VALUES = 2, OUT = 3, SCRATCH = 4, MASK = 3;

/** The mechanism's plan from Python, bound to the export it names. */
export function bindDirect(bridge: Bridge, handle: number): Direct {
  const plan = bridge.directPlan(handle) as DirectPlan | null;
  const kernel = plan ? bridge.kernelExport(plan.library, plan.symbol) : undefined;
  if (!plan || !kernel) return null;
  const template: (number | bigint)[] = [], fills: NonNullable<Direct>['fills'] = [];
  let scratch = 0;
  plan.args.forEach(([type, value], i) => {
    const big = type === 'i64' || type === 'u64';
    let constant = 0;
    if (typeof value === 'string') fills.push([i, value, big]);
    else if (value !== null && typeof value === 'object') { fills.push([i, 'scratch', big]); scratch = value.scratch; }
    else constant = value ?? 0;
    template.push(big ? BigInt(constant) : constant);
  });
  return { plan, kernel, template, fills, scratch };
}

/** forward(q, keys, values, mask) through the plan; null when the call must go through Python
 *  (a float mask, added to the scores, is Python's). */
export function forwardDirect(bridge: Bridge, direct: NonNullable<Direct>, q: FloatArg,
                              k: FloatArg | MatrixArg, v: FloatArg | MatrixArg,
                              maskSrc: BytesArg | FloatArg | undefined): Float32Array | null {
  const { plan, kernel } = direct;
  const [n, kd] = k.shape as [number, number];
  const [vn, dv] = v.shape as [number, number];
  if (q.length !== plan.dim || kd !== plan.dim || n < 1 || vn !== n || !(dv >= 1)) return null;
  if (plan.valueDim !== null && dv !== plan.valueDim) return null;
  if ((k.kind === 'matrix' && !k.view) || (v.kind === 'matrix' && !v.view)) return null;
  if (maskSrc && (maskSrc.kind !== 'bytes' || maskSrc.length !== n)) return null;
  const outLength = plan.outLength ?? dv;

  // Reserve first (it may grow the wasm memory), then take views and addresses.
  bridge.reserveFloats(QUERY, plan.dim);
  if (k.kind === 'float') bridge.reserveFloats(KEYS, k.length);
  if (v.kind === 'float') bridge.reserveFloats(VALUES, v.length);
  bridge.reserveFloats(OUT, outLength);
  if (direct.scratch) bridge.reserveFloats(SCRATCH, direct.scratch);
  if (maskSrc) bridge.reserveBytes(MASK, n);
  const address = (slot: number, a: FloatArg | MatrixArg): number => {
    if (a.kind === 'matrix') return a.view!().byteOffset;
    const dst = bridge.floatSlot(slot);
    a.write(dst);
    return dst.byteOffset;
  };
  let mp = 0;
  if (maskSrc) {
    const dst = bridge.byteSlot(MASK);
    (maskSrc as BytesArg).write(dst);
    if (dst.subarray(0, n).some(b => b > 1)) return null;  // mask bytes other than 0 / 1: Python refuses them
    mp = dst.byteOffset;
  }
  const inputs = {
    query: address(QUERY, q), keys: address(KEYS, k), values: address(VALUES, v), mask: mp,
    n, dv, out: bridge.floatSlot(OUT).byteOffset, scratch: direct.scratch ? bridge.floatSlot(SCRATCH).byteOffset : 0,
  };
  const args = direct.template.slice();
  for (const [i, what, big] of direct.fills) args[i] = big ? BigInt(inputs[what]) : inputs[what];
  if (kernel(...args) !== 0) return null;
  return bridge.floatSlot(OUT).slice(0, outLength);  // a fresh view: the call may have grown the memory
}
