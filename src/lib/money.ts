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
    throw new KrioraError("invalid_request", `The amount must be a${opts.allowNegative ? "" : " positive"} number of US dollars with at most ${decimals} decimals.`, {
      param: opts.param,
    });
  const micros = Number(m[2]) * MICROS_PER_USD + Number((m[3] ?? "").padEnd(6, "0"));
  return m[1] ? -micros : micros;
}

/**
 * `12340000` → `"12.34"`, `127` → `"0.000127"`: exact, at least two decimals.
 * @example formatUsd(-1_500_000) // "-1.50"
 */
export function formatUsd(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError("micro-dollar amounts are safe integers");
  const abs = Math.abs(micros);
  const fraction = String(abs % MICROS_PER_USD).padStart(6, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${micros < 0 ? "-" : ""}${Math.floor(abs / MICROS_PER_USD)}.${fraction}`;
}
