import { costMicros, type TokenPrices } from "../usage/cost";
import type { TokenCounts } from "./tokens";
import { asRecord, parseData } from "../lib/json";
import { sseEvent, type Verdict } from "./watch";

/** Rewrites the event that carries a stream's final usage; null leaves it as it came. */
export type UsageStamp = (name: string, data: string, counts: TokenCounts) => Verdict | null;

/** A request's cost in micro-dollars, from the same counts and prices as its usage row; nothing for a model without prices. */
export function requestCost(counts: TokenCounts, prices: TokenPrices | undefined): number {
  if (!prices) return 0;
  return costMicros(
    { inputTokens: counts.input, outputTokens: counts.output, cachedInputTokens: counts.cached },
    prices,
  );
}

/**
 * Adds `cost` (USD, as OpenRouter does) to the usage object of a stream's final usage event:
 * top-level `usage` (OpenAI chat and completions chunks, Anthropic's `message_delta`) or
 * `response.usage` (the Responses API's closing event).
 */
export function costStamp(prices: TokenPrices | undefined): UsageStamp {
  return (name, data, counts) => {
    const event = parseData(data);
    const usage = asRecord(event?.usage) ?? asRecord(asRecord(event?.response)?.usage);
    if (!usage) return null;
    usage.cost = requestCost(counts, prices) / 1_000_000;
    return { replace: sseEvent(name || null, event) };
  };
}
