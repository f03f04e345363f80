import { KrioraError } from "../../lib/errors";

export type Json = Record<string, unknown>;

/** One server-sent event: its name (when named) and its data, a JSON value or a literal like `[DONE]`. */
export interface SseOut {
  event?: string;
  data: unknown;
}

/** Turns one upstream event (its name and parsed data, or the literal `[DONE]`) into the client's events. */
export type StreamStep = (name: string, data: Json | "[DONE]") => SseOut[];

export interface LegOptions {
  /** The model name the provider is asked for. */
  upstreamModel: string;
  /** The model id the client asked for; answers carry it back. */
  clientModel: string;
  /** `max_tokens` sent to providers that require one when the client gave none. */
  maxTokensDefault: number;
  /** Unix seconds, for the `created` field of OpenAI answers. */
  now: number;
}

/**
 * One request translated from the client's wire format to the provider's: the body to send,
 * the fields documented as dropped on the way (for the `x-kriora-translation-dropped` header),
 * and how to bring the answer back — whole or as a stream. Pure: no I/O, no clock.
 */
export interface Leg {
  body: Json;
  dropped: string[];
  /** The provider's JSON answer in the client's format. */
  response(json: Json): Json;
  /** A fresh translator for the provider's event stream. */
  stream(): StreamStep;
}

export type Translate = (body: Json, options: LegOptions) => Leg;

/** A field this translation cannot carry: a clean 400 naming it (never its value). */
export function untranslatable(field: string, why: string): KrioraError {
  return new KrioraError(
    "invalid_request",
    `The field ${field} cannot be translated for this model's provider: ${why}.`,
    { param: field },
  );
}

/** A top-level key that is not a documented field of the client's format: refused, and not named (it is the client's own text). */
export function unknownField(target: string): KrioraError {
  return new KrioraError(
    "invalid_request",
    `The request has a field that is not part of its API format, so it cannot be translated for ${target}; remove it.`,
  );
}

/** The provider answered in a shape this translation cannot read. */
export function unreadable(what: string): KrioraError {
  return new KrioraError("upstream_error", `The provider's answer could not be translated (${what}).`);
}

/** Two legs in a row through a pivot format: client → pivot → provider, and the answers back. */
export function chain(first: Translate, second: Translate): Translate {
  return (body, options) => {
    const a = first(body, options);
    let b: Leg;
    try {
      b = second(a.body, options);
    } catch (err) {
      // The second leg names fields as they are in the pivot format (indexes may differ: a system prompt becomes a message).
      if (err instanceof KrioraError && err.param)
        throw new KrioraError(
          err.code,
          `${err.message} (The field is named as in the OpenAI chat format the request was translated through.)`,
          { param: err.param },
        );
      throw err;
    }
    return {
      body: b.body,
      dropped: [...a.dropped, ...b.dropped],
      response: (json) => a.response(b.response(json)),
      stream() {
        const outer = a.stream();
        const inner = b.stream();
        return (name, data) => inner(name, data).flatMap((e) => outer(e.event ?? "", e.data as Json | "[DONE]"));
      },
    };
  };
}

/** Present and not null. */
export function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}
