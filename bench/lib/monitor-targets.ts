/**
 * The monitors benchmark's HTTP targets, in their own process (so their CPU is not counted as
 * Firebreak's): `threads` worker threads, each with `ports` node:http servers on 127.0.0.1
 * answering every path with 200 "ok". Started by bench/monitors.ts with fork(); reports
 * `{ type: 'ready', ports }` over IPC, and `{ type: 'stats', requests }` when asked.
 */
import { Worker } from 'node:worker_threads';

/**
 * A worker's servers, as plain JavaScript: worker threads do not get tsx's loader, and this keeps
 * the targets free of any TypeScript machinery.
 */
const WORKER_SOURCE = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
let requests = 0;
const listening = [];
for (let i = 0; i < workerData.ports; i++) {
  const server = createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  // Connections are many and short (a fresh one per check): a deep accept queue keeps bursts from being dropped.
  listening.push(new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server.address().port))));
}
Promise.all(listening).then((ports) => parentPort.postMessage({ type: 'ready', ports }));
parentPort.on('message', (m) => {
  if (m.type === 'stats') parentPort.postMessage({ type: 'stats', requests });
});
`;

const threads = Number(process.argv[2] ?? 2);
const portsPerThread = Number(process.argv[3] ?? 4);
const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { ports: portsPerThread }, execArgv: [] }));
const ports = (await Promise.all(workers.map((w) => new Promise<number[]>((resolve) => w.once('message', (m: { ports: number[] }) => resolve(m.ports)))))).flat();
process.send!({ type: 'ready', ports });
process.on('message', async (m: { type: string }) => {
  if (m.type !== 'stats') return;
  const counts = await Promise.all(
    workers.map(
      (w) =>
        new Promise<number>((resolve) => {
          w.once('message', (r: { requests: number }) => resolve(r.requests));
          w.postMessage({ type: 'stats' });
        }),
    ),
  );
  process.send!({ type: 'stats', requests: counts.reduce((a, b) => a + b, 0) });
});
// The parent going away ends the targets too.
process.on('disconnect', () => process.exit(0));
