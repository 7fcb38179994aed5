#!/usr/bin/env node
import { runCli } from './cli/program.js';
import { emitOverNats, loginOptions, registerNatsCommands } from '../nats/cli.js';
import { nodeBackend } from './ed25519.js';
import { registerTwinCommands } from '../twin-guard/index.js';
import { composeBus } from './compose.js';

// A closed pipe (e.g. `| head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  createBus: composeBus,
  emitRemote: (cap, o) => emitOverNats(cap, { ...loginOptions(o.flags), servers: o.servers, prefix: o.prefix, maxHops: o.maxHops, key: o.key, backend: nodeBackend }),
  extend: (program, tools) => {
    registerTwinCommands(program, tools);
    registerNatsCommands(program, { tools, createBus: composeBus });
  },
});
