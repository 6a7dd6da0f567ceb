// A private CA and leaf certificates (RSA, validity and SANs from config). `earlyRenewalHours`
// makes a routine `pulumi up` re-issue a certificate that is within its renewal window.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface LeafCertificateEntry {
  name: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
}

export interface PrivateCertificateAuthorityArgs {
  organization: string;
  rsaBits: number;
  validityDays: number;
  earlyRenewalDays: number;
  caValidityDays: number;
  caEarlyRenewalDays: number;
  leaves: LeafCertificateEntry[];
}

export interface IssuedCertificate {
  certPem: pulumi.Output<string>;
  /** Always a Pulumi secret. */
  privateKeyPem: pulumi.Output<string>;
  /** Leaf followed by the CA, as servers like nginx want it. */
  fullChainPem: pulumi.Output<string>;
}

const HOURS_PER_DAY = 24;

export class PrivateCertificateAuthority extends pulumi.ComponentResource {
  readonly caCertPem: pulumi.Output<string>;
  readonly certificates: Record<string, IssuedCertificate> = {};

  constructor(name: string, args: PrivateCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:CertificateAuthority", name, {}, opts);
    validate(args);

    const caKey = new tls.PrivateKey("ca-key", { algorithm: "RSA", rsaBits: args.rsaBits }, { parent: this, additionalSecretOutputs: ["privateKeyPem"] });
    const caCert = new tls.SelfSignedCert(
      "ca-cert",
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `${args.organization} CA`, organization: args.organization },
        validityPeriodHours: args.caValidityDays * HOURS_PER_DAY,
        earlyRenewalHours: args.caEarlyRenewalDays * HOURS_PER_DAY,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    this.caCertPem = caCert.certPem;

    for (const leaf of args.leaves) {
      const key = new tls.PrivateKey(`${leaf.name}-key`, { algorithm: "RSA", rsaBits: args.rsaBits }, { parent: this, additionalSecretOutputs: ["privateKeyPem"] });
      const request = new tls.CertRequest(
        `${leaf.name}-csr`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: leaf.commonName, organization: args.organization },
          dnsNames: leaf.dnsNames,
          ipAddresses: leaf.ipAddresses,
        },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${leaf.name}-cert`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: caCert.certPem,
          validityPeriodHours: args.validityDays * HOURS_PER_DAY,
          earlyRenewalHours: args.earlyRenewalDays * HOURS_PER_DAY,
          allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        { parent: this },
      );
      this.certificates[leaf.name] = {
        certPem: cert.certPem,
        privateKeyPem: pulumi.secret(key.privateKeyPem),
        fullChainPem: pulumi.interpolate`${cert.certPem}${caCert.certPem}`,
      };
    }

    this.registerOutputs({ caCertPem: this.caCertPem });
  }

  certificate(name: string): IssuedCertificate {
    const cert = this.certificates[name];
    if (!cert) throw new Error(`PrivateCertificateAuthority: no leaf certificate "${name}"; add it to the leaves list`);
    return cert;
  }
}

function validate(args: PrivateCertificateAuthorityArgs): void {
  const problems: string[] = [];
  if (args.earlyRenewalDays >= args.validityDays) problems.push(`earlyRenewalDays (${args.earlyRenewalDays}) must be less than validityDays (${args.validityDays})`);
  if (args.caEarlyRenewalDays >= args.caValidityDays) problems.push(`caEarlyRenewalDays must be less than caValidityDays`);
  if (args.caValidityDays < args.validityDays) problems.push(`caValidityDays (${args.caValidityDays}) must be at least validityDays (${args.validityDays})`);
  for (const leaf of args.leaves) if (leaf.dnsNames.length === 0 && !leaf.ipAddresses?.length) problems.push(`leaf ${leaf.name} needs at least one SAN`);
  if (problems.length) throw new Error(`PrivateCertificateAuthority: ${problems.join("; ")}`);
}
