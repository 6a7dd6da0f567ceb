// TLS: RSA keys of 4096 bits or more; certificates valid at most 730 days and renewed early.
import type { PolicyResource } from "@pulumi/policy";
import { CERT_REQUEST, EDGE, THRESHOLDS, TYPES } from "./facts";
import { nginxServers } from "./exposure";
import { containersOf } from "./graph";
import { fileContent, known, UNKNOWN } from "./read";
import type { ResourceEntry, StackEntry } from "./types";

const TLS_CHECKLIST = "TLS: RSA 4096, valid 730 days, SANs for the API names; renewal automated; rotation tested";
const HOURS_PER_DAY = 24;

export const tlsKeySize: ResourceEntry = {
  kind: "resource",
  name: "tls-rsa-4096",
  why: `Keys shorter than ${THRESHOLDS.minRsaBits} bits fall below the platform's TLS standard.`,
  checklist: TLS_CHECKLIST,
  types: [TYPES.privateKey],
  validate(_ctx, { props }, report) {
    const algorithm = known(() => props.algorithm);
    const bits = known(() => props.rsaBits as number | undefined);
    if (algorithm === UNKNOWN || bits === UNKNOWN) return;
    if (algorithm !== "RSA") report(`algorithm is ${JSON.stringify(algorithm)}; expected RSA`);
    // The tls provider's default is 2048 when rsaBits is unset.
    else if (!((bits ?? 2048) >= THRESHOLDS.minRsaBits)) report(`rsaBits is ${bits ?? "unset (2048)"}; expected >= ${THRESHOLDS.minRsaBits}`);
  },
};

export const tlsCertificateLifetime: ResourceEntry = {
  kind: "resource",
  name: "tls-certificate-lifetime",
  why: `Server certificates live at most ${THRESHOLDS.maxCertificateValidityDays} days and are re-issued at least ${THRESHOLDS.minEarlyRenewalDays} days before they expire, so a routine \`pulumi up\` renews them; the CA is exempt from the lifetime cap, not from early renewal.`,
  checklist: TLS_CHECKLIST,
  types: [TYPES.selfSignedCert, TYPES.locallySignedCert],
  validate(_ctx, { props }, report) {
    const validity = known(() => props.validityPeriodHours as number | undefined);
    const early = known(() => props.earlyRenewalHours as number | undefined);
    const isCa = known(() => props.isCaCertificate) === true;
    if (validity === UNKNOWN || early === UNKNOWN) return;
    if (typeof validity !== "number") {
      report("validityPeriodHours is unset");
      return;
    }
    if (!isCa && validity > THRESHOLDS.maxCertificateValidityDays * HOURS_PER_DAY) {
      report(`valid ${validity / HOURS_PER_DAY} days; expected at most ${THRESHOLDS.maxCertificateValidityDays}`);
    }
    const earlyDays = (early ?? 0) / HOURS_PER_DAY;
    if (earlyDays < THRESHOLDS.minEarlyRenewalDays) report(`earlyRenewalHours is ${early ?? "unset"}: renewed ${earlyDays} days before expiry; expected >= ${THRESHOLDS.minEarlyRenewalDays} days`);
    else if (early! >= validity) report(`earlyRenewalHours (${early}) >= validityPeriodHours (${validity}): every \`pulumi up\` would re-issue it`);
  },
};

/** Everything `resource` depends on, directly or through what it depends on. */
function dependencyClosure(resource: PolicyResource): PolicyResource[] {
  const seen = new Map<string, PolicyResource>();
  const visit = (r: PolicyResource) => {
    for (const dep of r.dependencies) {
      if (seen.has(dep.urn)) continue;
      seen.set(dep.urn, dep);
      visit(dep);
    }
  };
  visit(resource);
  return [...seen.values()];
}

export const tlsEdgeNames: StackEntry = {
  kind: "stack",
  name: "tls-sans-cover-edge-names",
  why: "A name the edge answers for that its certificate does not list fails TLS verification in every client.",
  checklist: "TLS: ... SANs for the API names; Certificates obtained: Valid domain names",
  validate(_ctx, { resources }, report) {
    for (const edge of containersOf(resources, EDGE.service)) {
      const conf = fileContent(edge.props, EDGE.configPath);
      if (conf === undefined) continue;
      const names = new Set(nginxServers(conf).filter((s) => s.listens.some((l) => l.ssl)).flatMap((s) => s.names).filter((n) => n !== "_" && n !== ""));
      const requests = dependencyClosure(edge).filter((r) => r.type === CERT_REQUEST);
      if (requests.length === 0) {
        report(`the edge serves TLS for ${[...names].join(", ")} but depends on no certificate request of this stack`, edge.urn);
        continue;
      }
      const sans = new Set<string>();
      for (const request of requests) {
        const dns = known(() => request.props.dnsNames as string[] | undefined);
        if (dns === UNKNOWN) return;
        for (const name of dns ?? []) sans.add(name);
      }
      const missing = [...names].filter((n) => !sans.has(n));
      if (missing.length) report(`the edge answers for ${missing.join(", ")}, which its certificate does not list (enrichment:tls.dnsNames)`, edge.urn);
    }
  },
};

export const TLS_POLICIES = [tlsKeySize, tlsCertificateLifetime, tlsEdgeNames];
