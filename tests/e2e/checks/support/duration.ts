// Prometheus/Alertmanager durations ("30s", "1m30s", "5m", "1h") in milliseconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds of a duration such as `1m30s`; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(value) * UNIT_MS[unit!]!;
  return total;
}
