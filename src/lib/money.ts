import { KrioraError } from "./errors";

/**
 * Money is integer micro-dollars everywhere (1 USD = 1 000 000). These convert between that and
 * decimal text without a float: a typed amount is parsed digit by digit, and shown exactly.
 */
export const MICROS_PER_USD = 1_000_000;
export const MICROS_PER_CENT = 10_000;

const DECIMAL = /^(-)?(\d{1,9})(?:\.(\d+))?$/;

/**
 * `"12.34"` → `12340000`. At most `decimals` digits after the point (2 for card payments, 6 for
 * credits); `param` names the field in the error.
 * @example parseUsd("0.000127", { param: "amount" }) // 127
 */
export function parseUsd(text: string, opts: { param: string; decimals?: number; allowNegative?: boolean }): number {
  const decimals = opts.decimals ?? 6;
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[1] && !opts.allowNegative) || (m[3] ?? "").length > decimals)
    throw new KrioraError(
      "invalid_request",
      `The amount must be a${opts.allowNegative ? "" : " positive"} number of US dollars with at most ${decimals} decimals.`,
      {
        param: opts.param,
      },
    );
  const micros = Number(m[2]) * MICROS_PER_USD + Number((m[3] ?? "").padEnd(6, "0"));
  return m[1] ? -micros : micros;
}

/**
 * `12340000` → `"12.34"`, `127` → `"0.000127"`: exact, at least two decimals. Sums (balances) are
 * bigint, so they stay exact past 2^53 micro-dollars; a plain number must be a safe integer.
 * @example formatUsd(-1_500_000) // "-1.50"
 */
export function formatUsd(micros: number | bigint): string {
  if (typeof micros === "number" && !Number.isSafeInteger(micros))
    throw new RangeError("micro-dollar amounts are safe integers");
  const value = BigInt(micros);
  const abs = value < 0n ? -value : value;
  const fraction = String(abs % BIG_MICROS_PER_USD)
    .padStart(6, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  return `${value < 0n ? "-" : ""}${abs / BIG_MICROS_PER_USD}.${fraction}`;
}

const BIG_MICROS_PER_USD = BigInt(MICROS_PER_USD);

/**
 * A micro-dollar sum for JSON: a number while JSON readers get it exactly (a safe integer), its
 * decimal text beyond (`"9007199254740993"`), never a rounded number.
 * @example jsonMicros(2_000_000n) // 2000000
 */
export function jsonMicros(micros: bigint): number | string {
  const n = Number(micros);
  return Number.isSafeInteger(n) ? n : micros.toString();
}
