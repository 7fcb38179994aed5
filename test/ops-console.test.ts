import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCapBus, type CapBusClient } from '../adapters/nats/index.js';
import { BIN, freePort, skipNats, spawnWorker, startNatsServer, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';

/**
 * The live console in a real headless browser: Debian's chromium (installed by .ci/run) driven
 * by playwright-core. Without chromium the suite skips, except in CI, where it fails.
 */

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
const skipBrowser = (CHROMIUM === undefined || skipNats) && process.env.CI !== 'true';
/** Where the test writes its screenshot (for the test log; README's docs/console.png is a copy). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '.test-output');

/** A fresh headless chromium: no network services of its own, a throwaway profile. */
async function launch(profile: string): Promise<BrowserContext> {
  if (CHROMIUM === undefined) throw new Error('chromium is not installed (CI installs it with apt-get in .ci/run)');
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 960 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe.skipIf(skipBrowser)('live console in headless chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-console-'));
  let server: NatsServer;
  let worker: SpawnedWorker;
  let client: CapBusClient;
  let context: BrowserContext;
  let url: string;

  beforeAll(async () => {
    const devices = join(dir, 'devices.json');
    writeFileSync(devices, JSON.stringify([{ device_id: 'press-1', profile: 'building', tolerances: {}, physical_actor: 'press-1.plc.aint', twin_actor: 'press-twin.aint' }]));
    server = await startNatsServer();
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    worker = await spawnWorker(['--nats', server.url, '--http', `127.0.0.1:${port}`, '--max-hops', '2', '--twin-devices', devices]);
    client = await connectCapBus({ servers: server.url, timeoutMs: 10_000 });
    context = await launch(join(dir, 'profile'));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await client?.close();
    await worker?.stop();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads without console errors and shows a cap sent during the test within a second; a screenshot is written', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
    page.on('requestfailed', (req) => {
      // the event stream is cut when the page closes; anything else failing is a fault
      if (!req.url().endsWith('/events')) problems.push(`request: ${req.url()} ${req.failure()?.errorText}`);
    });
    await page.goto(url);
    await page.locator('#worker', { hasText: worker.logs.find((r) => r.msg === 'ready')!.worker as string }).waitFor({ timeout: 5_000 });
    await page.locator('#nats', { hasText: 'NATS connected' }).waitFor({ timeout: 5_000 });

    // a forking cap (root + 2 follow-ups), a rejected one (+ its triage), a twin-guarded command blocked for want of states
    const fork = await client.emit({ actor_id: 'planner.aint', intent: 'agent.plan.rollout', authority_ref: 'sam:plan', payload: { continuation_mode: 'fork' } });
    const shownWithin = async (capId: string) => {
      const sent = Date.now();
      await page.locator(`#chains g.cap[data-cap-id="${capId}"]`).waitFor({ timeout: 1_000 });
      return Date.now() - sent;
    };
    expect(await shownWithin(fork.cap_id)).toBeLessThan(1_000);
    const rejected = await client.emit({ actor_id: 'edge', intent: 'service.rpc.billing', authority_ref: 'sam:rpc', attestation_layer: 'none', payload: { continuation_mode: 'reject' } });
    await shownWithin(rejected.cap_id);
    const blocked = await client.emit({ actor_id: 'press-ctl', intent: 'factory.press.cycle', authority_ref: 'sam:ctl', payload: { device_id: 'press-1' } });
    await shownWithin(blocked.cap_id);
    expect(blocked.outcome).toBe('resync-needed');

    // every panel shows what the bus did
    await page.locator('#chains g.cap').nth(6).waitFor({ timeout: 2_000 }); // 3 + 2 + 2 caps with the triage follow-ups
    expect(await page.locator(`#chains g.cap.rejected[data-cap-id="${rejected.cap_id}"]`).count()).toBe(1);
    expect(await page.locator(`#chains g.cap.resync-needed[data-cap-id="${blocked.cap_id}"]`).count()).toBe(1);
    await expect.poll(() => page.locator('#decisions tbody tr', { hasText: fork.cap_id }).count()).toBe(1);
    expect(await page.locator('#lanes tbody').innerText()).toMatch(/lane:agent\.plan\.rollout:default\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+\w+/);
    expect(await page.locator('#twins tbody tr', { hasText: 'press-1' }).innerText()).toMatch(/factory\.press\.cycle\s+blocked/);
    expect(await page.locator('#counts').innerText()).toMatch(/rejected 1 · resync-needed 1/);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = join(SCREENSHOT_DIR, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`console screenshot: ${shot}`);
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);

  it('a graph --format html file renders offline: every cap drawn, nothing fetched', async () => {
    const file = join(dir, 'chain.html');
    const r = spawnSync(process.execPath, [BIN, 'graph', '--source', 'triage', '--hops', '2', '--format', 'html'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(file, r.stdout);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await context.setOffline(true);
    try {
      await page.goto(`file://${file}`);
      expect(await page.locator('svg.chain-graph g.cap').count()).toBe(4);
      expect(await page.locator('svg.chain-graph g.cap.rejected').count()).toBe(1);
      expect(await page.locator('svg.chain-graph g.cap.resync-needed').count()).toBe(1);
      const box = await page.locator('svg.chain-graph').boundingBox();
      expect(box!.width).toBeGreaterThan(400);
      expect(requests).toEqual([`file://${file}`]);
    } finally {
      await context.setOffline(false);
      await page.close();
    }
  });
});
