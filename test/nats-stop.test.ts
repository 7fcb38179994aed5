import { describe, expect, it } from 'vitest';
import { skipNats, spawnWorker, startNatsServer } from './tools/nats-server.js';

describe.skipIf(skipNats)('serve stops within --stop-timeout', () => {
  it('after SIGTERM, even when nats-server is already gone', async () => {
    const server = await startNatsServer();
    try {
      const worker = await spawnWorker(['--nats', server.url, '--stop-timeout', '1500']);
      // serve installs its signal handlers after "ready" (the operations adapter attaches first)
      await new Promise((done) => setTimeout(done, 1_000));
      await server.stop();
      const exited = new Promise<number | null>((done) => worker.proc.once('exit', (code) => done(code)));
      const signalled = performance.now();
      worker.proc.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((done) => setTimeout(() => done('hung'), 6_000))]);
      const tookMs = performance.now() - signalled;
      if (code === 'hung') await worker.kill();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(1_500 + 2_000);
      expect(worker.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['draining']));
    } finally {
      await server.dispose();
    }
  }, 30_000);
});
