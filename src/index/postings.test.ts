import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Postings, SMALL_POSTINGS } from './postings.js';
import { idsAdd, idsRemove, idsSize, unionIds, type Ids, SMALL } from './tagIndex.js';

const idSet = fc.uniqueArray(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 0xfffffffe })), { maxLength: 60 });

const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

describe('Postings', () => {
  it('intersect, union, without, has, size, iterate agree with a Set model', () => {
    fc.assert(
      fc.property(idSet, idSet, (a, b) => {
        const pa = Postings.of(a);
        const pb = Postings.of(b);
        const sb = new Set(b);
        expect(pa.intersect(pb).toArray()).toEqual(sorted(a.filter((x) => sb.has(x))));
        expect(pa.union(pb).toArray()).toEqual(sorted(new Set([...a, ...b])));
        expect(pa.without(pb).toArray()).toEqual(sorted(a.filter((x) => !sb.has(x))));
        expect([...pa.iterate()]).toEqual(sorted(a));
        expect(pa.size).toBe(a.length);
        for (const x of b) expect(pa.has(x)).toBe(a.includes(x));
        expect(Postings.intersectAll([pa, pb, pa]).toArray()).toEqual(pa.intersect(pb).toArray());
        expect(Postings.unionAll([pa, pb]).toArray()).toEqual(pa.union(pb).toArray());
        // operands are untouched
        expect(pa.toArray()).toEqual(sorted(a));
      }),
      { numRuns: 500 },
    );
  });

  it('small (array) and large (bitmap) sets mix in every operation, mutators included', () => {
    const small = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: SMALL_POSTINGS });
    const any = fc.oneof(small, idSet);
    fc.assert(
      fc.property(any, any, fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }), (a, b, adds) => {
        const sb = new Set(b);
        const pa = Postings.of(a);
        const pb = Postings.of(b);
        expect(pa.intersects(pb)).toBe(a.some((x) => sb.has(x)));
        expect(pa.isEqual(pb)).toBe(a.length === b.length && a.every((x) => sb.has(x)));
        expect(pa.isEqual(Postings.of([...a].reverse()))).toBe(true);
        expect(pa.max()).toBe(a.length === 0 ? undefined : Math.max(...a));
        expect([...pa.toUint32Array()]).toEqual(sorted(a));
        expect(Postings.unionAll([pa, pb, Postings.of(a.slice(0, 2))]).toArray()).toEqual(sorted(new Set([...a, ...b])));
        expect(Postings.intersectAll([pb, pa]).toArray()).toEqual(sorted(a.filter((x) => sb.has(x))));
        expect(Postings.deserialize(pa.serialize()).toArray()).toEqual(sorted(a));
        // mutators on a copy (a small set becomes a bitmap); the original is untouched
        const c = pa.clone();
        const model = new Set(a);
        for (const x of adds) {
          if (x % 3 === 0) {
            c.remove(x);
            model.delete(x);
          } else {
            c.add(x);
            model.add(x);
          }
        }
        c.addAll(pb);
        for (const x of b) model.add(x);
        expect(c.toArray()).toEqual(sorted(model));
        c.removeAll(Postings.of(a));
        for (const x of a) model.delete(x);
        expect(c.toArray()).toEqual(sorted(model));
        expect(c.size).toBe(model.size);
        expect(pa.toArray()).toEqual(sorted(a));
      }),
      { numRuns: 500 },
    );
    expect(Postings.empty().isEmpty).toBe(true);
    expect(Postings.of([3, 1, 3, 2]).toArray()).toEqual([1, 2, 3]);
    expect(String(Postings.of([5, 6]))).toBe('Postings(2)');
  });

  it('round-trips the portable serialization', () => {
    fc.assert(
      fc.property(idSet, (a) => {
        const p = Postings.of(a);
        const b = p.serialize();
        expect(b.length).toBe(p.serializedSize());
        expect(Postings.deserialize(b).toArray()).toEqual(sorted(a));
      }),
    );
  });

  it('small id sets (number, array, bitmap) behave as sets', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 * SMALL }), fc.array(fc.nat(), { maxLength: 40 }), (ids, removals) => {
        const asc = sorted(ids);
        let x: Ids | undefined;
        for (const id of asc) x = idsAdd(x, id);
        const model = new Set(asc);
        for (const r of removals) {
          if (x === undefined) break;
          const victim = asc[r % asc.length];
          x = idsRemove(x, victim);
          model.delete(victim);
        }
        if (x === undefined) expect(model.size).toBe(0);
        else {
          expect(idsSize(x)).toBe(model.size);
          expect(unionIds([x]).toArray()).toEqual(sorted(model));
        }
      }),
    );
  });
});
