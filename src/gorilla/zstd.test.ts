import { describe, expect, it } from 'vitest';
import { ByteWriter } from './bytes.js';
import { CodecNotReadyError } from './errors.js';
import { encodeStrings } from './strings.js';
import { codecsReady, initCodecs } from './zstd.js';

// Its own file: module state (the WebAssembly instance) is fresh here, as in a new thread.
describe('zstd encoder initialisation', () => {
  it('refuses to encode a string block before initCodecs() with a clear error', () => {
    expect(codecsReady()).toBe(false);
    expect(() => encodeStrings(['a'], 0, 1, new ByteWriter())).toThrow(CodecNotReadyError);
    expect(() => encodeStrings(['a'], 0, 1, new ByteWriter())).toThrow(/await initCodecs\(\)/);
  });

  it('encodes after initCodecs(), which is idempotent', async () => {
    await Promise.all([initCodecs(), initCodecs()]);
    await initCodecs();
    expect(codecsReady()).toBe(true);
    const out = new ByteWriter();
    encodeStrings(['a'], 0, 1, out);
    expect(out.pos).toBeGreaterThan(0);
  });
});
