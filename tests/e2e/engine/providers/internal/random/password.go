// Package random is the stand-in for the `random` provider: RandomPassword only, with the
// official schema's defaults (special, upper, lower, numeric true; min* 0), validation, replace
// rules (every input replaces; keepers and overrideSpecial with the official exceptions) and
// secrets (result, bcryptHash). Passwords come from crypto/rand.
package random

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/bcrypt"

	"enrichment.e2e/providers/internal/standin"
)

// Version is set at build time from package-lock.json's @pulumi/random.
var Version = "0.0.0-dev"

// Package is the stand-in random provider.
func Package() standin.Package {
	return standin.Package{
		Name:        "random",
		Version:     Version,
		Description: "Stand-in for the random provider (e2e only): RandomPassword.",
		Resources:   []*standin.Resource{Password()},
	}
}

const (
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	numericChars = "0123456789"
	// The official provider's special characters when overrideSpecial is not set.
	defaultSpecialChars = "!@#$%&*()-_=+[]{}<>:?"
)

var (
	yes  = resource.NewBoolProperty(true)
	zero = standin.Number(0)
)

// Password is random:index/randomPassword:RandomPassword.
func Password() *standin.Resource {
	flag := func(name, desc string) standin.Property {
		return standin.Property{Name: name, Kind: standin.Bool, Input: true, Computed: true, Default: yes, Replace: standin.Always, Description: desc}
	}
	minimum := func(name, class string) standin.Property {
		return standin.Property{Name: name, Kind: standin.Int, Input: true, Computed: true, Default: zero, Replace: standin.Always,
			Description: "Minimum number of " + class + " characters in the result (default 0)."}
	}
	return &standin.Resource{
		Token:       "random:index/randomPassword:RandomPassword",
		Description: "A random password from crypto/rand (stand-in).",
		Properties: []standin.Property{
			{Name: "keepers", Kind: standin.StringMap, Input: true, Replace: keepersReplace,
				Description: "Arbitrary values that, when changed, trigger a new password."},
			{Name: "length", Kind: standin.Int, Input: true, Required: true, Replace: standin.Always,
				Description: "The length of the password; at least 1 and at least the sum of the min* values."},
			flag("special", "Include special characters (default true)."),
			flag("upper", "Include uppercase letters (default true)."),
			flag("lower", "Include lowercase letters (default true)."),
			{Name: "numeric", Kind: standin.Bool, Input: true, Computed: true, Replace: standin.Always,
				Description: "Include digits (default true)."},
			{Name: "number", Kind: standin.Bool, Input: true, Computed: true, Replace: standin.Always,
				Description: "Deprecated: use numeric (kept equal to it)."},
			minimum("minUpper", "uppercase"),
			minimum("minLower", "lowercase"),
			minimum("minNumeric", "numeric"),
			minimum("minSpecial", "special"),
			{Name: "overrideSpecial", Kind: standin.String, Input: true, Replace: overrideSpecialReplace,
				Description: "The special characters to use instead of the default set (special must still be true)."},
			{Name: "result", Kind: standin.String, Computed: true, Secret: true, Description: "The generated password."},
			{Name: "bcryptHash", Kind: standin.String, Computed: true, Secret: true, Description: "A bcrypt hash of the first 72 bytes of the result."},
		},
		Plan:     planNumeric,
		Validate: validate,
		Create:   create,
	}
}

// planNumeric keeps the deprecated number and numeric equal, defaulting to true.
func planNumeric(planned, news resource.PropertyMap) {
	numeric, hasNumeric := news["numeric"]
	number, hasNumber := news["number"]
	switch {
	case hasNumeric && hasNumber:
		planned["numeric"], planned["number"] = numeric, number
	case hasNumeric:
		planned["numeric"], planned["number"] = numeric, numeric
	case hasNumber:
		planned["numeric"], planned["number"] = number, number
	default:
		planned["numeric"], planned["number"] = yes, yes
	}
}

func validate(in standin.Values) []standin.Failure {
	var failures []standin.Failure
	length, knownLength := in.Int("length")
	if knownLength && length < 1 {
		failures = append(failures, standin.Failure{Property: "length", Reason: fmt.Sprintf("length must be at least 1, got %d", length)})
	}
	sum, allKnown := int64(0), true
	for _, name := range []string{"minUpper", "minLower", "minNumeric", "minSpecial"} {
		n, ok := in.Int(name)
		if !ok {
			allKnown = false
			continue
		}
		if n < 0 {
			failures = append(failures, standin.Failure{Property: name, Reason: fmt.Sprintf("%s must not be negative, got %d", name, n)})
		}
		sum += n
	}
	if knownLength && allKnown && length < sum {
		failures = append(failures, standin.Failure{Property: "length", Reason: fmt.Sprintf(
			"length (%d) must be at least minUpper + minLower + minNumeric + minSpecial (%d)", length, sum)})
	}
	numeric, okNumeric := in.Bool("numeric")
	number, okNumber := in.Bool("number")
	if okNumeric && okNumber && numeric != number {
		failures = append(failures, standin.Failure{Property: "number", Reason: "number and numeric are set to different values; number is deprecated: set numeric only"})
	}
	special, okS := in.Bool("special")
	upper, okU := in.Bool("upper")
	lower, okL := in.Bool("lower")
	if okNumeric && okS && okU && okL && !numeric && !special && !upper && !lower {
		failures = append(failures, standin.Failure{Property: "numeric", Reason: "at least one of upper, lower, numeric and special must be true"})
	}
	return failures
}

