import type { CbomObject } from './cbom.js';
import type { Outcome } from '../policy/continuation.js';

/**
 * Continuation chains as pictures: roots, follow-ups labelled with the continuation mode that
 * spawned them, lanes as clusters (Mermaid, DOT) or colours (SVG), rejected and resync-needed caps
 * marked. Built from CBOM objects, so a live run, an `export-all` file and the console draw alike.
 * Text generation only: no I/O, no runtime specifics.
 */

export interface ChainNode {
  id: string;
  intent: string;
  actor: string;
  lane_id: string;
  lane_class: string;
  outcome: Outcome;
  /** the mode of this cap's receipt: how its follow-ups continue */
  continuation_mode: string;
  causal_rank: number;
}

export interface ChainEdge {
  from: string;
  to: string;
  /** the parent receipt's continuation mode, which spawned `to` */
  mode: string;
}

export interface ChainGraph {
  nodes: ChainNode[];
  edges: ChainEdge[];
  /** caps whose parent is not in the graph (true roots, or the first cap seen of a chain) */
  roots: string[];
  /** every lane, in first-seen order; a lane's colour is its index here */
  lanes: string[];
}

export const GRAPH_FORMATS = ['mermaid', 'dot', 'html'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** What a marked outcome looks like: DOT/SVG stroke, dash, and the badge text. */
const MARKS: Readonly<Partial<Record<Outcome, { stroke: string; dashed: boolean; badge: string }>>> = {
  rejected: { stroke: '#c62828', dashed: false, badge: 'REJECTED' },
  'resync-needed': { stroke: '#ef6c00', dashed: true, badge: 'RESYNC NEEDED' },
};

/** Lane fill colours, reused in turn when there are more lanes. */
const LANE_COLOURS = ['#e3f2fd', '#e8f5e9', '#fff8e1', '#f3e5f5', '#e0f7fa', '#fbe9e7', '#f1f8e9', '#ede7f6'];

function laneColour(graph: Pick<ChainGraph, 'lanes'>, laneId: string): string {
  return LANE_COLOURS[Math.max(0, graph.lanes.indexOf(laneId)) % LANE_COLOURS.length]!;
}

/** The graph of a set of CBOM objects; a cap listed twice counts once (the first). */
export function chainGraph(objects: readonly CbomObject[]): ChainGraph {
  const nodes = new Map<string, ChainNode>();
  const parents = new Map<string, string | null>();
  for (const o of objects) {
    if (nodes.has(o.object_id)) continue;
    nodes.set(o.object_id, {
      id: o.object_id,
      intent: o.material_facts.intent,
      actor: o.authority.actor_id,
      lane_id: o.canonical_surface,
      lane_class: o.material_facts.lane_policy.lane_class,
      outcome: o.continuity.outcome,
      continuation_mode: o.continuity.continuation_mode,
      causal_rank: o.material_facts.causal_rank,
    });
    parents.set(o.object_id, o.parent_id);
  }
  const edges: ChainEdge[] = [];
  const roots: string[] = [];
  for (const [id, parentId] of parents) {
    const parent = parentId === null ? undefined : nodes.get(parentId);
    if (parent) edges.push({ from: parent.id, to: id, mode: parent.continuation_mode });
    else roots.push(id);
  }
  const lanes = [...new Set([...nodes.values()].map((n) => n.lane_id))];
  return { nodes: [...nodes.values()], edges, roots, lanes };
}

export function renderGraph(graph: ChainGraph, format: GraphFormat, title = 'tibet-cap-bus chains'): string {
  if (format === 'mermaid') return toMermaid(graph);
  if (format === 'dot') return toDot(graph);
  return toHtml(graph, title);
}

/** Short ids for the text formats: cap ids are safe, but lanes are not, and short is easier to read. */
function ids(graph: ChainGraph): Map<string, string> {
  return new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
}

const nodeLines = (n: ChainNode) => [n.intent, `${n.actor} · ${n.id}`, ...(MARKS[n.outcome] ? [MARKS[n.outcome]!.badge] : [])];

/** Mermaid flowchart: one subgraph per lane; marked outcomes by class. */
export function toMermaid(graph: ChainGraph): string {
  const id = ids(graph);
  // Mermaid reads quotes and markup inside labels: entity-code them
  const text = (s: string) => s.replace(/[&"<>#]/g, (c) => `#${c.charCodeAt(0)};`);
  const out = ['flowchart TD'];
  graph.lanes.forEach((lane, i) => {
    out.push(`  subgraph lane${i}["${text(lane)}"]`);
    for (const n of graph.nodes.filter((node) => node.lane_id === lane)) {
      const mark = n.outcome === 'rejected' ? ':::rejected' : n.outcome === 'resync-needed' ? ':::resync' : '';
      out.push(`    ${id.get(n.id)}["${nodeLines(n).map(text).join('<br/>')}"]${mark}`);
    }
    out.push('  end');
    out.push(`  style lane${i} fill:${laneColour(graph, lane)}`);
  });
  for (const e of graph.edges) out.push(`  ${id.get(e.from)} -->|${text(e.mode)}| ${id.get(e.to)}`);
  out.push(`  classDef rejected stroke:${MARKS.rejected!.stroke},stroke-width:3px`);
  out.push(`  classDef resync stroke:${MARKS['resync-needed']!.stroke},stroke-width:3px,stroke-dasharray:5 3`);
  return out.join('\n') + '\n';
}

/** Graphviz DOT: one cluster per lane, filled with the lane's colour; marked outcomes by pen. */
export function toDot(graph: ChainGraph): string {
  const id = ids(graph);
  const q = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
  const out = ['digraph chains {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="sans-serif"];', '  edge [fontname="sans-serif"];'];
  graph.lanes.forEach((lane, i) => {
    out.push(`  subgraph cluster_${i} {`, `    label=${q(lane)};`, '    style=filled;', `    fillcolor=${q(laneColour(graph, lane))};`);
    for (const n of graph.nodes.filter((node) => node.lane_id === lane)) {
      const mark = MARKS[n.outcome];
      const pen = mark ? `, color=${q(mark.stroke)}, penwidth=3${mark.dashed ? ', style="rounded,filled,dashed"' : ''}` : '';
      out.push(`    ${id.get(n.id)} [label=${q(nodeLines(n).join('\n'))}${pen}];`);
    }
    out.push('  }');
  });
  for (const e of graph.edges) out.push(`  ${id.get(e.from)} -> ${id.get(e.to)} [label=${q(e.mode)}];`);
  out.push('}');
  return out.join('\n') + '\n';
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const BOX = { w: 240, h: 58, gapX: 28, gapY: 56, pad: 16 };

/**
 * Positions: each chain a tidy tree (leaves side by side, a parent centred over its children),
 * chains left to right, depth top to bottom.
 */
export function layout(graph: ChainGraph): { x: Map<string, number>; y: Map<string, number>; width: number; height: number } {
  const children = new Map<string, string[]>();
  for (const e of graph.edges) children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
  const x = new Map<string, number>();
  const y = new Map<string, number>();
  let slot = 0;
  let depthMax = 0;
  const place = (nodeId: string, depth: number): number => {
    depthMax = Math.max(depthMax, depth);
    y.set(nodeId, depth);
    x.set(nodeId, Number.NaN); // placed: a parent loop in a hand-made file must not recurse for ever
    const xs = (children.get(nodeId) ?? []).filter((kid) => !x.has(kid)).map((kid) => place(kid, depth + 1));
    const at = xs.length > 0 ? (xs[0]! + xs[xs.length - 1]!) / 2 : slot++;
    x.set(nodeId, at);
    return at;
  };
  for (const root of graph.roots) place(root, 0);
  // caps on a parent loop have no root: each loop starts where it is first listed
  for (const n of graph.nodes) if (!x.has(n.id)) place(n.id, 0);
  return { x, y, width: Math.max(1, slot), height: graph.nodes.length > 0 ? depthMax + 1 : 0 };
}

/** One SVG picture of the graph (lanes as fill colours, with a legend). */
export function toSvg(graph: ChainGraph): string {
  const { x, y, width, height } = layout(graph);
  const px = (id: string) => BOX.pad + x.get(id)! * (BOX.w + BOX.gapX);
  const py = (id: string) => BOX.pad + y.get(id)! * (BOX.h + BOX.gapY);
  const legendTop = BOX.pad + height * (BOX.h + BOX.gapY);
  const w = Math.max(BOX.pad * 2 + width * (BOX.w + BOX.gapX) - BOX.gapX, 420);
  const h = legendTop + 22 * graph.lanes.length + BOX.pad;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chain-graph" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
  ];
  for (const e of graph.edges) {
    const [x1, y1, x2, y2] = [px(e.from) + BOX.w / 2, py(e.from) + BOX.h, px(e.to) + BOX.w / 2, py(e.to)];
    out.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>`);
    out.push(`<text x="${(x1 + x2) / 2 + 4}" y="${(y1 + y2) / 2 + 4}" fill="#333" font-style="italic">${escapeXml(e.mode)}</text>`);
  }
  for (const n of graph.nodes) {
    const mark = MARKS[n.outcome];
    const stroke = mark ? `stroke="${mark.stroke}" stroke-width="3"${mark.dashed ? ' stroke-dasharray="6 3"' : ''}` : 'stroke="#607d8b" stroke-width="1"';
    const [bx, by] = [px(n.id), py(n.id)];
    out.push(`<g class="cap ${escapeXml(n.outcome)}" data-cap-id="${escapeXml(n.id)}">`);
    out.push(`<title>${escapeXml(`${n.id} ${n.intent} (${n.actor}) lane ${n.lane_id}, ${n.outcome}, mode ${n.continuation_mode}, rank ${n.causal_rank}`)}</title>`);
    out.push(`<rect x="${bx}" y="${by}" width="${BOX.w}" height="${BOX.h}" rx="8" fill="${laneColour(graph, n.lane_id)}" ${stroke}/>`);
    out.push(`<text x="${bx + 10}" y="${by + 18}" font-weight="bold">${escapeXml(clip(n.intent, 32))}</text>`);
    out.push(`<text x="${bx + 10}" y="${by + 34}" fill="#444">${escapeXml(clip(`${n.actor} · ${n.id}`, 38))}</text>`);
    out.push(`<text x="${bx + 10}" y="${by + 50}" fill="${mark?.stroke ?? '#2e7d32'}" font-size="11">${escapeXml(mark?.badge ?? n.outcome)}</text>`);
    out.push('</g>');
  }
  graph.lanes.forEach((lane, i) => {
    const ly = legendTop + 22 * i;
    out.push(`<rect x="${BOX.pad}" y="${ly}" width="14" height="14" fill="${laneColour(graph, lane)}" stroke="#607d8b"/>`);
    out.push(`<text x="${BOX.pad + 20}" y="${ly + 12}">${escapeXml(lane)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max - 1) + '…' : s);

/** One self-contained page (inline SVG and CSS, no scripts, nothing fetched): renders offline. */
export function toHtml(graph: ChainGraph, title: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    '<style>body{font-family:sans-serif;margin:1.5rem;color:#222}svg{max-width:100%;height:auto}p{color:#555}</style>',
    '</head><body>',
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${graph.nodes.length} caps in ${graph.roots.length} chains over ${graph.lanes.length} lanes; arrows carry the continuation mode that spawned the follow-up; red: rejected, orange dashed: resync needed.</p>`,
    toSvg(graph),
    '</body></html>',
    '',
  ].join('\n');
}
