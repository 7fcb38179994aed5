import type { Command } from 'commander';
import type { SourceName } from '../../../src/demo-sources.js';
import { cbomDocument } from '../../../src/exports/cbom.js';
import { exportAll } from '../../../src/exports/export.js';
import { GATEWAY_CONTRACT, gatewayEvents, toJsonl } from '../../../src/exports/gateway-event.js';
import { governanceDocument } from '../../../src/exports/governance.js';
import { loadGatewayEvents, validateGatewayEvents } from '../../../src/exports/validator.js';
import { sortedJson } from '../../../src/json.js';
import { CliError, EXIT } from './errors.js';
import type { CliTools } from './extension.js';
import { sourceOption } from './options.js';
import { runCaps, withRunOptions, type RunOptions } from './run.js';

/** The export commands and the gateway-event validator. */
export function registerExportCommands(program: Command, tools: CliTools): void {
  const { out } = tools;
  const document = (value: unknown) => out(JSON.stringify(value, null, 2) + '\n');

  withRunOptions(program.command('gateway-export').description(`print ${GATEWAY_CONTRACT} records as JSONL (keys sorted)`), tools)
    .option('--json', 'print one JSON list instead of JSONL')
    .action(async (o: RunOptions & { json?: boolean }) => {
      const events = gatewayEvents((await runCaps(o, tools)).results);
      out(o.json ? sortedJson(events, 2) + '\n' : toJsonl(events));
    });

  withRunOptions(program.command('governance-export').description('print the governance document (what/how/who/why) of a run'), tools).action(
    async (o: RunOptions) => document(governanceDocument((await runCaps(o, tools)).results)),
  );

  withRunOptions(program.command('cbom-export').description('print the CBOM document (one continuity object per cap) of a run'), tools).action(
    async (o: RunOptions) => document(cbomDocument((await runCaps(o, tools)).results)),
  );

  withRunOptions(program.command('export-all').description('print gateway events, governance and CBOM of one run as one document'), tools).action(
    async (o: RunOptions) => {
      const { results, cliBus } = await runCaps(o, tools);
      document({ ...exportAll(results, cliBus.busPublicKey), ...cliBus.sections() });
    },
  );

  program
    .command('validate-gateway-event')
    .description(`check records against the ${GATEWAY_CONTRACT} contract (exit 0 VALID, 1 INVALID, 2 unreadable)`)
    .option('--input <path>', 'a .json list (or {"gateway_events": [...]}) or JSONL; "-" reads stdin')
    .addOption(sourceOption())
    .action(async (o: { input?: string; source: SourceName }) => {
      let records: unknown[];
      if (o.input !== undefined) {
        const loaded = loadGatewayEvents(tools.readText(o.input), o.input);
        if (!loaded.ok) throw new CliError(loaded.error);
        records = loaded.records;
      } else {
        records = gatewayEvents((await runCaps({ source: o.source }, tools)).results);
      }
      const errors = validateGatewayEvents(records);
      if (errors.length === 0) {
        out(`VALID\n\nrecords: ${records.length}\ncontract: ${GATEWAY_CONTRACT}\n`);
        return;
      }
      out(`INVALID\n\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
      throw new CliError('', EXIT.bad);
    });
}
