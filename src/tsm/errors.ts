// Corruption of a TSM file: the registry's CorruptionError (code STRATA_ERR_CORRUPT, file
// and offset), with advice that fits a TSM file rather than the WAL.

import { CorruptionError } from '../errors.js';

export class TsmCorruptionError extends CorruptionError {
  readonly detail: string;
  constructor(file: string, offset: number, detail: string, options?: { cause?: unknown }) {
    super(file, offset, detail);
    this.detail = detail;
    if (options?.cause !== undefined) this.cause = options.cause;
    this.message =
      `corrupt data in ${file} at offset ${offset}: ${detail}; ` +
      'the other series of the file still read. Run `strata verify DATA_DIR` (server stopped) to list every damaged block, and restore the file from a backup';
  }
}
