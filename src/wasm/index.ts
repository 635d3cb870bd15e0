// The process's one instance of the WebAssembly kernels (kernels.ts). Its memory is scratch
// that no call leaves anything in, so sharing it is sharing a pure function.
import { Kernels } from './kernels.js';

export { Kernels } from './kernels.js';
export const kernels = new Kernels();
