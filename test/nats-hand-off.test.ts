import { connect, type Msg, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus, PartitionedAligner } from '../adapters/memory/index.js';
import { subjectsFor } from '../adapters/nats/index.js';
import { BATCH_LENGTH } from '../adapters/nats/hand-off-outbox.js';
import { handOffOf, type Arrival } from '../adapters/nats/hand-off.js';
import { PartitionRouter } from '../adapters/nats/router.js';
import type { WorkerIo } from '../adapters/nats/worker.js';
import { makeCap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { partitionOf } from '../src/partition.js';
import { skipNats, sleep, startNatsServer, waitFor, type NatsServer } from './tools/nats-server.js';

const ctx = { clock: systemClock, ids: randomIds() };
const P = 16;
const text = new TextDecoder();

/** One end of the hop: a router on a connection of its own, recording what it runs and logs. */
interface End {
  router: PartitionRouter;
  nc: NatsConnection;
  ran: Arrival[];
  logs: Record<string, unknown>[];
}

describe.skipIf(skipNats)('hand-offs to the owner of a partition (<prefix>.part.<p>)', () => {
  let server: NatsServer;
  const open: NatsConnection[] = [];
  const bus = createMemoryBus({ phases: { align: new PartitionedAligner(P) } });

  beforeAll(async () => {
    server = await startNatsServer();
  }, 30_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((nc) => nc.close()));
  });

  afterAll(async () => {
    await server?.dispose();
  });

  async function end(prefix: string): Promise<End> {
    const nc = await connect({ servers: server.url });
    open.push(nc);
    const ran: Arrival[] = [];
    const logs: Record<string, unknown>[] = [];
    const io = { nc, subjects: subjectsFor(prefix), settings: { id: `test-${prefix}`, maxHops: 1 }, log: (record: Record<string, unknown>) => logs.push(record), track: () => {} };
    const router = new PartitionRouter(io as unknown as WorkerIo, P, async (arrival) => {
      ran.push(arrival);
    });
    return { router, nc, ran, logs };
  }

  /** Caps of one lane (so one partition), admitted as a worker admits them. */
  async function arrivals(n: number, lane = 'lane:hand-off.test:one', payload: Record<string, string> = {}): Promise<Arrival[]> {
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const cap = makeCap({ actor_id: 'codex.aint', intent: 'misc.op', lane_hint: lane, authority_ref: 'sam:test', payload: { i, ...payload } }, ctx);
        const admitted = await bus.admit({ cap });
        return { hand_off: ctx.ids.hex16(), cap_id: cap.cap_id, admitted, ack: null, meta: { encoding: 'json' as const, hop: 0, maxHops: 2, reply: `_INBOX.test.${i}` }, receivedAt: 0 };
      }),
    );
  }

  const partitionOfArrival = (arrival: Arrival) => partitionOf(arrival.admitted.distributed.alignment_group, P);

  /** Every message on the prefix's partition subjects, as sent. */
  function spy(nc: NatsConnection, prefix: string): Msg[] {
    const seen: Msg[] = [];
    nc.subscribe(`${prefix}.part.>`, { callback: (_error, msg) => seen.push(msg) });
    return seen;
  }

  /** A sender and the owner of the partition of `caps`, serving it, with a spy on the partition subjects. */
  async function pair(prefix: string, caps: Arrival[]) {
    const [from, to] = [await end(prefix), await end(prefix)];
    const p = partitionOfArrival(caps[0]!);
    to.router.serving = (q) => q === p;
    await to.router.serve(p);
    const seen = spy(to.nc, prefix);
    await to.nc.flush();
    return { from, to, p, seen };
  }

  it('the hand-offs of one turn go as one message; each is taken and runs once, in order, with what its headers said', async () => {
    const caps = await arrivals(20);
    const { from, to, seen } = await pair('ho1', caps);

    await Promise.all(caps.map((arrival) => from.router.deliver(arrival)));
    await waitFor('the spy saw the message', () => seen.length > 0);
    expect(seen).toHaveLength(1);
    expect((JSON.parse(text.decode(seen[0]!.data)) as unknown[]).length).toBe(20);
    expect(to.ran.map((a) => a.cap_id)).toEqual(caps.map((a) => a.cap_id));
    expect(to.ran[3]).toEqual({ ...caps[3], receivedAt: to.ran[3]!.receivedAt });

    // the same message again (as when its answer was lost): taken, and nothing runs twice
    const again = await from.nc.request(seen[0]!.subject, seen[0]!.data, { timeout: 5_000 });
    expect(JSON.parse(text.decode(again.data))).toEqual(Array.from({ length: 20 }, () => 'taken'));
    await sleep(50);
    expect(to.ran).toHaveLength(20);
  }, 30_000);

  it(`a message of hand-offs stays within ${BATCH_LENGTH} characters of JSON; a hand-off larger than that goes alone`, async () => {
    const big = (kb: number, n: number) => arrivals(n, 'lane:hand-off.test:one', { pad: 'x'.repeat(kb * 1024) });
    const caps = [...(await big(5, 30)), ...(await big(100, 1)), ...(await big(5, 2))];
    const { from, to, seen } = await pair('ho5', caps);

    await Promise.all(caps.map((arrival) => from.router.deliver(arrival)));
    await waitFor('the spy saw every hand-off', () => seen.reduce((n, msg) => n + (JSON.parse(text.decode(msg.data)) as unknown[]).length, 0) === caps.length);
    const sizes = seen.map((msg) => ({ chars: text.decode(msg.data).length, items: (JSON.parse(text.decode(msg.data)) as unknown[]).length }));
    expect(sizes.filter((s) => s.items > 1).every((s) => s.chars <= BATCH_LENGTH)).toBe(true);
    expect(sizes.find((s) => s.chars > BATCH_LENGTH)).toMatchObject({ items: 1 });
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    expect(to.ran.map((a) => a.cap_id)).toEqual(caps.map((a) => a.cap_id));
  }, 30_000);

  it('a bad hand-off is answered and never run; the good ones beside it run; a message that is not an array of hand-offs is refused whole', async () => {
    const [good, wrongPartition, badHop, badReply] = await arrivals(4);
    const { from, to, p } = await pair('ho2', [good!]);
    const other = await arrivals(1, (() => {
      for (let k = 0; ; k++) if (partitionOf(`align:lane:hand-off.test:${k}`, P) !== p) return `lane:hand-off.test:${k}`;
    })());

    const items = [
      handOffOf(good!),
      { ...handOffOf(wrongPartition!), admitted: other[0]!.admitted },
      { ...handOffOf(badHop!), hop: 2 },
      { ...handOffOf(badReply!), reply: 'not a subject' },
      { hand_off: 'x', extra: true },
    ];
    const answer = await from.nc.request(`ho2.part.${p}`, JSON.stringify(items), { timeout: 5_000 });
    const answers = JSON.parse(text.decode(answer.data)) as string[];
    expect(answers[0]).toBe('taken');
    expect(answers[1]).toMatch(/^bad hand-off: cap of partition \d+ sent to partition \d+$/);
    expect(answers[2]).toMatch(/^bad hand-off: .*hop must be below max_hops/s);
    expect(answers[3]).toMatch(/^bad hand-off: .*reply must be a subject one can publish to/s);
    expect(answers[4]).toMatch(/^bad hand-off: /);
    expect(to.ran.map((a) => a.cap_id)).toEqual([good!.cap_id]);
    expect(to.logs.filter((l) => l.msg === 'bad hand-off')).toHaveLength(4);

    for (const body of ['{"hand_off":"x"}', '[]', 'not json']) {
      const refused = await from.nc.request(`ho2.part.${p}`, body, { timeout: 5_000 });
      expect(text.decode(refused.data)).toMatch(/^bad hand-off: /);
    }
    expect(to.ran).toHaveLength(1);

    // a worker whose hand-off the owner refuses says so; the cap is not taken
    await expect(from.router.deliver({ ...badReply!, meta: { ...badReply!.meta, reply: 'not a subject' } })).rejects.toThrow(/refused the hand-off: bad hand-off: .*reply must be a subject/s);
    expect(to.ran).toHaveLength(1);
  }, 30_000);

  it('with no owner the hand-off is sent again until one takes it; a worker that is not (or no longer) the owner answers not-owner', async () => {
    const [from, to] = [await end('ho3'), await end('ho3')];
    const [first, second] = await arrivals(2);
    const p = partitionOfArrival(first!);

    // nobody subscribed: no responders, tried again
    let waits = 0;
    const delivered = from.router.deliver(first!, () => waits++);
    await waitFor('a second try', () => waits >= 2);
    // subscribed but not the owner (a lease not held, or let go): not-owner, tried again
    await to.router.serve(p);
    const triedBefore = waits;
    await waitFor('tries answered not-owner', () => waits >= triedBefore + 2);
    expect(to.ran).toHaveLength(0);
    to.router.serving = (q) => q === p;
    await delivered;
    expect(to.ran.map((a) => a.cap_id)).toEqual([first!.cap_id]);

    // the owner itself runs its partition's caps without the hop
    const seen = spy(to.nc, 'ho3');
    await to.nc.flush();
    from.router.serving = (q) => q === p;
    await from.router.deliver(second!);
    expect(from.ran.map((a) => a.cap_id)).toEqual([second!.cap_id]);
    await sleep(50);
    expect(seen).toHaveLength(0);
  }, 30_000);

  it('a stopped worker stops waiting for an owner: the cap is refused as unavailable', async () => {
    const from = await end('ho4');
    const [lonely] = await arrivals(1);
    const delivered = from.router.deliver(lonely!);
    await sleep(100);
    from.router.stopWaiting();
    await expect(delivered).rejects.toThrow(/stopped before partition \d+ of this cap had an owner/);
  }, 30_000);
});
