import type { ModelConfig } from "../config/schema";

/** A price in pico-dollars per token: `usd_per_mtok × 10⁶`, exact for prices with up to six decimals. */
export interface TokenPrices {
  input: number;
  output: number;
  cachedInput: number;
}

const PICO_PER_MICRO = 1_000_000;
const BIG_PICO_PER_MICRO = BigInt(PICO_PER_MICRO);
const BIG_HALF = BIG_PICO_PER_MICRO / 2n;
/** The prices of a model called by its id or any of its aliases; undefined for a name not configured (env-only mode). */
export function priceList(models: readonly ModelConfig[]): (model: string) => TokenPrices | undefined {
  const prices = new Map(models.flatMap((m) => [m.id, ...m.aliases].map((name) => [name, pricesOf(m)] as const)));
  return (model) => prices.get(model);
}

export function pricesOf(
  model: Pick<ModelConfig, "input_usd_per_mtok" | "output_usd_per_mtok" | "cached_input_usd_per_mtok">,
): TokenPrices {
  const pico = (usdPerMtok: number) => Math.round(usdPerMtok * 1e6);
  const input = pico(model.input_usd_per_mtok);
  // An unset (zero) cached-input price means cached tokens cost what other input tokens cost.
  const cachedInput = model.cached_input_usd_per_mtok > 0 ? pico(model.cached_input_usd_per_mtok) : input;
  return { input, output: pico(model.output_usd_per_mtok), cachedInput };
}

/**
 * A request's cost in integer micro-dollars, rounded half up once per request. Money never
 * passes through a fraction: prices and token counts are integers, and so is every step. A total
 * below 2⁵³ pico-dollars (about $9,000 a request) is exact in a double; a larger one is redone in
 * BigInt.
 */
export function costMicros(
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  prices: TokenPrices,
): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const fresh = usage.inputTokens - cached;
  // Each product and the sum are exact while the total stays a safe integer: one that is not
  // rounds to 2⁵³ or more, which the check sends to the BigInt path.
  const halfUp =
    fresh * prices.input + cached * prices.cachedInput + usage.outputTokens * prices.output + PICO_PER_MICRO / 2;
  if (Number.isSafeInteger(halfUp)) return (halfUp - (halfUp % PICO_PER_MICRO)) / PICO_PER_MICRO;
  const big =
    BigInt(fresh) * BigInt(prices.input) +
    BigInt(cached) * BigInt(prices.cachedInput) +
    BigInt(usage.outputTokens) * BigInt(prices.output);
  return Number((big + BIG_HALF) / BIG_PICO_PER_MICRO);
}
