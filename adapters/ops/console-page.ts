/**
 * The live console: one static page, no build step. It listens to `/events` (server-sent events,
 * one `state` event per change) and redraws four panels. Text from the bus is set with
 * textContent; the chain picture is SVG drawn (and escaped) by the graph module on the server.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tibet-cap-bus console</title>
<link rel="icon" href="data:,">
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2329; }
  header { background: #263238; color: #fff; padding: .6rem 1rem; display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header span { font-size: .85rem; opacity: .85; }
  .ok { color: #a5d6a7; } .bad { color: #ef9a9a; }
  main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; padding: 1rem; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .6rem .8rem; overflow: auto; }
  h2 { font-size: .95rem; margin: .2rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; font-size: .8rem; }
  th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
  th { color: #607080; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .rejected, .blocked { color: #c62828; } .resync-needed, .avoided { color: #ef6c00; } .executed, .allowed { color: #2e7d32; }
  .empty { color: #8a96a3; font-style: italic; font-size: .85rem; }
  #chains svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<header>
  <h1>tibet-cap-bus</h1>
  <span id="worker">connecting…</span>
  <span id="nats"></span>
  <span id="counts"></span>
</header>
<main>
  <section><h2>Lanes</h2><table id="lanes"><thead><tr><th>lane</th><th>class</th><th>prio</th><th>running</th><th>queued</th><th>burst</th><th>collision</th><th>coffee</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Mux decisions (latest first)</h2><table id="decisions"><thead><tr><th>cap</th><th>actor</th><th>lane</th><th>decision</th><th>outcome</th><th>rank</th><th>enq/start/fin</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Twin devices</h2><table id="twins"><thead><tr><th>device</th><th>last intent</th><th>decision</th><th>reason</th><th>checked at</th></tr></thead><tbody></tbody></table></section>
  <section><h2 id="chains-title">Recent chains</h2><div id="chains"></div></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function fill(tableId, rows, cells, emptyText) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    const td = body.insertRow().insertCell();
    td.colSpan = $(tableId).tHead.rows[0].cells.length;
    td.className = "empty";
    td.textContent = emptyText;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [text, cls] of cells(row)) {
      const td = tr.insertCell();
      td.textContent = text;
      if (cls) td.className = cls;
    }
  }
}
function render(s) {
  $("worker").textContent = "worker " + (s.worker ?? "(starting)");
  $("nats").textContent = s.connected ? "NATS connected" : "NATS disconnected";
  $("nats").className = s.connected ? "ok" : "bad";
  const refusals = Object.values(s.stats.refusals).reduce((a, b) => a + b, 0);
  $("counts").textContent = "executed " + s.stats.caps.executed + " · rejected " + s.stats.caps.rejected + " · resync-needed " + s.stats.caps["resync-needed"] + " · refused " + refusals +
    (s.stats.average_processing_ms === null ? "" : " · avg " + s.stats.average_processing_ms.toFixed(2) + " ms");
  fill("lanes", s.lanes, (l) => [[l.lane_id], [l.lane_class], [String(l.priority), "num"], [String(l.running), "num"], [String(l.queued), "num"], [String(l.burst_limit), "num"], [l.lane_collision_policy], [l.coffee_lane_policy]], "no caps yet");
  fill("decisions", s.decisions, (d) => [[d.cap_id], [d.actor_id], [d.lane_id], [d.decision, d.decision], [d.outcome, d.outcome], [String(d.causal_rank), "num"], [d.enqueued_seq + "/" + (d.started_seq ?? "–") + "/" + d.finished_seq, "num"]], "no decisions yet");
  if (s.twins === null) fill("twins", [], () => [], "no twin guard on this worker (serve --twin-devices FILE)");
  else fill("twins", s.twins, (t) => t.last_decision
    ? [[t.device_id], [t.last_decision.intent], [t.last_decision.allowed ? "allowed" : "blocked", t.last_decision.allowed ? "allowed" : "blocked"], [t.last_decision.reason], [t.last_decision.checked_at]]
    : [[t.device_id], ["–"], ["no decision yet"], [""], [""]], "no devices registered");
  $("chains-title").textContent = "Recent chains (" + s.chain_caps + " caps)";
  $("chains").innerHTML = s.chain_caps === 0 ? '<p class="empty">no caps yet</p>' : s.chains_svg;
}
const events = new EventSource("events");
events.addEventListener("state", (e) => render(JSON.parse(e.data)));
events.addEventListener("error", () => { $("nats").textContent = "console disconnected, retrying…"; $("nats").className = "bad"; });
</script>
</body>
</html>
`;
