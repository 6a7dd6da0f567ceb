// The real Pulumi CLI as the e2e (and every e2e scenario) drives it: the toolchain that
// tests/e2e/engine/build.sh built, a file:// backend under .e2e/, the passphrase secrets provider,
// and the stack's config in a stack file of its own (`--config-file`), so the repository's
// Pulumi.<stack>.yaml files are never touched.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { childEnd } from "../../../release/childEnd";
import { collectOutput } from "../output";
import { describeTree, signalTree } from "../processTree";

export const REPO = path.resolve(__dirname, "../../..");
/**
 * Per command: the slowest here (the first up, the plane off) take about 3 minutes; past these
 * the CLI is cancelled and its processes are printed, so a hang fails one step instead of
 * running into CI's time limit.
 */
const PREVIEW_TIMEOUT_MS = 10 * 60_000;
const UP_TIMEOUT_MS = 15 * 60_000;
const DESTROY_TIMEOUT_MS = 10 * 60_000;
export const E2E_CACHE = process.env.E2E_CACHE || "/var/cache/enrichment-e2e";

/** What build.sh built: where each piece is and its version (engine.env). */
export interface Toolchain {
  dir: string;
  binDir: string;
  pulumiHome: string;
  dockerSchema: string;
  dockerProviderInfo: string;
  versions: Record<string, string>;
}

/**
 * A toolchain build.sh built: the one in `dir` (build.sh's last line names it), else the one it built
 * last (`$E2E_CACHE/engine/current`), or why there is none.
 */
