import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KrioraError } from "../../../src/lib/errors";
import { ENDPOINTS, type EndpointSpec } from "../../../src/proxy/endpoints";
import { SseRelay } from "../../../src/proxy/sse";
import { TranslatedWatch } from "../../../src/proxy/translatedWatch";
import { pathTo } from "../../../src/proxy/translations";
import type { Json, Leg, LegOptions } from "../../../src/proxy/translate/types";
import type { Format } from "../../../src/proxy/wire";
import { WIRES } from "../../../src/proxy/wires";

/**
 * The conformance suite: every fixture under tests/fixtures/translate/<direction>/ is one case.
 * A fixture holds the client's request and one of: the upstream request it must become (with
 * the fields documented as dropped), the field it must be refused for, an upstream answer and
 * the client answer it must become, or an upstream stream (raw SSE as the provider documents it)
 * and the client events it must become, with the token counts metered from it.
 */
type Direction = { endpoint: EndpointSpec; format: Format };
const DIRECTIONS: Record<string, Direction> = {
  "chat-to-anthropic": { endpoint: ENDPOINTS.chat, format: "anthropic" },
  "anthropic-to-openai": { endpoint: ENDPOINTS.messages, format: "openai" },
  "chat-to-gemini": { endpoint: ENDPOINTS.chat, format: "gemini" },
  "anthropic-to-gemini": { endpoint: ENDPOINTS.messages, format: "gemini" },
  "responses-to-chat": { endpoint: ENDPOINTS.responses, format: "openai" },
  "responses-to-anthropic": { endpoint: ENDPOINTS.responses, format: "anthropic" },
};
/** Responses reach OpenAI-format providers translated only when they declare no native `/responses`. */
const pathOf = (d: Direction) => pathTo(d.endpoint, d.format, false)!;

interface Fixture {
  description: string;
  request: Json;
  options?: Partial<LegOptions>;
  upstream_request?: Json;
  dropped?: string[];
  /** `param` null: a key outside the format's documented fields, refused without being named. */
  refused?: { param: string | null };
  upstream_response?: Json;
  client_response?: Json;
  unreadable?: true;
  upstream_stream?: string;
  client_stream?: { event?: string; data: unknown }[];
  metered?: { input: number; output: number; cached: number; estimated: boolean };
}

const root = join(import.meta.dir, "../../fixtures/translate");
/** The cost stamp is the relay's concern (tests/proxy/translate/sdk.test.ts): fixtures hold the translation alone. */
const noCost = () => null;
const OPTIONS: LegOptions = {
  upstreamModel: "upstream-model",
  clientModel: "",
  maxTokensDefault: 4096,
  now: 1_700_000_000,
};

/** The client's events from a translated stream, fed in pieces of `size` bytes to cross every boundary. */
function runStream(direction: Direction, leg: Leg, raw: string, size: number) {
  const path = pathOf(direction);
  const clientError = (err: KrioraError, id: string) =>
    WIRES[direction.endpoint.kind].errorEvent(err, id, direction.endpoint);
  const watch = new TranslatedWatch(
    "req_fixture",
    WIRES[direction.format].watch(path.upstream, "req_fixture", false),
    leg.stream(),
    clientError,
    noCost,
  );
  const relay = new SseRelay(watch);
  const out: Uint8Array[] = [];
  const bytes = new TextEncoder().encode(raw);
  for (let at = 0; at < bytes.length; at += size) relay.push(bytes.subarray(at, at + size), out);
  relay.end(out);
  const text = Buffer.concat(out).toString("utf8");
  const events = text
    .split("\n\n")
    .filter((e) => e.trim() !== "")
    .map((e) => {
      const name = /^event: (.*)$/m.exec(e)?.[1];
      const data = /^data: (.*)$/m.exec(e)![1]!;
      return { ...(name ? { event: name } : {}), data: data === "[DONE]" ? data : JSON.parse(data) };
    });
  return { events, metered: watch.result(0), ended: watch.ended };
}

for (const [name, direction] of Object.entries(DIRECTIONS)) {
  const files = readdirSync(join(root, name)).filter((f) => f.endsWith(".json"));
  describe(`translation ${name} (${files.length} fixtures)`, () => {
    test("the direction has fixtures for requests, refusals, answers and streams", () => {
      const all = files.map((f) => JSON.parse(readFileSync(join(root, name, f), "utf8")) as Fixture);
      expect(all.some((f) => f.upstream_request)).toBe(true);
      expect(all.some((f) => f.refused)).toBe(true);
      expect(all.some((f) => f.client_response)).toBe(true);
      expect(all.some((f) => f.client_stream)).toBe(true);
    });
    for (const file of files) {
      const fixture = JSON.parse(readFileSync(join(root, name, file), "utf8")) as Fixture;
      const translate = pathOf(direction).translate!;
      const options = { ...OPTIONS, clientModel: String(fixture.request.model), ...fixture.options };
      test(`${file}: ${fixture.description}`, () => {
        if (fixture.refused) {
          let thrown: unknown;
          try {
            translate(fixture.request, options);
          } catch (err) {
            thrown = err;
          }
          expect(thrown).toBeInstanceOf(KrioraError);
          expect({ status: (thrown as KrioraError).status, param: (thrown as KrioraError).param }).toEqual({
            status: 400,
            param: fixture.refused.param,
          });
          // §3: a refusal names documented fields only; a key planted as a canary is never echoed.
          for (const key of Object.keys(fixture.request).filter((k) => k.startsWith("CANARY")))
            expect((thrown as KrioraError).message).not.toContain(key);
          return;
        }
        const leg = translate(fixture.request, options);
        if (fixture.upstream_request) {
          expect(leg.body).toEqual(fixture.upstream_request);
          expect(leg.dropped).toEqual(fixture.dropped ?? []);
        }
        if (fixture.upstream_response && fixture.unreadable)
          expect(() => leg.response(fixture.upstream_response!)).toThrow(KrioraError);
        else if (fixture.upstream_response)
          expect(leg.response(fixture.upstream_response)).toEqual(fixture.client_response!);
        if (fixture.upstream_stream) {
          for (const size of [fixture.upstream_stream.length, 7, 1]) {
            const { events, metered } = runStream(direction, leg, fixture.upstream_stream, size);
            expect(events).toEqual(fixture.client_stream!);
            if (fixture.metered) expect({ ...metered.counts, estimated: metered.estimated }).toEqual(fixture.metered);
          }
        }
      });
    }
  });
}
