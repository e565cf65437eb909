// Money is integer micro-dollars everywhere inside the daemon; dollars only at the edges.

export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** Dollars (as written by an operator or reported by a provider) to micro-dollars, rounded half up. */
export function usdToMicros(usd: number): Micros {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`not a dollar amount: ${usd}`);
  return Math.round(usd * MICROS_PER_USD);
}

/** Micro-dollars as a decimal string with six places, for headers and JSON ("0.005000"). */
export function formatUsd(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const frac = String(abs % MICROS_PER_USD).padStart(6, '0');
  return `${sign}${whole}.${frac}`;
}

/** Micro-dollars as a JSON number of dollars (exact to the micro for any realistic amount). */
export function microsToUsd(micros: Micros): number {
  return micros / MICROS_PER_USD;
}
