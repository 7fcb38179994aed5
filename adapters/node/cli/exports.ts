import { Option, type Command } from 'commander';
import type { SourceName } from '../../../src/demo-sources.js';
import { cbomWriter, exportAllWriter, gatewayJsonlWriter, gatewayJsonWriter, governanceWriter } from '../../../src/exports/export-stream.js';
import { GATEWAY_CONTRACT, gatewayEventsOf, type GatewayEvent } from '../../../src/exports/gateway-event.js';
import { loadGatewayEvents, validateGatewayEvents, VALIDATION_RULES, type ValidationRules } from '../../../src/exports/validator.js';
import { CliError, EXIT } from './errors.js';
import type { CliTools } from './extension.js';
import { sourceOption } from './options.js';
import { runCaps, withRunOptions, type RunOptions } from './run.js';

/** The export commands and the gateway-event validator. */
export function registerExportCommands(program: Command, tools: CliTools): void {
  const { out, sink, spools } = tools;

  withRunOptions(program.command('gateway-export').description(`print ${GATEWAY_CONTRACT} records as JSONL (keys sorted)`), tools)
    .option('--json', 'print one JSON list instead of JSONL')
    .action((o: RunOptions & { json?: boolean }) => runCaps(o, tools, () => (o.json ? gatewayJsonWriter(sink) : gatewayJsonlWriter(sink))));

  withRunOptions(program.command('governance-export').description('print the governance document (what/how/who/why) of a run'), tools).action((o: RunOptions) =>
    runCaps(o, tools, () => governanceWriter(sink, spools)),
  );

  withRunOptions(program.command('cbom-export').description('print the CBOM document (one continuity object per cap) of a run'), tools).action((o: RunOptions) =>
    runCaps(o, tools, () => cbomWriter(sink)),
  );

  withRunOptions(program.command('export-all').description('print gateway events, governance and CBOM of one run as one document'), tools).action(
    (o: RunOptions) => runCaps({ ...o, signs: true }, tools, (cliBus) => exportAllWriter(sink, spools, cliBus.busPublicKey, cliBus.sections)),
  );

  program
    .command('validate-gateway-event')
    .description(`check records against the ${GATEWAY_CONTRACT} contract (exit 0 VALID, 1 INVALID, 2 unreadable)`)
    .option('--input <path>', 'a .json list (or {"gateway_events": [...]}) or JSONL; "-" reads stdin')
    .addOption(sourceOption())
    .addOption(
      new Option('--rules <rules>', "strict: the original's checks, then the rest of schemas/gateway-event.v1.schema.json; original: exactly the original's verdicts")
        .choices(VALIDATION_RULES)
        .default('strict'),
    )
    .action(async (o: { input?: string; source: SourceName; rules: ValidationRules }) => {
      let records: unknown[];
      if (o.input !== undefined) {
        const loaded = loadGatewayEvents(tools.readText(o.input), o.input);
        if (!loaded.ok) throw new CliError(loaded.error);
        records = loaded.records;
      } else {
        const events: GatewayEvent[] = [];
        await runCaps({ source: o.source, progress: false }, tools, () => ({ add: (result) => void events.push(...gatewayEventsOf(result)), end: async () => {} }));
        records = events;
      }
      const errors = validateGatewayEvents(records, o.rules);
      if (errors.length === 0) {
        out(`VALID\n\nrecords: ${records.length}\ncontract: ${GATEWAY_CONTRACT}\n`);
        return;
      }
      out(`INVALID\n\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
      throw new CliError('', EXIT.bad);
    });
}
