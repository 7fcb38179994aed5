import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Golden outputs of the CLI (issue 16): every command runs as a whole process on fixed inputs and
 * its exit code, stdout, stderr (and any file it writes) must match what was recorded before the
 * restructure, byte for byte except for the narrow masks below.
 * `UPDATE_GOLDEN=1 npx vitest run test/cli-golden.test.ts` rewrites test/golden/.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const GOLDEN = new URL('./golden/', import.meta.url).pathname;
const FIX = (name: string) => join(ROOT, 'fixtures', name);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
// every process runs in this directory, so files made here are named without a path
const dir = mkdtempSync(join(tmpdir(), 'capbus-golden-'));
const started = Date.now();

// ---- masks: only what differs between runs ----------------------------------------------------

const vector = JSON.parse(readFileSync(FIX('seal-vector.json'), 'utf8'));
/** Values fixed by the fixtures: deterministic, so they stay visible wherever they appear. */
const KEEP = new Set<string>([vector.cap.cap_id, vector.content_hash, vector.public_key]);

/** Replaces each distinct match with `<tag N>` in order of first appearance, so equal values stay visibly equal. */
function numbered(text: string, pattern: RegExp, tag: string): string {
  const seen = new Map<string, number>();
  return text.replace(pattern, (match, prefix: string) => {
    if (KEEP.has(match)) return match;
    if (!seen.has(match)) seen.set(match, seen.size + 1);
    return `${prefix}<${tag}${seen.get(match)}>`;
  });
}

/** ISO timestamps from the clock of this run (now, or sealed_at a few seconds/hours ago); fixed dates elsewhere stay. */
function maskClockTimes(text: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z\b/g, (iso) => {
    const t = Date.parse(iso);
    return t > started - 2 * 86_400_000 && t < Date.now() + 3_600_000 ? '<now>' : iso;
  });
}

