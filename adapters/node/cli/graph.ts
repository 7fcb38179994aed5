import { Option, type Command } from 'commander';
import { describeIssues } from '../../../src/records/cap.js';
import { cbomObject, CbomDocumentSchema, type CbomObject } from '../../../src/exports/cbom.js';
import { chainGraph, GRAPH_FORMATS, renderGraph, type GraphFormat } from '../../../src/exports/chain-graph.js';
import { CliError } from './errors.js';
import type { CliTools } from './extension.js';
import { runCaps, withRunOptions, type RunOptions } from './run.js';

interface GraphFlags extends RunOptions {
  export?: string;
  format: GraphFormat;
}

/** `graph`: draws continuation chains from a run (--source / --input) or from an export file. */
export function registerGraphCommand(program: Command, tools: CliTools): void {
  withRunOptions(
    program
      .command('graph')
      .description('draw continuation chains: roots, follow-ups labelled with their continuation mode, lanes as clusters or colours, rejected and resync-needed caps marked'),
    tools,
  )
    .addOption(new Option('--export <file>', 'draw an export-all (or cbom-export) JSON file instead of running caps ("-" reads stdin)').conflicts(['input']))
    .addOption(new Option('--format <format>', 'mermaid, dot (Graphviz), or html (one self-contained page, renders offline)').choices(GRAPH_FORMATS).default('mermaid'))
    .action(async (o: GraphFlags) => {
      const objects = o.export === undefined ? await runObjects(o, tools) : readExport(tools.readText(o.export), o.export);
      tools.out(renderGraph(chainGraph(objects), o.format));
    });
}

/** The CBOM objects of a run (a drawing needs them all, so they are gathered). */
async function runObjects(o: GraphFlags, tools: CliTools): Promise<CbomObject[]> {
  const objects: CbomObject[] = [];
  await runCaps(o, tools, () => ({ add: (result) => void objects.push(cbomObject(result)), end: async () => {} }));
  return objects;
}

/** The CBOM objects of an export-all or cbom-export document; exit 2 naming what is wrong. */
function readExport(text: string, path: string): CbomObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const cbom = parsed !== null && typeof parsed === 'object' && 'cbom' in parsed ? parsed.cbom : undefined;
  if (cbom === undefined) throw new CliError(`${path}: no "cbom" section; give the output of export-all or cbom-export`);
  const checked = CbomDocumentSchema.safeParse({ cbom });
  if (!checked.success) throw new CliError(`${path}: ${describeIssues(checked.error)}`);
  return checked.data.cbom.documents;
}
