// zstd (RFC 8878) for string blocks: @bokuweb/zstd-wasm (the reference C library compiled to
// WebAssembly) compresses, fzstd (pure JavaScript) decompresses. The WebAssembly module must
// be instantiated asynchronously, once per thread, before the first string block is
// encoded: the engine awaits initCodecs() when it opens (and each flush/compaction worker
// at start). Decoding needs no initialisation, so readers (and `strata verify`) always work.

import { compress, init } from '@bokuweb/zstd-wasm';
import { decompress } from 'fzstd';
import { CodecNotReadyError } from './errors.js';

let ready = false;
let pending: Promise<void> | undefined;

/** Loads the zstd encoder. Idempotent; call once per thread before encoding string blocks. */
export function initCodecs(): Promise<void> {
  if (pending === undefined) {
    pending = init().then(
      () => {
        ready = true;
      },
      (err: unknown) => {
        pending = undefined; // let a later call retry
        throw err;
      },
    );
  }
  return pending;
}

/** True once initCodecs() has completed in this thread. */
export function codecsReady(): boolean {
  return ready;
}

/** Throws CodecNotReadyError unless initCodecs() has completed. */
export function assertCodecsReady(): void {
  if (!ready) throw new CodecNotReadyError();
}

export function zstdCompress(src: Uint8Array, level: number): Uint8Array {
  assertCodecsReady();
  return compress(src, level);
}

/**
 * Decompresses one frame that must hold exactly `size` bytes. The frame header's content
 * size is checked first (RFC 8878 section 3.1.1.1), so a damaged header cannot make the
 * decoder allocate more than the block says; throws on any mismatch.
 */
export function zstdDecompress(frame: Uint8Array, size: number): Uint8Array {
  const fcs = frameContentSize(frame);
  if (fcs !== size) throw new Error(`zstd frame declares ${fcs} bytes, the block ${size}`);
  const out = decompress(frame);
  if (out.length !== size) throw new Error(`zstd frame holds ${out.length} bytes, expected ${size}`);
  return out;
}

/** Frame_Content_Size of a zstd frame, or -1 when absent or the header is malformed. */
function frameContentSize(f: Uint8Array): number {
  if (f.length < 6 || f[0] !== 0x28 || f[1] !== 0xb5 || f[2] !== 0x2f || f[3] !== 0xfd) return -1;
  const fhd = f[4];
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const didFlag = fhd & 3;
  let p = 5 + (single ? 0 : 1) + [0, 1, 2, 4][didFlag];
  const len = fcsFlag === 0 ? single : 1 << fcsFlag;
  if (len === 0 || p + len > f.length) return -1;
  let v = 0;
  for (let k = len - 1; k >= 0; k--) v = v * 256 + f[p + k];
  p += len;
  return len === 2 ? v + 256 : v;
}
