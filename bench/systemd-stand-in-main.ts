/**
 * `node systemd-stand-in-main.js <socket>`: a stand-in for systemd's private D-Bus socket
 * (/run/systemd/private), for `podman auto-update --dry-run` on a machine whose PID 1 is not
 * systemd. Podman 4.3 connects to systemd before it looks at any image, even for a dry run,
 * and exits with "dial unix /run/systemd/private" without it; a dry run then only subscribes
 * to job signals (an AddMatch call) and restarts nothing. So this answers the SASL EXTERNAL
 * handshake and every method call with an empty reply, and does nothing else. It is started in
 * a mount namespace of its own (see podman-peer.ts), so nothing else on the machine sees it.
 * Prints "ready" once it listens.
 */
import fs from 'node:fs';
import net from 'node:net';

const socketPath = process.argv[2];
if (socketPath === undefined) throw new Error('usage: systemd-stand-in-main.js <socket path>');
fs.rmSync(socketPath, { force: true });

const align8 = (n: number): number => (n + 7) & ~7;

/** An empty METHOD_RETURN to the call with this serial (little endian, one header field: REPLY_SERIAL). */
function emptyReply(serial: number, ownSerial: number): Buffer {
  const reply = Buffer.alloc(24);
  reply.write('l', 0, 'latin1');
  reply[1] = 2; // METHOD_RETURN
  reply[2] = 0;
  reply[3] = 1; // protocol version
  reply.writeUInt32LE(0, 4); // body length
  reply.writeUInt32LE(ownSerial, 8);
  reply.writeUInt32LE(8, 12); // header fields array length
  reply[16] = 5; // REPLY_SERIAL
  reply[17] = 1; // signature length
  reply.write('u', 18, 'latin1');
  reply[19] = 0;
  reply.writeUInt32LE(serial, 20);
  return reply;
}

const server = net.createServer((socket) => {
  let buffer = Buffer.alloc(0);
  let authenticated = false;
  let serial = 0;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (!authenticated) {
      // The client's first byte is a NUL, then CRLF-ended SASL lines until BEGIN.
      if (buffer[0] === 0) buffer = buffer.subarray(1);
      const end = buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 2);
      if (line.startsWith('AUTH EXTERNAL')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
      else if (line.startsWith('AUTH')) socket.write('REJECTED EXTERNAL\r\n');
      else if (line === 'NEGOTIATE_UNIX_FD') socket.write('AGREE_UNIX_FD\r\n');
      else if (line === 'BEGIN') authenticated = true;
      else socket.write('ERROR\r\n');
    }
    // Messages: a 16-byte fixed header (ending in the header fields' length), the fields
    // padded to 8, then the body.
    while (buffer.length >= 16) {
      const little = buffer[0] === 0x6c;
      const read = (offset: number): number => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
      const total = align8(16 + read(12)) + read(4);
      if (buffer.length < total) return;
      const type = buffer[1];
      const noReplyExpected = ((buffer[2] ?? 0) & 1) === 1;
      const callSerial = read(8);
      buffer = buffer.subarray(total);
      if (type === 1 && !noReplyExpected) socket.write(emptyReply(callSerial, ++serial));
    }
  });
});
server.listen(socketPath, () => console.log('ready'));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
