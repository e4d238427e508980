// `node socket-forwarder-main.js <listen> <connect>`: a forwarder as a process of its own, so it
// can be started in another network namespace (`nsenter --net=… node …`). Prints "listening"
// once it accepts connections. It exits when its stdin closes: the world that started it keeps
// stdin open, so a forwarder never outlives a killed test runner.
import { formatSocketAddress, parseSocketAddress, startForwarder } from './socket-forwarder.js';

const [listenText, connectText] = process.argv.slice(2);
if (!listenText || !connectText) {
  process.stderr.write('usage: socket-forwarder-main.js <tcp:127.0.0.1:port|unix:/path> <tcp:127.0.0.1:port|unix:/path>\n');
  process.exit(2);
}
const listen = parseSocketAddress(listenText);
const forwarder = await startForwarder(listen, parseSocketAddress(connectText));
process.stdout.write(`listening ${formatSocketAddress(listen)}\n`);

const stop = () => void forwarder.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
