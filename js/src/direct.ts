// ScaledDotProductAttention.forward without the Python layer: JS calls the
// kernel export rv_attend_<isa> itself on Python-owned heap buffers. At n = 1000
// this saves ~14 µs of a ~34 µs call (the JS→Python proxy call, the Python
// forward, ctypes); the kernel and the copies are all that is left.
//
// Python stays the only validator. The direct path is taken only for calls whose
// shapes Python accepts (a query of `dim` values, n >= 1 keys of `dim` values,
// n values of width >= 1, a mask of n entries), with the scale Python computed
// (its `_direct_plan`, which is null while a call needs Python: dropout in
// training mode). Every other call, and every call whose kernel status is not
// OK (a NaN, an overflow), goes through Python, which raises the typed error.
// Results are bit-identical to the Python path: the same kernel on the same bytes.
import type { DirectPlan, KernelExport } from './bridge.ts';
import { maskBytes, rowsArg, vectorArg, type FloatArg, type MatrixArg } from './inputs.ts';
import { MechanismBase, asArray } from './mechanism.ts';
import type { MaskOptions, Rows, Vector } from '../../ts-types/index.d.ts';

// Float slots the direct path writes: the same ones Python's forward reads its arguments from.
const QUERY = 0, KEYS = 1, VALUES = 2, OUT = 3;

type Direct = { plan: DirectPlan; kernel: KernelExport } | null;

export class ScaledDotProductAttentionImpl extends MechanismBase {
  #direct: Direct | undefined;  // undefined: not asked yet

  override forward(query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array {
    const q = vectorArg(query, 'query'), k = rowsArg(keys, 'keys'), v = rowsArg(values, 'values');
    const mask = options?.mask;
    return this.#forwardDirect(q, k, v, mask ?? undefined)
      ?? asArray(this.call('forward', [q, k, v], options)).data;
  }

  override train(mode = true): void {
    this.#direct = undefined;  // the plan depends on the mode (dropout)
    super.train(mode);
  }

  #plan(): Direct {
    const handle = this.handle;  // throws once disposed
    if (this.#direct === undefined) {
      const plan = this.bridge.directPlan(handle);
      const kernel = plan ? this.bridge.kernelExport(plan.library, plan.symbol) : undefined;
      this.#direct = plan && kernel ? { plan, kernel } : null;
    }
    return this.#direct;
  }

  /** The output, or null when the call must go through Python. */
  #forwardDirect(q: FloatArg, k: FloatArg | MatrixArg, v: FloatArg | MatrixArg, mask: unknown): Float32Array | null {
    const direct = this.#plan();
    if (!direct || !this.bridge.direct) return null;
    const { plan: { dim, scale }, kernel } = direct;
    const [n, kd] = k.shape as [number, number];
    const [vn, dv] = v.shape as [number, number];
    if (q.length !== dim || kd !== dim || n < 1 || vn !== n || !(dv >= 1)) return null;
    if ((k.kind === 'matrix' && !k.view) || (v.kind === 'matrix' && !v.view)) return null;
    const maskSrc = mask === undefined ? undefined : maskBytes(mask);
    if (maskSrc && maskSrc.length !== n) return null;

    // Reserve first (it may grow the wasm memory), then take views and addresses.
    const bridge = this.bridge;
    bridge.reserveFloats(QUERY, dim);
    if (k.kind === 'float') bridge.reserveFloats(KEYS, k.length);
    if (v.kind === 'float') bridge.reserveFloats(VALUES, v.length);
    bridge.reserveFloats(OUT, dv);
    if (maskSrc) bridge.reserveMask(n);
    const address = (slot: number, a: FloatArg | MatrixArg): number => {
      if (a.kind === 'matrix') return a.view!().byteOffset;
      const dst = bridge.floatSlot(slot);
      a.write(dst);
      return dst.byteOffset;
    };
    const qp = address(QUERY, q), kp = address(KEYS, k), vp = address(VALUES, v);
    let mp = 0;
    if (maskSrc) {
      const dst = bridge.maskSlot();
      maskSrc.write(dst);
      mp = dst.byteOffset;
    }
    const op = bridge.floatSlot(OUT).byteOffset;
    // rv_attend(q, K, V, mask, n, d, dv, scale, drop_p, drop_seed, out, weights): wasm/include/ruvector.h
    const status = kernel(qp, kp, vp, mp, BigInt(n), BigInt(dim), BigInt(dv), scale, 0, 0n, op, 0);
    if (status !== 0) return null;
    return bridge.floatSlot(OUT).slice(0, dv);  // a fresh view: the call may have grown the memory
  }
}
