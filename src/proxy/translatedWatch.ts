import type { KrioraError } from "../lib/errors";
import type { UsageStamp } from "./cost";
import type { SseOut, StreamStep } from "./translate/types";
import { parseData } from "../lib/json";
import { DROP, sseEvent, StreamWatch, type Metered, type Verdict } from "./watch";

/**
 * A translated stream: the provider's own watch reads each upstream event (usage, text length,
 * end, in-stream errors) and the translation step turns it into the client's events, which
 * replace it. An in-stream provider error, or an event the translation cannot read, ends the
 * client's stream with an error event in the client's format.
 */
export class TranslatedWatch extends StreamWatch {
  constructor(
    requestId: string,
    private readonly provider: StreamWatch,
    private readonly step: StreamStep,
    private readonly clientError: (err: KrioraError, requestId: string) => string,
    /** Adds the cost to the client's final usage event, once the provider's usage is complete. */
    private readonly stamp: UsageStamp,
  ) {
    super(requestId);
  }

  /** The client's stream was ended with an error event: nothing more goes to it. */
  private failed = false;

  event(name: string, data: string): Verdict {
    if (this.failed) return DROP;
    const verdict = this.provider.event(name, data);
    this.copy();
    if (typeof verdict === "object") return this.fail(this.provider.upstreamError);
    const parsed = data === "[DONE]" ? data : parseData(data);
    if (!parsed) return DROP;
    let events: SseOut[];
    try {
      events = this.step(name, parsed);
    } catch {
      return this.fail("untranslatable_event");
    }
    if (events.length === 0) return DROP;
    return { replace: events.map((e) => this.serialise(e)).join("") };
  }

  private serialise(e: SseOut): string {
    if (e.data === "[DONE]") return "data: [DONE]\n\n";
    const text = sseEvent(e.event ?? null, e.data);
    if (!this.complete || !this.usage) return text;
    const stamped = this.stamp(e.event ?? "", JSON.stringify(e.data), this.usage);
    return stamped && typeof stamped === "object" ? stamped.replace : text;
  }

  private fail(type: string | null): Verdict {
    this.failed = true;
    return this.upstreamFailed(type);
  }

  override oversized(name: string, tail: string, bytes: number): void {
    this.provider.oversized(name, tail, bytes);
    this.copy();
  }

  errorEvent(err: KrioraError): string {
    return this.clientError(err, this.requestId);
  }

  override result(requestChars: number): Metered {
    const metered = this.provider.result(requestChars);
    return { ...metered, upstreamError: this.upstreamError };
  }

  private copy(): void {
    this.chars = this.provider.chars;
    this.usage = this.provider.usage;
    this.complete = this.provider.complete;
    this.ended = this.provider.ended;
    this.upstreamError = this.provider.upstreamError;
  }
}
