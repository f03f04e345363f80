import type { ProviderConfig } from "../config/schema";
import { unwatch, watch, type Ticking } from "../lib/deadlineWheel";
import type { TimeoutKind } from "./failure";

/** One read from an upstream body. */
export type ByteChunk = { done: true; value?: undefined } | { done: false; value: Uint8Array };

/** What the relay needs of a body reader (Bun's and Node's typings of the Web Streams reader differ). */
export interface ByteReader {
  read(): Promise<ByteChunk>;
  cancel(reason?: unknown): Promise<void>;
}

type Timeouts = Pick<ProviderConfig, "first_byte_timeout_ms" | "idle_timeout_ms" | "total_timeout_ms">;

/**
 * The clock of one upstream attempt. Its signal aborts the upstream fetch when the client goes
 * away or a provider timeout fires: first byte (from the start until the first body chunk),
 * idle (between chunks, counted only while the gateway waits on the provider, so a client that
 * reads slowly is not mistaken for a silent provider) and total.
 */
export class Deadlines implements Ticking {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  expired: TimeoutKind | null = null;
  /** The server's shutdown grace ran out while this attempt was open. */
  stopped = false;
  private readonly startedAt = performance.now();
  private firstByte = false;
  /** When the current (or last) read from the provider began, once the first byte is in. */
  private readFrom = 0;
  private waiting = false;

  constructor(
    private readonly timeouts: Timeouts,
    private readonly client: AbortSignal,
    private readonly shutdown: AbortSignal,
  ) {
    if (client.aborted) this.controller.abort();
    else client.addEventListener("abort", this.onClientAbort);
    if (shutdown.aborted) this.onShutdown();
    else shutdown.addEventListener("abort", this.onShutdown);
    watch(this);
  }

  get clientGone(): boolean {
    return this.client.aborted;
  }

  /** Read the next upstream chunk; the first one stops the first-byte clock and starts the idle clock. */
  read(reader: ByteReader): Promise<ByteChunk> {
    this.waiting = true;
    if (this.firstByte) this.readFrom = performance.now();
    return reader.read().finally(this.readDone);
  }

  /**
   * Read a small answer whole, natively (no JS stream, see WHOLE_BODY_LIMIT in upstream.ts): its
   * headers are in, so the first-byte clock stops and the idle clock runs until the body is.
   */
  readAll(response: Response): Promise<Uint8Array> {
    this.firstByte = true;
    this.waiting = true;
    this.readFrom = performance.now();
    return response.bytes().finally(this.readDone);
  }

  private readonly readDone = () => {
    this.waiting = false;
    this.firstByte = true;
  };

  /** Called by the shared deadline wheel every few milliseconds. */
  tick(now: number): void {
    if (this.signal.aborted) {
      unwatch(this);
      return;
    }
    const { first_byte_timeout_ms: firstByte, total_timeout_ms: total, idle_timeout_ms: idle } = this.timeouts;
    const since = now - this.startedAt;
    if (!this.firstByte && since >= firstByte && firstByte <= total) this.expire("first_byte");
    else if (since >= total) this.expire("total");
    else if (this.firstByte && this.waiting && now - this.readFrom >= idle) this.expire("idle");
  }

  expire(kind: TimeoutKind): void {
    if (this.signal.aborted) return;
    this.expired = kind;
    this.controller.abort();
  }

  /** The client went away from the relayed stream: abort the upstream request. */
  cancel(): void {
    this.controller.abort();
  }

  /** Stop every clock; the attempt is over. */
  done(): void {
    unwatch(this);
    this.client.removeEventListener("abort", this.onClientAbort);
    this.shutdown.removeEventListener("abort", this.onShutdown);
  }

  private readonly onClientAbort = () => this.controller.abort();

  private readonly onShutdown = () => {
    if (this.signal.aborted) return;
    this.stopped = true;
    this.controller.abort();
  };
}
