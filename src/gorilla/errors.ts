// Errors of the codec layer. They carry no file name: the TSM reader knows the file and
// the block's offset and wraps a BlockDecodeError into a CorruptionError (src/errors.ts).

/** A block or codec section is malformed: truncated, a length or count is inconsistent,
 * an unknown tag, bits left over. `at` is the byte offset inside the block (-1: unknown). */
export class BlockDecodeError extends Error {
  readonly at: number;
  constructor(detail: string, at = -1, options?: { cause?: unknown }) {
    super(at >= 0 ? `${detail} (at byte ${at} of the block)` : detail, options);
    this.name = 'BlockDecodeError';
    this.at = at;
  }
}

/** A string block was encoded before `await initCodecs()`: the zstd encoder is
 * WebAssembly and must be instantiated once per thread (the engine does it at open). */
export class CodecNotReadyError extends Error {
  constructor() {
    super('the zstd encoder is not initialised: call `await initCodecs()` (src/gorilla) once per thread before encoding string blocks');
    this.name = 'CodecNotReadyError';
  }
}
