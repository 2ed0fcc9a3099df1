/**
 * A real TCP proxy for fault tests (node:net): the app connects to it instead of the database or
 * Redis, and the test can cut it — every open connection destroyed, new ones refused (nothing
 * listens) — and restore it on the same port; or stall it — a silent partition: connections stay
 * open and new ones are accepted, but no byte passes either way (the kernel's buffers fill, as when
 * packets are dropped and TCP retransmits) until `heal()` lets everything through, late but whole.
 */
import net, { type Socket } from "node:net";
import { once } from "node:events";

export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<Socket>();
  /** Each accepted connection's two ends. */
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  port = 0;
  /** Connections accepted since start (both directions of one connection count once). */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      if (this.stalled) for (const s of pair) s.pause();
      else client.pipe(upstream).pipe(client);
      client.on("close", () => (upstream.destroy(), this.pairs.delete(pair)));
      upstream.on("close", () => (client.destroy(), this.pairs.delete(pair)));
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Destroys every open connection and stops listening: new connections are refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise((r) => server.close(r)) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** A silent partition: nothing passes either way, nothing is closed, new connections hang. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Ends a stall: what was held back is delivered, and traffic flows again. */
  heal(): void {
    this.stalled = false;
    for (const [client, upstream] of this.pairs) client.pipe(upstream).pipe(client);
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
