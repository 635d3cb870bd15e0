// Codecs of the TSM blocks (see block.ts and docs/format/block.md). A leaf package: it
// knows bytes and columns, not files, series or the engine.

export { ByteWriter, ByteReader } from './bytes.js';
export { BitWriter, BitReader } from './bits.js';
export { BlockDecodeError, CodecNotReadyError } from './errors.js';
export { initCodecs, codecsReady } from './zstd.js';
export { encodeBlock, decodeBlock, decodeBlockFloat, decodeBlockTimes, blockLayout, BLOCK_VERSION, MAX_BLOCK_POINTS } from './block.js';
export type { DecodedBlock, DecodedFloatBlock, DecodedTimes } from './block.js';
export { encodeTimestamps, decodeTimestamps } from './timestamps.js';
export { encodeInts, decodeInts } from './integers.js';
export { encodeFloats, decodeFloats } from './floats.js';
export { encodeBooleans, decodeBooleans } from './booleans.js';
export { encodeStrings, decodeStrings } from './strings.js';
