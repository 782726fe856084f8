// A TCP listener on 127.0.0.1 that accepts connections and never sends a byte (proves timeouts).
// Usage: node stall-daemon.mjs <port>
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const sockets = new Set();
const server = createServer((s) => {
  sockets.add(s);
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
  s.resume(); // read and discard whatever the client sends; never answer
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`stall listening on 127.0.0.1:${port}\n`));
const stop = () => { for (const s of sockets) s.destroy(); server.close(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
