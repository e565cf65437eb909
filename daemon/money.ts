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

/** Digits kept after the point: the micro-dollar, and below it for per-token and per-unit prices. */
const MAX_DECIMALS = 9;

/**
 * Dollars as every table, message, the tray and the window show them: "$1,234.50"; digits below a
 * cent only where the amount has them ("$0.0051", "$0.000123"), so a figure is never rounded into
 * another one. The one formatter: the CLI, the tray, the window and the daemon's messages all use it.
 */
export function usd(dollars: number): string {
  const [whole = '0', fraction = ''] = Math.abs(dollars).toFixed(MAX_DECIMALS).split('.');
  const cents = fraction.replace(/0+$/, '').padEnd(2, '0');
  const sign = dollars < 0 && /[1-9]/.test(whole + cents) ? '-' : '';
  return `${sign}$${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}

/** Micro-dollars, shown as dollars (see usd). */
export const usdOfMicros = (micros: Micros): string => usd(microsToUsd(micros));
