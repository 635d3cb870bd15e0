// TSM files: immutable, columnar block files, one set per time shard (docs/format/tsm.md).
// The writer runs in a worker thread (synchronous code); readers serve queries through a
// shared, byte-budgeted cache of decoded blocks; verify is the offline check.

export { TsmWriter, writeTsmFile, DEFAULT_POINTS_PER_BLOCK } from './writer.js';
export type { TsmColumnInput, TsmFileMeta, BlockRef, TsmWriterOptions } from './writer.js';
export { TsmReader } from './reader.js';
export type { TsmColumn, TsmFloatColumn, TsmReaderOptions } from './reader.js';
export { BlockCache } from './cache.js';
export { defaultResidentBytes, ResidentSet } from './resident.js';
export type { DecodedColumn } from './cache.js';
export { verifyTsmFile } from './verify.js';
export type { VerifyOptions, VerifyProblem, VerifyResult } from './verify.js';
export { TsmCorruptionError } from './errors.js';
export { TSM_MAGIC, TSM_VERSION, TEMP_SUFFIX } from './format.js';
