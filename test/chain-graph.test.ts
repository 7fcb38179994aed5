import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cbomDocument, type CbomObject } from '../src/exports/cbom.js';
import { chainGraph, layout, toDot, toHtml, toMermaid, toSvg } from '../src/exports/chain-graph.js';
import { mixedRun } from './tools/runs.js';
import { BIN } from './tools/nats-server.js';

const objectsOf = async () => cbomDocument(await mixedRun()).cbom.documents;

describe('chain graph', () => {
  it('roots, follow-ups with the continuation mode that spawned them, lanes, marked outcomes', async () => {
    const graph = chainGraph(await objectsOf());
    const byIntent = new Map(graph.nodes.map((n) => [n.intent, n]));
    // fork chain (3 hops: root, alpha, beta), reject chain (2 hops), resync (1 hop)
    expect(graph.nodes).toHaveLength(3 + 2 + 1);
    expect(graph.roots.map((id) => graph.nodes.find((n) => n.id === id)!.intent)).toEqual(['agent.plan', 'service.rpc.billing', 'factory.motion.control']);
    const edge = (to: string) => graph.edges.find((e) => e.to === byIntent.get(to)!.id)!;
    expect(edge('agent.plan.fork.alpha')).toMatchObject({ from: byIntent.get('agent.plan')!.id, mode: 'fork' });
    expect(edge('service.rpc.billing.triage.reject')).toMatchObject({ from: byIntent.get('service.rpc.billing')!.id, mode: 'reject' });
    expect(byIntent.get('service.rpc.billing')!.outcome).toBe('rejected');
    expect(byIntent.get('factory.motion.control')!.outcome).toBe('resync-needed');
    expect(graph.lanes).toContain('lane:triage.reject:service');
  });

  it('Mermaid: a subgraph per lane, labelled edges, rejected and resync classes', async () => {
    const text = toMermaid(chainGraph(await objectsOf()));
    expect(text.startsWith('flowchart TD\n')).toBe(true);
    expect(text).toMatch(/subgraph lane\d+\["lane:agent\.plan:agent-plan"\]/);
    expect(text.match(/-->\|fork\|/g)).toHaveLength(2);
    expect(text).toMatch(/-->\|reject\|/);
    expect(text).toMatch(/\]:::rejected\n/);
    expect(text).toMatch(/\]:::resync\n/);
    expect(text).toMatch(/classDef rejected /);
  });

  it('DOT: a filled cluster per lane, labelled edges, red and dashed orange pens', async () => {
    const text = toDot(chainGraph(await objectsOf()));
    expect(text).toMatch(/^digraph chains \{/);
    expect(text.match(/subgraph cluster_\d+ \{/g)!.length).toBe(chainGraph(await objectsOf()).lanes.length);
    expect(text).toMatch(/-> n\d+ \[label="fork"\];/);
    expect(text).toMatch(/REJECTED", color="#c62828", penwidth=3\]/);
    expect(text).toMatch(/RESYNC NEEDED", color="#ef6c00", penwidth=3, style="rounded,filled,dashed"\]/);
  });

  it('escapes what a sender controls (actor ids) in every format', async () => {
    const objects = await objectsOf();
    const evil = { ...objects[0]!, authority: { ...objects[0]!.authority, actor_id: 'x"]; <script>alert(1)</script> \\' } };
    const graph = chainGraph([evil, ...objects.slice(1)]);
    expect(toMermaid(graph)).not.toMatch(/<script|x"\]/);
    expect(toMermaid(graph)).toContain('x#34;]; #60;script#62;');
    expect(toDot(graph)).toContain('x\\"]; <script>alert(1)</script> \\\\');
    expect(toSvg(graph)).not.toContain('<script');
    expect(toSvg(graph)).toContain('x&#34;]; &#60;script&#62;');
  });

  it('a parent loop in a hand-made file is drawn, not followed for ever', async () => {
    const [a, b] = (await objectsOf()).slice(0, 2) as [CbomObject, CbomObject];
    const loop = [
      { ...a, parent_id: b.object_id },
      { ...b, parent_id: a.object_id },
    ];
    const graph = chainGraph(loop);
    expect(graph.roots).toEqual([]);
    const placed = layout(graph);
    expect([...placed.x.values()].every(Number.isFinite)).toBe(true);
    expect(toSvg(graph).match(/<g class="cap /g)).toHaveLength(2);
  });

  it('HTML is one self-contained page: inline SVG, no scripts, nothing fetched', async () => {
    const html = toHtml(chainGraph(await objectsOf()), 'run <1>');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>run &#60;1&#62;</title>');
    expect(html.match(/<g class="cap /g)).toHaveLength(6);
    expect(html).not.toMatch(/<script|<link|\bsrc=|href="http|url\(http|@import/i);
  });
});

describe('graph command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-graph-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  it('draws a run from --input with --hops, and the same chains from its export-all file', () => {
    const input = join(dir, 'caps.jsonl');
    writeFileSync(input, JSON.stringify({ actor_id: 'a.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'x', continuation_mode: 'fork' } }) + '\n');
    const drawn = cli('graph', '--input', input, '--hops', '2', '--format', 'dot');
    expect(drawn.status, drawn.stderr).toBe(0);
    expect(drawn.stdout.match(/\[label="fork"\]/g)).toHaveLength(2);

    const exported = cli('export-all', '--input', input, '--hops', '2');
    writeFileSync(join(dir, 'export.json'), exported.stdout);
    for (const format of ['mermaid', 'dot', 'html']) {
      const r = cli('graph', '--export', join(dir, 'export.json'), '--format', format);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('agent.tool.high.fork.alpha');
    }
  });

  it('bad input is a usage error naming the problem (exit 2)', () => {
    writeFileSync(join(dir, 'not.json'), '{');
    writeFileSync(join(dir, 'nocbom.json'), '{"gateway_events": []}');
    writeFileSync(join(dir, 'badcbom.json'), '{"cbom": {"document_type": "cap-bus-cbom-sketch", "documents": [{"object_id": 1}]}}');
    const cases: [string[], RegExp][] = [
      [['--export', join(dir, 'not.json')], /not\.json: not JSON/],
      [['--export', join(dir, 'nocbom.json')], /no "cbom" section/],
      [['--export', join(dir, 'badcbom.json')], /badcbom\.json: .*object_id/],
      [['--export', join(dir, 'missing.json')], /cannot read .*missing\.json: ENOENT/],
      [['--export', join(dir, 'not.json'), '--input', 'x'], /cannot be used with/],
      [['--format', 'svg'], /Allowed choices are mermaid, dot, html/],
    ];
    for (const [args, message] of cases) {
      const r = cli('graph', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
