// Durations as the CLIs accept them ("90", "90s", "15m", "2h") and as PromQL wants them ("15m").

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from "90" (seconds), "90s", "1.5m", "15m", "2h", "1d"; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2] ?? "s"];
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** A PromQL range literal; whole minutes read best, seconds otherwise (PromQL wants integers). */
export function promDuration(seconds: number): string {
  const whole = Math.max(1, Math.round(seconds));
  if (whole % 3600 === 0) return `${whole / 3600}h`;
  if (whole % 60 === 0) return `${whole / 60}m`;
  return `${whole}s`;
}

export function humanDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
