package tls

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"enrichment.e2e/providers/internal/standin"
)

var no = resource.NewBoolProperty(false)

// certificateProperties are the inputs and outputs SelfSignedCert and LocallySignedCert share.
func certificateProperties() []standin.Property {
	return []standin.Property{
		{Name: "validityPeriodHours", Kind: standin.Int, Input: true, Required: true, Replace: standin.Always,
			Description: "Hours the certificate is valid for after it is issued."},
		{Name: "allowedUses", Kind: standin.StringList, Input: true, Required: true, Replace: standin.Always,
			Description: "Key usages and extended key usages (RFC 5280), e.g. digital_signature, cert_signing, server_auth."},
		{Name: "earlyRenewalHours", Kind: standin.Int, Input: true, Computed: true, Default: standin.Number(0),
			Description: "Hours before expiry from which the certificate is ready for renewal (default 0); changing it updates in place."},
		{Name: "isCaCertificate", Kind: standin.Bool, Input: true, Computed: true, Default: no, Replace: standin.Always,
			Description: "Whether the certificate is a CA (default false)."},
		{Name: "maxPathLength", Kind: standin.Int, Input: true, Computed: true, KeepState: true, Replace: standin.Always,
			Description: "Maximum number of intermediate CAs below this one (only for a CA)."},
		{Name: "setSubjectKeyId", Kind: standin.Bool, Input: true, Computed: true, Default: no, Replace: standin.Always,
			Description: "Include a subject key identifier (default false; a CA always has one)."},
		{Name: "certPem", Kind: standin.String, Computed: true, Description: "The certificate in PEM."},
		{Name: "readyForRenewal", Kind: standin.Bool, Computed: true, Default: no,
			Description: "Whether the certificate is expired or within earlyRenewalHours of expiry; if so the next update replaces it."},
		{Name: "validityStartTime", Kind: standin.String, Computed: true, Description: "NotBefore, RFC 3339."},
		{Name: "validityEndTime", Kind: standin.String, Computed: true, Description: "NotAfter, RFC 3339."},
	}
}

func validateCertificate(in standin.Values) []standin.Failure {
	var failures []standin.Failure
	for i, use := range in.Strings("allowedUses") {
		_, isKeyUsage := keyUsages[use]
		_, isExtKeyUsage := extKeyUsages[use]
		if !isKeyUsage && !isExtKeyUsage {
			failures = append(failures, standin.Failure{Property: "allowedUses", Reason: fmt.Sprintf(
				"allowedUses[%d]: %q is not one of %v", i, use, allowedUseNames())})
		}
	}
	atLeast := func(name string, min int64) {
		if n, ok := in.Int(name); ok && n < min {
			failures = append(failures, standin.Failure{Property: name, Reason: fmt.Sprintf("%s must be at least %d, got %d", name, min, n)})
		}
	}
	atLeast("validityPeriodHours", 0)
	atLeast("earlyRenewalHours", 0)
	atLeast("maxPathLength", -1)
	return append(failures, validateSANs(in)...)
}

// planReadyForRenewal is the official plan rule: a certificate valid for 0 hours, or whose early
// renewal window is as long as its validity, is planned ready for renewal.
func planReadyForRenewal(planned, _ resource.PropertyMap) {
	in := standin.Values(planned)
	validity, okV := in.Int("validityPeriodHours")
	early, okE := in.Int("earlyRenewalHours")
	if okV && (validity == 0 || (okE && early >= validity)) {
		planned["readyForRenewal"] = resource.NewBoolProperty(true)
	}
}

// inRenewalWindow: now is at or past validityEndTime - earlyRenewalHours.
func inRenewalWindow(state standin.Values, early int64, now time.Time) bool {
	endText, ok := state.String("validityEndTime")
	if !ok {
		return false
	}
	end, err := time.Parse(time.RFC3339, endText)
	if err != nil {
		return false
	}
	return !now.Before(end.Add(-time.Duration(early) * time.Hour))
}

// renewalReplaces replaces a certificate inside its renewal window on the next update, refreshed
// or not (the official plan modifier).
func renewalReplaces(prior, planned resource.PropertyMap, now time.Time) []string {
	if prior == nil {
		return nil
	}
	early, ok := standin.Values(planned).Int("earlyRenewalHours")
	if ok && inRenewalWindow(standin.Values(prior), early, now) {
		return []string{"readyForRenewal"}
	}
	return nil
}

// readRenewal is a refresh: the state, with readyForRenewal set when the window has opened.
func readRenewal(_ context.Context, op *standin.Op) (resource.PropertyMap, error) {
	state := op.Prior.Copy()
	early, _ := standin.Values(state).Int("earlyRenewalHours")
	if inRenewalWindow(standin.Values(state), early, time.Now()) {
		state["readyForRenewal"] = resource.NewBoolProperty(true)
	}
	return state, nil
}

