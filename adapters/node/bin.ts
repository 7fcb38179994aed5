#!/usr/bin/env node
import { laneMuxCli } from '../mux/cli.js';
import { natsCli } from '../nats/cli.js';
import { twinGuardCli } from '../twin-guard/cli.js';
import { readBytes, readText, stderr, stdout, writeText } from './cli/io.js';
import { runCli } from './cli/program.js';
import { composeBus } from './compose.js';
import { fileSpools, streamSink } from './output.js';

// A closed pipe (e.g. `| head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  composeBus,
  // the order of the extensions is the order their flags appear in --help
  extensions: [laneMuxCli, twinGuardCli, natsCli],
  stdout,
  stderr,
  readBytes,
  readText,
  writeText,
  sink: streamSink(process.stdout),
  spools: fileSpools().spools,
});
