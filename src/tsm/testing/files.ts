// A scratch directory of TSM files for one test file: made (and the codecs initialised)
// before its tests, removed after them.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { initCodecs } from '../../gorilla/index.js';
import { tmpDir } from './columns.js';

/** Registers the hooks; returns a maker of fresh file paths (000001.tsm, 000002.tsm, ...). */
export function tsmScratch(): () => string {
  let dir = '';
  let seq = 0;
  beforeAll(async () => {
    await initCodecs();
    dir = tmpDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => path.join(dir, `${String(++seq).padStart(6, '0')}.tsm`);
}
