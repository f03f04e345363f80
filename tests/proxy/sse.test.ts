import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { KrioraError } from "../../src/lib/errors";
import { SseRelay } from "../../src/proxy/sse";
import { findUsage } from "../../src/proxy/tail";
import { StreamWatch, type Verdict } from "../../src/proxy/watch";

/** Records every event; drops events whose data is `drop`, replaces those whose data is `swap`. */
class Recorder extends StreamWatch {
  seen: [string, string][] = [];
  big: [string, string, number][] = [];
  constructor() {
    super("req_test");
  }
  event(name: string, data: string): Verdict {
    this.seen.push([name, data]);
    return data === "drop" ? "drop" : data === "swap" ? { replace: "data: swapped\n\n" } : "keep";
  }
  override oversized(name: string, tail: string, bytes: number): void {
    this.big.push([name, tail.slice(-12), bytes]);
  }
  errorEvent(err: KrioraError): string {
    return `data: ${err.code}\n\n`;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Feed `text` in pieces cut at `cuts` (byte offsets); return what was relayed. */
function relay(text: string, cuts: number[], max?: number) {
  const bytes = encoder.encode(text);
  const watch = new Recorder();
  const sse = new SseRelay(watch, max);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const at of [...new Set(cuts)].sort((a, b) => a - b).filter((c) => c > 0 && c < bytes.length)) {
    sse.push(bytes.subarray(from, at), out);
    from = at;
  }
  sse.push(bytes.subarray(from), out);
  sse.end(out);
  return { watch, text: decoder.decode(Buffer.concat(out)), out };
}

const STREAM =
  'event: message_start\ndata: {"a":1}\n\ndata: drop\n\n: comment\n\ndata: {"b":"é ünïcode"}\r\n\r\ndata: swap\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
const EXPECTED =
  'event: message_start\ndata: {"a":1}\n\n: comment\n\ndata: {"b":"é ünïcode"}\r\n\r\ndata: swapped\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';

describe("SSE side parser", () => {
  test("relays the same bytes event by event, however the upstream splits them; drops and replaces whole events", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: encoder.encode(STREAM).length }), { maxLength: 12 }), (cuts) => {
        const { watch, text } = relay(STREAM, cuts);
        expect(text).toBe(EXPECTED);
        expect(watch.seen).toEqual([
          ["message_start", '{"a":1}'],
          ["", "drop"],
          ["", '{"b":"é ünïcode"}'],
          ["", "swap"],
          ["", "line1\nline2"],
          ["", "[DONE]"],
        ]);
      }),
    );
  });

  test("a complete event goes out as a view of the upstream chunk, not a copy", () => {
    const { out } = relay("data: x\n\n", []);
    expect(out).toHaveLength(1);
    expect(out[0]!.byteOffset).toBe(0);
  });

  test("an event over the cap is relayed as it arrives, not held; parsing resumes after it", () => {
    const huge = `data: ${"z".repeat(300_000)}\n\n`;
    const bytes = encoder.encode(huge + "data: after\n\n");
    const watch = new Recorder();
    const sse = new SseRelay(watch, 64 * 1024);
    const out: Uint8Array[] = [];
    let relayed = 0;
    for (let i = 0; i < bytes.length; i += 10_000) {
      sse.push(bytes.subarray(i, i + 10_000), out);
      relayed = out.reduce((n, c) => n + c.length, 0);
      // Never more than the cap (plus one chunk) is held back from the client.
      expect(Math.min(i + 10_000, bytes.length) - relayed).toBeLessThanOrEqual(64 * 1024 + 10_000);
    }
    expect(decoder.decode(Buffer.concat(out))).toBe(huge + "data: after\n\n");
    expect(watch.big).toEqual([["", "z".repeat(10) + "\n\n", huge.length]]);
    expect(watch.seen).toEqual([["", "after"]]);
  });

  test("an unterminated last event is judged like a terminated one: kept as it came, or replaced", () => {
    const kept = relay("data: a\n\ndata: partial", [3]);
    expect(kept.text).toBe("data: a\n\ndata: partial");
    expect(kept.watch.seen).toEqual([
      ["", "a"],
      ["", "partial"],
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }), (cuts) => {
        const swapped = relay("data: a\n\nevent: error\r\ndata: swap", cuts);
        expect(swapped.watch.seen).toEqual([
          ["", "a"],
          ["error", "swap"],
        ]);
        expect(swapped.text).toBe("data: a\n\ndata: swapped\n\n");
        expect(relay("data: a\n\ndata: drop", cuts).text).toBe("data: a\n\n");
      }),
    );
  });
});

describe("usage from the tail of a JSON body", () => {
  test("finds the last top-level usage object, nested details included", () => {
    const body = JSON.stringify({
      choices: [{ message: { content: 'a "usage": {"x":1} in text' } }],
      usage: { prompt_tokens: 3, prompt_tokens_details: { cached_tokens: 1 } },
    });
    expect(findUsage(body)).toEqual({ prompt_tokens: 3, prompt_tokens_details: { cached_tokens: 1 } });
  });

  test("skips a null usage and a truncated one; a key inside a string never matches", () => {
    expect(findUsage('{"usage": null, "text": "\\"usage\\": {\\"a\\": 1}"}')).toBeNull();
    expect(findUsage('{"output": [], "usage": {"input_tokens": 4, "output_to')).toBeNull();
    expect(findUsage('xx", "usage": {"input_tokens": 4}, "user": null}')).toEqual({ input_tokens: 4 });
  });
});
