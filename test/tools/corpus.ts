import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * One root of the generated corpus the large-run tests and the CLI bench share: the four cap
 * families, with the continuation modes that spawn follow-ups (so --hops builds real chains).
 */
const ROWS = [
  { actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', executor_class: 'agent-tool', payload: { tool: 'search' } },
  { actor_id: 'planner.aint', intent: 'agent.plan', authority_ref: 'sam:plan', executor_class: 'agent-plan', payload: { model: 'planner-7b', continuation_mode: 'fork' } },
  { actor_id: 'billing-service', intent: 'service.rpc.billing', authority_ref: 'sam:rpc', executor_class: 'service', payload: { service: 'billing', continuation_mode: 'reject' } },
  { actor_id: 'line-controller', intent: 'factory.motion.control', authority_ref: 'sam:motion', executor_class: 'motion', payload: { axis: 'z', continuation_mode: 'continue' } },
  { actor_id: 'api-gateway', intent: 'service.rpc.inventory', authority_ref: 'sam:rpc', executor_class: 'service', payload: { continuation_mode: 'resync-needed' } },
] as const;

export function corpusLine(i: number): string {
  const row = ROWS[i % ROWS.length]!;
  return JSON.stringify({ ...row, payload: { ...row.payload, seq: i } });
}

/** Writes `roots` corpus lines to `path`, respecting the stream's backpressure. */
export async function writeCorpus(path: string, roots: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < roots; i++) {
    if (!out.write(corpusLine(i) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}
