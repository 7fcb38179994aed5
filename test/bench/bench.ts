// `npm run bench`: measures throughput and latency and prints them beside their targets.
import { benchCore } from './core.js';
import { benchSeal } from './seal.js';
import { benchMux } from './mux.js';
import { benchNats } from './nats.js';
import { benchCli } from './cli.js';
import { benchScaleOut } from './scale-out.js';
import { collect, printTable } from './table.js';

// each part starts from a collected heap, so no part pays for the garbage of the one before

console.log(`tibet-cap-bus benchmark — node ${process.version}, ${new Date().toISOString()}`);
printTable('In-memory pipeline (one core)', await benchCore());
collect();
printTable('Lane mux', await benchMux());
collect();
const sealRows = await benchSeal();
printTable('Sealed pipeline (COSE_Sign1, Ed25519)', sealRows);
const inProcessSealed = sealRows.find((row) => row.name.startsWith('sealed pipeline ('))!.value;
const inProcessInFlight = sealRows.find((row) => row.name.startsWith('sealed pipeline, 256 in flight'))!.value;
collect();
printTable('NATS transport (nats-server on 127.0.0.1, sealed caps)', await benchNats(inProcessSealed, inProcessInFlight));
collect();
printTable('CLI, whole processes (generated 20,000-root file, --hops 1, best of 3)', await benchCli());
collect();
printTable('Scale-out (partitioned workers on NATS, JSON caps)', await benchScaleOut());
