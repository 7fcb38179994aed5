import { createInbox, ErrorCode, type Msg, type NatsConnection, type NatsError } from 'nats';

/**
 * A message of hand-offs is closed before its JSON would grow past this many characters (a
 * hand-off of a larger cap goes alone): well below NATS's 1 MiB default max_payload even in
 * three-byte UTF-8, and some twenty hand-offs of small caps to share a message's cost.
 */
export const BATCH_LENGTH = 64 * 1024;

const text = new TextDecoder();

interface Queued {
  /** the hand-off as JSON */
  json: string;
  answered(answer: string | null): void;
  failed(error: Error): void;
}

interface Sent {
  subject: string;
  items: Queued[];
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Hand-offs on their way to owners: those queued for one partition in one turn of the event loop
 * go as one message (a JSON array), a request on this worker's inbox, answered by token with an
 * array of answers, one per hand-off, or one text for all (`not-owner`; a message the owner could
 * not read). Each hand-off resolves with its answer, or null when no owner answered (no
 * responders, the timeout, the connection closed); a publish permission error rejects it.
 * nats.js's request() is not used: it builds three Errors with stack traces per request, which
 * cost a hop more than its JSON did.
 */
export class HandOffOutbox {
  private readonly queued = new Map<string, Queued[]>();
  private readonly sent = new Map<string, Sent>();
  /** this worker's inbox for answers (the workers' NATS permissions allow `_INBOX.>`) */
  private readonly inbox = `${createInbox()}.`;
  private tokens = 0;
  private flushing = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    nc.subscribe(`${this.inbox}*`, { callback: (error, msg) => (error ? this.failAll(error) : this.answer(msg)) });
    void nc.closed().then(() => {
      for (const token of [...this.sent.keys()]) this.settle(token, null);
    });
    void this.watchPermissions();
  }

  /** Queues a hand-off (as JSON) for `subject`; resolves with the owner's answer for it, or null when none came. */
  send(subject: string, json: string): Promise<string | null> {
    return new Promise((answered, failed) => {
      let items = this.queued.get(subject);
      if (items === undefined) this.queued.set(subject, (items = []));
      items.push({ json, answered, failed });
      if (!this.flushing) {
        this.flushing = true;
        // after this turn's I/O callbacks: every cap admitted in this turn is queued by then
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushing = false;
    for (const [subject, items] of this.queued) {
      let batch: Queued[] = [];
      let length = 0;
      for (const item of items) {
        if (batch.length > 0 && length + item.json.length > BATCH_LENGTH) {
          this.publish(subject, batch);
          batch = [];
          length = 0;
        }
        batch.push(item);
        length += item.json.length + 1;
      }
      this.publish(subject, batch);
    }
    this.queued.clear();
  }

  private publish(subject: string, items: Queued[]): void {
    const token = (this.tokens++).toString(36);
    const timer = setTimeout(() => this.settle(token, null), this.timeoutMs);
    this.sent.set(token, { subject, items, timer });
    try {
      this.nc.publish(subject, `[${items.map((item) => item.json).join(',')}]`, { reply: this.inbox + token });
    } catch (error) {
      for (const item of this.take(token)!.items) item.failed(error as Error);
    }
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length);
    // NATS answers a request nobody subscribes to with an empty 503 status message
    if (msg.data.length === 0 && msg.headers?.code === 503) return this.settle(token, null);
    const sent = this.take(token);
    if (sent === undefined) return;
    const answers = answersOf(text.decode(msg.data), sent.items.length);
    sent.items.forEach((item, i) => item.answered(answers[i]!));
  }

  /** Every hand-off of a message gets the same answer. */
  private settle(token: string, answer: string | null): void {
    for (const item of this.take(token)?.items ?? []) item.answered(answer);
  }

  private failAll(error: Error, subject?: string): void {
    for (const [token, sent] of [...this.sent]) {
      if (subject === undefined || sent.subject === subject) for (const item of this.take(token)!.items) item.failed(error);
    }
  }

  private take(token: string): Sent | undefined {
    const sent = this.sent.get(token);
    if (sent === undefined) return undefined;
    this.sent.delete(token);
    clearTimeout(sent.timer);
    return sent;
  }

  /** A hand-off this worker may not publish is refused at once (as nats.js refuses such a request), not sent again for ever. */
  private async watchPermissions(): Promise<void> {
    for await (const status of this.nc.status()) {
      const context = (status as { permissionContext?: { operation: string; subject: string } }).permissionContext;
      if (status.type !== 'error' || context?.operation !== 'publish') continue;
      this.failAll(Object.assign(new Error(`Permissions Violation for Publish to "${context.subject}"`), { code: ErrorCode.PermissionsViolation }) as NatsError, context.subject);
    }
  }
}

/** The answer for each of `count` hand-offs: from the owner's array, or its one text for all. */
function answersOf(body: string, count: number): string[] {
  if (!body.startsWith('[')) return Array.from({ length: count }, () => body);
  let answers: unknown;
  try {
    answers = JSON.parse(body);
  } catch {
    answers = null;
  }
  const fits = Array.isArray(answers) && answers.length === count && answers.every((answer) => typeof answer === 'string');
  return fits ? (answers as string[]) : Array.from({ length: count }, () => `the owner's answer does not name each of ${count} hand-offs: ${body.slice(0, 200)}`);
}