func create(_ context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
	in := standin.Values(op.Planned)
	params := Params{}
	params.Length, _ = in.Int("length")
	params.Upper, _ = in.Bool("upper")
	params.Lower, _ = in.Bool("lower")
	params.Numeric, _ = in.Bool("numeric")
	params.Special, _ = in.Bool("special")
	params.MinUpper, _ = in.Int("minUpper")
	params.MinLower, _ = in.Int("minLower")
	params.MinNumeric, _ = in.Int("minNumeric")
	params.MinSpecial, _ = in.Int("minSpecial")
	params.OverrideSpecial, _ = in.String("overrideSpecial")
	result, err := Generate(params)
	if err != nil {
		return "", nil, err
	}
	hash, err := BcryptHash(result)
	if err != nil {
		return "", nil, err
	}
	outs := op.Planned.Copy()
	outs["result"] = resource.NewStringProperty(result)
	outs["bcryptHash"] = resource.NewStringProperty(hash)
	// The official provider's id for every password.
	return "none", outs, nil
}

// Params are a password's rules.
type Params struct {
	Length                                     int64
	Upper, Lower, Numeric, Special             bool
	MinUpper, MinLower, MinNumeric, MinSpecial int64
	OverrideSpecial                            string
}

// Generate draws each class's minimum from that class (whether or not the class is enabled, as the
// official provider does), fills the rest from the enabled classes, and shuffles.
func Generate(p Params) (string, error) {
	special := defaultSpecialChars
	if p.OverrideSpecial != "" {
		special = p.OverrideSpecial
	}
	pool := ""
	for _, class := range []struct {
		on    bool
		chars string
	}{{p.Upper, upperChars}, {p.Lower, lowerChars}, {p.Numeric, numericChars}, {p.Special, special}} {
		if class.on {
			pool += class.chars
		}
	}
	if pool == "" {
		return "", errors.New("the character set is empty: enable at least one of upper, lower, numeric, special")
	}
	if p.MinUpper+p.MinLower+p.MinNumeric+p.MinSpecial > p.Length {
		return "", fmt.Errorf("length %d is less than the sum of the minimums", p.Length)
	}
	var out []rune
	for _, draw := range []struct {
		chars string
		n     int64
	}{{upperChars, p.MinUpper}, {lowerChars, p.MinLower}, {numericChars, p.MinNumeric}, {special, p.MinSpecial}} {
		picked, err := pick(draw.chars, draw.n)
		if err != nil {
			return "", err
		}
		out = append(out, picked...)
	}
	rest, err := pick(pool, p.Length-int64(len(out)))
	if err != nil {
		return "", err
	}
	out = append(out, rest...)
	// Fisher-Yates, so the minimums are not all at the front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := randInt(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(chars string, n int64) ([]rune, error) {
	set := []rune(chars)
	out := make([]rune, 0, max(n, 0))
	for range n {
		i, err := randInt(len(set))
		if err != nil {
			return nil, err
		}
		out = append(out, set[i])
	}
	return out, nil
}

func randInt(n int) (int, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(i.Int64()), nil
}

// BcryptHash hashes the first 72 bytes (bcrypt's limit) at the default cost, as the official does.
func BcryptHash(s string) (string, error) {
	b := []byte(s)
	if len(b) > 72 {
		b = b[:72]
	}
	hash, err := bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
	return string(hash), err
}

// keepersReplace: a change of keepers replaces the password, except adding keys whose values are
// null (the official RequiresReplaceIfValuesNotNull).
func keepersReplace(old, next resource.PropertyValue) bool {
	if standin.Unknown(next) {
		return !standin.Absent(old)
	}
	olds, news := objectOf(old), objectOf(next)
	if standin.Absent(old) {
		for _, v := range news {
			if !standin.Plain(v).IsNull() {
				return true
			}
		}
		return false
	}
	for k, v := range news {
		ov, had := olds[k]
		if (!had && standin.Plain(v).IsNull()) || (had && standin.Equal(v, ov)) {
			continue
		}
		return true
	}
	for k := range olds {
		if _, kept := news[k]; !kept {
			return true
		}
	}
	return false
}

func objectOf(v resource.PropertyValue) resource.PropertyMap {
	if p := standin.Plain(v); p.IsObject() {
		return p.ObjectValue()
	}
	return resource.PropertyMap{}
}

// overrideSpecialReplace: any change replaces, except "" -> unset (and an unknown new value).
func overrideSpecialReplace(old, next resource.PropertyValue) bool {
	if standin.Unknown(next) {
		return false
	}
	if !standin.Plain(next).IsNull() || standin.Plain(old).IsNull() {
		return true
	}
	return standin.Plain(old).IsString() && standin.Plain(old).StringValue() != ""
}