/** Ages (s) the inputs are sealed at; the measured time_diff_seconds lands just above one, by however long the run took. */
const NOMINAL_AGES = [7200, 300, 15]; // largest first: an age maps to the largest nominal at or below it
function maskMeasuredAges(text: string): string {
  return text.replace(/(time_diff_seconds(?:": ?|=))(\d+(?:\.\d+)?)/g, (whole, key: string, value: string) => {
    const nominal = NOMINAL_AGES.find((n) => Number(value) >= n && Number(value) < n + 600);
    return nominal === undefined ? whole : `${key}~${nominal}`;
  });
}

function mask(text: string): string {
  let t = text.split(dir).join('<tmp>').split(ROOT).join('<repo>/');
  t = numbered(t, /\b(cap_|receipt_|evt_)[0-9a-f]{16}\b/g, 'id'); // random 16-hex id suffixes
  t = numbered(t, /\b(sha256:)[0-9a-f]{64}\b/g, 'h'); // hashes over records holding those ids and times
  t = numbered(t, /\b(ed25519:)[0-9a-f]{64}\b/g, 'k'); // keys from keygen and the per-run bus key
  t = maskClockTimes(t);
  t = t.replace(/("(?:cose|cbor)": ")[A-Za-z0-9+/]+={0,2}"/g, '$1<base64>"'); // sealed bytes of those records
  t = maskMeasuredAges(t);
  t = t.replace(/("latency_ms": ?)\d+(?:\.\d+)?(?:e-?\d+)?/g, '$1<ms>'); // measured executor time
  return t;
}

// ---- inputs ------------------------------------------------------------------------------------

const capLine = (fields: Record<string, unknown>) => JSON.stringify({ authority_ref: 'sam:golden', payload: {}, ...fields });
const agoIso = (s: number) => new Date(Date.now() - s * 1000).toISOString();

/** One root per family and continuation mode; made when used, so sealed_at ages stay near their nominal values. */
const mixed = () => [
  capLine({ actor_id: 'codex.aint', intent: 'agent.tool.high', payload: { tool: 'search' } }),
  capLine({ actor_id: 'line-controller', intent: 'factory.motion.control', payload: { continuation_mode: 'continue' } }),
  capLine({ actor_id: 'api-gateway', intent: 'service.rpc.standard', payload: { service: 'billing', continuation_mode: 'fork' } }),
  capLine({ actor_id: 'r.aint', intent: 'agent.tool.high', route_class: 'relay', payload: { continuation_mode: 'resume', sealed_at: agoIso(300) } }),
  capLine({ actor_id: 'r.aint', intent: 'misc.job', payload: { continuation_mode: 'resume', sealed_at: agoIso(7200) } }),
  capLine({ actor_id: 'billing-service', intent: 'service.rpc.x', payload: { http_status: 503, continuation_mode: 'resume' } }),
  capLine({ actor_id: 'r.aint', intent: 'agent.x', payload: { continuation_mode: 'reject' } }),
].join('\n') + '\n';

const twinState = (side: 'physical' | 'virtual', temp: number, at: string) =>
  capLine({
    actor_id: side === 'physical' ? 'hvac-1.plc.aint' : 'bms-twin.aint',
    intent: `twin.state.${side}`,
    authority_ref: 'sam:twin',
    payload: { device_id: 'hvac-1', timestamp: at, values: { temp_c: temp }, status: 'operational' },
  });
const twinCommand = capLine({ actor_id: 'bms-controller', intent: 'factory.hvac.setpoint', authority_ref: 'sam:ctl', payload: { device_id: 'hvac-1', setpoint_c: 21 } });
const twinInput = (physicalTemp: number, at = new Date().toISOString()) =>
  [twinState('physical', physicalTemp, at), twinState('virtual', 21, at), twinCommand, ''].join('\n');

/** Input files, rewritten before each stage: the twin states must be fresher than the profile's max state age. */
const files = (): Record<string, string> => ({
  'caps.jsonl': mixed(),
  'alice-cap.json': JSON.stringify({ actor_id: 'alice.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search', continuation_mode: 'fork' } }),
  'vector.key': JSON.stringify({ public_key: vector.public_key, secret_key: vector.seed_hex, actor: 'codex.aint' }),
  'vector-cap.json': JSON.stringify(vector.cap),
  'devices.json': JSON.stringify([{ device_id: 'hvac-1', profile: 'building', tolerances: { temp_c: 0.5 }, physical_actor: 'hvac-1.plc.aint', twin_actor: 'bms-twin.aint' }]),
  'bad-devices.json': JSON.stringify([{ device_id: 'x', profile: 'moon' }]),
  'invalid-event.jsonl': JSON.stringify({ event_id: 'e', observation_layer: 'nope' }) + '\n',
  'broken.jsonl': '{"a": 1}\n{nope\n',
  'mixed-bad.jsonl': [
    capLine({ actor_id: 'a.aint', intent: 'agent.x' }),
    '{not json',
    capLine({ actor_id: 'a.aint', intent: 'agent.x', payload: [] }),
    capLine({ actor_id: 'a.aint', intent: 'agent.x', extra: 1 }),
  ].join('\n'),
  'bad-ring.json': JSON.stringify({ actors: { a: ['nope'] } }),
  'not-a-cap.json': '[1, 2]',
});

// ---- cases -------------------------------------------------------------------------------------

interface Case {
  name: string;
  args: string[];
  stdin?: string | (() => string);
  /** stdin taken from a file in the temp dir, made by an earlier stage */
  stdinFile?: string;
  /** save the raw stdout in the temp dir under this name (for later stages) */
  saveAs?: string;
  /** files the command writes in the temp dir, recorded after its output */
  writes?: string[];
  /**
   * the caps do simulated work on real timers (payload.duration_ms), so the order they finish in
   * varies, and with it when queued caps start: the schedule trace (written as caps finish) is
   * recorded sorted by enqueued_seq, started_seq and finished_seq masked (decisions stay visible)
   */
  timedWork?: boolean;
}

const c = (name: string, args: string[], more: Omit<Case, 'name' | 'args'> = {}): Case => ({ name, args, ...more });
const COMMANDS = ['demo', 'trace', 'chain', 'triage', 'resume', 'emit', 'gateway-export', 'governance-export', 'cbom-export', 'export-all',
  'validate-gateway-event', 'keygen', 'seal', 'verify', 'twin', 'serve', 'tail'];
const SOURCES = ['demo', 'chain', 'triage', 'resume'];
const CONTENTION = FIX('contention.jsonl');
const RING = ['--keyring', 'ring.json', '--bus-key', 'bus.key'];

/** Stages run in order; the cases of one stage run in parallel and only use files of earlier stages. */
const STAGES: Case[][] = [
  [
    c('version', ['--version']),
    c('help', ['--help']),
    c('no-command', []),
    ...COMMANDS.map((cmd) => c(`help-${cmd}`, [cmd, '--help'])),
    ...['demo', 'profiles', 'info'].map((sub) => c(`help-twin-${sub}`, ['twin', sub, '--help'])),

    c('demo', ['demo']),
    c('demo-json', ['demo', '--json']),
    c('demo-require-seal', ['demo', '--require-seal']),
    c('demo-schedule-trace', ['demo', '--schedule-trace', 'demo-schedule.jsonl'], { writes: ['demo-schedule.jsonl'] }),
    c('trace', ['trace']),
    c('trace-json', ['trace', '--json']),
    c('trace-source-resume-hops-1', ['trace', '--source', 'resume', '--hops', '1']),
    c('trace-input-contention-hops-2-schedule', ['trace', '--hops', '2', '--input', CONTENTION, '--schedule-trace', 'contention-schedule.jsonl'], { writes: ['contention-schedule.jsonl'], timedWork: true }),
    c('trace-input-stdin', ['trace', '--input', '-', '--hops', '3'], { stdin: mixed }),
    c('chain', ['chain']),
    c('chain-json', ['chain', '--json']),
    c('chain-hops-1', ['chain', '--hops', '1']),
    c('triage', ['triage']),
    c('triage-json', ['triage', '--json']),
    c('resume', ['resume']),
    c('resume-json', ['resume', '--json']),

    c('emit-fork-hops-2', ['emit', '--actor', 'codex.aint', '--intent', 'agent.tool.high', '--payload', '{"tool":"search"}', '--continuation-mode', 'fork', '--hops', '2']),
    c('emit-all-cap-flags', ['emit', '--actor', 'ops-bot', '--intent', 'service.rpc.standard', '--authority', 'sam:ops', '--payload', '{"service":"billing"}',
      '--actor-aint', 'ops.aint', '--executor-class', 'service', '--route-class', 'relay', '--lane-hint', 'lane:custom:service',
      '--parent-id', 'cap_00000000000000aa', '--attestation-layer', 'none', '--attestation-ref', 'attest:manual']),
    c('emit-resume-stale', ['emit', '--actor', 'r.aint', '--intent', 'misc.job', '--payload', JSON.stringify({ sealed_at: agoIso(7200) }), '--continuation-mode', 'resume', '--hops', '2']),
    c('emit-require-seal-unsealed', ['emit', '--actor', 'a.aint', '--intent', 'agent.tool.high', '--require-seal', '--hops', '2']),
    c('emit-twin-devices-no-state', ['emit', '--actor', 'bms-controller', '--intent', 'factory.hvac.setpoint', '--payload', '{"device_id":"hvac-1"}', '--twin-devices', 'devices.json', '--hops', '2']),

    ...SOURCES.map((s) => c(`gateway-export-source-${s}`, ['gateway-export', '--source', s], s === 'triage' ? { saveAs: 'triage-events.jsonl' } : {})),
    c('gateway-export-json', ['gateway-export', '--json']),
    c('gateway-export-chain-hops-1-json', ['gateway-export', '--source', 'chain', '--hops', '1', '--json']),
    c('gateway-export-input-contention-hops-2', ['gateway-export', '--input', CONTENTION, '--hops', '2']),
    c('gateway-export-input-stdin-hops-3', ['gateway-export', '--input', '-', '--hops', '3'], { stdin: mixed }),
    c('gateway-export-input-file-save', ['gateway-export', '--input', 'caps.jsonl', '--hops', '2'], { saveAs: 'caps-events.jsonl' }),
    c('governance-export', ['governance-export']),
    c('governance-export-source-triage', ['governance-export', '--source', 'triage']),
    c('governance-export-input-contention', ['governance-export', '--input', CONTENTION]),
    c('governance-export-input-stdin-hops-2', ['governance-export', '--input', '-', '--hops', '2'], { stdin: mixed }),
    c('cbom-export', ['cbom-export']),
    c('cbom-export-source-chain', ['cbom-export', '--source', 'chain']),
    c('cbom-export-resume-hops-1', ['cbom-export', '--source', 'resume', '--hops', '1']),
    c('cbom-export-input-contention-hops-2', ['cbom-export', '--input', CONTENTION, '--hops', '2']),
    c('export-all', ['export-all']),
    c('export-all-source-resume', ['export-all', '--source', 'resume']),
    c('export-all-source-triage', ['export-all', '--source', 'triage']),
    c('export-all-chain-hops-2', ['export-all', '--source', 'chain', '--hops', '2']),
    c('export-all-input-contention', ['export-all', '--input', CONTENTION]),
    c('export-all-input-file-hops-3', ['export-all', '--input', 'caps.jsonl', '--hops', '3']),
    c('export-all-twin-out-of-sync', ['export-all', '--input', '-', '--hops', '2', '--twin-devices', 'devices.json'], { stdin: () => twinInput(24) }),
    c('export-all-twin-in-sync', ['export-all', '--input', '-', '--hops', '2', '--twin-devices', 'devices.json'], { stdin: () => twinInput(21.2) }),
    c('demo-twin-devices', ['demo', '--twin-devices', 'devices.json']),

    ...['chain', 'resume', 'triage'].map((f) =>
      c(`validate-fixture-${f}`, ['validate-gateway-event', '--input', FIX(`gateway-event.${f}.example.json`)])),
    c('validate-source-demo', ['validate-gateway-event']),
    c('validate-invalid', ['validate-gateway-event', '--input', 'invalid-event.jsonl']),
    c('validate-missing-file', ['validate-gateway-event', '--input', 'absent.jsonl']),
    c('validate-broken-jsonl', ['validate-gateway-event', '--input', 'broken.jsonl']),
    c('validate-stdin-empty', ['validate-gateway-event', '--input', '-'], { stdin: '' }),

    c('keygen-alice', ['keygen', '--out', 'alice.key', '--actor', 'alice.aint']),
    c('keygen-bus', ['keygen', '--out', 'bus.key']),
    c('keygen-mallory', ['keygen', '--out', 'mallory.key', '--actor', 'mallory.aint']),
    c('keygen-no-out', ['keygen']),
    c('seal-vector-base64', ['seal', '--key', 'vector.key', '--input', 'vector-cap.json', '--base64'], { saveAs: 'vector.b64' }),
    c('seal-vector-raw-out', ['seal', '--key', 'vector.key', '--input', 'vector-cap.json', '--out', 'vector.cose']),
    c('seal-missing-key', ['seal', '--key', 'absent.key', '--input', 'vector-cap.json']),
    c('seal-no-key', ['seal', '--input', 'vector-cap.json']),
    c('verify-missing-file', ['verify', 'absent.cose']),
    c('verify-no-paths', ['verify']),

    c('twin-demo', ['twin', 'demo']),
    c('twin-profiles', ['twin', 'profiles']),
    c('twin-profiles-json', ['twin', 'profiles', '--json']),
    c('twin-info', ['twin', 'info']),
    c('twin-info-devices', ['twin', 'info', '--twin-devices', 'devices.json']),
    c('twin-no-subcommand', ['twin']),

    c('bad-unknown-command', ['nonsense']),
    c('bad-unknown-flag', ['demo', '--bogus']),
    c('bad-hops-0', ['chain', '--hops', '0']),
    c('bad-hops-text', ['export-all', '--hops', 'many']),
    c('bad-source', ['gateway-export', '--source', 'nope']),
    c('bad-input-lines', ['export-all', '--input', 'mixed-bad.jsonl']),
    c('bad-input-missing-file', ['gateway-export', '--input', 'absent.jsonl']),
    c('bad-input-stdin-not-json', ['governance-export', '--input', '-'], { stdin: '{"actor_id": \n' }),
    c('bad-keyring', ['demo', '--keyring', 'bad-ring.json']),
    c('bad-keyring-missing', ['demo', '--keyring', 'absent-ring.json']),
    c('bad-twin-devices', ['demo', '--twin-devices', 'bad-devices.json']),
    c('bad-emit-intent', ['emit', '--actor', 'a', '--intent', 'agent..x']),
    c('bad-emit-payload', ['emit', '--actor', 'a', '--intent', 'a.b', '--payload', '[1]']),
    c('bad-emit-nats-flags-without-nats', ['emit', '--actor', 'a', '--intent', 'a.b', '--token', 't', '--tls-ca', 'ca.pem']),
    c('bad-emit-missing-actor', ['emit', '--intent', 'a.b']),
    c('bad-serve-max-hops', ['serve', '--max-hops', '0']),
    c('bad-tail-count', ['tail', '--count', 'x']),
    c('bad-seal-not-a-cap', ['seal', '--key', 'vector.key', '--input', 'not-a-cap.json']),
  ],
  [
    c('keygen-exists', ['keygen', '--out', 'alice.key']),
    c('keygen-force', ['keygen', '--out', 'bus.key', '--actor', 'bus', '--force']),
    c('seal-alice', ['seal', '--key', 'alice.key', '--input', 'alice-cap.json', '--base64', '--out', 'alice.b64']),
    c('seal-mallory', ['seal', '--key', 'mallory.key', '--base64', '--out', 'mallory.b64'], { stdinFile: 'alice-cap.json' }),
    c('verify-vector-base64', ['verify', 'vector.b64']),
    c('verify-vector-raw', ['verify', 'vector.cose']),
    c('validate-stdin-from-gateway-export', ['validate-gateway-event', '--input', '-'], { stdinFile: 'triage-events.jsonl' }),
    c('validate-stdin-misc-provider', ['validate-gateway-event', '--input', '-'], { stdinFile: 'caps-events.jsonl' }),
    c('emit-key-self-signed', ['emit', '--actor', 'codex.aint', '--intent', 'agent.tool.high', '--attestation-layer', 'self-signed', '--key', 'vector.key', '--payload', '{"tool":"search"}']),
  ],
  [
    c('verify-alice-no-keyring', ['verify', 'alice.b64']),
    c('verify-alice-keyring', ['verify', '--keyring', 'ring.json', 'alice.b64']),
    c('verify-mallory-keyring', ['verify', '--keyring', 'ring.json', 'mallory.b64']),
    c('emit-key-keyring-hops-2', ['emit', '--actor', 'alice.aint', '--intent', 'agent.tool.high', '--payload', '{"tool":"search"}', '--continuation-mode', 'fork', '--key', 'alice.key', '--hops', '2', ...RING]),
    c('emit-unbound-key-keyring', ['emit', '--actor', 'mallory.aint', '--intent', 'agent.tool.high', '--key', 'mallory.key', '--hops', '2', ...RING]),
    c('export-all-sealed-keyring', ['export-all', '--input', 'sealed.jsonl', '--hops', '3', ...RING], { saveAs: 'sealed-export.json' }),
    c('export-all-sealed-clean', ['export-all', '--input', 'sealed-clean.jsonl', '--hops', '2', ...RING], { saveAs: 'clean-export.json' }),
    c('gateway-export-require-seal', ['gateway-export', '--input', 'caps.jsonl', '--require-seal', '--hops', '2', ...RING]),
    c('gateway-export-sealed-keyring', ['gateway-export', '--input', 'sealed.jsonl', '--hops', '2', ...RING]),
  ],
  [
    c('verify-export-all', ['verify', '--keyring', 'ring.json', 'clean-export.json']),
    c('verify-export-all-refused-cap', ['verify', '--keyring', 'ring.json', 'sealed-export.json']),
    c('verify-export-all-tampered', ['verify', '--keyring', 'ring.json', 'tampered-export.json']),
    c('verify-several', ['verify', '--keyring', 'ring.json', 'clean-export.json', 'alice.b64', 'vector.cose', 'mallory.b64']),
  ],
];

/** Work between stages: files the next stage reads, made from what the last stage wrote. */
const BETWEEN: (() => void)[] = [
  () => {},
  () => {},
  () => {
    const key = (who: string) => JSON.parse(readFileSync(join(dir, `${who}.key`), 'utf8')).public_key;
    writeFileSync(join(dir, 'ring.json'), JSON.stringify({ actors: { 'alice.aint': [key('alice')], 'codex.aint': [vector.public_key] }, bus: key('bus') }));
    const sealed = (file: string) => JSON.stringify({ sealed: readFileSync(join(dir, file), 'utf8').trim() });
    const plain = capLine({ actor_id: 'plain.aint', intent: 'agent.x', payload: { continuation_mode: 'continue' } });
    writeFileSync(join(dir, 'sealed-clean.jsonl'), [sealed('alice.b64'), sealed('vector.b64'), plain, ''].join('\n'));
    writeFileSync(join(dir, 'sealed.jsonl'), [sealed('alice.b64'), sealed('vector.b64'), sealed('mallory.b64'), plain, ''].join('\n'));
  },
  () => {
    // one changed receipt hash: verify must name it
    const doc = JSON.parse(readFileSync(join(dir, 'clean-export.json'), 'utf8'));
    const hash: string = doc.sealed.receipts[0].content_hash;
    doc.sealed.receipts[0].content_hash = hash.slice(0, -1) + (hash.endsWith('0') ? '1' : '0');
    writeFileSync(join(dir, 'tampered-export.json'), JSON.stringify(doc, null, 2));
  },
];

// ---- running -----------------------------------------------------------------------------------

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: Buffer;
  err: Buffer;
}

