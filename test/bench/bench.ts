// `npm run bench`: measures throughput and latency and prints them beside their targets.
import { benchCore } from './core.js';
import { benchSeal } from './seal.js';
import { benchMux } from './mux.js';
import { printTable } from './table.js';

console.log(`tibet-cap-bus benchmark — node ${process.version}, ${new Date().toISOString()}`);
printTable('In-memory pipeline (one core)', await benchCore());
printTable('Lane mux', await benchMux());
printTable('Sealed pipeline (COSE_Sign1, Ed25519)', await benchSeal());
