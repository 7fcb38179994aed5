import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capbus-twin-'));
const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const devices = join(dir, 'devices.json');
writeFileSync(devices, JSON.stringify([{ device_id: 'hvac-1', profile: 'building', tolerances: { temp_c: 0.5 }, physical_actor: 'hvac-1.plc.aint', twin_actor: 'bms-twin.aint' }]));

const state = (side: 'physical' | 'virtual', status: string, temp: number, ageMs = 0) =>
  JSON.stringify({
    actor_id: side === 'physical' ? 'hvac-1.plc.aint' : 'bms-twin.aint',
    intent: `twin.state.${side}`,
    authority_ref: 'sam:twin',
    payload: { device_id: 'hvac-1', timestamp: new Date(Date.now() - ageMs).toISOString(), values: { temp_c: temp }, status },
  });
const command = JSON.stringify({ actor_id: 'bms-controller', intent: 'factory.hvac.setpoint', authority_ref: 'sam:ctl', payload: { device_id: 'hvac-1', setpoint_c: 21 } });

describe('CLI with --twin-devices', () => {
  it('an out-of-sync device blocks the command into triage.resync; in sync it executes; export-all carries the audit', () => {
    const input = [state('physical', 'operational', 24), state('virtual', 'operational', 21), command, ''].join('\n');
    const r = cli(['export-all', '--input', '-', '--hops', '2', '--twin-devices', devices], input);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    const blocked = doc.cbom.documents.find((d: any) => d.human_name === 'factory.hvac.setpoint');
    expect(blocked.continuity).toMatchObject({ outcome: 'resync-needed', continuation_mode: 'resync-needed' });
    expect(doc.cbom.documents.map((d: any) => d.human_name)).toContain('factory.hvac.setpoint.triage.resync');
    const tokens = doc.twin_audit.tokens;
    expect(tokens).toHaveLength(1);
    expect(JSON.stringify(tokens[0])).toContain('values');

    const synced = [state('physical', 'operational', 21.2), state('virtual', 'operational', 21), command, ''].join('\n');
    const ok = JSON.parse(cli(['export-all', '--input', '-', '--hops', '2', '--twin-devices', devices], synced).out);
    const executed = ok.cbom.documents.find((d: any) => d.human_name === 'factory.hvac.setpoint');
    expect(executed.continuity.outcome).toBe('executed');
    expect(ok.twin_audit.status).toMatchObject({ checks: 1, allowed: 1, blocked: 0 });
  });

  it('a bad devices file is a usage error naming the file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ device_id: 'x', profile: 'moon' }]));
    const r = cli(['demo', '--twin-devices', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('bad.json');
    expect(r.err).toContain('profile');
  });

  it('twin demo, profiles and info', () => {
    const demo = cli(['twin', 'demo']);
    expect(demo.code).toBe(0);
    expect(demo.out).toMatch(/resync-needed factory\.crane\.motion\.move_left/);
    expect(demo.out).toMatch(/triage\.resync/);
    expect(demo.out).toMatch(/executed +factory\.crane\.motion\.move_left/);
    expect(JSON.parse(cli(['twin', 'profiles', '--json']).out)).toBeTruthy();
    expect(cli(['twin', 'info', '--twin-devices', devices]).out).toContain('hvac-1 (profile building)');
  });
});
