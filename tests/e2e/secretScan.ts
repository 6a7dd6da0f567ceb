// Looks for plaintext secret values in files (walking directories) and in captured text: what the
// e2e's `secrets in state` step runs over the backend, the stack file, the event logs and the CLI's
// output. A value is also looked for in the encodings a JSON or YAML writer would give it (escaped
// newlines of a PEM) and in base64, so a secret cannot pass unseen in another spelling.
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";

export interface SecretFinding {
  secret: string;
  where: string;
}

/** The spellings of a value a file could hold it in. */
function spellings(value: string): string[] {
  const out = new Set<string>([value, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString("base64")]);
  // A PEM: its body lines alone (a writer may re-wrap or re-escape the armour).
  const body = value.split("\n").filter((l) => l && !l.startsWith("-----"));
  if (body.length > 2) out.add(body[Math.floor(body.length / 2)]!);
  return [...out].filter((s) => s.length >= 12);
}

function filesUnder(p: string): string[] {
  if (!fs.existsSync(p)) return [];
  const stat = fs.statSync(p);
  if (stat.isFile()) return [p];
  if (!stat.isDirectory()) return [];
  return fs.readdirSync(p).flatMap((entry) => filesUnder(path.join(p, entry)));
}

/**
 * Every (secret, place) where a value of `secrets` (name -> value) appears in plain text: in a file
 * under `paths`, or in one of `texts` (captured output, named `output #<n>`).
 */
export function scanForSecrets(secrets: Record<string, string>, paths: string[], texts: string[] = []): SecretFinding[] {
  const needles = Object.entries(secrets).flatMap(([name, value]) => spellings(value).map((s) => ({ name, s })));
  const found: SecretFinding[] = [];
  const look = (haystack: string, where: string) => {
    const seen = new Set<string>();
    for (const { name, s } of needles) if (!seen.has(name) && haystack.includes(s)) {
      seen.add(name);
      found.push({ secret: name, where });
    }
  };
  for (const file of paths.flatMap(filesUnder)) {
    const raw = fs.readFileSync(file);
    // Compressed history or backups would hide a value: gunzip what is gzip.
    let text = raw.toString("utf8");
    if (raw[0] === 0x1f && raw[1] === 0x8b) text = gunzipSync(raw).toString("utf8");
    look(text, file);
  }
  texts.forEach((text, i) => look(text, `output #${i + 1}`));
  return found;
}
