// The public declarations (ts-types/, hand-written: they are the contract) cannot
// drift from the Python export manifest: every mechanism / object of the catalogue
// has exactly one entry in MechanismTypes / ObjectTypes, its options interface has
// exactly its constructor's options, its config() type exactly its config's fields,
// its class exactly the exported methods and properties (plus the JS-side name,
// disposed, dispose), and each rt namespace exactly the exported functions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';

const ts = createRequire(import.meta.url)(join(ROOT, 'node_modules', 'typescript'));
const JS_ONLY = ['name', 'disposed', 'dispose'];

const catalog = JSON.parse(execFileSync(process.env.PYTHON || 'python3',
  ['-c', 'import json; from ruvector_attention import _bridge; print(json.dumps(_bridge.catalog()))'],
  { encoding: 'utf8', maxBuffer: 64 << 20 }));

const program = ts.createProgram([join(ROOT, 'ts-types', 'index.d.ts')], { strict: true, noEmit: true });
const checker = program.getTypeChecker();
const index = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, 'ts-types', 'index.d.ts')));
const exported = name => {
  const symbol = checker.getExportsOfModule(index).find(s => s.name === name);
  assert.ok(symbol, `ts-types/index.d.ts exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
};
const names = type => checker.getPropertiesOfType(type).map(p => p.name).sort();
const member = (type, name) => checker.getTypeOfSymbol(checker.getPropertyOfType(type, name));
const sorted = xs => [...xs].sort();

/** name -> { options, instance } of MechanismTypes / ObjectTypes. */
function entries(typeName) {
  const type = exported(typeName);
  return Object.fromEntries(checker.getPropertiesOfType(type).map(p => {
    const t = checker.getTypeOfSymbol(p);
    return [p.name, { options: member(t, 'options'), instance: member(t, 'instance') }];
  }));
}

function checkClasses(typeName, infos) {
  const declared = entries(typeName);
  assert.deepEqual(sorted(Object.keys(declared)), sorted(infos.map(i => i.name)),
    `${typeName} must list exactly the catalogue's ${typeName === 'MechanismTypes' ? 'mechanisms' : 'objects'}`);
  for (const info of infos) {
    const { options, instance } = declared[info.name];
    const c = info.constructor;
    assert.deepEqual(names(options), sorted([...c.args, ...c.options].map(p => p.name)),
      `${info.name}: the options interface vs the Python constructor`);
    const required = checker.getPropertiesOfType(options).filter(p => !(p.flags & ts.SymbolFlags.Optional)).map(p => p.name);
    assert.deepEqual(sorted(required), sorted([...c.args, ...c.options].filter(p => !p.optional).map(p => p.name)),
      `${info.name}: required options`);
    assert.deepEqual(names(instance), sorted([...info.signatures.map(s => s.name), ...info.properties.map(p => p.name), ...JS_ONLY]),
      `${info.name}: the class vs the exported methods and properties`);
    if (info.fields) {
      const config = checker.getReturnTypeOfSignature(checker.getSignaturesOfType(member(instance, 'config'), ts.SignatureKind.Call)[0]);
      assert.deepEqual(names(config), sorted(info.fields.map(f => f.name)), `${info.name}: config() vs the config fields`);
    }
  }
}

test('every mechanism: options, config and methods exactly as the Python manifest', () => {
  assert.ok(catalog.mechanisms.length >= 13);
  checkClasses('MechanismTypes', catalog.mechanisms);
});

test('every stateful object: options and methods exactly as the Python manifest', () => {
  checkClasses('ObjectTypes', catalog.objects);
});

test('every rt namespace: exactly the exported functions', () => {
  const byNamespace = {};
  for (const fn of catalog.functions) (byNamespace[fn.namespace] ??= []).push(fn.name);
  for (const runtime of ['Runtime', 'AsyncRuntime']) {
    const rt = exported(runtime);
    for (const [namespace, fns] of Object.entries(byNamespace)) {
      assert.ok(checker.getPropertyOfType(rt, namespace), `${runtime} has no ${namespace}`);
      assert.deepEqual(names(member(rt, namespace)), sorted(fns), `${runtime}.${namespace} vs the exported functions`);
    }
  }
});

test('the argument and result kinds are the same in Python and TypeScript', () => {
  const union = name => exported(name).types.map(t => t.value).sort();
  assert.deepEqual(union('ArgumentKind'), sorted(Object.keys(catalog.kinds.arguments)));
  assert.deepEqual(union('ResultKind'), sorted(Object.keys(catalog.kinds.results)));
});
