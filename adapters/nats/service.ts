import { JSONCodec, type Service, type ServiceMsg } from 'nats';
import { VERSION } from '../../src/version.js';
import type { WorkerStats } from '../ops/worker-stats.js';
import type { Worker } from './server.js';

export const SERVICE_NAME = 'capbus';

/**
 * The subject families of product.md §4/§7 as the worker sees them. Only caps (and, after
 * scale-out, partition hand-overs) are subscribed to by the worker itself; receipts and gateway
 * events are published. Each family is one endpoint group of the service, with a `status`
 * endpoint at `<prefix>.svc.<family>.status` that answers this family's live facts, so
 * `nats micro info capbus` lists the families and `$SRV.STATS.capbus` carries their numbers.
 */
const FAMILIES = ['cap', 'receipt', 'event', 'part'] as const;
type Family = (typeof FAMILIES)[number];

export interface ServiceOptions {
  worker: Worker;
  stats: WorkerStats;
  queue: string;
  mode: 'core' | 'jetstream';
}

/**
 * Registers the worker as NATS service `capbus` on its own connection, so `$SRV.PING.capbus`,
 * `$SRV.INFO.capbus` and `$SRV.STATS.capbus` answer (the NATS services framework, `nats micro`).
 * Stopped with the connection.
 */
export async function serveCapbusService({ worker, stats, queue, mode }: ServiceOptions): Promise<Service> {
  const { subjects } = worker;
  const familySubjects: Record<Family, string> = {
    cap: subjects.caps,
    receipt: subjects.receipt('<cap_id>'),
    event: subjects.gateway,
    part: `${subjects.prefix}.part.<p>`,
  };
  const facts = (family: Family): Record<string, unknown> => {
    const s = stats.snapshot();
    const common = { family, subject: familySubjects[family], worker: worker.id };
    if (family === 'cap') return { ...common, queue, caps: s.caps, refusals: s.refusals, average_processing_ms: s.average_processing_ms };
    if (family === 'receipt') return { ...common, published: Object.values(s.caps).reduce((a, b) => a + b, 0) };
    if (family === 'part') return { ...common, partitions: s.partitions };
    return common;
  };
  const service = await worker.connection.services.add({
    name: SERVICE_NAME,
    version: VERSION,
    description: 'tibet-cap-bus worker: sealed caps in, receipts and gateway events out',
    metadata: { worker: worker.id, prefix: subjects.prefix, queue, mode },
    // the status endpoints share the worker's queue group: one answer per request, from any worker
    queue,
    // the endpoint's group names its family
    statsHandler: async (endpoint) => facts(endpoint.subject.split('.').at(-2) as Family),
  });
  const json = JSONCodec();
  for (const family of FAMILIES) {
    service
      .addGroup(`${subjects.prefix}.svc.${family}`)
      .addEndpoint('status', {
        metadata: { family, subject: familySubjects[family] },
        handler: (error, msg: ServiceMsg) => {
          if (!error) msg.respond(json.encode(facts(family)));
        },
      });
  }
  return service;
}
