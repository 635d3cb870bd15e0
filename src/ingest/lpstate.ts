// Small mutable helpers of one LineProtocolParser (lineprotocol.ts): each parser owns one of
// each and passes it to the functions that need it, so parsers never share state.

/**
 * What the helpers report besides their return value, for the line being parsed: the error
 * when a helper returns -1, and the newlines inside string values (they advance the line
 * number). Written only on errors and on multi-line strings, so it costs the hot path nothing.
 */
export class LineState {
  /** Byte offset the error was found at (parsing resumes after the next newline). */
  errPos = 0;
  errReason = '';
  /** Newlines inside string values of the current line. */
  nl = 0;

  /** Records an error; returns -1 for `return st.fail(...)`. */
  fail(pos: number, reason: string): -1 {
    this.errPos = pos;
    this.errReason = reason;
    return -1;
  }
}

/** A byte buffer for unescaping and reordering, grown on demand and reused across lines. */
export class Scratch {
  private buf = Buffer.allocUnsafe(4096);

  /** The buffer, with room for at least n bytes (its contents are garbage). */
  get(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}
