// A minimal Prometheus HTTP API client (instant queries only) on the global fetch. Every request
// has a timeout, and the evaluation time is always explicit so that an analysis can be replayed
// against historical (e.g. backfilled) data.

/** unreachable: no connection or no answer in time; protocol: an answer that is not Prometheus's; query: Prometheus refused the query. */
export type PrometheusErrorKind = "unreachable" | "protocol" | "query";

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly kind: PrometheusErrorKind = "query",
  ) {
    super(message);
    this.name = "PrometheusError";
  }
}

export interface Sample {
  labels: Record<string, string>;
  /** The sample value; NaN and ±Inf are kept as such (Prometheus sends them as strings). */
  value: number;
}

export interface PrometheusClientOptions {
  /** Per-request timeout; a hung Prometheus must not hang a promotion. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type ApiResponse =
  | { status: "success"; data: { resultType: "vector"; result: { metric: Record<string, string>; value: [number, string] }[] } | { resultType: "scalar"; result: [number, string] } | { resultType: string; result: unknown }; warnings?: string[] }
  | { status: "error"; errorType?: string; error?: string };

export class PrometheusClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };

  constructor(baseUrl: string, options: PrometheusClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new PrometheusError(`not a URL: ${baseUrl}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new PrometheusError(`expected an http(s) URL, got ${url.protocol}//${url.host}`);
    // fetch refuses URLs with credentials: user:password@ becomes a Basic header, and never
    // appears in output (only the origin is ever printed).
    if (url.username || url.password) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
      url.username = "";
      url.password = "";
    }
    // A trailing slash keeps a path prefix (http://host/prometheus) when resolving api/v1/...
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.base = url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get url(): string {
    return this.base.toString();
  }

  /** Evaluates `expr` at time `at`; a scalar result comes back as one sample without labels. */
  async query(expr: string, at: Date): Promise<Sample[]> {
    const body = new URLSearchParams({ query: expr, time: (at.getTime() / 1000).toFixed(3) });
    let response: Response;
    try {
      response = await this.fetchImpl(new URL("api/v1/query", this.base), {
        method: "POST",
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const err = error as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
      if (err.name === "TimeoutError") throw new PrometheusError(`no answer from ${this.base.origin} within ${this.timeoutMs} ms`, "unreachable");
      // undici hides the socket error in `cause` (an AggregateError when several addresses were tried).
      const reason = err.cause?.code ?? err.cause?.errors?.find((e) => e.code)?.code ?? err.cause?.message ?? err.message;
      throw new PrometheusError(`cannot reach ${this.base.origin}: ${reason}`, "unreachable");
    }

    let payload: ApiResponse;
    try {
      payload = (await response.json()) as ApiResponse;
    } catch {
      throw new PrometheusError(`HTTP ${response.status} from ${this.base.origin}: not a Prometheus API answer`, "protocol");
    }
    if (payload.status !== "success") {
      throw new PrometheusError(`HTTP ${response.status}: ${payload.errorType ?? "error"}: ${payload.error ?? "unknown error"}`);
    }
    const data = payload.data;
    if (data.resultType === "scalar") {
      const [, value] = data.result as [number, string];
      return [{ labels: {}, value: Number(value) }];
    }
    if (data.resultType !== "vector") throw new PrometheusError(`expected an instant vector or scalar, got ${data.resultType}`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((entry) => ({
      labels: entry.metric,
      value: Number(entry.value[1]),
    }));
  }

  /**
   * One number, or undefined when the query returned nothing (no data). More than one series is
   * an error: a gate's query must aggregate to a single value.
   */
  async queryValue(expr: string, at: Date): Promise<number | undefined> {
    const samples = await this.query(expr, at);
    if (samples.length === 0) return undefined;
    if (samples.length > 1) throw new PrometheusError(`expected one series, got ${samples.length}: ${expr}`);
    return samples[0].value;
  }
}

/** A string literal for PromQL label matchers (Go-style escapes, which JSON's are a subset of). */
export function promString(value: string): string {
  return JSON.stringify(value);
}
