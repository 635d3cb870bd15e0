// Test and benchmark helper: deterministic pseudo-random numbers, so a seeded run writes
// the same data every time (and a failing seed can be replayed).

export { mulberry32 } from '../random.js';
