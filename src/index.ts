// Strata as a library: open a data directory, write line protocol or points, select
// typed columns, flush, close. The server and the CLI use only this API.
export { openDatabase, Database, parsePrecision, type OpenOptions, type EngineStats } from './engine/database.js';
export { exportLineProtocol, type ExportOptions } from './engine/export.js';
export { Downsampler, type DownsamplerOptions, type DownsamplerStats, type TickResult, type TierStats } from './retention/downsampler.js';
export * from './types.js';
export { StrataError, BadRequestError, CorruptionError, ERROR_CODES } from './errors.js';