function run(k: Case): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...k.args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out: Buffer.concat(out), err: Buffer.concat(err) }));
    child.stdin.end(k.stdinFile ? readFileSync(join(dir, k.stdinFile)) : typeof k.stdin === 'function' ? k.stdin() : (k.stdin ?? ''));
  });
}

/** At most this many processes at once: the machine is shared. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const quote = (arg: string) => (/^[\w@%+=:,./<>-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

function byEnqueue(trace: string): string {
  const lines = trace.split('\n').filter((line) => line !== '');
  const seq = (line: string) => Number(/"enqueued_seq":(\d+)/.exec(line)?.[1] ?? NaN);
  return lines.sort((a, b) => seq(a) - seq(b)).map((line) => line.replace(/("(?:started|finished)_seq":)\d+/g, '$1<seq>')).join('\n') + '\n';
}

function record(k: Case, r: Run): string {
  const parts = [
    `$ tibet-cap-bus ${k.args.map(quote).join(' ')}${k.stdin !== undefined ? ' (stdin: inline)' : k.stdinFile ? ` < ${k.stdinFile}` : ''}`,
    `exit: ${r.code ?? r.signal}`,
    '--- stdout',
    r.out.toString('utf8'),
    '--- stderr',
    r.err.toString('utf8'),
  ];
  for (const file of k.writes ?? []) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      text = '(not written)\n';
    }
    parts.push(`--- file ${file}`, k.timedWork ? byEnqueue(text) : text);
  }
  return mask(parts.join('\n'));
}

const CASES = STAGES.flat();
const actual = new Map<string, string>();

describe('CLI golden outputs (test/golden/)', () => {
  beforeAll(async () => {
    for (const [i, stage] of STAGES.entries()) {
      for (const [name, text] of Object.entries(files())) writeFileSync(join(dir, name), text);
      BETWEEN[i]!();
      const runs = await pool(stage, 4, run);
      stage.forEach((k, j) => {
        if (k.saveAs) writeFileSync(join(dir, k.saveAs), runs[j]!.out);
        actual.set(k.name, record(k, runs[j]!));
      });
    }
    if (UPDATE) {
      mkdirSync(GOLDEN, { recursive: true });
      for (const f of readdirSync(GOLDEN)) if (f.endsWith('.out') && !actual.has(f.slice(0, -4))) rmSync(join(GOLDEN, f));
      for (const [name, text] of actual) writeFileSync(join(GOLDEN, `${name}.out`), text);
    }
  }, 120_000);

  it('case names are unique and every golden file belongs to a case', () => {
    expect(new Set(CASES.map((k) => k.name)).size).toBe(CASES.length);
    const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.out')).map((f) => f.slice(0, -4));
    expect(files.filter((f) => !actual.has(f))).toEqual([]);
  });

  it.each(CASES.map((k) => k.name))('%s', (name) => {
    const expected = readFileSync(join(GOLDEN, `${name}.out`), 'utf8');
    expect(actual.get(name)).toBe(expected);
  });
});
