import type { Operation } from 'rfc6902';
import type { FhirError } from '../errors';
import { measure, patchBudget, type PatchBudget } from './budget';
import { applyJsonPatch, checkJsonPatch, jsonEqual } from './json-patch';

const refusal = (fn: () => unknown): FhirError => {
  try {
    fn();
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('not refused');
};

describe('measure', () => {
  it('estimates the JSON length and depth', () => {
    const value = { resourceType: 'Patient', name: [{ family: 'Li', given: ['A', 'B'] }], active: true, n: 12 };
    const { size, depth } = measure(value, Infinity);
    expect(Math.abs(size - JSON.stringify(value).length)).toBeLessThanOrEqual(8);
    expect(depth).toBe(4); // the resource, name, name[0], given
    expect(measure('x', Infinity)).toEqual({ size: 3, depth: 0 });
  });

  it('stops at the budget instead of walking all of a large value', () => {
    const big = Array.from({ length: 1_000_000 }, () => ({ a: 'b' }));
    const started = process.hrtime.bigint();
    expect(measure(big, 1000).size).toBeGreaterThan(1000);
    expect(measure({ x: big }, 1000).size).toBeGreaterThan(1000);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  });
});

describe('checkJsonPatch', () => {
  it('refuses pointers through Object.prototype members', () => {
    for (const name of Object.getOwnPropertyNames(Object.prototype)) {
      expect(refusal(() => checkJsonPatch([{ op: 'add', path: `/name/0/${name}`, value: 1 }], 10)).status).toBe(400);
      expect(refusal(() => checkJsonPatch([{ op: 'copy', from: `/${name}`, path: '/x' }], 10)).status).toBe(400);
    }
    expect(refusal(() => checkJsonPatch([{ op: 'add', path: 'name', value: 1 }], 10)).status).toBe(400);
    expect(checkJsonPatch([{ op: 'add', path: '/name/0/text', value: 'constructor' }], 10)).toHaveLength(1);
  });

  it('refuses more operations than allowed as too costly', () => {
    const err = refusal(() => checkJsonPatch(Array.from({ length: 11 }, () => ({ op: 'remove', path: '/a' })), 10));
    expect([err.status, err.errorCode, err.toOperationOutcome().issue[0].code]).toEqual([422, 'FHIR-0422-PATCH-OPS', 'too-costly']);
  });
});

describe('applyJsonPatch', () => {
  const budget = (doc: object, maxSize = 64 * 1024 * 1024): PatchBudget => patchBudget(JSON.stringify(doc), doc, maxSize);

  it('applies operations in order', () => {
    const doc = { resourceType: 'Patient', name: [{ family: 'Li' }], active: false };
    applyJsonPatch(doc, [
      { op: 'test', path: '/active', value: false },
      { op: 'copy', from: '/name/0', path: '/name/-' },
      { op: 'replace', path: '/name/1/family', value: 'Wang' },
      { op: 'move', from: '/active', path: '/deceasedBoolean' },
    ], budget(doc));
    expect(doc).toEqual({ resourceType: 'Patient', name: [{ family: 'Li' }, { family: 'Wang' }], deceasedBoolean: false });
  });

  it('refuses copies that double the document as soon as they pass the copy allowance', () => {
    const doc = { resourceType: 'Patient', extension: [{ url: 'u', valueString: 'v'.repeat(100) }] };
    const ops: Operation[] = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/extension', path: '/extension/-' }));
    const err = refusal(() => applyJsonPatch(doc, ops, budget(doc)));
    expect([err.status, err.errorCode, err.toOperationOutcome().issue[0].code]).toEqual([422, 'FHIR-0422-PATCH-SIZE', 'too-costly']);
    // refused around 1 MiB of copies: about 13 doublings of 120 bytes
    expect(err.message).toMatch(/^Patch operation 1[0-4] /);
  });

  it('refuses a result larger than the limit, counting what add carries', () => {
    const doc = { resourceType: 'Patient' };
    const err = refusal(() => applyJsonPatch(doc, [{ op: 'add', path: '/text', value: { div: 'x'.repeat(2000) } }], budget(doc, 1000)));
    expect(err.errorCode).toBe('FHIR-0422-PATCH-SIZE');
    expect(doc).toEqual({ resourceType: 'Patient' });
  });

  it('refuses copies and moves that would nest past the depth limit', () => {
    const doc = { resourceType: 'Patient', extension: [{ url: 'u' }] };
    const ops: Operation[] = Array.from({ length: 130 }, () => ({ op: 'copy', from: '/extension/0', path: '/extension/0/extension' }));
    expect(refusal(() => applyJsonPatch(doc, ops, budget(doc))).errorCode).toBe('FHIR-0422-PATCH-DEPTH');
    const deep = { resourceType: 'Basic', a: {} };
    let node: any = deep.a;
    let pointer = '/a';
    for (let i = 0; i < 100; i++) {
      node.b = {};
      node = node.b;
      pointer += '/b';
    }
    expect(refusal(() => applyJsonPatch(deep, [{ op: 'move', from: '/a', path: `${pointer}/c` }], budget(deep))).status).toBe(422);
  });

  it('answers a failed test or a missing target with 422', () => {
    const doc = { resourceType: 'Patient', active: true };
    expect(refusal(() => applyJsonPatch(doc, [{ op: 'test', path: '/active', value: false }], budget(doc))).errorCode).toBe('FHIR-0422-PATCH');
    expect(refusal(() => applyJsonPatch(doc, [{ op: 'remove', path: '/gender' }], budget(doc))).errorCode).toBe('FHIR-0422-PATCH');
  });
});

describe('jsonEqual', () => {
  it('is JSON equality (RFC 6902 §4.6)', () => {
    expect(jsonEqual({ a: [1, { b: 'c' }], d: null }, { d: null, a: [1, { b: 'c' }] })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1, c: 2 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    const long = Array.from({ length: 100_000 }, (_, i) => i);
    expect(jsonEqual(long, [...long])).toBe(true);
    expect(jsonEqual(long, [...long].reverse())).toBe(false);
  });
});
