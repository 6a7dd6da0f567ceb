// Names the servers refuse, checked before anything is registered: MongoDB database names, the
// NSQ topic, and the certificate's DNS names (which the edge also routes by).
import { z } from "zod";
import { EDGE_ROUTE_NAMES } from "../facts/services";
import type { ConfigProblem } from "./problems";

/**
 * MongoDB manual, "Naming Restrictions" (Restrictions on Database Names): not empty, fewer than
 * 64 characters, none of /\. "$ (any platform) nor *<>:|? (Windows), no null character.
 */
export const MONGODB_DATABASE_MAX_LENGTH = 63;
const MONGODB_FORBIDDEN = /[/\\. "$*<>:|?\0]/;

export function mongoDatabaseProblem(name: string): string | undefined {
  const forbidden = MONGODB_FORBIDDEN.exec(name)?.[0];
  if (forbidden !== undefined) {
    const shown = forbidden === " " ? "a space" : forbidden === "\0" ? "a null character" : `'${forbidden}'`;
    return `expected a MongoDB database name without / \\ . " $ * < > : | ? or spaces (MongoDB's naming restrictions); it has ${shown}`;
  }
  if (Buffer.byteLength(name, "utf8") > MONGODB_DATABASE_MAX_LENGTH) {
    return `expected a MongoDB database name of at most ${MONGODB_DATABASE_MAX_LENGTH} bytes (MongoDB's limit is fewer than 64)`;
  }
  return undefined;
}

export const mongoDatabase = () =>
  z
    .string({ error: "expected a MongoDB database name" })
    .min(1, { error: "expected a MongoDB database name" })
    .superRefine((name, ctx) => {
      const problem = mongoDatabaseProblem(name);
      if (problem) ctx.addIssue({ code: "custom", input: name, message: problem });
    });

/** nsqd's protocol.IsValidTopicName: 1 to 64 of [.a-zA-Z0-9_-] (an `#ephemeral` topic drops messages: not for jobs). */
export const NSQ_TOPIC = /^[.a-zA-Z0-9_-]{1,64}$/;
export const nsqTopic = () =>
  z
    .string({ error: "expected an NSQ topic name" })
    .regex(NSQ_TOPIC, { error: "expected an NSQ topic name: 1 to 64 characters of letters, digits, '.', '_' and '-' (nsqd refuses others)" });

/** X.509's upper bound of a common name (RFC 5280, ub-common-name): the first DNS name is the certificate's CN. */
export const COMMON_NAME_MAX_LENGTH = 64;
/** RFC 1035: a name is at most 253 characters in text form. */
const DNS_NAME_MAX_LENGTH = 253;

/** Duplicates, lengths, and the names the edge routes by. */
export function dnsNameProblems(dnsNames: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  dnsNames.forEach((name, index) => {
    const lower = name.toLowerCase();
    const first = seen.get(lower);
    if (first !== undefined) {
      problems.push({ path: ["tls", "dnsNames", index], message: `expected each DNS name once: the same as tls.dnsNames.${first} (names are case-insensitive)`, input: name });
    } else {
      seen.set(lower, index);
    }
    if (name.length > DNS_NAME_MAX_LENGTH) problems.push({ path: ["tls", "dnsNames", index], message: `expected a DNS name of at most ${DNS_NAME_MAX_LENGTH} characters`, input: name });
  });
  if (dnsNames.length > 0 && dnsNames[0].length > COMMON_NAME_MAX_LENGTH) {
    problems.push({
      path: ["tls", "dnsNames", 0],
      message: `expected at most ${COMMON_NAME_MAX_LENGTH} characters in the first DNS name: it is also the certificate's common name (RFC 5280 limits a CN to 64); put a shorter name first`,
      input: dnsNames[0],
    });
  }
  for (const route of EDGE_ROUTE_NAMES) {
    if (dnsNames.some((name) => name.toLowerCase().split(".")[0] === route)) continue;
    problems.push({
      path: ["tls", "dnsNames"],
      message: `expected a name for the edge's ${route} route, such as ${route}.${domainOf(dnsNames)}: the edge answers ${EDGE_ROUTE_NAMES.map((r) => `${r}.<domain>`).join(", ")}`,
      input: dnsNames,
    });
  }
  return problems;
}

function domainOf(dnsNames: readonly string[]): string {
  const name = dnsNames.find((candidate) => candidate.includes(".") && !candidate.startsWith("*"));
  return name ? name.slice(name.indexOf(".") + 1) : "example.org";
}

/** The database names the stack uses: mongodb.database and the restore tests' scratch database. */
export function databaseNameProblems(cfg: { mongodb: { database: string }; backup: { scratchDatabase?: string } }): ConfigProblem[] {
  if (cfg.backup.scratchDatabase !== undefined) return [];
  // The default scratch database is <database>_restore_test: it must be a valid name too.
  const scratch = `${cfg.mongodb.database}_restore_test`;
  const problem = mongoDatabaseProblem(scratch);
  if (!problem) return [];
  return [
    {
      path: ["mongodb", "database"],
      message: `expected a name whose restore-test database ${JSON.stringify(scratch)} is valid too: ${problem.replace(/^expected /, "")}; shorten it or set backup.scratchDatabase`,
      input: cfg.mongodb.database,
    },
  ];
}
