#!/usr/bin/env node
import { runCli } from '../../src/cli.js';
import { registerNatsCommands } from '../nats/cli.js';
import { registerTwinCommands } from '../twin-guard/index.js';
import { composeBus } from './compose.js';

// A closed pipe (e.g. `| head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  createBus: composeBus,
  extend: (program, tools) => {
    registerTwinCommands(program, tools);
    registerNatsCommands(program, { tools, createBus: composeBus });
  },
});
