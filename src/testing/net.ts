// Test and benchmark helper: a TCP port free on loopback right now (the OS picks it).

import net from 'node:net';

/** A port nothing listens on at 127.0.0.1, for a child process that cannot use port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
