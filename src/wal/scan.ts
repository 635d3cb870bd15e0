// Reads one segment file front to back, validating the header and every frame, and stops
// at the first frame that is not valid. It only reads: what to do about a bad frame
// (torn tail or corruption) is recover.ts's decision.

import { open, type FileHandle } from 'node:fs/promises';
import {
  FRAME_HEADER_SIZE,
  MAX_RECORD_SIZE,
  SEGMENT_HEADER_SIZE,
  checkSegmentHeader,
  frameCrc,
  hex,
  isZero,
} from './format.js';

export interface SegmentScan {
  size: number;
  /** `torn`: shorter than a header, or a zero-filled one (a creation cut short by a crash). */
  header: 'ok' | 'torn' | 'bad';
  headerDetail: string;
  /** Offset just past the last valid frame; 0 when the header is not ok. */
  end: number;
  frames: number;
  /** The first invalid frame, or null when the file ends cleanly after a frame. */
  bad: { offset: number; detail: string } | null;
}

/** Called for each valid frame; `payload` stays valid after the call (it is never reused). */
export type FrameVisitor = (type: number, payload: Buffer, offset: number) => void;

const CHUNK = 4 * 1024 * 1024;

/** Reads a file through a window of fresh buffers, so payload views never alias later reads. */
class Window {
  private buf = Buffer.alloc(0);
  private at = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  /** Makes `[pos, pos + n)` (within the file) readable; returns the buffer and its offset. */
  async view(pos: number, n: number): Promise<{ buf: Buffer; off: number }> {
    if (pos >= this.at && pos + n <= this.at + this.buf.length) return { buf: this.buf, off: pos - this.at };
    const cap = Math.max(n, Math.min(CHUNK, this.size - pos));
    const next = Buffer.allocUnsafe(cap);
    let have = 0;
    if (pos >= this.at && pos < this.at + this.buf.length) have = this.buf.copy(next, 0, pos - this.at);
    while (have < cap) {
      const { bytesRead } = await this.fh.read(next, have, cap - have, pos + have);
      if (bytesRead === 0) throw new Error(`file shrank while being read (at offset ${pos + have})`);
      have += bytesRead;
    }
    this.buf = next;
    this.at = pos;
    return { buf: next, off: 0 };
  }
}

export async function scanSegment(path: string, id: number, visit: FrameVisitor): Promise<SegmentScan> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const res: SegmentScan = { size, header: 'ok', headerDetail: '', end: 0, frames: 0, bad: null };
    if (size < SEGMENT_HEADER_SIZE) {
      res.header = 'torn';
      res.headerDetail = `file is ${size} bytes, shorter than the ${SEGMENT_HEADER_SIZE}-byte segment header`;
      return res;
    }
    const w = new Window(fh, size);
    const h = await w.view(0, SEGMENT_HEADER_SIZE);
    const hdr = h.buf.subarray(h.off, h.off + SEGMENT_HEADER_SIZE);
    if (isZero(hdr)) {
      res.header = 'torn';
      res.headerDetail = 'segment header is all zero bytes';
      return res;
    }
    const why = checkSegmentHeader(hdr, id);
    if (why) {
      res.header = 'bad';
      res.headerDetail = why;
      return res;
    }
    let pos = SEGMENT_HEADER_SIZE;
    while (pos < size) {
      const left = size - pos;
      const r = await checkFrame(w, pos, left, visit);
      if (typeof r === 'string') {
        res.bad = { offset: pos, detail: r };
        break;
      }
      pos += r;
      res.frames++;
    }
    res.end = res.bad ? res.bad.offset : pos;
    return res;
  } finally {
    await fh.close();
  }
}

/** Validates the frame at `pos` and hands it to `visit`; returns its size, or why it is bad. */
async function checkFrame(w: Window, pos: number, left: number, visit: FrameVisitor): Promise<number | string> {
  if (left < FRAME_HEADER_SIZE) return `${left} bytes at the end of the file, too short for a ${FRAME_HEADER_SIZE}-byte frame header`;
  const h = await w.view(pos, FRAME_HEADER_SIZE);
  const len = h.buf.readUInt32LE(h.off);
  const stored = h.buf.readUInt32LE(h.off + 4);
  const type = h.buf[h.off + 8];
  if (isZero(h.buf, h.off, h.off + FRAME_HEADER_SIZE)) return 'zero-filled frame header (space allocated but never written)';
  if (type === 0) return 'frame has record type 0, which is never written';
  if (len > MAX_RECORD_SIZE) return `frame length ${len} exceeds the maximum record size ${MAX_RECORD_SIZE}`;
  if (len > left - FRAME_HEADER_SIZE) return `frame length ${len} runs past the end of the file (${left - FRAME_HEADER_SIZE} bytes follow the header)`;
  const f = await w.view(pos, FRAME_HEADER_SIZE + len);
  const p = f.off + FRAME_HEADER_SIZE;
  const computed = frameCrc(f.buf, f.off, f.buf, p, p + len);
  if (computed !== stored) return `CRC mismatch on a ${len}-byte frame of type ${type} (stored ${hex(stored)}, computed ${hex(computed)})`;
  visit(type, f.buf.subarray(p, p + len), pos);
  return FRAME_HEADER_SIZE + len;
}
