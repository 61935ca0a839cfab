// The one JS class behind every exported Python object (mechanism or stateful object),
// and the registry that builds a subclass per catalogue entry at run time: each exported
// method becomes one generic call (kinds.ts encodes the arguments, decodes the result),
// each exported property a getter. A mechanism's `forward` first tries the kernel plan
// Python gives (direct.ts).
import { AttentionError, disposedError } from './errors.ts';
import type { Bridge } from './bridge.ts';
import { bindDirect, forwardDirect, type Direct } from './direct.ts';
import type { BytesArg, FloatArg, MatrixArg } from './inputs.ts';
import { DECODERS, HANDLE, checkOptions, encodeCall, unknownName, type MetadataFields } from './kinds.ts';
import type { CallInfo, Catalog, ClassInfo, FunctionInfo, PropertyInfo } from '../../ts-types/index.d.ts';

// Python objects of JS objects that were garbage-collected without dispose().
export const leaked = new FinalizationRegistry<() => void>(free => { try { free(); } catch { /* runtime gone */ } });

const ADOPT = Symbol('ruvector-attention.adopt');
const CALL = Symbol('ruvector-attention.call');
const READ = Symbol('ruvector-attention.read');

/** Base of every class the registry builds: the JS side of one Python object. */
export class ExportedObject {
  readonly name: string;
  #exports: Exports;
  #handle: number;
  #unregister: object = {};
  #direct: Direct | undefined;  // forward's kernel plan (direct.ts); undefined: not asked yet

