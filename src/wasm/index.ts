// The process's one instance of the WebAssembly kernels (kernels.ts). Its memory is scratch
// that no call leaves anything in, so sharing it is sharing a pure function.
import { FloatText } from './dtoa.js';
import { Kernels } from './kernels.js';

export { Kernels } from './kernels.js';
export { FloatText, FLOAT_TEXT_CHUNK, type FloatTextBatch } from './dtoa.js';
export const kernels = new Kernels();
/** Shortest text of doubles (dtoa.ts). A batch's views are overwritten by the next call
 * from anywhere, so callers read a batch before formatting the next. */
export const floatText = new FloatText();
