import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { REFERENCE_FIXTURE } from './tools/reference-fixture.js';

const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capbus-cli-'));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function file(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

describe('CLI', () => {
  it('demo runs the four demo caps', () => {
    const r = cli(['demo']);
    expect(r.code).toBe(0);
    for (const intent of ['agent.tool.high', 'factory.motion.control', 'service.rpc.standard', 'agent.plan.rollout']) expect(r.out).toContain(intent);
    expect(r.out).toContain('coffee=fork_on_hop_off: time_diff_seconds=300<3600');
  });

  it('demo --json prints execution results', () => {
    const results = JSON.parse(cli(['demo', '--json']).out);
    expect(results).toHaveLength(4);
    expect(results[0].usage_events).toHaveLength(2);
  });

  it('chain --hops 3 gives the root and both fork branches', () => {
    const results = JSON.parse(cli(['chain', '--json']).out);
    expect(results.map((r: any) => r.distributed.cap.intent)).toEqual(['agent.plan.rollout', 'agent.plan.rollout.fork.alpha', 'agent.plan.rollout.fork.beta']);
    expect(results[1].distributed.cap.payload.source_receipt_id).toBe(results[0].receipt.receipt_id);
    expect(JSON.parse(cli(['chain', '--json', '--hops', '1']).out)).toHaveLength(1);
  });

  it('triage routes into the triage lanes; resume resolves through coffee', () => {
    const triage = JSON.parse(cli(['triage', '--json']).out);
    expect(triage.map((r: any) => [r.distributed.cap.intent, r.receipt.outcome, r.distributed.lane_id])).toEqual([
      ['service.rpc.inventory', 'resync-needed', 'lane:service.rpc.inventory:service'],
      ['service.rpc.inventory.triage.resync', 'executed', 'lane:triage.resync:service'],
      ['agent.tool.high', 'rejected', 'lane:agent.tool.high:agent-tool'],
      ['agent.tool.high.triage.reject', 'executed', 'lane:triage.reject:agent-tool'],
    ]);
    const resume = JSON.parse(cli(['resume', '--json']).out);
    expect(resume.map((r: any) => r.receipt.continuation_mode)).toEqual(['freeze_resume', 'receipt', 'fork_on_hop_off', 'receipt', 'receipt']);
    expect(resume.map((r: any) => r.distributed.cap.intent)).toEqual([
      'agent.tool.high', 'agent.tool.high.resume.frozen', 'agent.tool.high', 'agent.tool.high.resume.catchup', 'agent.tool.high.resume.live',
    ]);
  });

  it('emit builds a cap from flags', () => {
    const r = cli(['emit', '--actor', 'codex.aint', '--intent', 'agent.tool.high', '--payload', '{"tool":"search"}', '--continuation-mode', 'fork', '--hops', '2']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.out);
    expect(results).toHaveLength(3);
    expect(results[0].distributed.cap).toMatchObject({ actor_id: 'codex.aint', actor_aint: 'codex.aint', authority_ref: 'sam:tool', payload: { tool: 'search', continuation_mode: 'fork' } });
  });

  it('emit refuses bad flags with exit 2 and a clear message', () => {
    let r = cli(['emit', '--actor', 'a', '--intent', 'agent..x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('intent');
    r = cli(['emit', '--actor', 'a', '--intent', 'a.b', '--payload', '[1]']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--payload must be a JSON object');
    r = cli(['emit', '--actor', 'a', '--intent', 'a.b', '--route-class', 'teleport']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('route_class');
    // NATS login flags mean nothing to an in-process run: refused, not ignored, and nothing runs
    r = cli(['emit', '--actor', 'a', '--intent', 'a.b', '--token', 't', '--tls-ca', 'ca.pem']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toContain('--token, --tls-ca: only with --nats');
    r = cli(['chain', '--hops', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--hops must be an integer from 1 to 64');
    expect(cli(['nonsense']).code).toBe(2);
  });

  it('--help works on every command', () => {
    for (const cmd of ['demo', 'emit', 'trace', 'chain', 'triage', 'resume', 'gateway-export', 'governance-export', 'cbom-export', 'export-all', 'validate-gateway-event']) {
      const r = cli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toContain('Usage: tibet-cap-bus ' + cmd);
    }
  });

  it('trace shows every phase of every cap', () => {
    const r = cli(['trace', '--source', 'chain', '--hops', '3']);
    expect(r.out.match(/^ {2}place /gm)).toHaveLength(3);
    expect(r.out.match(/^ {2}execute /gm)).toHaveLength(3);
  });

  it('gateway-export prints sorted-key JSONL that validates', () => {
    const r = cli(['gateway-export', '--source', 'triage']);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const rec = JSON.parse(line);
      expect(Object.keys(rec)).toEqual(Object.keys(rec).sort());
    }
    const v = cli(['validate-gateway-event', '--input', '-'], r.out);
    expect(v.code).toBe(0);
    expect(v.out).toBe('VALID\n\nrecords: 4\ncontract: tibet-cap-bus.gateway-event.v1\n');
  });

  it('validate-gateway-event reports INVALID with exit 1, unreadable input with exit 2', () => {
    const bad = file('bad.jsonl', JSON.stringify({ event_id: 'e', observation_layer: 'nope' }) + '\n');
    let r = cli(['validate-gateway-event', '--input', bad]);
    expect(r.code).toBe(1);
    expect(r.out.startsWith('INVALID\n\n- record[0]: missing required field: timestamp\n')).toBe(true);
    r = cli(['validate-gateway-event', '--input', join(dir, 'absent.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('absent.jsonl');
    r = cli(['validate-gateway-event', '--input', file('broken.jsonl', '{"a": 1}\n{nope\n')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/broken\.jsonl:2/);
  });

  it('the reference fixture of the original validates', () => {
    const r = cli(['validate-gateway-event', '--input', fileURLToPath(REFERENCE_FIXTURE)]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('records: 1');
  });

  it('--input names bad lines and runs nothing', () => {
    const input = file('mixed.jsonl', [
      JSON.stringify({ actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {} }),
      '{not json',
      JSON.stringify({ actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: [] }),
      JSON.stringify({ actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {}, extra: 1 }),
    ].join('\n'));
    const r = cli(['export-all', '--input', input]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('mixed.jsonl:2: not JSON');
    expect(r.err).toContain('mixed.jsonl:3: payload');
    expect(r.err).toContain('mixed.jsonl:4: unknown field(s): extra');
    expect(r.err).not.toContain('mixed.jsonl:1');
  });
});

describe('export-all --input … --hops 3 over every family, mode and coffee condition', () => {
  const base = { authority_ref: 'sam:test' };
  // [cap fields, expected root lane_class, coffee policy, receipt mode, follow-up intents at depth 1]
  const rows: [Record<string, unknown>, string, string, string, string[]][] = [
    [{ actor_id: 'codex.aint', intent: 'agent.tool.high', payload: { tool: 'search' } }, 'agent-high', 'sip_anyway', 'receipt', []],
    [{ actor_id: 'line-controller', intent: 'factory.motion.control', payload: { continuation_mode: 'continue' } }, 'industrial-control', 'sip_anyway', 'continue', ['factory.motion.control']],
    [{ actor_id: 'api-gateway', intent: 'service.rpc.standard', payload: { service: 'billing', continuation_mode: 'fork' } }, 'service-standard', 'sip_anyway', 'fork', ['service.rpc.standard.fork.alpha', 'service.rpc.standard.fork.beta']],
    [{ actor_id: 'r.aint', intent: 'agent.tool.high', payload: { continuation_mode: 'resume', sealed_at: ago(10) } }, 'agent-high', 'freeze_resume', 'freeze_resume', ['agent.tool.high.resume.frozen']],
    [{ actor_id: 'r.aint', intent: 'agent.tool.high', route_class: 'relay', payload: { continuation_mode: 'resume', sealed_at: ago(300) } }, 'agent-high', 'fork_on_hop_off', 'fork_on_hop_off', ['agent.tool.high.resume.catchup', 'agent.tool.high.resume.live']],
    [{ actor_id: 'r.aint', intent: 'misc.job', payload: { continuation_mode: 'resume', sealed_at: ago(7200) } }, 'standard', 'rebuild', 'rebuild', ['misc.job.resume.rebuild']],
    [{ actor_id: 'r.aint', intent: 'misc.job', payload: { continuation_mode: 'resume', sealed_at: ago(90000) } }, 'standard', 'hard_avoid', 'hard_avoid', []],
    [{ actor_id: 'stranger', intent: 'misc.job', payload: { continuation_mode: 'resume' } }, 'standard', 'polite_avoid', 'polite_avoid', []],
    [{ actor_id: 'r.aint', intent: 'misc.job', payload: { trust_score: 0.1 } }, 'standard', 'hard_avoid', 'hard_avoid', []], // the mux avoids it: not executed, no follow-up
    [{ actor_id: 'billing-service', intent: 'service.rpc.x', payload: { http_status: 503, continuation_mode: 'resume' } }, 'service-standard', 'offline_fallback', 'offline_fallback', ['service.rpc.x.resume.offline']],
    [{ actor_id: 'r.aint', intent: 'agent.x', payload: { continuation_mode: 'reject' } }, 'standard', 'sip_anyway', 'reject', ['agent.x.triage.reject']],
    [{ actor_id: 'r.aint', intent: 'agent.x', payload: { continuation_mode: 'resync-needed', recent_failures: 5 } }, 'standard', 'rebuild', 'resync-needed', ['agent.x.triage.resync']],
  ];
  const input = rows.map(([fields]) => JSON.stringify({ ...base, ...fields })).join('\n') + '\n';

  it('reports each root followed by its chain, with the spec values', () => {
    const r = cli(['export-all', '--input', '-', '--hops', '3'], input);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    const events = doc.gateway_events as any[];
    const docs = doc.cbom.documents as any[];
    expect(doc.cap_bus.result_count).toBe(events.length);
    let i = 0;
    for (const [fields, laneClass, coffee, mode, children] of rows) {
      const root = events[i]!;
      expect(root.intent).toBe(fields.intent);
      expect(root.parent_id).toBeNull();
      expect(root).toMatchObject({ lane_class: laneClass, coffee_lane_policy: coffee, status: mode === 'reject' ? 'rejected' : mode === 'resync-needed' ? 'resync-needed' : 'executed', verified: false, observation_layer: 'tibet-gateway', gateway_actor: 'jis:tibet-cap-bus', method: 'POST' });
      expect(docs[i].continuity.continuation_mode).toBe(mode);
      expect(docs[i].child_ids).toHaveLength(children.length);
      const kids = events.slice(i + 1, i + 1 + children.length);
      expect(kids.map((k) => k.intent)).toEqual(children);
      for (const k of kids) expect(k.parent_id).toBe(root.operation_id);
      // follow-ups ask for a plain receipt, so each chain is the root plus its children
      i += 1 + children.length;
    }
    expect(i).toBe(events.length);
    // As in the original, intents outside the agent/service/factory families with no model or
    // tool in the payload infer no provider or model, and the v1 contract requires both.
    const known = events.filter((e) => !e.intent.startsWith('misc.'));
    expect(cli(['validate-gateway-event', '--input', '-'], known.map((e) => JSON.stringify(e)).join('\n')).code).toBe(0);
    const misc = cli(['validate-gateway-event', '--input', '-'], JSON.stringify(events.find((e) => e.intent === 'misc.job')));
    expect(misc.code).toBe(1);
    expect(misc.out).toBe('INVALID\n\n- record[0]: required field is empty: provider\n- record[0]: required field is empty: model\n');
  });
});
