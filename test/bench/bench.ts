// `npm run bench`: measures throughput and latency and prints them beside their targets.
import { benchCore } from './core.js';
import { benchSeal } from './seal.js';
import { benchMux } from './mux.js';
import { benchNats } from './nats.js';
import { printTable } from './table.js';

console.log(`tibet-cap-bus benchmark — node ${process.version}, ${new Date().toISOString()}`);
printTable('In-memory pipeline (one core)', await benchCore());
printTable('Lane mux', await benchMux());
const sealRows = await benchSeal();
printTable('Sealed pipeline (COSE_Sign1, Ed25519)', sealRows);
const inProcessSealed = sealRows.find((row) => row.name.startsWith('sealed pipeline ('))!.value;
printTable('NATS transport (nats-server on 127.0.0.1, sealed caps)', await benchNats(inProcessSealed));
