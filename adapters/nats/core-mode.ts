import type { Msg } from 'nats';
import type { Arrival } from './hand-off.js';
import { replyHeader } from './headers.js';
import { describe, type Mode, type Router, type WorkerIo } from './worker.js';

/**
 * Core NATS: caps arrive on the queue group, are admitted by whichever worker takes them and
 * run by the owner of their partition, which answers the sender's reply subject.
 */
export class CoreMode implements Mode {
  private stopSubscription: () => Promise<void> = async () => {};

  constructor(
    private readonly io: WorkerIo,
    private readonly router: () => Router,
  ) {}

  async start(): Promise<Record<string, unknown>> {
    const { nc, subjects, settings, log } = this.io;
    const sub = nc.subscribe(subjects.caps, {
      queue: settings.queue,
      callback: (error, msg) => {
        if (error) log({ level: 'error', msg: 'subscription error', error: error.message });
        else this.io.track(this.take(msg));
      },
    });
    this.stopSubscription = () => sub.drain();
    await nc.flush();
    return { mode: 'core', subjects: [subjects.caps], queue: settings.queue };
  }

  stopIntake(): Promise<void> {
    return this.stopSubscription();
  }

  private async take(msg: Msg): Promise<void> {
    const replyTo = msg.reply || replyHeader(msg.headers);
    let arrival: Arrival;
    try {
      arrival = await this.io.admit(msg.subject, msg.data, msg.headers, null);
    } catch (error) {
      this.io.refuse(error, msg.subject, replyTo);
      return;
    }
    arrival.meta = { ...arrival.meta, reply: replyTo };
    try {
      await this.router().deliver(arrival);
    } catch (error) {
      this.io.log({ level: 'error', msg: 'cap not handed over', cap_id: arrival.cap_id, error: describe(error), worker: this.io.settings.id });
      this.io.refuse(error, msg.subject, replyTo);
    }
  }

  async run({ cap_id, admitted, meta, receivedAt }: Arrival): Promise<void> {
    const { io } = this;
    try {
      const result = await io.bus.complete(admitted);
      for (const followUp of io.followUps(meta, result)) io.nc.publish(followUp.subject, followUp.body, { headers: followUp.headers });
      io.announce(cap_id, result, io.receiptBody(meta, result), meta.reply, receivedAt);
    } catch (error) {
      io.refuse(error, io.subjects.cap(admitted.distributed.cap.intent), meta.reply);
    }
  }
}