// issue signs a certificate for the template with the planned validity, uses and CA settings.
func issue(in standin.Values, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer, selfSigned bool) (resource.PropertyMap, string, error) {
	validity, _ := in.Int("validityPeriodHours")
	template.NotBefore = time.Now()
	template.NotAfter = template.NotBefore.Add(time.Duration(validity) * time.Hour)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, "", err
	}
	template.SerialNumber = serial
	for _, use := range in.Strings("allowedUses") {
		template.KeyUsage |= keyUsages[use]
		if ext, ok := extKeyUsages[use]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, ext)
		}
	}
	if isCA, _ := in.Bool("isCaCertificate"); isCA {
		// RFC 5280 4.1.2.6: a CA's subject names it.
		if reflect.DeepEqual(template.Subject, pkix.Name{}) {
			return nil, "", errors.New("subject: a CA certificate (isCaCertificate) needs at least one distinguished name")
		}
		template.IsCA = true
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return nil, "", err
		}
	}
	// As the official provider: only a value >= 0 is set, and 0 alone means "no constraint".
	if n, ok := in.Int("maxPathLength"); ok && n >= 0 {
		template.MaxPathLen = int(n)
	}
	if set, _ := in.Bool("setSubjectKeyId"); set {
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return nil, "", err
		}
	}
	if set, _ := in.Bool("setAuthorityKeyId"); set && selfSigned {
		if len(parent.SubjectKeyId) == 0 {
			return nil, "", errors.New("setAuthorityKeyId: no subject key identifier to use (set isCaCertificate or setSubjectKeyId)")
		}
		template.AuthorityKeyId = parent.SubjectKeyId
	}
	// crypto/x509 takes the authority key id of a CA-signed certificate from the CA's subject key id.
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, "", fmt.Errorf("signing the certificate: %w", err)
	}
	start, _ := template.NotBefore.MarshalText()
	end, _ := template.NotAfter.MarshalText()
	return resource.PropertyMap{
		"certPem":           resource.NewStringProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		"validityStartTime": resource.NewStringProperty(string(start)),
		"validityEndTime":   resource.NewStringProperty(string(end)),
	}, serial.String(), nil
}

func merge(planned, computed resource.PropertyMap) resource.PropertyMap {
	outs := planned.Copy()
	for k, v := range computed {
		outs[k] = v
	}
	return outs
}

// SelfSignedCert is tls:index/selfSignedCert:SelfSignedCert.
func SelfSignedCert() *standin.Resource {
	props := []standin.Property{
		{Name: "privateKeyPem", Kind: standin.String, Input: true, Required: true, Secret: true, Replace: pemReplace,
			Description: "The certificate's private key in PEM."},
		notImplementedWriteOnly("privateKeyPemWo"),
		{Name: "privateKeyPemWoVersion", Kind: standin.Int, Input: true, NotImplemented: "write-only inputs are not implemented"},
		subjectProperty("tls:index/SelfSignedCertSubject:SelfSignedCertSubject"),
		{Name: "setAuthorityKeyId", Kind: standin.Bool, Input: true, Computed: true, Default: no, Replace: standin.Always,
			Description: "Include an authority key identifier (its own subject key identifier; default false)."},
		{Name: "keyAlgorithm", Kind: standin.String, Computed: true, Description: "The private key's algorithm."},
	}
	props = append(props, sanProperties()...)
	props = append(props, certificateProperties()...)
	return &standin.Resource{
		Token:         "tls:index/selfSignedCert:SelfSignedCert",
		Description:   "A self-signed x509 certificate (stand-in).",
		Properties:    props,
		Validate:      validateCertificate,
		Plan:          planReadyForRenewal,
		ExtraReplaces: renewalReplaces,
		Read:          readRenewal,
		Create: func(_ context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
			in := standin.Values(op.Planned)
			keyPEM, _ := in.String("privateKeyPem")
			key, alg, err := parsePrivateKey(keyPEM)
			if err != nil {
				return "", nil, fmt.Errorf("privateKeyPem: %w", err)
			}
			dns, ips, uris, err := sans(in)
			if err != nil {
				return "", nil, err
			}
			template := &x509.Certificate{BasicConstraintsValid: true, Subject: subjectName(in), DNSNames: dns, IPAddresses: ips, URIs: uris}
			computed, id, err := issue(in, template, template, key.Public(), key, true)
			if err != nil {
				return "", nil, err
			}
			computed["keyAlgorithm"] = resource.NewStringProperty(alg)
			return id, merge(op.Planned, computed), nil
		},
	}
}

