import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentName } from './format.js';
import { captureLogger, openCollect, removeTmpDirs, replay, tmpDir } from './testing/helpers.js';

afterEach(removeTmpDirs);

const records = fc.array(
  fc.record({ type: fc.integer({ min: 1, max: 255 }), payload: fc.uint8Array({ maxLength: 600 }) }),
  { maxLength: 60 },
);

async function write(recs: { type: number; payload: Uint8Array }[], segmentSize: number): Promise<string> {
  const dir = tmpDir();
  const { wal } = await openCollect({ dir, segmentSize });
  for (const r of recs) wal.append(r.type, Buffer.from(r.payload));
  await wal.close();
  return dir;
}

describe('WAL properties', () => {
  it('any records round-trip in order, whatever the segment size', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 64, max: 4096 }), async (recs, segmentSize) => {
        const dir = await write(recs, segmentSize);
        const got = await replay({ dir });
        expect(got.map((r) => ({ type: r.type, payload: new Uint8Array(r.payload) }))).toEqual(recs);
      }),
      { numRuns: 60 },
    );
  });

  it('cutting the last segment anywhere keeps exactly the records wholly before the cut', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 64, max: 2048 }), fc.double({ min: 0, max: 1, noNaN: true }), async (recs, segmentSize, where) => {
        const dir = await write(recs, segmentSize);
        const before = await replay({ dir });
        const ids = [...new Set(before.map((r) => r.segment)), 1];
        const lastId = Math.max(...ids);
        const file = join(dir, segmentName(lastId));
        const cut = Math.floor(where * statSync(file).size);
        truncateSync(file, cut);
        const after = await replay({ dir, logger: captureLogger() });
        const want = before.filter((r) => r.segment < lastId || r.offset + 9 + r.payload.length <= cut);
        expect(after).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });
});
