// A Notes sink for kernel tests: collects the warnings and infos a function emits.

import type { Notes } from '../rangeFunctions.js';

export class CollectNotes implements Notes {
  warnings: string[] = [];
  infos: string[] = [];
  warn(msg: string): void {
    this.warnings.push(msg);
  }
  info(msg: string): void {
    this.infos.push(msg);
  }
}
