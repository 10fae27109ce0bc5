// A TCP endpoint for the closed-network test, run inside a namespace with `ip netns exec NS node endpoint.mjs ...`:
//   serve PORT FILE           listen on 0.0.0.0:PORT; send FILE to each client and end; print "received SHA256 BYTES" per finished client
//   fetch HOST PORT BYTES     send BYTES random bytes and end; print {"sha256","bytes","sentSha256"} of what came back
//   slowfetch HOST PORT BYTES KBPS   the same, reading at most KBPS KiB per second (a long transfer); prints {"progress":N} lines on the way
//   probe HOST PORT MS        try a TCP connect for MS; print "connected" or "failed REASON"
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const blob = readFileSync(args[1]);
  const server = createServer((socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (d) => { hash.update(d); bytes += d.length; });
    socket.once('end', () => process.stdout.write(`received ${hash.digest('hex')} ${bytes}\n`));
    socket.on('error', () => undefined);
    socket.end(blob);
  });
  server.listen(Number(args[0]), '0.0.0.0', () => process.stdout.write('listening\n'));
} else if (mode === 'fetch') {
  const upload = randomBytes(Number(args[2]));
  const hash = createHash('sha256');
  let bytes = 0;
  const socket = createConnection({ host: args[0], port: Number(args[1]) });
  socket.on('connect', () => socket.end(upload));
  socket.on('data', (d) => { hash.update(d); bytes += d.length; });
  socket.on('error', (e) => { process.stdout.write(JSON.stringify({ error: e.message, bytes }) + '\n'); process.exit(1); });
  socket.once('close', (hadError) => {
    if (!hadError) process.stdout.write(JSON.stringify({ sha256: hash.digest('hex'), bytes, sentSha256: createHash('sha256').update(upload).digest('hex') }) + '\n');
  });
} else if (mode === 'slowfetch') {
  const upload = randomBytes(Number(args[2]));
  const perTick = Number(args[3]) * 1024 / 10;
  const hash = createHash('sha256');
  let bytes = 0;
  let budget = perTick;
  const socket = createConnection({ host: args[0], port: Number(args[1]) });
  socket.on('connect', () => socket.end(upload));
  const tick = setInterval(() => {
    budget = perTick;
    process.stdout.write(JSON.stringify({ progress: bytes }) + '\n');
    if (socket.isPaused()) socket.resume();
  }, 100);
  socket.on('data', (d) => {
    hash.update(d);
    bytes += d.length;
    budget -= d.length;
    if (budget <= 0) socket.pause();
  });
  socket.on('error', (e) => { clearInterval(tick); process.stdout.write(JSON.stringify({ error: e.message, bytes }) + '\n'); process.exit(1); });
  socket.once('close', (hadError) => {
    clearInterval(tick);
    if (!hadError) process.stdout.write(JSON.stringify({ sha256: hash.digest('hex'), bytes, sentSha256: createHash('sha256').update(upload).digest('hex') }) + '\n');
  });
} else if (mode === 'probe') {
  const socket = createConnection({ host: args[0], port: Number(args[1]) });
  const timer = setTimeout(() => { process.stdout.write('failed timeout\n'); socket.destroy(); process.exit(0); }, Number(args[2]));
  socket.once('connect', () => { clearTimeout(timer); process.stdout.write('connected\n'); socket.destroy(); });
  socket.once('error', (e) => { clearTimeout(timer); process.stdout.write(`failed ${e.code ?? e.message}\n`); });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
