import type { UsageStamp } from "./cost";
import { ByteTail } from "./tail";
import type { StreamWatch } from "./watch";

const LF = 10;
const CR = 13;
const SPACE = 32;
const COLON = 58;
const decoder = new TextDecoder();
/** Decodes a field's value, a byte-order mark included as the whole line's decoding kept it. */
const valueDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();
/** `data` and `event` as bytes: a line is told apart before anything is decoded. */
const DATA = [100, 97, 116, 97];
const EVENT = [101, 118, 101, 110, 116];

/** Whether `bytes[from…]` starts with `name` and a colon. */
function named(bytes: Uint8Array, from: number, to: number, name: number[]): boolean {
  if (to - from <= name.length || bytes[from + name.length] !== COLON) return false;
  for (let i = 0; i < name.length; i++) if (bytes[from + i] !== name[i]) return false;
  return true;
}

/**
 * Relays an upstream SSE byte stream event by event while its watcher reads it on the side.
 * A complete event goes out as the very bytes that came in (views into the upstream chunk, no
 * copy); a partial event waits for its end (normally the next chunk) so that it can be dropped
 * or replaced whole. Memory per stream is bounded by `maxEventBytes`: a larger event is relayed
 * as it arrives without being parsed, keeping only its last bytes for formats that meter from them.
 */
export class SseRelay {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private line: Uint8Array[] = [];
  private lineBytes = 0;
  private lineFirst = 0;
  private name = "";
  private data: string | null = null;
  private oversize: ByteTail | null = null;
  private oversizeBytes = 0;

  constructor(
    readonly watch: StreamWatch,
    private readonly maxEventBytes = 1 << 20,
    /** Rewrites the event with which the provider's final usage arrived (the cost is added there). */
    private readonly stamp: UsageStamp | null = null,
  ) {}

  /** Take one upstream chunk; push onto `out` the bytes to relay now. */
  push(chunk: Uint8Array, out: Uint8Array[]): void {
    let lineStart = 0;
    let eventStart = 0;
    for (let nl = chunk.indexOf(LF); nl !== -1; nl = chunk.indexOf(LF, lineStart)) {
      const end = nl + 1;
      const length = this.lineBytes + nl - lineStart;
      const first = this.lineBytes > 0 ? this.lineFirst : chunk[lineStart];
      if (!this.oversize && this.heldBytes + end - eventStart > this.maxEventBytes)
        eventStart = this.startOversize(chunk, eventStart, end, out);
      if (length === 0 || (length === 1 && first === CR)) {
        this.endEvent(eventStart === 0 && end === chunk.length ? chunk : chunk.subarray(eventStart, end), out);
        eventStart = end;
      } else if (!this.oversize) {
        if (this.line.length === 0) this.wholeField(chunk, lineStart, nl);
        else this.field(chunk.subarray(lineStart, nl));
      }
      this.line = [];
      this.lineBytes = 0;
      lineStart = end;
    }
    const rest = chunk.subarray(eventStart);
    if (this.oversize) this.relayOversize(rest, out);
    else if (rest.length > 0) {
      this.held.push(rest);
      this.heldBytes += rest.length;
      if (lineStart < chunk.length) this.line.push(chunk.subarray(lineStart));
    }
    if (lineStart < chunk.length && this.lineBytes === 0) this.lineFirst = chunk[lineStart]!;
    this.lineBytes += chunk.length - lineStart;
    if (!this.oversize && this.heldBytes > this.maxEventBytes)
      this.startOversize(chunk, chunk.length, chunk.length, out);
  }

  /**
   * The upstream body ended. An unterminated last event is judged like any other — a provider's
   * error event must be replaced even when the connection closed before its blank line.
   */
  end(out: Uint8Array[]): void {
    if (this.held.length === 0) return;
    if (this.line.length > 0) this.field(new Uint8Array(0));
    this.endEvent(new Uint8Array(0), out);
  }

  /**
   * A line that lies whole in one chunk: only a `data:` or `event:` line is decoded, and only its
   * value (the name is ASCII, so this reads the same text as decoding the whole line). A line
   * that starts with a byte-order mark takes the general path, which drops the mark as before.
   */
  private wholeField(chunk: Uint8Array, from: number, nl: number): void {
    const to = nl > from && chunk[nl - 1] === CR ? nl - 1 : nl;
    if (named(chunk, from, to, DATA)) {
      const at = from + 5 + (chunk[from + 5] === SPACE ? 1 : 0);
      const value = at < to ? valueDecoder.decode(chunk.subarray(at, to)) : "";
      this.data = this.data === null ? value : `${this.data}\n${value}`;
    } else if (named(chunk, from, to, EVENT)) {
      const at = from + 6 + (chunk[from + 6] === SPACE ? 1 : 0);
      this.name = at < to ? valueDecoder.decode(chunk.subarray(at, to)) : "";
    } else if (chunk[from] === 0xef) this.field(chunk.subarray(from, nl));
  }

  private field(piece: Uint8Array): void {
    let text = decoder.decode(this.line.length ? Buffer.concat([...this.line, piece]) : piece);
    if (text.charCodeAt(text.length - 1) === CR) text = text.slice(0, -1);
    if (text.startsWith("data:")) {
      const value = text.slice(text.charCodeAt(5) === SPACE ? 6 : 5);
      this.data = this.data === null ? value : `${this.data}\n${value}`;
    } else if (text.startsWith("event:")) this.name = text.slice(text.charCodeAt(6) === SPACE ? 7 : 6);
  }

  private endEvent(bytes: Uint8Array, out: Uint8Array[]): void {
    if (this.oversize) {
      this.relayOversize(bytes, out);
      this.watch.oversized(this.name, this.oversize.text(), this.oversizeBytes);
      this.oversize = null;
    } else {
      const before = this.watch.complete;
      let verdict = this.data === null && !this.name ? "keep" : this.watch.event(this.name, this.data ?? "");
      if (verdict === "keep" && !before && this.watch.complete && this.stamp && this.watch.usage)
        verdict = this.stamp(this.name, this.data ?? "", this.watch.usage) ?? verdict;
      if (verdict === "keep") {
        for (const part of this.held) out.push(part);
        if (bytes.length > 0) out.push(bytes);
      } else if (verdict !== "drop") out.push(encoder.encode(verdict.replace));
    }
    this.held = [];
    this.heldBytes = 0;
    this.name = "";
    this.data = null;
  }

  /** The event outgrew the cap: relay what is held and stop parsing it. Returns where the unrelayed bytes start. */
  private startOversize(chunk: Uint8Array, eventStart: number, upTo: number, out: Uint8Array[]): number {
    this.oversize = new ByteTail();
    this.oversizeBytes = 0;
    const pending = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.line = [];
    this.data = null;
    for (const part of pending) this.relayOversize(part, out);
    this.relayOversize(chunk.subarray(eventStart, upTo), out);
    return upTo;
  }

  private relayOversize(bytes: Uint8Array, out: Uint8Array[]): void {
    if (bytes.length === 0) return;
    out.push(bytes);
    this.oversize!.push(bytes);
    this.oversizeBytes += bytes.length;
  }
}
