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
