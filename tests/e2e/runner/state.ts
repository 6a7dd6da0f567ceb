// The runner's state, as the Pulumi engine keeps it per URN: type, inputs as sent, outputs, id,
// protect, retainOnDelete. `.e2e/state.json` never holds a secret: a secret input or output is
// stored there as a salted hash (enough to diff), and the values themselves live in a file of
// mode 0600 under the e2e cache directory, outside the repository.
import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface StateResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  id: string;
  /** Inputs as the program sent them (after the provider's check). */
  inputs: Record<string, unknown>;
  /** What the provider returned after create/update/read. */
  outputs: Record<string, unknown>;
  dependsOn: string[];
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Dotted paths (`uploads.0.content`) of inputs and outputs that are secret. */
  secretInputPaths: string[];
  secretOutputPaths: string[];
}

export interface State {
  stack: string;
  resources: Record<string, StateResource>;
  /** Stack outputs of the last `up` (secrets as "[secret]"). */
  outputs: Record<string, unknown>;
}

interface SecretFile {
  salt: string;
  /** urn -> dotted path -> value, for inputs ("in:") and outputs ("out:"). */
  values: Record<string, Record<string, unknown>>;
  /** Config secrets the runner generated for the stack (anthropicApiKey, slackWebhookUrl, ...). */
  config: Record<string, string>;
}

const HASH_PREFIX = "[secret sha256:";

export function getPath(value: unknown, dotted: string): unknown {
  if (dotted === "") return value;
  let cursor: unknown = value;
  for (const part of dotted.split(".")) {
    if (cursor === null || typeof cursor !== "object") return undefined;
    cursor = (cursor as Record<string, unknown>)[part];
  }
  return cursor;
}

export function setPath(value: Record<string, unknown>, dotted: string, item: unknown): void {
  const parts = dotted.split(".");
  let cursor: Record<string, unknown> = value;
  for (const part of parts.slice(0, -1)) {
    if (cursor[part] === null || typeof cursor[part] !== "object") return;
    cursor = cursor[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (last in cursor) cursor[last] = item;
}

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export class StateStore {
  private secrets: SecretFile;
  /** A preview changes nothing on disk: refreshed reads and planned steps stay in memory. */
  readonly = false;

  constructor(
    readonly statePath: string,
    readonly secretsPath: string,
    public state: State,
  ) {
    this.secrets = StateStore.readSecrets(secretsPath);
  }

  static open(statePath: string, secretsPath: string, stack: string): StateStore {
    const store = new StateStore(statePath, secretsPath, { stack, resources: {}, outputs: {} });
    if (fs.existsSync(statePath)) {
      const saved = JSON.parse(fs.readFileSync(statePath, "utf8")) as State;
      for (const resource of Object.values(saved.resources)) store.reveal(resource);
      store.state = saved;
    }
    return store;
  }

  private static readSecrets(file: string): SecretFile {
    if (fs.existsSync(file)) {
      const mode = fs.statSync(file).mode & 0o777;
      if (mode & 0o077) throw new Error(`${file} is readable by others (mode ${mode.toString(8)}): it holds the e2e stack's secrets; chmod 600 it or delete it`);
      return JSON.parse(fs.readFileSync(file, "utf8")) as SecretFile;
    }
    return { salt: randomBytes(16).toString("hex"), values: {}, config: {} };
  }

  /** A salted hash of a secret: equal values compare equal, the value cannot be read back. */
  hash(value: unknown): string {
    return `${HASH_PREFIX}${createHmac("sha256", this.secrets.salt).update(JSON.stringify(value ?? null)).digest("hex").slice(0, 32)}]`;
  }

  /** Config secrets generated once per state (so a second evaluation gets the same values). */
  configSecret(key: string, make: () => string): string {
    if (this.secrets.config[key] === undefined) {
      this.secrets.config[key] = make();
      this.writeSecrets();
    }
    return this.secrets.config[key]!;
  }

  get(urn: string): StateResource | undefined {
    return this.state.resources[urn];
  }

  put(resource: StateResource): void {
    this.state.resources[urn(resource)] = clone(resource);
    this.save();
  }

  remove(urnValue: string): void {
    delete this.state.resources[urnValue];
    delete this.secrets.values[urnValue];
    this.save();
  }

  /** Writes both files: the state with secrets hashed, the secrets 0600. */
  save(): void {
    if (this.readonly) return;
    const onDisk: State = { ...this.state, resources: {} };
    for (const [key, resource] of Object.entries(this.state.resources)) {
      const stored = clone(resource);
      const values: Record<string, unknown> = {};
      for (const p of resource.secretInputPaths) {
        const v = getPath(resource.inputs, p);
        if (v === undefined) continue;
        values[`in:${p}`] = v;
        setPath(stored.inputs, p, this.hash(v));
      }
      for (const p of resource.secretOutputPaths) {
        const v = getPath(resource.outputs, p);
        if (v === undefined) continue;
        values[`out:${p}`] = v;
        setPath(stored.outputs, p, this.hash(v));
      }
      if (Object.keys(values).length) this.secrets.values[key] = values;
      else delete this.secrets.values[key];
      onDisk.resources[key] = stored;
    }
    fs.mkdirSync(path.dirname(this.statePath), { recursive: true });
    this.writeSecrets();
    writeAtomic(this.statePath, `${JSON.stringify(onDisk, null, 2)}\n`, 0o644);
  }

  private writeSecrets(): void {
    fs.mkdirSync(path.dirname(this.secretsPath), { recursive: true, mode: 0o700 });
    writeAtomic(this.secretsPath, JSON.stringify(this.secrets), 0o600);
  }

  /** Puts the secret values of a loaded resource back in place of their hashes. */
  private reveal(resource: StateResource): void {
    const values = this.secrets.values[resource.urn] ?? {};
    for (const p of resource.secretInputPaths) if (`in:${p}` in values) setPath(resource.inputs, p, values[`in:${p}`]);
    for (const p of resource.secretOutputPaths) if (`out:${p}` in values) setPath(resource.outputs, p, values[`out:${p}`]);
  }

  /** Deletes the state and its secrets (after a destroy that left nothing). */
  discard(): void {
    fs.rmSync(this.statePath, { force: true });
    fs.rmSync(this.secretsPath, { force: true });
  }
}

const urn = (resource: StateResource) => resource.urn;

function writeAtomic(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode });
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}
