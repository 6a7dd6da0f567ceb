// Certificate expiry of the edge, as the blackbox exporter sees it through its HTTPS probes.
import { AlertArea, AlertContext, AlertRule, num } from "./types";

const daysLeft = "(min by (instance, service) (probe_ssl_earliest_cert_expiry) - time()) / 86400";

export const certificates: AlertArea = {
  area: "certificates",
  title: "Certificates",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "CertificateExpiringSoon",
      expr: `${daysLeft} < ${num(thresholds.certificateExpiryDays)}`,
      for: "10m",
      severity: "warning",
      summary: "The certificate of {{ $labels.instance }} expires in {{ $value | humanize }} days.",
      description: `The certificate served at {{ $labels.instance }} expires in {{ $value | humanize }} days (warning below ${num(thresholds.certificateExpiryDays)}). The routine renewal did not happen.`,
      runbook: "certificate-expiring-soon",
    },
    {
      alert: "CertificateExpiringSoon",
      expr: `${daysLeft} < ${num(thresholds.certificateExpiryCriticalDays)}`,
      for: "10m",
      severity: "critical",
      summary: "The certificate of {{ $labels.instance }} expires in {{ $value | humanize }} days.",
      description: `The certificate served at {{ $labels.instance }} expires in {{ $value | humanize }} days (critical below ${num(thresholds.certificateExpiryCriticalDays)}). Clients will refuse the APIs when it expires.`,
      runbook: "certificate-expiring-soon",
    },
  ],
  runbooks: {
    "certificate-expiring-soon": {
      title: "CertificateExpiringSoon",
      meaning: "A certificate the edge serves expires soon. The program re-issues certificates within `tls.earlyRenewalDays` of expiry on any `pulumi up`.",
      check: [
        "When did the stack last run `pulumi up`? Renewal happens only then.",
        "`openssl s_client -connect <host>:443 -servername <name> </dev/null | openssl x509 -noout -enddate` from the host: is the served certificate the one in the stack state?",
        "Did the edge reload after the last renewal (its container start time against the certificate's issue time)?",
      ],
      act: [
        "Run `pulumi up` on the stack: it re-issues the certificate and the edge picks it up.",
        "If the edge still serves the old one, restart the edge container.",
      ],
    },
  },
};
