// Child process for the crash test: appends numbered records with sync('always') from
// many concurrent writers, printing each number once it is acknowledged, until killed.

import { Wal } from '../wal.js';

const dir = process.argv[2];
// Numbers continue after the records a previous (killed) run left.
let next = 0;
const wal = await Wal.open({ dir, segmentSize: 16 * 1024 }, (r) => (next = r.payload.readUInt32LE(0) + 1));
const writer = async (): Promise<never> => {
  for (;;) {
    const n = next++;
    const p = Buffer.alloc(8 + (n % 300));
    p.writeUInt32LE(n, 0);
    p.writeUInt32LE((n ^ 0xa5a5a5a5) >>> 0, 4);
    wal.append(1, p);
    await wal.sync('always');
    process.stdout.write(`${n}\n`);
    if (n % 16 === 0) await new Promise((r) => setImmediate(r));
  }
};
await Promise.all(Array.from({ length: 8 }, writer));
