import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Postings } from './postings.js';
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
