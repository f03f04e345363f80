import type { Outcome } from "../usage/sink";
import type { ByteChunk, ByteReader, Deadlines } from "./deadlines";
import { networkFailure, type Failure } from "./failure";
import type { Inspector } from "./inspect";
import { thrownFailure } from "./upstream";

export interface StreamEnd {
  outcome: Outcome;
  failure: Failure | null;
}

/**
 * The body the client receives: upstream chunks pulled one at a time, as the client reads (so a
 * slow reader slows the upstream instead of filling memory), passed through the inspector, and
 * nothing kept once sent. An upstream failure part-way ends the stream with an error event in
 * the client's format; a client that goes away aborts the upstream request. `onEnd` runs once.
 */
export function relayBody(
  reader: ByteReader,
  first: ByteChunk,
  deadlines: Deadlines,
  inspector: Inspector,
  onEnd: (end: StreamEnd) => void,
): ReadableStream<Uint8Array> {
  let next: ByteChunk | null = first;
  let over = false;
  let pulling = false;

  const finish = (end: StreamEnd) => {
    if (over) return;
    over = true;
    deadlines.done();
    onEnd(end);
  };

  const fail = (ctl: ReadableStreamDefaultController<Uint8Array>, failure: Failure, out: Uint8Array[]) => {
    reader.cancel().catch(() => {});
    finish({ outcome: failure.outcome, failure });
    if (failure.outcome === "client_abort") return;
    const closing = inspector.failure(failure.error);
    if (!closing) return ctl.error(failure.error);
    for (const chunk of out) ctl.enqueue(chunk);
    ctl.enqueue(closing);
    ctl.close();
  };

  return new ReadableStream<Uint8Array>({
    start(ctl) {
      // A client that has stopped reading has no pull pending: the total deadline ends its stream here.
      deadlines.signal.addEventListener("abort", () => {
        if (pulling || over) return;
        const failure = thrownFailure(deadlines, true);
        // At shutdown the closing event is queued even for a client that is not reading.
        if (failure.outcome === "server_shutdown") return fail(ctl, failure, []);
        reader.cancel().catch(() => {});
        finish({ outcome: failure.outcome, failure });
        ctl.error(failure.error);
      });
    },
    async pull(ctl) {
      const out: Uint8Array[] = [];
      pulling = true;
      try {
        while (out.length === 0) {
          const chunk = next ?? (await deadlines.read(reader));
          next = null;
          if (over) return;
          if (chunk.done) {
            if (!inspector.end(out)) return fail(ctl, networkFailure(true), out);
            for (const part of out) ctl.enqueue(part);
            ctl.close();
            return finish({ outcome: "ok", failure: null });
          }
          inspector.push(chunk.value, out);
        }
      } catch {
        if (!over) fail(ctl, thrownFailure(deadlines, true), out);
        return;
      } finally {
        pulling = false;
      }
      for (const part of out) ctl.enqueue(part);
    },
    cancel() {
      // Finish first: the abort below must not be taken for an upstream failure.
      finish({ outcome: "client_abort", failure: null });
      deadlines.cancel();
      reader.cancel().catch(() => {});
    },
  });
}
