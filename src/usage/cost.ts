import type { ModelConfig } from "../config/schema";

/** A price in pico-dollars per token: `usd_per_mtok × 10⁶`, exact for prices with up to six decimals. */
export interface TokenPrices {
  input: bigint;
  output: bigint;
  cachedInput: bigint;
}

const PICO_PER_MICRO = 1_000_000n;
/** The prices of a model called by its id or any of its aliases; undefined for a name not configured (env-only mode). */
export function priceList(models: readonly ModelConfig[]): (model: string) => TokenPrices | undefined {
  const prices = new Map(models.flatMap((m) => [m.id, ...m.aliases].map((name) => [name, pricesOf(m)] as const)));
  return (model) => prices.get(model);
}

export function pricesOf(
  model: Pick<ModelConfig, "input_usd_per_mtok" | "output_usd_per_mtok" | "cached_input_usd_per_mtok">,
): TokenPrices {
  const pico = (usdPerMtok: number) => BigInt(Math.round(usdPerMtok * 1e6));
  const input = pico(model.input_usd_per_mtok);
  // An unset (zero) cached-input price means cached tokens cost what other input tokens cost.
  const cachedInput = model.cached_input_usd_per_mtok > 0 ? pico(model.cached_input_usd_per_mtok) : input;
  return { input, output: pico(model.output_usd_per_mtok), cachedInput };
}

/**
 * A request's cost in integer micro-dollars, rounded half up once per request. Money never
 * passes through a float: prices are integers, arithmetic is BigInt.
 */
export function costMicros(
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  prices: TokenPrices,
): number {
  const cached = BigInt(Math.min(usage.cachedInputTokens, usage.inputTokens));
  const fresh = BigInt(usage.inputTokens) - cached;
  const pico = fresh * prices.input + cached * prices.cachedInput + BigInt(usage.outputTokens) * prices.output;
  return Number((pico + PICO_PER_MICRO / 2n) / PICO_PER_MICRO);
}