export function loadToolchain(cache = E2E_CACHE, dir = path.join(cache, "engine", "current")): Toolchain | { missing: string } {
  const envFile = path.join(dir, "engine.env");
  if (!fs.existsSync(envFile)) return { missing: `no Pulumi toolchain in ${path.join(cache, "engine")}: run bash tests/e2e/engine/build.sh` };
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(envFile, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return {
    dir: fs.realpathSync(dir),
    binDir: env.BIN_DIR!,
    pulumiHome: env.PULUMI_HOME!,
    dockerSchema: env.DOCKER_SCHEMA!,
    dockerProviderInfo: env.DOCKER_PROVIDER_INFO!,
    versions: {
      pulumi: env.PULUMI_VERSION!,
      "pulumi-language-nodejs": `${env.PULUMI_NODEJS_HOST_SDK_VERSION} (sdk/v3)`,
      "docker plugin": `${env.DOCKER_PLUGIN_VERSION} (bridged terraform-provider-docker ${env.TF_DOCKER_VERSION}, pulumi-terraform-bridge ${env.TF_BRIDGE_VERSION})`,
      "random plugin": `${env.RANDOM_PLUGIN_VERSION} (stand-in)`,
      "tls plugin": `${env.TLS_PLUGIN_VERSION} (stand-in)`,
      "command plugin": `${env.COMMAND_PLUGIN_VERSION} (stand-in)`,
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface PulumiOptions {
  toolchain: Toolchain;
  stack: string;
  /** The stack's config file (`--config-file`). */
  configFile: string;
  /** The file:// backend's directory. */
  backendDir: string;
  passphrase: string;
  /** The project directory (Pulumi.yaml); the repository by default. */
  cwd?: string;
  /** Prints a progress line. */
  log?: (line: string) => void;
  /** Extra environment for every command (e.g. DOCKER_HOST). */
  env?: NodeJS.ProcessEnv;
}

export class PulumiCli {
  constructor(readonly options: PulumiOptions) {}

  /** The environment every pulumi command runs with; also what other tools (drift-report, verify) get. */
  env(): NodeJS.ProcessEnv {
    const { toolchain } = this.options;
    return {
      ...process.env,
      ...(this.options.env ?? {}),
      PATH: `${toolchain.binDir}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: toolchain.pulumiHome,
      PULUMI_CONFIG_PASSPHRASE: this.options.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // Every plugin is installed from a file; nothing may be downloaded (no registry is reachable).
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Shows `--event-log` on up, preview and destroy: the e2e reads each resource's step from it.
      PULUMI_DEBUG_COMMANDS: "true",
      PULUMI_BACKEND_URL: `file://${this.options.backendDir}`,
      NO_COLOR: "1",
    };
  }

  /** `pulumi <args>` in the project directory; streams output unless quiet. */
  async run(args: string[], opts: { stdin?: string; quiet?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    const started = Date.now();
    const bin = path.join(this.options.toolchain.binDir, "pulumi");
    const eventLogAt = args.indexOf("--event-log");
    const eventLog = eventLogAt >= 0 ? args[eventLogAt + 1] : undefined;
    // The event log holds secrets in plain text while the command runs (see dropDebugDiagnostics):
    // only its owner may read it.
    if (eventLog) fs.closeSync(fs.openSync(eventLog, "w", 0o600));
    const child = spawn(bin, args, { cwd: this.options.cwd ?? REPO, env: this.env(), stdio: ["pipe", "pipe", "pipe"] });
    const output = collectOutput(child, opts);
    const limit = opts.timeoutMs;
    const end = await childEnd(child, {
      timeoutMs: limit,
      // The CLI and its plugins: SIGINT lets the CLI cancel cleanly; SIGKILL a minute later.
      stop: (signal) => signalTree(child.pid ?? 0, signal),
      onTimeout: () => {
        const note = `\n[pulumi ${args[0]} did not finish within ${(limit ?? 0) / 60_000} min; its processes:\n${describeTree(child.pid ?? 0)}\nSIGINT sent]\n`;
        output.stderr += note;
        process.stderr.write(note);
      },
      onLinger: () => {
        output.stderr += `\n[pulumi ${args[0]} exited (${child.exitCode}) but a process it started kept its output open]\n`;
      },
    });
    if (eventLog) dropDebugDiagnostics(eventLog);
    return { code: end.code ?? 255, stdout: output.stdout, stderr: output.stderr, seconds: (Date.now() - started) / 1000 };
  }

  private stackArgs(): string[] {
    return ["--stack", this.options.stack, "--config-file", this.options.configFile, "--non-interactive"];
  }

  login(): Promise<RunResult> {
    fs.mkdirSync(this.options.backendDir, { recursive: true });
    return this.run(["login", `file://${this.options.backendDir}`], { quiet: true });
  }

  /**
   * `pulumi stack init --secrets-provider passphrase`. Init has no --config-file: it writes the
   * passphrase's salt to Pulumi.<stack>.yaml beside Pulumi.yaml. The salt is moved into the stack's
   * own config file (where every later command reads it) and that default file removed, unless it
   * was there before.
   */
  async stackInit(): Promise<RunResult> {
    const defaultFile = path.join(this.options.cwd ?? REPO, `Pulumi.${this.options.stack}.yaml`);
    const existed = fs.existsSync(defaultFile);
    const result = await this.run(["stack", "init", this.options.stack, "--secrets-provider", "passphrase", "--non-interactive"], { quiet: true });
    if (result.code === 0 && !existed && path.resolve(defaultFile) !== path.resolve(this.options.configFile) && fs.existsSync(defaultFile)) {
      const salt = /^encryptionsalt: .*$/m.exec(fs.readFileSync(defaultFile, "utf8"))?.[0];
      const config = fs.existsSync(this.options.configFile) ? fs.readFileSync(this.options.configFile, "utf8").replace(/^encryptionsalt: .*\n?/m, "") : "";
      if (salt) fs.writeFileSync(this.options.configFile, `${config.endsWith("\n") || !config ? config : `${config}\n`}${salt}\n`);
      fs.rmSync(defaultFile);
    }
    return result;
  }

  stackRemove(): Promise<RunResult> {
    return this.run(["stack", "rm", this.options.stack, "--yes", "--force", "--preserve-config", "--non-interactive"], { quiet: true });
  }

  /** `pulumi config set [--secret] [--path] <key> <value>`; a secret goes through stdin, never argv. */
  configSet(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): Promise<RunResult> {
    const flags = [opts.secret ? "--secret" : "--plaintext", ...(opts.path ? ["--path"] : [])];
    // Without a value argument, `config set` reads the value from stdin.
    if (opts.secret) return this.run(["config", "set", ...flags, ...this.stackArgs(), key], { stdin: value, quiet: true });
    // `--`: a value that starts with a dash is a value, not a flag.
    return this.run(["config", "set", ...flags, ...this.stackArgs(), "--", key, value], { quiet: true });
  }

  preview(opts: { json?: boolean; refresh?: boolean; expectNoChanges?: boolean; quiet?: boolean; extra?: string[] } = {}): Promise<RunResult> {
    return this.run(
      ["preview", ...this.stackArgs(), ...(opts.json ? ["--json"] : ["--diff"]), ...(opts.refresh ? ["--refresh"] : []), ...(opts.expectNoChanges ? ["--expect-no-changes"] : []), ...(opts.extra ?? [])],
      { quiet: opts.quiet ?? opts.json, timeoutMs: PREVIEW_TIMEOUT_MS },
    );
  }

  up(opts: { refresh?: boolean; quiet?: boolean; extra?: string[] } = {}): Promise<RunResult> {
    return this.run(["up", "--yes", "--skip-preview", ...this.stackArgs(), ...(opts.refresh ? ["--refresh"] : []), ...(opts.extra ?? [])], { quiet: opts.quiet, timeoutMs: UP_TIMEOUT_MS });
  }

  destroy(opts: { quiet?: boolean; extra?: string[] } = {}): Promise<RunResult> {
    return this.run(["destroy", "--yes", "--skip-preview", ...this.stackArgs(), ...(opts.extra ?? [])], { quiet: opts.quiet, timeoutMs: DESTROY_TIMEOUT_MS });
  }

  /** The stack's outputs; with showSecrets, in plain text (only ever kept in memory). */
  async stackOutputs(opts: { showSecrets?: boolean } = {}): Promise<Record<string, unknown>> {
    const result = await this.run(["stack", "output", "--json", ...(opts.showSecrets ? ["--show-secrets"] : []), "--stack", this.options.stack], { quiet: true });
    if (result.code !== 0) throw new Error(`pulumi stack output failed (exit ${result.code}): ${result.stderr.trim()}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** The stack's state as the backend holds it (`pulumi stack export`). */
  async exportState(opts: { showSecrets?: boolean } = {}): Promise<string> {
    const result = await this.run(["stack", "export", ...(opts.showSecrets ? ["--show-secrets"] : []), "--stack", this.options.stack], { quiet: true });
    if (result.code !== 0) throw new Error(`pulumi stack export failed (exit ${result.code}): ${result.stderr.trim()}`);
    return result.stdout;
  }
}

/**
 * Removes the debug diagnostics from an event log (`--event-log`). The CLI records every
 * diagnostic the program sends, debug ones included, and the Node.js SDK (@pulumi/pulumi 3.248,
 * runtime/resource.js) sends one per resource, "RegisterResource RPC finished: ... resp: ...", that
 * holds the engine's response, secret outputs in plain text: a preview of a deployed stack puts every
 * generated password and private key in the log (found by the e2e's secrets-in-state scan). Nothing
 * the e2e reads is a debug diagnostic. Returns how many lines were dropped.
 */
export function dropDebugDiagnostics(eventLog: string): number {
  if (!fs.existsSync(eventLog)) return 0;
  const lines = fs.readFileSync(eventLog, "utf8").split("\n");
  const kept = lines.filter((line) => {
    if (!line.includes('"diagnosticEvent"')) return true;
    try {
      return (JSON.parse(line) as { diagnosticEvent?: { severity?: string } }).diagnosticEvent?.severity !== "debug";
    } catch {
      return true;
    }
  });
  fs.writeFileSync(eventLog, kept.join("\n"));
  fs.chmodSync(eventLog, 0o600);
  return lines.length - kept.length;
}
