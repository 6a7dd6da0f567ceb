// Reusable zod field builders whose messages read as "expected ...", so that a
// validation error prints as `enrichment:<path>: expected ..., got <value>`.
import { z } from "zod";
import { dockerCpus, nanoCpusToDecimalString, parseCpus } from "../facts/readback";

export const int = (min: number, max?: number) => {
  const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
  const message = `expected an integer ${range}`;
  let schema = z.number({ error: message }).int({ error: message }).min(min, { error: message });
  if (max !== undefined) schema = schema.max(max, { error: message });
  return schema;
};

export const num = (min: number, max?: number) => {
  const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
  const message = `expected a number ${range}`;
  let schema = z.number({ error: message }).min(min, { error: message });
  if (max !== undefined) schema = schema.max(max, { error: message });
  return schema;
};

export const port = () => int(1, 65535);

export const bool = () => z.boolean({ error: "expected true or false" });

export const text = (what = "a non-empty string") => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}` });

/** A Docker image pinned by a tag other than `latest`, by a digest, or both. */
const IMAGE_REF = /^(?<name>[a-z0-9]+(?:[._\-/:][a-z0-9]+)*?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

export function parseImageRef(ref: string): { name: string; tag?: string; digest?: string } | undefined {
  const match = IMAGE_REF.exec(ref);
  if (!match?.groups) return undefined;
  const { name, tag, digest } = match.groups;
  return { name, tag, digest };
}

export const pinnedImage = () =>
  z.string({ error: "expected an image reference" }).refine(
    (ref) => {
      const parsed = parseImageRef(ref);
      return !!parsed && (!!parsed.digest || (!!parsed.tag && parsed.tag !== "latest"));
    },
    { error: "expected an image pinned by a tag other than 'latest' or by '@sha256:<digest>'" },
  );

export const digestImage = () =>
  z.string({ error: "expected an image reference" }).refine((ref) => !!parseImageRef(ref)?.digest, {
    error: "expected an image pinned by digest ('<name>[:<tag>]@sha256:<64 hex>'): a release names exact images",
  });

export const ipv4 = () =>
  z.string({ error: "expected an IPv4 address" }).regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, {
    error: "expected an IPv4 address such as 127.0.0.1",
  });

export const dnsName = () =>
  z.string({ error: "expected a DNS name" }).regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, {
    error: "expected a DNS name such as review.example.org",
  });

/**
 * A CPU limit as in `docker run --cpus`, restricted to values the docker provider reads back as
 * sent (facts/readback.ts): any other value replaces its container on every `pulumi up`.
 */
const CPUS_MIN = 0.05;
const CPUS_MAX = 256;
export const cpus = () =>
  num(CPUS_MIN, CPUS_MAX).superRefine((value, ctx) => {
    // Out of range is one problem, said by num(); the read-back form is a second cause only in range.
    if (value < CPUS_MIN || value > CPUS_MAX || dockerCpus(value) !== undefined) return;
    const nano = parseCpus(String(value));
    const readBack = nano === undefined ? "an error (more than nine decimals)" : `"${nanoCpusToDecimalString(nano)}"`;
    ctx.addIssue({
      code: "custom",
      input: value,
      message: `expected a CPU count the docker provider reads back unchanged (such as 0.1, 0.25, 0.5, 1, 1.5); ${value} reads back as ${readBack}, which would replace the container on every update`,
    });
  });

/** Container resource sizing: memory in MB (the Docker provider's unit) and CPUs as a decimal. */
export const size = (memoryMb: number, cpuCount: number) =>
  z
    .object({
      memoryMb: int(16, 1048576).default(memoryMb).describe("memory limit in MB (Docker provider unit)"),
      cpus: cpus().default(cpuCount).describe("CPU limit, as in `docker run --cpus`; only values the provider reads back as sent"),
    })
    .strict()
    .prefault({});

/** An http(s) URL; `what` completes "expected ...". */
export const httpUrl = (what: string) =>
  z.string({ error: `expected ${what}` }).regex(/^https?:\/\/[^\s/:]+(:\d+)?(\/\S*)?$/, { error: `expected ${what}` });

/** A CORS origin as browsers send it: lower-case scheme://host[:port 1-65535], no path or trailing slash (the schema and the edge config both check it). */
export const ORIGIN = /^https?:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:(6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3}))?$/;
