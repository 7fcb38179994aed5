#!/usr/bin/env node
import { runCli } from '../../src/cli.js';
import { createMemoryBus } from '../memory/index.js';

// A closed pipe (e.g. `| head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), { createBus: () => createMemoryBus() });
process.exitCode = code;
