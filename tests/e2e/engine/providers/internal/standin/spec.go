// Package standin is the shared half of the e2e's stand-in provider plugins: a resource is declared
// as data (its properties: kind, input or computed, default, secret, replace rule) plus a few hooks,
// and one gRPC server turns those declarations into Check, Diff, Create, Read, Update, Delete and a
// schema. The plan model follows the Terraform-bridged providers the stand-ins replace: defaults
// are applied when planning (so they show in the state, not in the checked inputs), computed
// outputs keep their prior value unless the resource is replaced, and a change to an input marked
// Replace replaces the resource.
package standin

import (
	"context"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Kind is the shape of a property's value.
type Kind int

const (
	String Kind = iota
	Int
	Bool
	StringList
	StringMap
	AnyList
	Object
)

// ReplaceRule decides whether a change of an input (old -> new, known to differ) replaces the resource.
type ReplaceRule func(old, new resource.PropertyValue) bool

// Always replaces on any change.
func Always(_, _ resource.PropertyValue) bool { return true }

// Property is one property of a resource, as the official schema declares it.
type Property struct {
	Name string
	Kind Kind
	// Object: its fields and the schema type token naming them.
	Fields    []Property
	TypeToken string
	// Input: the program may set it. Computed: the provider sets it (with Input: optional and computed).
	Input    bool
	Required bool
	Computed bool
	// Default is the planned value when the input is not set (zero value: no default).
	Default resource.PropertyValue
	// KeepState: an unset input plans the prior state's value (the official UseStateForUnknown).
	KeepState bool
	// Secret: always a secret in the state and outputs (sensitive in the official schema).
	Secret bool
	// Replace: a change replaces the resource (nil: updated in place).
	Replace ReplaceRule
	// NotImplemented: an official input the stand-in refuses at Check, so none is silently ignored.
	NotImplemented string
	Description    string
}

// Op is one operation on one resource, as the hooks see it.
type Op struct {
	URN     resource.URN
	ID      string
	Prior   resource.PropertyMap // the state (Update, Read, Delete)
	Planned resource.PropertyMap // the planned state: inputs with defaults (Create, Update)
	Preview bool
	// Log writes a message to the engine's log for this resource; Status a transient status line.
	Log    func(sev diag.Severity, msg string)
	Status func(sev diag.Severity, msg string)
}

// Resource is one resource type of a stand-in package.
type Resource struct {
	Token       string
	Description string
	Properties  []Property
	// Validate reports what is wrong with known planned values (after the generic kind checks).
	Validate func(planned Values) []Failure
	// Plan adjusts the planned state: values of computed properties the official plan knows
	// (readyForRenewal), properties that mirror each other (number/numeric).
	Plan func(planned resource.PropertyMap, news resource.PropertyMap)
	// ExtraReplaces lists properties whose planned state replaces the resource although no input
	// changed (a certificate inside its renewal window).
	ExtraReplaces func(prior, planned resource.PropertyMap, now time.Time) []string
	// SecretWhenInputsSecret: outputs that become secrets when any input holds one.
	SecretWhenInputsSecret []string
	// Create makes the resource from the planned state (never called in a preview).
	Create func(ctx context.Context, op *Op) (id string, outputs resource.PropertyMap, err error)
	// Update returns the new state (called in previews too; nil: the planned state).
	Update func(ctx context.Context, op *Op) (resource.PropertyMap, error)
	// Read refreshes the state (nil: the state as it is).
	Read func(ctx context.Context, op *Op) (resource.PropertyMap, error)
	// Delete removes the resource (nil: nothing to remove).
	Delete func(ctx context.Context, op *Op) error
}

// Failure is a Check failure: the property and what to change.
type Failure struct {
	Property string
	Reason   string
}

// Package is a stand-in plugin: its name, the version it reports, and its resources.
type Package struct {
	Name        string
	Version     string
	Description string
	Resources   []*Resource
}

func (r *Resource) property(name string) (Property, bool) {
	for _, p := range r.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}