  constructor(exports: Exports, info: ClassInfo, options: unknown) {
    this.#exports = exports;
    this.name = info.name;
    const adopted = (options as { [ADOPT]?: number } | undefined)?.[ADOPT];
    const handle = adopted ?? exports.construct(info, options);
    this.#handle = handle;
    const bridge = exports.bridge;
    leaked.register(this, () => bridge.dispose(handle), this.#unregister);
  }

  get disposed(): boolean { return this.#handle === 0; }

  [HANDLE] = (): number => {
    if (this.#handle === 0) throw disposedError(this.name);
    return this.#handle;
  };

  [CALL](call: CallInfo, values: readonly unknown[]): unknown {
    const handle = this[HANDLE]();
    const ex = this.#exports;
    const encoded = encodeCall(call, values, `${this.name}.${call.name}`, ex.metadata);
    if (call.pythonName === 'forward' && ex.bridge.direct) {
      const out = this.#forwardDirect(handle, encoded.args, encoded.kwargs);
      if (out) return out;
    }
    if (call.mutates) this.#direct = undefined;  // new parameters or mode: the plan may change
    const r = ex.bridge.invoke(handle, call.pythonName, encoded.args, encoded.kwargs);
    return DECODERS[call.returns](r, ref => ex.adopt(ref));
  }

  /** The kernel itself when the mechanism has a plan and the call fits it, else null. */
  #forwardDirect(handle: number, args: readonly unknown[], kwargs: Record<string, unknown> | undefined): Float32Array | null {
    if (this.#direct === undefined) this.#direct = bindDirect(this.#exports.bridge, handle);
    const direct = this.#direct;
    if (!direct) return null;
    let mask: BytesArg | FloatArg | undefined;
    if (kwargs) {
      for (const key in kwargs) {
        if (key === 'mask') mask = args[(kwargs.mask as { $arg: number }).$arg] as BytesArg | FloatArg;
        else if (key !== 'query' && key !== 'keys' && key !== 'values') return null;
      }
    }
    if (args.length !== (mask ? 4 : 3)) return null;
    return forwardDirect(this.#exports.bridge, direct, args[0] as FloatArg, args[1] as FloatArg | MatrixArg,
      args[2] as FloatArg | MatrixArg, mask);
  }

  [READ](property: PropertyInfo): unknown {
    const ex = this.#exports;
    return DECODERS[property.returns](ex.bridge.invoke(this[HANDLE](), property.pythonName, []), ref => ex.adopt(ref));
  }

  /** Frees the Python object; later calls throw AttentionError('DISPOSED'). Idempotent. */
  dispose(): void {
    if (this.#handle === 0) return;
    const handle = this.#handle;
    this.#handle = 0;
    this.#direct = undefined;
    leaked.unregister(this.#unregister);
    this.#exports.bridge.dispose(handle);
  }
}

type ExportedClass = new (options?: unknown) => ExportedObject;

/** Every exported class and function of one runtime, built from the catalogue on first use
 *  (and again when Python registers something new: its revision changed). */
export class Exports {
  readonly bridge: Bridge;
  #catalog: Catalog;
  #revision: number;
  #classes = new Map<string, ExportedClass>();
  metadata: MetadataFields;

  constructor(bridge: Bridge, catalog: Catalog, revision: number) {
    this.bridge = bridge;
    this.#catalog = catalog;
    this.#revision = revision;
    this.metadata = catalog.kinds.metadata;
  }

  /** The catalogue, re-read from Python when a registration happened since. */
  catalog(): Catalog {
    const revision = this.bridge.revision();
    if (revision !== this.#revision) {
      const info = this.bridge.info();
      this.#catalog = info.catalog as Catalog;
      this.#revision = info.revision;
      this.metadata = this.#catalog.kinds.metadata;
      this.#classes.clear();
    }
    return this.#catalog;
  }

  info(name: string): ClassInfo | undefined {
    const find = (c: Catalog) => c.mechanisms.find(m => m.name === name) ?? c.objects.find(o => o.name === name);
    return find(this.#catalog) ?? find(this.catalog());
  }

  /** The JS class of exported class `name` (UNSUPPORTED when Python has none). */
  classOf(name: unknown): ExportedClass {
    if (typeof name !== 'string') throw new AttentionError('UNSUPPORTED', 'create() needs a mechanism or object name');
    const known = this.#classes.get(name);
    if (known) return known;
    const info = this.info(name);
    if (!info) {
      const c = this.catalog();
      throw unknownNameUnsupported(name, [...c.mechanisms, ...c.objects].map(m => m.name));
    }
    const cls = makeClass(this, info);
    this.#classes.set(name, cls);
    return cls;
  }

  create(name: unknown, options?: unknown): ExportedObject {
    return new (this.classOf(name))(options);
  }

  /** The Python handle of a new object: options checked against the constructor's declaration. */
  construct(info: ClassInfo, options: unknown): number {
    const given = checkOptions(options, info.name);
    // JS passes every constructor parameter in the options object, positional ones too.
    const c = info.constructor;
    const byName = { ...c, args: [], options: [...c.args, ...c.options] };
    const encoded = encodeCall(byName, [given], info.name, this.metadata);
    return this.bridge.create(info.name, encoded.args, encoded.kwargs ?? {});
  }

  /** A JS object for a handle Python returned (a "handle" result). */
  adopt(ref: { $handle: number; class: string }): ExportedObject {
    return new (this.classOf(ref.class))({ [ADOPT]: ref.$handle });
  }

  callFunction(fn: FunctionInfo, values: readonly unknown[]): unknown {
    const encoded = encodeCall(fn, values, `${fn.namespace}.${fn.name}`, this.metadata);
    const r = this.bridge.callFunction(fn.qualifiedName, encoded.args, encoded.kwargs ?? {});
    return DECODERS[fn.returns](r, ref => this.adopt(ref));
  }

  /** { namespace: { function: (...args) => result } } of every exported function. */
  namespaces(): Record<string, Record<string, (...a: unknown[]) => unknown>> {
    const out: Record<string, Record<string, (...a: unknown[]) => unknown>> = {};
    for (const fn of this.#catalog.functions) {
      (out[fn.namespace] ??= {})[fn.name] = (...a: unknown[]) => this.callFunction(fn, a);
    }
    return out;
  }
}

function unknownNameUnsupported(name: string, known: string[]): AttentionError {
  const e = unknownName('unknown mechanism or object', name, known);
  return new AttentionError('UNSUPPORTED', e.message);
}

/** Members every exported object has on the JS side; an exported method or property must
 *  not take one of these names. */
const JS_MEMBERS = new Set(['name', 'disposed', 'dispose', 'constructor']);

export function checkMembers(info: ClassInfo): void {
  for (const m of [...info.signatures, ...info.properties]) {
    if (JS_MEMBERS.has(m.name)) {
      throw new AttentionError('INTERNAL', `${info.name}.${m.pythonName} cannot be exported: JS objects have their own ${m.name}`);
    }
  }
}

function makeClass(exports: Exports, info: ClassInfo): ExportedClass {
  checkMembers(info);
  const cls = class extends ExportedObject {
    constructor(options?: unknown) { super(exports, info, options); }
  };
  Object.defineProperty(cls, 'name', { value: info.name });
  for (const call of info.signatures) {
    Object.defineProperty(cls.prototype, call.name, {
      value(this: ExportedObject, ...values: unknown[]) { return this[CALL](call, values); },
      writable: true, configurable: true,
    });
  }
  for (const property of info.properties) {
    Object.defineProperty(cls.prototype, property.name, {
      get(this: ExportedObject) { return this[READ](property); }, configurable: true,
    });
  }
  return cls;
}