// CertRequest is tls:index/certRequest:CertRequest: every input replaces it.
func CertRequest() *standin.Resource {
	props := []standin.Property{
		{Name: "privateKeyPem", Kind: standin.String, Input: true, Required: true, Secret: true, Replace: pemReplace,
			Description: "The requester's private key in PEM."},
		notImplementedWriteOnly("privateKeyPemWo"),
		{Name: "privateKeyPemWoVersion", Kind: standin.Int, Input: true, NotImplemented: "write-only inputs are not implemented"},
		subjectProperty("tls:index/CertRequestSubject:CertRequestSubject"),
		{Name: "certRequestPem", Kind: standin.String, Computed: true, Description: "The certificate request in PEM."},
		{Name: "keyAlgorithm", Kind: standin.String, Computed: true, Description: "The private key's algorithm."},
	}
	props = append(props, sanProperties()...)
	return &standin.Resource{
		Token:       "tls:index/certRequest:CertRequest",
		Description: "A certificate signing request (stand-in).",
		Properties:  props,
		Validate:    validateSANs,
		Create: func(_ context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
			in := standin.Values(op.Planned)
			keyPEM, _ := in.String("privateKeyPem")
			key, alg, err := parsePrivateKey(keyPEM)
			if err != nil {
				return "", nil, fmt.Errorf("privateKeyPem: %w", err)
			}
			dns, ips, uris, err := sans(in)
			if err != nil {
				return "", nil, err
			}
			der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
				Subject: subjectName(in), DNSNames: dns, IPAddresses: ips, URIs: uris,
			}, key)
			if err != nil {
				return "", nil, fmt.Errorf("creating the certificate request: %w", err)
			}
			sum := sha1.Sum(der)
			return hex.EncodeToString(sum[:]), merge(op.Planned, resource.PropertyMap{
				"certRequestPem": resource.NewStringProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))),
				"keyAlgorithm":   resource.NewStringProperty(alg),
			}), nil
		},
	}
}

// LocallySignedCert is tls:index/locallySignedCert:LocallySignedCert: a request signed by a CA.
func LocallySignedCert() *standin.Resource {
	props := []standin.Property{
		{Name: "certRequestPem", Kind: standin.String, Input: true, Required: true, Replace: pemReplace,
			Description: "The certificate request in PEM (its subject and SANs go into the certificate)."},
		{Name: "caPrivateKeyPem", Kind: standin.String, Input: true, Required: true, Secret: true, Replace: pemReplace,
			Description: "The CA's private key in PEM."},
		notImplementedWriteOnly("caPrivateKeyPemWo"),
		{Name: "caPrivateKeyPemWoVersion", Kind: standin.Int, Input: true, NotImplemented: "write-only inputs are not implemented"},
		{Name: "caCertPem", Kind: standin.String, Input: true, Required: true, Replace: pemReplace,
			Description: "The CA's certificate in PEM."},
		{Name: "caKeyAlgorithm", Kind: standin.String, Computed: true, Description: "The CA private key's algorithm."},
	}
	props = append(props, certificateProperties()...)
	return &standin.Resource{
		Token:         "tls:index/locallySignedCert:LocallySignedCert",
		Description:   "A certificate signed by a local CA (stand-in).",
		Properties:    props,
		Validate:      validateCertificate,
		Plan:          planReadyForRenewal,
		ExtraReplaces: renewalReplaces,
		Read:          readRenewal,
		Create: func(_ context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
			in := standin.Values(op.Planned)
			csrPEM, _ := in.String("certRequestPem")
			csrDER, err := decodeOne(csrPEM, "CERTIFICATE REQUEST")
			if err != nil {
				return "", nil, fmt.Errorf("certRequestPem: %w", err)
			}
			csr, err := x509.ParseCertificateRequest(csrDER)
			if err != nil {
				return "", nil, fmt.Errorf("certRequestPem: %w", err)
			}
			caKeyPEM, _ := in.String("caPrivateKeyPem")
			caKey, alg, err := parsePrivateKey(caKeyPEM)
			if err != nil {
				return "", nil, fmt.Errorf("caPrivateKeyPem: %w", err)
			}
			caPEM, _ := in.String("caCertPem")
			caDER, err := decodeOne(caPEM, "CERTIFICATE")
			if err != nil {
				return "", nil, fmt.Errorf("caCertPem: %w", err)
			}
			ca, err := x509.ParseCertificate(caDER)
			if err != nil {
				return "", nil, fmt.Errorf("caCertPem: %w", err)
			}
			if !ca.IsCA {
				op.Log(diag.Warning, "caCertPem is not a CA certificate: the issued certificate may fail validation")
			}
			template := &x509.Certificate{BasicConstraintsValid: true, Subject: csr.Subject, DNSNames: csr.DNSNames, IPAddresses: csr.IPAddresses, URIs: csr.URIs}
			computed, id, err := issue(in, template, ca, csr.PublicKey, caKey, false)
			if err != nil {
				return "", nil, err
			}
			computed["caKeyAlgorithm"] = resource.NewStringProperty(alg)
			return id, merge(op.Planned, computed), nil
		},
	}
}
