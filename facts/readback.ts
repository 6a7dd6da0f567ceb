// The forms in which the docker provider (kreuzwerker/terraform-provider-docker v4.5.0, the code
// @pulumi/docker 5.x wraps) reads container fields back from the engine. A value sent in any other
// form differs from the state after a refresh: for `cpus` (ForceNew) that is a replacement on every
// `pulumi up`, for healthcheck durations a no-op update on every preview. So the program sends
// exactly these forms, and tests/graph.readback.test.ts checks every container of both stacks.
//
//   cpus:      the provider parses the string with docker's opts.ParseCPUs (big.Rat, x 1e9, must be
//              an integer) and reads HostConfig.NanoCPUs back through nanoInt64ToDecimalString
//              (internal/provider/helpers.go): Rat(n, 1e9).FloatString(9); when that string holds
//              exactly nine "0" characters, FloatString(1) instead; otherwise trailing zeros trimmed.
//   durations: parsed with time.ParseDuration, read back with time.Duration.String().
//   ports:     a list, ForceNew, read back sorted by internal port (flattenContainerPorts).

const NANO = 1_000_000_000n;

/** docker's opts.ParseCPUs: the CPU count as nano-CPUs, or undefined when it is not a whole number of them. */
export function parseCpus(value: string): bigint | undefined {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match || (match[1] === "" && (match[2] ?? "") === "")) return undefined;
  const whole = BigInt(match[1] || "0");
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > 9) return undefined; // "value is too precise"
  return whole * NANO + BigInt(fraction.padEnd(9, "0") || "0");
}

/** Go's big.Rat(n, 1e9).FloatString(digits) for n >= 0: rounded to nearest, halves away from zero. */
function floatString(nano: bigint, digits: number): string {
  const scale = 10n ** BigInt(9 - digits);
  const scaled = (nano + scale / 2n) / scale; // n >= 0: round half up == away from zero
  const unit = 10n ** BigInt(digits);
  const whole = scaled / unit;
  if (digits === 0) return whole.toString();
  return `${whole}.${(scaled % unit).toString().padStart(digits, "0")}`;
}

/** The provider's nanoInt64ToDecimalString: how `cpus` reads back. */
export function nanoCpusToDecimalString(nano: bigint): string {
  if (nano === 0n) return "0";
  const str = floatString(nano, 9);
  if ([...str].filter((c) => c === "0").length === 9) return floatString(nano, 1);
  return str.replace(/0+$/, "");
}

/** A number as a plain decimal string (no exponent), as it would be written in a stack file. */
function decimal(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * The `cpus` string to send for `cpus` CPUs: the provider's read-back form. Undefined when no
 * string both sets these CPUs and reads back as itself (0.05 reads back as "0.1"; more than
 * nine decimals are "too precise" for docker).
 */
export function dockerCpus(cpus: number): string | undefined {
  if (!(cpus > 0) || !Number.isFinite(cpus)) return undefined;
  const nano = parseCpus(decimal(cpus));
  if (nano === undefined || nano === 0n) return undefined;
  const form = nanoCpusToDecimalString(nano);
  return parseCpus(form) === nano ? form : undefined;
}

/** Go's time.Duration.String() for a non-negative duration in nanoseconds. */
export function goDurationString(nanos: bigint): string {
  if (nanos < 0n) throw new Error(`goDurationString: negative duration ${nanos}`);
  if (nanos === 0n) return "0s";
  const frac = (value: bigint, precision: number): [string, bigint] => {
    // Go's fmtFrac: the low `precision` digits as a fraction, trailing zeros (and a bare dot) dropped.
    let digits = "";
    let print = false;
    let v = value;
    for (let i = 0; i < precision; i++) {
      const digit = v % 10n;
      print = print || digit !== 0n;
      if (print) digits = digit.toString() + digits;
      v /= 10n;
    }
    return [print ? `.${digits}` : "", v];
  };
  if (nanos < NANO) {
    // Below one second Go switches to ns, µs or ms.
    if (nanos < 1000n) return `${nanos}ns`;
    if (nanos < 1_000_000n) {
      const [f, v] = frac(nanos, 3);
      return `${v}${f}µs`;
    }
    const [f, v] = frac(nanos, 6);
    return `${v}${f}ms`;
  }
  const [fraction, wholeSeconds] = frac(nanos, 9);
  let out = `${wholeSeconds % 60n}${fraction}s`;
  const minutes = wholeSeconds / 60n;
  if (minutes > 0n) {
    out = `${minutes % 60n}m${out}`;
    const hours = minutes / 60n;
    if (hours > 0n) out = `${hours}h${out}`;
  }
  return out;
}

/** A whole or fractional number of seconds as Go's Duration.String renders it ("60s" -> "1m0s"). */
export function goDuration(seconds: number): string {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new Error(`goDuration: expected seconds >= 0, got ${seconds}`);
  return goDurationString(BigInt(Math.round(seconds * 1e9)));
}

/** Go's time.ParseDuration for the subset the program sends ("1m30s", "10s", "500ms"); nanoseconds. */
export function parseGoDuration(text: string): bigint | undefined {
  if (text === "0") return 0n;
  const units: Record<string, bigint> = { ns: 1n, us: 1000n, "µs": 1000n, ms: 1_000_000n, s: NANO, m: 60n * NANO, h: 3600n * NANO };
  const re = /(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m|h)/gy;
  let total = 0n;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text))) {
    const unit = units[match[3]];
    const fraction = match[2] ?? "";
    total += BigInt(match[1]) * unit + (fraction ? (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length) : 0n);
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/**
 * A duration as the swarm service resource reads it back (terraform-provider-docker's shortDur:
 * Go's Duration.String with a trailing "0s" after minutes and "0m" after hours dropped: "1m", "1h",
 * "1m30s", "10s"). Source: internal/provider/resource_docker_service_structures.go, shortDur.
 */
export function swarmDuration(seconds: number): string {
  let text = goDuration(seconds);
  if (text.endsWith("m0s")) text = text.slice(0, -2);
  if (text.endsWith("h0m")) text = text.slice(0, -2);
  return text;
}
