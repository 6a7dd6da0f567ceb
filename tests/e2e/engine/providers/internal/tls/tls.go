// Package tls is the stand-in for the `tls` provider: PrivateKey, SelfSignedCert, CertRequest and
// LocallySignedCert with real keys and x509 certificates (crypto/x509), the official schema's
// defaults, replace rules, secrets, and early renewal (readyForRenewal).
package tls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"enrichment.e2e/providers/internal/standin"
)

// Version is set at build time from package-lock.json's @pulumi/tls.
var Version = "0.0.0-dev"

// Package is the stand-in tls provider.
func Package() standin.Package {
	return standin.Package{
		Name:        "tls",
		Version:     Version,
		Description: "Stand-in for the tls provider (e2e only): PrivateKey, SelfSignedCert, CertRequest, LocallySignedCert.",
		Resources:   []*standin.Resource{PrivateKey(), SelfSignedCert(), CertRequest(), LocallySignedCert()},
	}
}

// The names allowedUses accepts, as the official provider maps them onto x509 key usages and
// extended key usages (RFC 5280 4.2.1.3 and 4.2.1.12).
var keyUsages = map[string]x509.KeyUsage{
	"digital_signature":  x509.KeyUsageDigitalSignature,
	"content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment":   x509.KeyUsageKeyEncipherment,
	"data_encipherment":  x509.KeyUsageDataEncipherment,
	"key_agreement":      x509.KeyUsageKeyAgreement,
	"cert_signing":       x509.KeyUsageCertSign,
	"crl_signing":        x509.KeyUsageCRLSign,
	"encipher_only":      x509.KeyUsageEncipherOnly,
	"decipher_only":      x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended":                      x509.ExtKeyUsageAny,
	"server_auth":                       x509.ExtKeyUsageServerAuth,
	"client_auth":                       x509.ExtKeyUsageClientAuth,
	"code_signing":                      x509.ExtKeyUsageCodeSigning,
	"email_protection":                  x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system":                  x509.ExtKeyUsageIPSECEndSystem,
	"ipsec_tunnel":                      x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user":                        x509.ExtKeyUsageIPSECUser,
	"timestamping":                      x509.ExtKeyUsageTimeStamping,
	"ocsp_signing":                      x509.ExtKeyUsageOCSPSigning,
	"microsoft_server_gated_crypto":     x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

func allowedUseNames() []string {
	var names []string
	for n := range keyUsages {
		names = append(names, n)
	}
	for n := range extKeyUsages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// subjectProperty is the subject object of certificates and requests.
func subjectProperty(typeToken string) standin.Property {
	field := func(name, dn string) standin.Property {
		return standin.Property{Name: name, Kind: standin.String, Input: true, Description: "Distinguished name: " + dn}
	}
	return standin.Property{
		Name: "subject", Kind: standin.Object, TypeToken: typeToken, Input: true, Replace: standin.Always,
		Description: "The subject's distinguished names.",
		Fields: []standin.Property{
			field("commonName", "CN"), field("organization", "O"), field("organizationalUnit", "OU"),
			{Name: "streetAddresses", Kind: standin.StringList, Input: true, Description: "Distinguished name: STREET"},
			field("locality", "L"), field("province", "ST"), field("country", "C"), field("postalCode", "PC"),
			field("serialNumber", "SERIALNUMBER"), field("emailAddress", "OID 1.2.840.113549.1.9.1"),
		},
	}
}

func subjectName(in standin.Values) pkix.Name {
	var name pkix.Name
	s := in.Object("subject")
	if s == nil {
		return name
	}
	one := func(field string) []string {
		if v, ok := s.String(field); ok {
			return []string{v}
		}
		return nil
	}
	name.CommonName, _ = s.String("commonName")
	name.Organization = one("organization")
	name.OrganizationalUnit = one("organizationalUnit")
	name.StreetAddress = s.Strings("streetAddresses")
	name.Locality = one("locality")
	name.Province = one("province")
	name.Country = one("country")
	name.PostalCode = one("postalCode")
	name.SerialNumber, _ = s.String("serialNumber")
	if email, ok := s.String("emailAddress"); ok {
		name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{
			Type:  asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1},
			Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(email)},
		})
	}
	return name
}

// sans reads dnsNames, ipAddresses and uris.
func sans(in standin.Values) (dns []string, ips []net.IP, uris []*url.URL, err error) {
	dns = in.Strings("dnsNames")
	for _, s := range in.Strings("ipAddresses") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, nil, nil, fmt.Errorf("ipAddresses: %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	for _, s := range in.Strings("uris") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("uris: %q: %v", s, err)
		}
		uris = append(uris, u)
	}
	return dns, ips, uris, nil
}

func sanProperties() []standin.Property {
	return []standin.Property{
		{Name: "dnsNames", Kind: standin.StringList, Input: true, Replace: standin.Always, Description: "DNS names (subject alternative names)."},
		{Name: "ipAddresses", Kind: standin.StringList, Input: true, Replace: standin.Always, Description: "IP addresses (subject alternative names)."},
		{Name: "uris", Kind: standin.StringList, Input: true, Replace: standin.Always, Description: "URIs (subject alternative names)."},
	}
}

// validateSANs reports SANs that cannot be parsed (the official provider fails at create).
func validateSANs(in standin.Values) []standin.Failure {
	var failures []standin.Failure
	for i, s := range in.Strings("ipAddresses") {
		if net.ParseIP(s) == nil {
			failures = append(failures, standin.Failure{Property: "ipAddresses", Reason: fmt.Sprintf("ipAddresses[%d]: %q is not an IP address", i, s)})
		}
	}
	for i, s := range in.Strings("uris") {
		if _, err := url.Parse(s); err != nil || s == "" {
			failures = append(failures, standin.Failure{Property: "uris", Reason: fmt.Sprintf("uris[%d]: %q is not a URI", i, s)})
		}
	}
	return failures
}

// pemReplace: a changed PEM input replaces the resource when the state holds a PEM (the official
// rule; old states held a hash instead).
func pemReplace(old, _ resource.PropertyValue) bool {
	v := standin.Plain(old)
	return v.IsString() && strings.HasPrefix(strings.TrimSpace(v.StringValue()), "-----BEGIN ") && strings.Contains(v.StringValue(), "-----END ")
}

func notImplementedWriteOnly(name string) standin.Property {
	return standin.Property{Name: name, Kind: standin.String, Input: true,
		NotImplemented: "write-only inputs are not implemented; pass the PEM in the matching non-write-only input"}
}

// parsePrivateKey reads a PEM private key (PKCS#1 RSA, SEC 1 EC or PKCS#8) and names its algorithm.
func parsePrivateKey(text string) (crypto.Signer, string, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, "", errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("unsupported PEM type %q (want RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("parsing %s: %w", block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, "", fmt.Errorf("unsupported private key type %T", key)
	}
	alg, err := algorithmOf(signer)
	return signer, alg, err
}

func algorithmOf(key crypto.Signer) (string, error) {
	switch key.(type) {
	case *rsa.PrivateKey:
		return "RSA", nil
	case *ecdsa.PrivateKey:
		return "ECDSA", nil
	case ed25519.PrivateKey:
		return "ED25519", nil
	}
	return "", fmt.Errorf("unsupported private key type %T", key)
}

// subjectKeyID is RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bit string.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

func decodeOne(text, wantType string) ([]byte, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, fmt.Errorf("no PEM block of type %q found", wantType)
	}
	if block.Type != wantType {
		return nil, fmt.Errorf("PEM type is %q, want %q", block.Type, wantType)
	}
	return block.Bytes, nil
}
