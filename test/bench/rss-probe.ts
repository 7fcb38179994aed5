import { writeSync } from 'node:fs';

// Loaded with --import into a CLI process the bench runs: on exit, however the process ends, it
// reports its peak RSS and CPU time on file descriptor 3 (a pipe the bench opened).
process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(3, JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
});
