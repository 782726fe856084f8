// A UDP listener on 127.0.0.1 that reads every datagram and never answers: a resolver that stalls
// (the test bed's stall port is TCP only). Usage: node bench/udp-stall.mjs <port>
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const sock = createSocket('udp4');
sock.on('message', () => {});
sock.bind(port, '127.0.0.1', () => process.stdout.write(`udp stall listening on 127.0.0.1:${port}\n`));
const stop = () => sock.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
