// Pulumi mocks for the offline synth: resources echo their inputs, and provider-computed outputs
// get deterministic stand-ins so that whatever depends on them is evaluated too.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The SDK's wire form of a secret: the engine would apply additionalSecretOutputs, mocks do not. */
const SECRET_SIG = { key: "4dabf18193072939515e22adb298388d", value: "1b47061264138c4ac30d75fd1eb44270" };
export const asSecret = (value: unknown) => ({ [SECRET_SIG.key]: SECRET_SIG.value, value });

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/** The stand-in image id of a RemoteImage named `reference` (what a container's `image` input holds offline). */
export const mockImageId = (reference: string) => `sha256:${digest(reference)}`;

/** A PEM-shaped stand-in; never a real key or certificate. */
const fakePem = (label: string, seed: string) =>
  `-----BEGIN ${label}-----\nMOCK${Buffer.from(digest(seed)).toString("base64")}\n-----END ${label}-----\n`;

export class SynthMocks implements pulumi.runtime.Mocks {
  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const { type, name, inputs } = args;
    const id = `${name}-id`;
    const state: Record<string, unknown> = { ...inputs };
    switch (type) {
      case "docker:index/remoteImage:RemoteImage":
        state.imageId = mockImageId(String(inputs.name));
        state.repoDigest = `${String(inputs.name).split("@")[0]}@sha256:${digest(String(inputs.name))}`;
        break;
      case "docker:index/network:Network":
      case "docker:index/volume:Volume":
        state.name = inputs.name ?? name;
        break;
      case "docker:index/container:Container":
        state.name = inputs.name ?? name;
        state.exitCode = null;
        break;
      case "random:index/randomPassword:RandomPassword": {
        const length = Number(inputs.length ?? 32);
        const seed = digest(`password:${name}`).repeat(4);
        state.result = asSecret(seed.slice(0, length));
        state.bcryptHash = asSecret(`$2a$10$${seed.slice(0, 53)}`);
        break;
      }
      case "tls:index/privateKey:PrivateKey":
        state.privateKeyPem = asSecret(fakePem("RSA PRIVATE KEY", `key:${name}`));
        state.privateKeyOpenssh = asSecret(fakePem("OPENSSH PRIVATE KEY", `ssh:${name}`));
        state.privateKeyPemPkcs8 = asSecret(fakePem("PRIVATE KEY", `pkcs8:${name}`));
        state.publicKeyPem = fakePem("PUBLIC KEY", `pub:${name}`);
        break;
      case "tls:index/certRequest:CertRequest":
        state.certRequestPem = fakePem("CERTIFICATE REQUEST", `csr:${name}`);
        break;
      case "tls:index/selfSignedCert:SelfSignedCert":
      case "tls:index/locallySignedCert:LocallySignedCert":
        state.certPem = fakePem("CERTIFICATE", `cert:${name}`);
        state.readyForRenewal = false;
        break;
      case "command:local:Command":
        state.stdout = "";
        state.stderr = "";
        break;
      default:
        break;
    }
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "docker:index/getNetwork:getNetwork":
        // The synth cannot see the Docker host: an external network is assumed to exist.
        return { id: `${args.inputs.name}-id`, name: args.inputs.name, driver: "bridge", scope: "local" };
      default:
        return args.inputs;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Real values, for the e2e runner (tests/e2e/runner), which answers registrations with what it
// really created: generated passwords and TLS material that services can use. The offline synth
// never calls these. Secret outputs come back plain; the caller marks them secret.

/** Outputs of random/tls resources that the providers mark secret (additionalSecretOutputs). */
export const SECRET_OUTPUTS: Record<string, readonly string[]> = {
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
};

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** random.RandomPassword: length, the character classes it enables and their minimum counts. */
export function realRandomPassword(inputs: Record<string, unknown>): Record<string, unknown> {
  const { randomInt } = require("node:crypto") as typeof import("node:crypto");
  const length = Number(inputs.length ?? 16);
  const classes: { chars: string; min: number }[] = [];
  if (inputs.upper !== false) classes.push({ chars: UPPER, min: Number(inputs.minUpper ?? 0) });
  if (inputs.lower !== false) classes.push({ chars: LOWER, min: Number(inputs.minLower ?? 0) });
  if (inputs.numeric !== false && inputs.number !== false) classes.push({ chars: DIGITS, min: Number(inputs.minNumeric ?? 0) });
  if (inputs.special !== false) classes.push({ chars: String(inputs.overrideSpecial ?? DEFAULT_SPECIAL), min: Number(inputs.minSpecial ?? 0) });
  const all = classes.map((c) => c.chars).join("");
  const pick = (chars: string) => chars[randomInt(chars.length)];
  const chars: string[] = [];
  for (const c of classes) for (let i = 0; i < c.min; i++) chars.push(pick(c.chars));
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  const result = chars.slice(0, length).join("");
  // No bcrypt in node:crypto; nothing in the program reads bcryptHash.
  return { ...inputs, result, bcryptHash: `unavailable: the e2e runner computes no bcrypt hash` };
}

/** tls.PrivateKey (RSA or ECDSA P-256/P-384): PEM (PKCS#1 for RSA, as the tls provider), PKCS#8, public PEM. */
export async function realPrivateKey(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const algorithm = String(inputs.algorithm ?? "RSA");
  const pair = await new Promise<{ privateKey: import("node:crypto").KeyObject; publicKey: import("node:crypto").KeyObject }>((resolve, reject) => {
    const done = (error: Error | null, publicKey: import("node:crypto").KeyObject, privateKey: import("node:crypto").KeyObject) =>
      error ? reject(error) : resolve({ privateKey, publicKey });
    if (algorithm === "RSA") crypto.generateKeyPair("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) }, done);
    else if (algorithm === "ECDSA") crypto.generateKeyPair("ec", { namedCurve: String(inputs.ecdsaCurve ?? "P224") === "P384" ? "secp384r1" : "prime256v1" }, done);
    else reject(new Error(`realPrivateKey: algorithm ${algorithm} is not supported by the e2e runner`));
  });
  const pkcs8 = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const pem = algorithm === "RSA" ? pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString() : pair.privateKey.export({ type: "sec1", format: "pem" }).toString();
  const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
  const der = pair.publicKey.export({ type: "spki", format: "der" });
  return {
    ...inputs,
    privateKeyPem: pem,
    privateKeyPemPkcs8: pkcs8,
    privateKeyOpenssh: "",
    publicKeyPem,
    publicKeyOpenssh: "",
    publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`,
    publicKeyFingerprintMd5: "",
    id: crypto.createHash("sha1").update(der).digest("hex"),
  };
}

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  locality?: string;
  province?: string;
}

const subjectArg = (subject: Subject | undefined) => {
  const parts: [string, string | undefined][] = [
    ["C", subject?.country],
    ["ST", subject?.province],
    ["L", subject?.locality],
    ["O", subject?.organization],
    ["OU", subject?.organizationalUnit],
    ["CN", subject?.commonName],
  ];
  const text = parts.filter(([, v]) => v).map(([k, v]) => `/${k}=${String(v).replace(/\//g, "\\/")}`).join("");
  return text || "/";
};

/** tls allowedUses -> OpenSSL keyUsage / extendedKeyUsage names. */
const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
};

/** Runs openssl in a private temporary folder (mode 0700, removed afterwards). */
function withOpenssl<T>(files: Record<string, string>, run: (dir: string, openssl: (args: string[]) => string) => T): T {
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-tls-"));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    return run(dir, (args) => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function extensionsFile(options: { ca: boolean; uses: string[]; dnsNames?: string[]; ipAddresses?: string[] }): string {
  // [req]/[dn]: openssl req needs them in its -config; x509 -extfile ignores them.
  const lines = ["[req]", "distinguished_name = dn", "[dn]", "[ext]", `basicConstraints = critical, CA:${options.ca ? "TRUE" : "FALSE"}`];
  const usage = options.uses.map((u) => KEY_USAGE[u]).filter(Boolean);
  const extended = options.uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
  if (usage.length) lines.push(`keyUsage = critical, ${usage.join(", ")}`);
  if (extended.length) lines.push(`extendedKeyUsage = ${extended.join(", ")}`);
  lines.push("subjectKeyIdentifier = hash");
  const sans = [...(options.dnsNames ?? []).map((d) => `DNS:${d}`), ...(options.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  if (sans.length) lines.push(`subjectAltName = ${sans.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

const validity = (hours: number) => {
  const start = new Date();
  const end = new Date(start.getTime() + hours * 3600_000);
  return { validityStartTime: start.toISOString().replace(/\.\d+Z$/, "Z"), validityEndTime: end.toISOString().replace(/\.\d+Z$/, "Z") };
};

/** tls.SelfSignedCert: subject, validity, allowed uses, CA flag, SANs. */
export function realSelfSignedCert(inputs: Record<string, unknown>): Record<string, unknown> {
  const hours = Number(inputs.validityPeriodHours);
  const days = Math.max(1, Math.ceil(hours / 24));
  const certPem = withOpenssl(
    {
      "key.pem": String(inputs.privateKeyPem),
      "ext.cnf": extensionsFile({ ca: inputs.isCaCertificate === true, uses: (inputs.allowedUses as string[]) ?? [], dnsNames: inputs.dnsNames as string[], ipAddresses: inputs.ipAddresses as string[] }),
    },
    (_dir, openssl) => {
      openssl(["req", "-new", "-x509", "-key", "key.pem", "-subj", subjectArg(inputs.subject as Subject), "-days", String(days), "-sha256", "-config", "ext.cnf", "-extensions", "ext", "-out", "cert.pem"]);
      return (require("node:fs") as typeof import("node:fs")).readFileSync(`${_dir}/cert.pem`, "utf8");
    },
  );
  return { ...inputs, certPem, ...validity(hours), readyForRenewal: false };
}

/** tls.CertRequest: subject and SANs, signed with the given key. */
export function realCertRequest(inputs: Record<string, unknown>): Record<string, unknown> {
  const sans = [...((inputs.dnsNames as string[]) ?? []).map((d) => `DNS:${d}`), ...((inputs.ipAddresses as string[]) ?? []).map((ip) => `IP:${ip}`)];
  const certRequestPem = withOpenssl({ "key.pem": String(inputs.privateKeyPem), "req.cnf": "[req]\ndistinguished_name = dn\n[dn]\n" }, (dir, openssl) => {
    const args = ["req", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject as Subject), "-sha256", "-config", "req.cnf", "-out", "csr.pem"];
    if (sans.length) args.push("-addext", `subjectAltName = ${sans.join(", ")}`);
    openssl(args);
    return (require("node:fs") as typeof import("node:fs")).readFileSync(`${dir}/csr.pem`, "utf8");
  });
  return { ...inputs, certRequestPem, keyAlgorithm: "RSA" };
}

/** tls.LocallySignedCert: the request's subject and SANs, signed by the CA, with validity and uses. */
export function realLocallySignedCert(inputs: Record<string, unknown>): Record<string, unknown> {
  const hours = Number(inputs.validityPeriodHours);
  const days = Math.max(1, Math.ceil(hours / 24));
  const certPem = withOpenssl(
    { "csr.pem": String(inputs.certRequestPem), "ca.pem": String(inputs.caCertPem), "ca-key.pem": String(inputs.caPrivateKeyPem) },
    (dir, openssl) => {
      // The SANs live in the request; the tls provider copies them into the certificate.
      const text = openssl(["req", "-in", "csr.pem", "-noout", "-text"]);
      const sanLine = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(text)?.[1] ?? "";
      const dnsNames = [...sanLine.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]);
      const ipAddresses = [...sanLine.matchAll(/IP Address:([^,\s]+)/g)].map((m) => m[1]);
      (require("node:fs") as typeof import("node:fs")).writeFileSync(
        `${dir}/ext.cnf`,
        extensionsFile({ ca: inputs.isCaCertificate === true, uses: (inputs.allowedUses as string[]) ?? [], dnsNames, ipAddresses }),
      );
      openssl(["x509", "-req", "-in", "csr.pem", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-set_serial", `0x${(require("node:crypto") as typeof import("node:crypto")).randomBytes(16).toString("hex")}`, "-days", String(days), "-sha256", "-extfile", "ext.cnf", "-extensions", "ext", "-out", "cert.pem"]);
      return (require("node:fs") as typeof import("node:fs")).readFileSync(`${dir}/cert.pem`, "utf8");
    },
  );
  return { ...inputs, certPem, ...validity(hours), readyForRenewal: false };
}
