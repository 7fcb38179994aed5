import { CBOM_DOCUMENT_TYPE, cbomObject } from './cbom.js';
import { sealedCap, sealedReceipt } from './export.js';
import { gatewayEventsOf, type GatewayEvent } from './gateway-event.js';
import { actorLink, continuationNode, governanceEvents, GovernanceSummary } from './governance.js';
import { openDocument, StreamedList, writeDocument, type SpoolFactory, type TextSink } from '../json-document.js';
import { sortedJson } from '../json.js';
import type { ExecutionResult } from '../records/result.js';
import { VERSION } from '../version.js';

/**
 * Writes one command's output as results arrive, byte for byte what printing the whole-run
 * exports (gatewayEvents, governanceDocument, cbomDocument, exportAll) gives. Feed it every
 * result in run order, then call `end` once.
 */
export interface ResultWriter {
  add(result: ExecutionResult): void | Promise<void>;
  end(): Promise<void>;
}

const nothingLeft = async () => {};

/** One text block per result, each newline-terminated: `blocks.join('\n') + '\n'`. */
export function textWriter(out: TextSink, format: (result: ExecutionResult) => string): ResultWriter {
  return { add: (result) => out.write(format(result) + '\n'), end: nothingLeft };
}

/** gateway-export: JSONL, keys sorted. */
export function gatewayJsonlWriter(out: TextSink): ResultWriter {
  return {
    add(result) {
      let text = '';
      for (const event of gatewayEventsOf(result)) text += sortedJson(event) + '\n';
      return text === '' ? undefined : out.write(text);
    },
    end: nothingLeft,
  };
}

/** A JSON list written straight to `out`, one entry (or several) per result. */
async function listWriter<T>(out: TextSink, entries: (result: ExecutionResult) => readonly T[], stringify?: (item: T) => string): Promise<ResultWriter> {
  const list = new StreamedList<T>(out, 0, stringify);
  const finish = await openDocument(out, list);
  return {
    async add(result) {
      for (const entry of entries(result)) await list.add(entry);
    },
    end: async () => {
      await finish();
      await out.write('\n');
    },
  };
}

/** gateway-export --json: one list, keys sorted. */
export const gatewayJsonWriter = (out: TextSink) => listWriter<GatewayEvent>(out, gatewayEventsOf, (event) => sortedJson(event, 2));

/** `--json` of the commands that print execution results (and emit): the results as one list. */
export const resultsJsonWriter = (out: TextSink) => listWriter<ExecutionResult>(out, (result) => [result]);

/** cbom-export: nothing in the document waits for the run, so objects go out as results arrive. */
export async function cbomWriter(out: TextSink): Promise<ResultWriter> {
  const documents = new StreamedList(out, 2);
  const finish = await openDocument(out, { cbom: { document_type: CBOM_DOCUMENT_TYPE, documents } });
  return {
    add: (result) => documents.add(cbomObject(result)),
    end: async () => {
      await finish();
      await out.write('\n');
    },
  };
}

/** The governance lists at `depth`, spooled until the summaries that precede them are known. */
class GovernanceLists {
  readonly summary = new GovernanceSummary();
  readonly links: StreamedList;
  readonly graph: StreamedList;
  readonly usage: StreamedList;

  constructor(spools: SpoolFactory, depth: number) {
    this.links = new StreamedList(spools(), depth);
    this.graph = new StreamedList(spools(), depth);
    this.usage = new StreamedList(spools(), depth);
  }

  async add(result: ExecutionResult): Promise<void> {
    this.summary.add(result);
    const node = continuationNode(result);
    await this.links.add(actorLink(result, node));
    await this.graph.add(node);
    for (const event of governanceEvents(result)) await this.usage.add(event);
  }

  skeleton() {
    return { ...this.summary.head(), actor_model_provider_links: this.links, continuation_graph: this.graph, usage_events: this.usage };
  }
}

/** governance-export: the lists are spooled, as the trust foundation and claims before them need every result. */
export function governanceWriter(out: TextSink, spools: SpoolFactory): ResultWriter {
  const lists = new GovernanceLists(spools, 2);
  return {
    add: (result) => lists.add(result),
    end: async () => {
      await writeDocument(out, { governance: lists.skeleton() });
      await out.write('\n');
    },
  };
}

/**
 * export-all: every list is spooled (the result count comes first). `sections` are the
 * adapters' extra sections, read once the run is over.
 */
export function exportAllWriter(out: TextSink, spools: SpoolFactory, busPublicKey?: string, sections?: () => Record<string, unknown>): ResultWriter {
  let count = 0;
  const gateway = new StreamedList(spools(), 1);
  const governance = new GovernanceLists(spools, 2);
  const cbom = new StreamedList(spools(), 2);
  const sealed = busPublicKey === undefined ? undefined : { caps: new StreamedList(spools(), 2), receipts: new StreamedList(spools(), 2) };
  return {
    async add(result) {
      count++;
      for (const event of gatewayEventsOf(result)) await gateway.add(event);
      await governance.add(result);
      await cbom.add(cbomObject(result));
      if (sealed === undefined) return;
      const cap = sealedCap(result);
      if (cap) await sealed.caps.add(cap);
      const receipt = sealedReceipt(result);
      if (receipt) await sealed.receipts.add(receipt);
    },
    end: async () => {
      await writeDocument(out, {
        cap_bus: { version: VERSION, result_count: count },
        gateway_events: gateway,
        governance: governance.skeleton(),
        cbom: { document_type: CBOM_DOCUMENT_TYPE, documents: cbom },
        ...(sealed === undefined ? {} : { sealed: { bus_public_key: busPublicKey, ...sealed } }),
        ...sections?.(),
      });
      await out.write('\n');
    },
  };
}
