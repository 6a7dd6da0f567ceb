// The e2e's stand-in provider plugins (tests/e2e/engine/providers: random, tls, command), started
// the way the engine starts a plugin (it prints its port on stdout) and driven over gRPC with the
// engine's own messages (@pulumi/pulumi/proto): Check, Diff, Create (and preview), Read, Update,
// Delete; the official replace rules, secrets, real certificates checked with node:crypto, real
// commands. When Go is present, beforeAll runs build.sh (a no-op when the binaries match the sources).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUnless, missingTools, tool } from "./tools";

const REPO = path.resolve(__dirname, "..");
const BUILD = path.join(REPO, "tests/e2e/engine/providers/build.sh");
const CACHE = process.env.E2E_CACHE ?? "/var/cache/enrichment-e2e";
// E2E_PROVIDERS_DIR: prebuilt plugins to test as they are (never rebuilt). Otherwise the plugins
// in the e2e cache, rebuilt from the sources first when Go is present.
const PREBUILT = process.env.E2E_PROVIDERS_DIR;
const BIN = PREBUILT ?? path.join(CACHE, "engine/providers");
const PLUGINS = ["random", "tls", "command"] as const;
type PluginName = (typeof PLUGINS)[number];
const GO = PREBUILT ? undefined : tool("go").path;
const BUILT = PLUGINS.every((name) => fs.existsSync(path.join(BIN, `pulumi-resource-${name}`)));
// Built here when Go is present; otherwise the e2e cache's plugins (tests/tools.json "standin-plugins").
const skip = GO || BUILT ? undefined : (missingTools(["standin-plugins"]) ?? `no stand-in plugins in ${BIN}`);

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (module: string) => require(require.resolve(module, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js");
const pb = require("@pulumi/pulumi/proto/provider_pb");
const services = require("@pulumi/pulumi/proto/provider_grpc_pb");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

// The engine's wire forms of a secret and of a value unknown during preview.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_MARK, value });
const isSecret = (v: any) => !!v && typeof v === "object" && v[SECRET_SIG] === SECRET_MARK;
const reveal = (v: any) => (isSecret(v) ? v.value : v);
const KINDS = ["ADD", "ADD_REPLACE", "DELETE", "DELETE_REPLACE", "UPDATE", "UPDATE_REPLACE"];
const CHANGES = ["unknown", "none", "some"];

type Props = Record<string, any>;
interface Failure {
  property: string;
  reason: string;
}
interface DiffResult {
  changes: string;
  replaces: string[];
  diffs: string[];
  detailed: Record<string, string>;
}

const lockVersion = (name: PluginName) => require(path.join(REPO, "package-lock.json")).packages[`node_modules/@pulumi/${name}`].version.replace(/^v/, "");

class Plugin {
  stderr = "";
  private constructor(
    readonly name: PluginName,
    private readonly process: ChildProcess,
    private readonly client: any,
  ) {}

  static start(name: PluginName): Promise<Plugin> {
    return new Promise((resolve, reject) => {
      // No engine address argument: the plugin serves without a host to log to (it logs to stderr).
      const child = spawn(path.join(BIN, `pulumi-resource-${name}`), [], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let plugin: Plugin | undefined;
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += d;
        if (plugin) plugin.stderr += d;
      });
      child.stdout!.on("data", (d) => {
        out += d;
        const port = /^(\d+)\s*$/m.exec(out)?.[1];
        if (port && !plugin) {
          plugin = new Plugin(name, child, new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
          plugin.stderr = stderr;
          resolve(plugin);
        }
      });
      child.on("exit", (code) => reject(new Error(`pulumi-resource-${name} exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`pulumi-resource-${name} printed no port: ${stderr}`)), 30_000);
    });
  }

  stop() {
    this.client.close();
    this.process.kill();
  }

  call<T = any>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => this.client[method](request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response))));
  }

  urn(type: string, name = "test") {
    return `urn:pulumi:e2e::providers-test::${type}::${name}`;
  }

  async check(type: string, news: Props, olds: Props = {}): Promise<{ inputs: Props; failures: Failure[] }> {
    const req = new pb.CheckRequest();
    req.setUrn(this.urn(type));
    req.setOlds(Struct.fromJavaScript(olds));
    req.setNews(Struct.fromJavaScript(news));
    const res: any = await this.call("check", req);
    return {
      inputs: res.getInputs()?.toJavaScript() ?? {},
      failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(type: string, olds: Props, news: Props): Promise<DiffResult> {
    const req = new pb.DiffRequest();
    req.setId("id");
    req.setUrn(this.urn(type));
    req.setOlds(Struct.fromJavaScript(olds));
    req.setNews(Struct.fromJavaScript(news));
    const res: any = await this.call("diff", req);
    const detailed: Record<string, string> = {};
    res.getDetaileddiffMap().forEach((v: any, k: string) => (detailed[k] = KINDS[v.getKind()]!));
    return { changes: CHANGES[res.getChanges()]!, replaces: res.getReplacesList().sort(), diffs: res.getDiffsList().sort(), detailed };
  }

  async create(type: string, props: Props, options: { preview?: boolean; timeout?: number; name?: string } = {}): Promise<{ id: string; outs: Props }> {
    const req = new pb.CreateRequest();
    req.setUrn(this.urn(type, options.name));
    req.setProperties(Struct.fromJavaScript(props));
    req.setPreview(!!options.preview);
    if (options.timeout) req.setTimeout(options.timeout);
    const res: any = await this.call("create", req);
    return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {} };
  }

  async read(type: string, id: string, props: Props, inputs: Props = {}): Promise<{ id: string; outs: Props; inputs: Props }> {
    const req = new pb.ReadRequest();
    req.setId(id);
    req.setUrn(this.urn(type));
    req.setProperties(Struct.fromJavaScript(props));
    req.setInputs(Struct.fromJavaScript(inputs));
    const res: any = await this.call("read", req);
    return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {}, inputs: res.getInputs()?.toJavaScript() ?? {} };
  }

  async update(type: string, olds: Props, news: Props, preview = false): Promise<Props> {
    const req = new pb.UpdateRequest();
    req.setId("id");
    req.setUrn(this.urn(type));
    req.setOlds(Struct.fromJavaScript(olds));
    req.setNews(Struct.fromJavaScript(news));
    req.setPreview(preview);
    const res: any = await this.call("update", req);
    return res.getProperties()?.toJavaScript() ?? {};
  }

  async delete(type: string, id: string, props: Props): Promise<void> {
    const req = new pb.DeleteRequest();
    req.setId(id);
    req.setUrn(this.urn(type));
    req.setProperties(Struct.fromJavaScript(props));
    await this.call("delete", req);
  }

  /** Check then create, as the engine does for a new resource. */
  async up(type: string, news: Props, name?: string): Promise<{ id: string; inputs: Props; outs: Props }> {
    const { inputs, failures } = await this.check(type, news);
    expect(failures).toEqual([]);
    const { id, outs } = await this.create(type, inputs, { name });
    return { id, inputs, outs };
  }
}

const plugins = {} as Record<PluginName, Plugin>;

beforeAll(async () => {
  if (skip) return;
  if (GO) execFileSync("bash", [BUILD, BIN], { stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  for (const name of PLUGINS) plugins[name] = await Plugin.start(name);
}, 660_000);

afterAll(() => {
  for (const plugin of Object.values(plugins)) plugin?.stop();
});

// ---- small DER readers for what node:crypto does not expose (key usage, key identifiers) ----

function tlv(der: Buffer, at: number) {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

/** The value (inside the OCTET STRING) of the certificate extension id-ce-<last> (2.5.29.<last>). */
function extension(cert: X509Certificate, last: number): Buffer | undefined {
  const der = cert.raw;
  const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, last]);
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  let next = tlv(der, at + oid.length);
  if (next.tag === 0x01) next = tlv(der, next.end); // critical
  return der.subarray(next.start, next.end);
}

const KEY_USAGE_BITS = ["digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"];
function keyUsage(cert: X509Certificate): string[] {
  const value = extension(cert, 15);
  if (!value) return [];
  const bits = tlv(value, 0);
  const bytes = value.subarray(bits.start + 1, bits.end);
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
}

const subjectKeyId = (cert: X509Certificate) => {
  const value = extension(cert, 14);
  return value && value.subarray(tlv(value, 0).start, tlv(value, 0).end).toString("hex");
};
const authorityKeyId = (cert: X509Certificate) => {
  const value = extension(cert, 35);
  if (!value) return undefined;
  const inner = tlv(value, tlv(value, 0).start); // [0] keyIdentifier
  return value.subarray(inner.start, inner.end).toString("hex");
};
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

// ---------------------------------------------------------------------------------------------

describeUnless(skip, "stand-in provider plugins", () => {
  describe.each(PLUGINS)("pulumi-resource-%s as a plugin", (name) => {
    it("reports package-lock.json's version of its SDK, a schema naming the package, secrets and previews", async () => {
      const plugin = plugins[name];
      const info: any = await plugin.call("getPluginInfo", new Empty());
      expect(info.getVersion()).toBe(lockVersion(name));
      const schema = JSON.parse((await plugin.call<any>("getSchema", new pb.GetSchemaRequest())).getSchema());
      expect(schema).toMatchObject({ name, version: lockVersion(name) });
      expect(Object.keys(schema.resources).length).toBeGreaterThan(0);
      const configure = new pb.ConfigureRequest();
      configure.setArgs(Struct.fromJavaScript({ version: lockVersion(name) }));
      configure.setAcceptsecrets(true);
      const configured: any = await plugin.call("configure", configure);
      expect(configured.getAcceptsecrets()).toBe(true);
      expect(configured.getSupportspreview()).toBe(true);
    });

    it("refuses a resource type it does not implement, naming the ones it does", async () => {
      await expect(plugins[name].check(`${name}:index/nothing:Nothing`, {})).rejects.toThrow(/has no resource type .* \(it implements /);
    });
  });

  describe("random:RandomPassword", () => {
    const T = "random:index/randomPassword:RandomPassword";
    // What components/secrets.ts sends for a MongoDB password.
    const MONGO = { length: 40, special: false, minLower: 2, minUpper: 2, minNumeric: 2 };

    it("Check names what is wrong: a missing length, a length under the minimums, an unknown property, number vs numeric", async () => {
      const random = plugins.random;
      expect((await random.check(T, { special: false })).failures).toEqual([{ property: "length", reason: expect.stringContaining('missing required property "length"') }]);
      expect((await random.check(T, { length: 5, minLower: 2, minUpper: 2, minNumeric: 2 })).failures).toEqual([
        { property: "length", reason: "length (5) must be at least minUpper + minLower + minNumeric + minSpecial (6)" },
      ]);
      expect((await random.check(T, { length: 0 })).failures.map((f) => f.property)).toEqual(["length"]);
      expect((await random.check(T, { lenght: 10, length: 10 })).failures).toEqual([{ property: "lenght", reason: expect.stringContaining('"lenght" is not an input of') }]);
      expect((await random.check(T, { length: "10" })).failures).toEqual([{ property: "length", reason: expect.stringContaining("expected an integer") }]);
      expect((await random.check(T, { length: 10, number: true, numeric: false })).failures.map((f) => f.property)).toEqual(["number"]);
      expect((await random.check(T, { length: 10, numeric: false, special: false, upper: false, lower: false })).failures.map((f) => f.property)).toEqual(["numeric"]);
      // Defaults are planned (they show in the state), not added to the checked inputs.
      expect((await random.check(T, MONGO)).inputs).toEqual(MONGO);
    });

    it("creates a password meeting its rules; result and bcryptHash are secrets; defaults are in the state", async () => {
      for (let i = 0; i < 3; i++) {
        const { id, outs } = await plugins.random.up(T, MONGO);
        expect(id).toBe("none");
        expect(isSecret(outs.result)).toBe(true);
        expect(isSecret(outs.bcryptHash)).toBe(true);
        const result: string = reveal(outs.result);
        expect(result).toHaveLength(40);
        expect(result).toMatch(/^[A-Za-z0-9]+$/);
        expect(result.match(/[a-z]/g)!.length).toBeGreaterThanOrEqual(2);
        expect(result.match(/[A-Z]/g)!.length).toBeGreaterThanOrEqual(2);
        expect(result.match(/[0-9]/g)!.length).toBeGreaterThanOrEqual(2);
        expect(reveal(outs.bcryptHash)).toMatch(/^\$2a\$10\$.{53}$/);
        expect(outs).toMatchObject({ upper: true, lower: true, numeric: true, number: true, minSpecial: 0, special: false });
      }
    });

    it("draws each minimum from its class, even a class that is off (as the official does)", async () => {
      // Only digits are on: without the minimums there would be no letters at all.
      const { outs } = await plugins.random.up(T, { length: 8, upper: false, lower: false, special: false, minUpper: 3, minLower: 2 });
      const result: string = reveal(outs.result);
      expect(result).toHaveLength(8);
      expect(result.match(/[A-Z]/g)).toHaveLength(3);
      expect(result.match(/[a-z]/g)).toHaveLength(2);
      expect(result.match(/[0-9]/g)).toHaveLength(3);
    });

    it("takes special characters from overrideSpecial only, and honours minSpecial", async () => {
      const { outs } = await plugins.random.up(T, { length: 32, special: true, overrideSpecial: "-_.~!#%^*", minSpecial: 10, minLower: 2, minUpper: 2, minNumeric: 2 });
      const result: string = reveal(outs.result);
      expect(result).toMatch(/^[A-Za-z0-9\-_.~!#%^*]{32}$/);
      expect(result.match(/[-_.~!#%^*]/g)!.length).toBeGreaterThanOrEqual(10);
    });

    it("previews a new password with its result unknown and its defaults known", async () => {
      const { outs } = await plugins.random.create(T, MONGO, { preview: true });
      expect(outs.result).toEqual(secret(UNKNOWN));
      expect(outs.bcryptHash).toEqual(secret(UNKNOWN));
      expect(outs).toMatchObject({ length: 40, special: false, upper: true, numeric: true });
    });

    it("replaces on a change of any input and of keepers; no change is no diff; a secret-only change is no diff", async () => {
      const { outs } = await plugins.random.up(T, { ...MONGO, keepers: { release: "e2e-1" } });
      expect(await plugins.random.diff(T, outs, { ...MONGO, keepers: { release: "e2e-1" } })).toMatchObject({ changes: "none", replaces: [] });
      expect(await plugins.random.diff(T, outs, { ...MONGO, length: secret(40), keepers: { release: "e2e-1" } })).toMatchObject({ changes: "none" });
      for (const [key, value] of Object.entries({ length: 41, special: true, minUpper: 3, upper: false, numeric: false, overrideSpecial: "!" })) {
        const diff = await plugins.random.diff(T, outs, { ...MONGO, keepers: { release: "e2e-1" }, [key]: value });
        expect(diff.replaces, key).toContain(key);
        expect(diff.changes).toBe("some");
      }
      const keepers = await plugins.random.diff(T, outs, { ...MONGO, keepers: { release: "e2e-2" } });
      expect(keepers).toMatchObject({ changes: "some", replaces: ["keepers"], detailed: { keepers: "UPDATE_REPLACE" } });
      // An unknown length (preview) replaces too.
      expect((await plugins.random.diff(T, outs, { ...MONGO, length: UNKNOWN, keepers: { release: "e2e-1" } })).replaces).toEqual(["length"]);
    });

    it('updates in place (keeping the password) when overrideSpecial goes from "" to unset: the official exception', async () => {
      const { outs } = await plugins.random.up(T, { ...MONGO, overrideSpecial: "" });
      const diff = await plugins.random.diff(T, outs, MONGO);
      expect(diff).toMatchObject({ changes: "some", replaces: [], detailed: { overrideSpecial: "DELETE" } });
      const updated = await plugins.random.update(T, outs, MONGO);
      expect(reveal(updated.result)).toBe(reveal(outs.result));
      expect(isSecret(updated.result)).toBe(true);
      expect(updated.overrideSpecial).toBeUndefined();
    });

    it("reads the state back as it is (refresh) and deletes without error", async () => {
      const { id, inputs, outs } = await plugins.random.up(T, MONGO);
      const read = await plugins.random.read(T, id, outs, inputs);
      expect(read.id).toBe("none");
      expect(read.outs).toEqual(outs);
      await plugins.random.delete(T, id, outs);
    });
  });

  describe("tls", () => {
    const KEY = "tls:index/privateKey:PrivateKey";
    const SELF = "tls:index/selfSignedCert:SelfSignedCert";
    const CSR = "tls:index/certRequest:CertRequest";
    const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
    // What components/tls.ts sends (RSA 2048: the size does not matter here).
    const caArgs = (privateKeyPem: string) => ({
      privateKeyPem,
      isCaCertificate: true,
      subject: { commonName: "Enrichment CA", organization: "Enrichment" },
      validityPeriodHours: 48,
      earlyRenewalHours: 24,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    let caKey: Props;
    let ca: { id: string; inputs: Props; outs: Props };
    let leafKey: Props;
    let csr: { inputs: Props; outs: Props };
    let leaf: { id: string; inputs: Props; outs: Props };
    let leafArgs: Props;

    beforeAll(async () => {
      if (skip) return;
      const tls = plugins.tls;
      caKey = (await tls.up(KEY, { algorithm: "RSA", rsaBits: 2048 }, "ca-key")).outs;
      ca = await tls.up(SELF, caArgs(caKey.privateKeyPem), "ca-cert");
      leafKey = (await tls.up(KEY, { algorithm: "RSA" }, "edge-key")).outs;
      csr = await tls.up(CSR, {
        privateKeyPem: leafKey.privateKeyPem,
        subject: { commonName: "edge.e2e.test", organization: "Enrichment" },
        dnsNames: ["edge.e2e.test", "api.e2e.test"],
        ipAddresses: ["127.0.0.1"],
      }, "edge-csr");
      leafArgs = {
        certRequestPem: csr.outs.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.outs.certPem,
        validityPeriodHours: 24,
        earlyRenewalHours: 12,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      };
      leaf = await tls.up(SIGNED, leafArgs, "edge-cert");
    }, 120_000);

    it("PrivateKey: a real RSA key whose PEMs are secrets, its public key matching, defaults (rsaBits 2048, ecdsaCurve P224) in the state", () => {
      for (const name of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) expect(isSecret(caKey[name]), name).toBe(true);
      for (const name of ["publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintSha256"]) expect(isSecret(caKey[name]), name).toBe(false);
      expect(reveal(caKey.privateKeyPem)).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
      expect(reveal(caKey.privateKeyPemPkcs8)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(reveal(caKey.privateKeyOpenssh)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const derived = createPublicKey(reveal(caKey.privateKeyPem)).export({ type: "spki", format: "pem" });
      expect(derived).toBe(caKey.publicKeyPem);
      expect(createPublicKey(caKey.publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(caKey.publicKeyOpenssh).toMatch(/^ssh-rsa /);
      expect(caKey.publicKeyFingerprintSha256).toMatch(/^SHA256:/);
      expect(leafKey).toMatchObject({ algorithm: "RSA", rsaBits: 2048, ecdsaCurve: "P224" });
    });

    it("PrivateKey: ECDSA keys on the asked curve; P224 has no OpenSSH form (empty, as the official)", async () => {
      const p256 = (await plugins.tls.up(KEY, { algorithm: "ECDSA", ecdsaCurve: "P256" })).outs;
      expect(createPublicKey(p256.publicKeyPem).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
      expect(reveal(p256.privateKeyPem)).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
      expect(p256.publicKeyOpenssh).toMatch(/^ecdsa-sha2-nistp256 /);
      const p224 = (await plugins.tls.up(KEY, { algorithm: "ECDSA" })).outs;
      expect(createPublicKey(p224.publicKeyPem).asymmetricKeyDetails?.namedCurve).toBe("secp224r1");
      expect(p224.publicKeyOpenssh).toBe("");
      expect(reveal(p224.privateKeyOpenssh)).toBe("");
    });

    it("PrivateKey: Check refuses an unknown algorithm or curve, naming the property", async () => {
      expect((await plugins.tls.check(KEY, { algorithm: "DSA" })).failures).toEqual([{ property: "algorithm", reason: expect.stringContaining('got "DSA"') }]);
      expect((await plugins.tls.check(KEY, { algorithm: "ECDSA", ecdsaCurve: "P192" })).failures.map((f) => f.property)).toEqual(["ecdsaCurve"]);
      expect((await plugins.tls.check(KEY, {})).failures.map((f) => f.property)).toEqual(["algorithm"]);
    });

    it("PrivateKey: every input replaces the key", async () => {
      const inputs = { algorithm: "RSA", rsaBits: 2048 };
      expect(await plugins.tls.diff(KEY, leafKey, inputs)).toMatchObject({ changes: "none" });
      expect((await plugins.tls.diff(KEY, leafKey, { algorithm: "RSA", rsaBits: 3072 })).replaces).toEqual(["rsaBits"]);
      expect((await plugins.tls.diff(KEY, leafKey, { algorithm: "ECDSA" })).replaces).toEqual(["algorithm"]);
      expect((await plugins.tls.diff(KEY, leafKey, { algorithm: "RSA", ecdsaCurve: "P384" })).replaces).toEqual(["ecdsaCurve"]);
    });

    it("SelfSignedCert: a CA certificate with the subject, CA flag, key usages, subject key id and validity asked for", () => {
      const cert = new X509Certificate(ca.outs.certPem);
      // crypto/x509 orders the names (O before CN), as the official provider's certificates have them.
      expect(cert.subject).toBe("O=Enrichment\nCN=Enrichment CA");
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.ca).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(keyUsage(cert).sort()).toEqual(["cRLSign", "digitalSignature", "keyCertSign"]);
      expect(subjectKeyId(cert)).toMatch(/^[0-9a-f]{40}$/);
      const from = new Date(cert.validFrom).getTime();
      const to = new Date(cert.validTo).getTime();
      expect(to - from).toBe(48 * 3600_000);
      expect(Math.abs(from - Date.parse(ca.outs.validityStartTime))).toBeLessThan(1000);
      expect(Math.abs(to - Date.parse(ca.outs.validityEndTime))).toBeLessThan(1000);
      expect(Math.abs(from - Date.now())).toBeLessThan(120_000);
      expect(ca.outs).toMatchObject({ keyAlgorithm: "RSA", readyForRenewal: false, isCaCertificate: true, setSubjectKeyId: false, setAuthorityKeyId: false, earlyRenewalHours: 24 });
      expect(ca.id).toBe(BigInt(`0x${cert.serialNumber}`).toString());
      // The private key input stays a secret in the state; the certificate is not one.
      expect(isSecret(ca.outs.privateKeyPem)).toBe(true);
      expect(isSecret(ca.outs.certPem)).toBe(false);
    });

    it("CertRequest + LocallySignedCert: a leaf with the request's subject and SANs, signed by the CA, with the asked uses", () => {
      const caCert = new X509Certificate(ca.outs.certPem);
      const cert = new X509Certificate(leaf.outs.certPem);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.issuer).toBe(caCert.subject);
      expect(cert.subject).toBe("O=Enrichment\nCN=edge.e2e.test");
      expect(cert.subjectAltName).toBe("DNS:edge.e2e.test, DNS:api.e2e.test, IP Address:127.0.0.1");
      expect(cert.checkHost("api.e2e.test")).toBe("api.e2e.test");
      expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
      expect(cert.ca).toBe(false);
      expect(keyUsage(cert).sort()).toEqual(["digitalSignature", "keyEncipherment"]);
      expect(cert.keyUsage).toEqual([SERVER_AUTH]);
      expect(authorityKeyId(cert)).toBe(subjectKeyId(caCert));
      expect(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()).toBe(24 * 3600_000);
      expect(leaf.outs).toMatchObject({ caKeyAlgorithm: "RSA", readyForRenewal: false, isCaCertificate: false });
      expect(isSecret(leaf.outs.caPrivateKeyPem)).toBe(true);
      expect(csr.outs.keyAlgorithm).toBe("RSA");
      expect(isSecret(csr.outs.privateKeyPem)).toBe(true);
    });

    it("the leaf's private key is the request's key", async () => {
      const { createPrivateKey } = await import("node:crypto");
      expect(new X509Certificate(leaf.outs.certPem).checkPrivateKey(createPrivateKey(reveal(leafKey.privateKeyPem)))).toBe(true);
    });

    it("Check marks the private key inputs secret even when sent in plain text", async () => {
      const { inputs } = await plugins.tls.check(SIGNED, { ...leafArgs, caPrivateKeyPem: reveal(caKey.privateKeyPem) });
      expect(isSecret(inputs.caPrivateKeyPem)).toBe(true);
      expect(isSecret(inputs.caCertPem)).toBe(false);
    });

    it("Check names what is wrong: an unknown use, a missing validity, a bad IP, an unknown subject field", async () => {
      const bad = await plugins.tls.check(SIGNED, { ...leafArgs, allowedUses: ["server_auth", "serverAuth"] });
      expect(bad.failures).toEqual([{ property: "allowedUses", reason: expect.stringContaining('allowedUses[1]: "serverAuth" is not one of') }]);
      const { validityPeriodHours: _, ...noValidity } = leafArgs;
      expect((await plugins.tls.check(SIGNED, noValidity)).failures.map((f) => f.property)).toEqual(["validityPeriodHours"]);
      expect((await plugins.tls.check(CSR, { privateKeyPem: "x", ipAddresses: ["10.0.0.300"] })).failures).toEqual([
        { property: "ipAddresses", reason: 'ipAddresses[0]: "10.0.0.300" is not an IP address' },
      ]);
      expect((await plugins.tls.check(CSR, { privateKeyPem: "x", subject: { cn: "x" } })).failures.map((f) => f.property)).toEqual(["subject.cn"]);
      expect((await plugins.tls.check(SIGNED, { ...leafArgs, earlyRenewalHours: -1 })).failures.map((f) => f.property)).toEqual(["earlyRenewalHours"]);
      expect((await plugins.tls.check(SIGNED, { ...leafArgs, caPrivateKeyPemWo: "x" })).failures).toEqual([
        { property: "caPrivateKeyPemWo", reason: expect.stringContaining("not implemented by this stand-in") },
      ]);
    });

    it("a CA certificate without a subject fails to create, saying why", async () => {
      const { subject: _, ...noSubject } = caArgs(caKey.privateKeyPem);
      const { inputs } = await plugins.tls.check(SELF, noSubject);
      await expect(plugins.tls.create(SELF, inputs)).rejects.toThrow(/needs at least one distinguished name/);
    });

    it("replace rules: validity, uses, subject, SANs, CA flag, the key and the CA replace; earlyRenewalHours updates in place", async () => {
      const tls = plugins.tls;
      expect(await tls.diff(SIGNED, leaf.outs, leafArgs)).toMatchObject({ changes: "none", replaces: [] });
      for (const [key, value] of Object.entries({ validityPeriodHours: 25, allowedUses: ["digital_signature"], isCaCertificate: true, caCertPem: "-----BEGIN CERTIFICATE-----\nother\n-----END CERTIFICATE-----\n", certRequestPem: UNKNOWN })) {
        expect((await tls.diff(SIGNED, leaf.outs, { ...leafArgs, [key]: value })).replaces, key).toEqual([key]);
      }
      const early = await tls.diff(SIGNED, leaf.outs, { ...leafArgs, earlyRenewalHours: 6 });
      expect(early).toMatchObject({ changes: "some", replaces: [], detailed: { earlyRenewalHours: "UPDATE" } });
      const updated = await tls.update(SIGNED, leaf.outs, { ...leafArgs, earlyRenewalHours: 6 });
      expect(updated.certPem).toBe(leaf.outs.certPem);
      expect(updated.earlyRenewalHours).toBe(6);
      expect(updated.readyForRenewal).toBe(false);
      expect((await tls.diff(SELF, ca.outs, { ...ca.inputs, subject: { commonName: "Other CA", organization: "Enrichment" } })).replaces).toEqual(["subject"]);
      expect((await tls.diff(SELF, ca.outs, { ...ca.inputs, privateKeyPem: leafKey.privateKeyPem })).replaces).toEqual(["privateKeyPem"]);
      expect((await tls.diff(CSR, csr.outs, { ...csr.inputs, dnsNames: ["edge.e2e.test"] })).replaces).toEqual(["dnsNames"]);
      expect((await tls.diff(CSR, csr.outs, csr.inputs)).changes).toBe("none");
    });

    it("early renewal: inside the window (end - earlyRenewalHours) a refresh sets readyForRenewal and the next diff replaces, with or without a refresh", async () => {
      const tls = plugins.tls;
      const endingIn = (minutes: number) => ({ ...leaf.outs, validityEndTime: new Date(Date.now() + minutes * 60_000).toISOString() });
      // earlyRenewalHours is 12: 11 hours before the end is inside the window, 13 hours is not.
      const inside = endingIn(11 * 60);
      const outside = endingIn(13 * 60);
      expect((await tls.read(SIGNED, leaf.id, inside, leafArgs)).outs.readyForRenewal).toBe(true);
      expect((await tls.read(SIGNED, leaf.id, outside, leafArgs)).outs.readyForRenewal).toBe(false);
      expect(await tls.diff(SIGNED, inside, leafArgs)).toMatchObject({ changes: "some", replaces: ["readyForRenewal"] });
      expect(await tls.diff(SIGNED, { ...inside, readyForRenewal: true }, leafArgs)).toMatchObject({ replaces: ["readyForRenewal"] });
      expect(await tls.diff(SIGNED, outside, leafArgs)).toMatchObject({ changes: "none", replaces: [] });
      // Widening the window past now replaces too (the official plan uses the new earlyRenewalHours).
      expect((await tls.diff(SIGNED, outside, { ...leafArgs, earlyRenewalHours: 14 })).replaces).toEqual(["readyForRenewal"]);
      // A self-signed CA renews the same way.
      const caInside = { ...ca.outs, validityEndTime: new Date(Date.now() + 3600_000).toISOString() };
      expect((await tls.diff(SELF, caInside, ca.inputs)).replaces).toEqual(["readyForRenewal"]);
    });

    it("previews a certificate whose request is not known yet: certificate and times unknown, plan values known", async () => {
      const { outs } = await plugins.tls.create(SIGNED, { ...leafArgs, certRequestPem: UNKNOWN }, { preview: true });
      expect(outs.certPem).toBe(UNKNOWN);
      expect(outs.validityEndTime).toBe(UNKNOWN);
      expect(outs).toMatchObject({ readyForRenewal: false, earlyRenewalHours: 12, isCaCertificate: false });
      const key = await plugins.tls.create(KEY, { algorithm: "RSA" }, { preview: true });
      expect(key.outs.privateKeyPem).toEqual(secret(UNKNOWN));
      expect(key.outs.publicKeyPem).toBe(UNKNOWN);
    });

    it("reads keys and requests back unchanged, and deletes without error", async () => {
      const read = await plugins.tls.read(CSR, "id", csr.outs, csr.inputs);
      expect(read.outs).toEqual(csr.outs);
      await plugins.tls.delete(SIGNED, leaf.id, leaf.outs);
    });
  });

  describe("command:local:Command", () => {
    const T = "command:local:Command";
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "prov-command-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs create with /bin/sh -c, environment, dir and stdin; stdout and stderr lose their final newline", async () => {
      const { id, outs } = await plugins.command.up(T, {
        create: 'echo "hello $GREETING"; pwd; cat; echo oops >&2',
        environment: { GREETING: "world" },
        dir,
        stdin: "from stdin\n",
      }, "greet");
      expect(id).toMatch(/^greet[0-9a-f]{8}$/);
      expect(outs.stdout).toBe(`hello world\n${fs.realpathSync(dir)}\nfrom stdin`);
      expect(outs.stderr).toBe("oops");
      // Only the final newline goes: leading spaces and an earlier blank line stay.
      expect((await plugins.command.up(T, { create: "printf '  padded\\n\\n'" })).outs.stdout).toBe("  padded\n");
    });

    it("runs the command with the interpreter when one is given", async () => {
      const { outs } = await plugins.command.up(T, { create: "print('from python')", interpreter: ["/bin/sh", "-c", 'echo "interpreted: $0"'] });
      expect(outs.stdout).toBe("interpreted: print('from python')");
    });

    it("fails the step with the exit status, the command and its output when the command exits non-zero", async () => {
      const { inputs } = await plugins.command.check(T, { create: "echo before; echo broken >&2; exit 3" });
      const failure = plugins.command.create(T, inputs);
      // stdout and stderr are two pipes (as in pulumi-command), so their lines' order is not kept.
      const message = await failure.then(() => "", (error: Error) => error.message);
      expect(message).toMatch(/exit status 3: running "echo before; echo broken >&2; exit 3":\n/);
      expect(message.split("\n")).toEqual(expect.arrayContaining(["before", "broken"]));
    });

    it("withholds the command and its output from the failure message when an input is a secret", async () => {
      const failure = plugins.command.create(T, { create: "echo $TOKEN; exit 4", environment: { TOKEN: secret("s3cret") } });
      await expect(failure).rejects.toThrow(/exit status 4: running the command \(its output and text are withheld: an input is a secret\)/);
      await expect(plugins.command.create(T, { create: "echo $TOKEN; exit 4", environment: { TOKEN: secret("s3cret") } })).rejects.not.toThrow(/s3cret/);
    });

    it("runs nothing in a preview: stdout and stderr are unknown", async () => {
      const marker = path.join(dir, "preview-ran");
      const { outs } = await plugins.command.create(T, { create: `touch ${marker}` }, { preview: true });
      expect(outs).toMatchObject({ stdout: UNKNOWN, stderr: UNKNOWN, create: `touch ${marker}` });
      expect(fs.existsSync(marker)).toBe(false);
    });

    it("replaces when triggers change, updates when create/update/environment change, and nothing otherwise", async () => {
      const inputs = { create: "echo one", triggers: ["v1"], environment: { A: "1" } };
      const { outs } = await plugins.command.up(T, inputs);
      const cmd = plugins.command;
      expect(await cmd.diff(T, outs, inputs)).toMatchObject({ changes: "none", replaces: [] });
      expect(await cmd.diff(T, outs, { ...inputs, triggers: ["v2"] })).toMatchObject({ changes: "some", replaces: ["triggers"] });
      expect((await cmd.diff(T, outs, { ...inputs, triggers: [UNKNOWN] })).replaces).toEqual(["triggers"]);
      expect(await cmd.diff(T, outs, { ...inputs, create: "echo two" })).toMatchObject({ changes: "some", replaces: [], diffs: ["create"] });
      expect(await cmd.diff(T, outs, { ...inputs, environment: { A: "2" } })).toMatchObject({ changes: "some", replaces: [], diffs: ["environment"] });
      expect(await cmd.diff(T, outs, { ...inputs, update: "echo updated" })).toMatchObject({ changes: "some", replaces: [], detailed: { update: "ADD" } });
      expect(await cmd.diff(T, outs, { ...inputs, delete: "echo bye" })).toMatchObject({ changes: "some", replaces: [] });
    });

    it("an update runs update (with the previous stdout in PULUMI_COMMAND_STDOUT), or create again when there is no update; a preview runs neither", async () => {
      const cmd = plugins.command;
      const { outs } = await cmd.up(T, { create: "echo first" });
      const withUpdate = await cmd.update(T, outs, { create: "echo first", update: 'echo "after $PULUMI_COMMAND_STDOUT"' });
      expect(withUpdate.stdout).toBe("after first");
      const again = await cmd.update(T, outs, { create: "echo second" });
      expect(again.stdout).toBe("second");
      const marker = path.join(dir, "update-preview-ran");
      const preview = await cmd.update(T, outs, { create: `touch ${marker}` }, true);
      expect(preview.stdout).toBe(UNKNOWN);
      expect(fs.existsSync(marker)).toBe(false);
    });

    it("delete runs the delete command with the last stdout; no delete command deletes nothing", async () => {
      const marker = path.join(dir, "deleted");
      const { id, outs } = await plugins.command.up(T, { create: "echo pulled", delete: `echo "removing $PULUMI_COMMAND_STDOUT" > ${marker}` });
      await plugins.command.delete(T, id, outs);
      expect(fs.readFileSync(marker, "utf8")).toBe("removing pulled\n");
      const plain = await plugins.command.up(T, { create: "true" });
      await plugins.command.delete(T, plain.id, plain.outs);
    });

    it("a secret input makes stdout and stderr secrets; refresh returns the state as it is", async () => {
      const { id, inputs, outs } = await plugins.command.up(T, { create: "echo $TOKEN", environment: { TOKEN: secret("s3cret") } });
      expect(outs.stdout).toEqual(secret("s3cret"));
      expect(outs.environment).toEqual({ TOKEN: secret("s3cret") });
      const read = await plugins.command.read(T, id, outs, inputs);
      expect(read.outs).toEqual(outs);
    });

    it("Check names what is wrong: a wrong type, an input the stand-in does not implement, an unknown input", async () => {
      expect((await plugins.command.check(T, { create: 5 })).failures).toEqual([{ property: "create", reason: '"create": expected a string, got the number 5' }]);
      expect((await plugins.command.check(T, { create: "true", assetPaths: ["*.txt"] })).failures).toEqual([
        { property: "assetPaths", reason: expect.stringContaining("not implemented by this stand-in") },
      ]);
      expect((await plugins.command.check(T, { crate: "true" })).failures.map((f) => f.property)).toEqual(["crate"]);
      expect((await plugins.command.check(T, { create: "true", environment: { A: 1 } })).failures.map((f) => f.property)).toEqual(["environment"]);
    });

    it("honours customTimeouts: a command past its timeout is killed and the step fails saying so", async () => {
      const started = Date.now();
      await expect(plugins.command.create(T, { create: "sleep 20; echo late" }, { timeout: 1 })).rejects.toThrow(/timed out \(customTimeouts\)/);
      // The shell's child (sleep) is killed too, so the step ends at the timeout, not when sleep would have.
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});
