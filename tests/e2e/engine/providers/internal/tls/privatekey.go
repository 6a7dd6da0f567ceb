package tls

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"

	"enrichment.e2e/providers/internal/standin"
)

var (
	algorithms = []string{"RSA", "ECDSA", "ED25519"}
	curves     = map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}
)

// PrivateKey is tls:index/privateKey:PrivateKey: every input replaces the key.
func PrivateKey() *standin.Resource {
	out := func(name, desc string, secret bool) standin.Property {
		return standin.Property{Name: name, Kind: standin.String, Computed: true, Secret: secret, Description: desc}
	}
	return &standin.Resource{
		Token:       "tls:index/privateKey:PrivateKey",
		Description: "A private key (RSA, ECDSA or ED25519) generated with crypto/rand (stand-in).",
		Properties: []standin.Property{
			{Name: "algorithm", Kind: standin.String, Input: true, Required: true, Replace: standin.Always, Description: "RSA, ECDSA or ED25519."},
			{Name: "rsaBits", Kind: standin.Int, Input: true, Computed: true, Default: standin.Number(2048), Replace: standin.Always, Description: "RSA key size (default 2048)."},
			{Name: "ecdsaCurve", Kind: standin.String, Input: true, Computed: true, Default: resource.NewStringProperty("P224"), Replace: standin.Always, Description: "P224, P256, P384 or P521 (default P224)."},
			out("privateKeyPem", "The private key in PEM (PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for ED25519).", true),
			out("privateKeyPemPkcs8", "The private key in PKCS#8 PEM.", true),
			out("privateKeyOpenssh", "The private key in OpenSSH PEM (empty when OpenSSH cannot hold it, e.g. ECDSA P224).", true),
			out("publicKeyPem", "The public key in PKIX PEM.", false),
			out("publicKeyOpenssh", "The public key in authorized_keys format (empty for ECDSA P224).", false),
			out("publicKeyFingerprintMd5", "MD5 fingerprint of the OpenSSH public key.", false),
			out("publicKeyFingerprintSha256", "SHA256 fingerprint of the OpenSSH public key.", false),
		},
		Validate: func(in standin.Values) []standin.Failure {
			var failures []standin.Failure
			alg, ok := in.String("algorithm")
			if ok && !slices.Contains(algorithms, alg) {
				failures = append(failures, standin.Failure{Property: "algorithm", Reason: fmt.Sprintf("algorithm must be one of %v, got %q", algorithms, alg)})
			}
			if curve, ok := in.String("ecdsaCurve"); ok && curves[curve] == nil {
				failures = append(failures, standin.Failure{Property: "ecdsaCurve", Reason: fmt.Sprintf("ecdsaCurve must be one of P224, P256, P384, P521, got %q", curve)})
			}
			// Go's crypto/rsa refuses keys under 1024 bits; say so before anything is created.
			if bits, ok := in.Int("rsaBits"); ok && alg == "RSA" && bits < 1024 {
				failures = append(failures, standin.Failure{Property: "rsaBits", Reason: fmt.Sprintf("rsaBits must be at least 1024, got %d", bits)})
			}
			return failures
		},
		Create: createPrivateKey,
	}
}

func createPrivateKey(_ context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
	in := standin.Values(op.Planned)
	alg, _ := in.String("algorithm")
	var key crypto.Signer
	var err error
	switch alg {
	case "RSA":
		bits, _ := in.Int("rsaBits")
		key, err = rsa.GenerateKey(rand.Reader, int(bits))
	case "ECDSA":
		curve, _ := in.String("ecdsaCurve")
		key, err = ecdsa.GenerateKey(curves[curve], rand.Reader)
	case "ED25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("unsupported algorithm %q", alg)
	}
	if err != nil {
		return "", nil, fmt.Errorf("generating the %s key: %w", alg, err)
	}
	outs := op.Planned.Copy()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", nil, err
	}
	var native *pem.Block
	switch k := key.(type) {
	case *rsa.PrivateKey:
		native = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", nil, err
		}
		native = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		native = &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}
	}
	outs["privateKeyPem"] = resource.NewStringProperty(string(pem.EncodeToMemory(native)))
	outs["privateKeyPemPkcs8"] = resource.NewStringProperty(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))

	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", nil, err
	}
	outs["publicKeyPem"] = resource.NewStringProperty(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))

	// OpenSSH has no P224: those outputs are empty strings, as in the official provider.
	privateSSH, publicSSH, md5, sha256 := "", "", "", ""
	if sshPub, err := ssh.NewPublicKey(key.Public()); err == nil {
		publicSSH = string(ssh.MarshalAuthorizedKey(sshPub))
		md5, sha256 = ssh.FingerprintLegacyMD5(sshPub), ssh.FingerprintSHA256(sshPub)
		block, err := ssh.MarshalPrivateKey(key, "")
		if err != nil {
			return "", nil, fmt.Errorf("encoding the OpenSSH private key: %w", err)
		}
		privateSSH = string(pem.EncodeToMemory(block))
	}
	outs["privateKeyOpenssh"] = resource.NewStringProperty(privateSSH)
	outs["publicKeyOpenssh"] = resource.NewStringProperty(publicSSH)
	outs["publicKeyFingerprintMd5"] = resource.NewStringProperty(md5)
	outs["publicKeyFingerprintSha256"] = resource.NewStringProperty(sha256)

	// The official id: the SHA-1 of the public key's DER, in hex.
	sum := sha1.Sum(pubDER)
	return hex.EncodeToString(sum[:]), outs, nil
}
