// Child process for the index crash test: creates series (and now and then deletes one),
// printing each after sync() resolved, until killed. Background snapshots run often.
//   a N    series N (key cpu,dc=dcX,host=hN) has id N and is durable
//   d N    series N is durably deleted

import { Postings } from '../postings.js';
import { SeriesIndex } from '../seriesIndex.js';

export const crashKey = (n: number): string => `cpu,dc=dc${n % 5},host=h${n}`;

const dir = process.argv[2];
if (dir) {
  const idx = await SeriesIndex.open(dir, { db: 'crash', snapshotEvery: 700, snapshotStep: 50 });
  for (let n = idx.stats().ids; ; n++) {
    const id = idx.getOrCreate(crashKey(n));
    if (id !== n) throw new Error(`series ${n} got id ${id}`);
    const del = n % 37 === 0 && n >= 10 && !idx.isDeleted(n - 10);
    if (del) idx.deleteSeries(Postings.of([n - 10]));
    await idx.sync();
    process.stdout.write(del ? `a ${n}\nd ${n - 10}\n` : `a ${n}\n`);
    if (n % 8 === 0) await new Promise((r) => setImmediate(r));
  }
}
