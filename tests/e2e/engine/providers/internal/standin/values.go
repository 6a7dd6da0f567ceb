package standin

import (
	"fmt"
	"math"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Plain strips secret markers, recursively: values are compared and used by what they hold.
func Plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsArray():
		out := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = Plain(e)
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			out[k] = Plain(e)
		}
		return resource.NewObjectProperty(out)
	}
	return v
}

// Absent is true for a property that is not set: missing, null, or an empty list, map or object.
// The stand-ins treat these alike so an SDK that sends `[]` for an unset list does not replace a resource.
func Absent(v resource.PropertyValue) bool {
	v = Plain(v)
	switch {
	case v.IsNull():
		return true
	case v.IsArray():
		return len(v.ArrayValue()) == 0
	case v.IsObject():
		return len(v.ObjectValue()) == 0
	}
	return false
}

// Unknown is true when the value, or anything inside it, is not known yet (a preview).
func Unknown(v resource.PropertyValue) bool { return v.ContainsUnknowns() }

// Equal compares two values by content, ignoring secretness; an unknown value equals nothing.
func Equal(a, b resource.PropertyValue) bool {
	if Unknown(a) || Unknown(b) {
		return false
	}
	if Absent(a) && Absent(b) {
		return true
	}
	return Plain(a).DeepEquals(Plain(b))
}

// Values reads a property map, unwrapping secrets. The methods return ok=false when the value is
// absent or unknown, so callers only ever see known values.
type Values resource.PropertyMap

func (m Values) get(name string) (resource.PropertyValue, bool) {
	v, ok := resource.PropertyMap(m)[resource.PropertyKey(name)]
	if !ok || Unknown(v) || Plain(v).IsNull() {
		return resource.PropertyValue{}, false
	}
	return Plain(v), true
}

func (m Values) String(name string) (string, bool) {
	v, ok := m.get(name)
	if !ok || !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

func (m Values) Int(name string) (int64, bool) {
	v, ok := m.get(name)
	if !ok || !v.IsNumber() {
		return 0, false
	}
	return int64(v.NumberValue()), true
}

func (m Values) Bool(name string) (bool, bool) {
	v, ok := m.get(name)
	if !ok || !v.IsBool() {
		return false, false
	}
	return v.BoolValue(), true
}

func (m Values) Strings(name string) []string {
	v, ok := m.get(name)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func (m Values) StringMap(name string) map[string]string {
	v, ok := m.get(name)
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		if e.IsString() {
			out[string(k)] = e.StringValue()
		}
	}
	return out
}

func (m Values) Object(name string) Values {
	v, ok := m.get(name)
	if !ok || !v.IsObject() {
		return nil
	}
	return Values(v.ObjectValue())
}

// Unknown reports whether the named property is set but not known yet.
func (m Values) Unknown(name string) bool {
	v, ok := resource.PropertyMap(m)[resource.PropertyKey(name)]
	return ok && Unknown(v)
}

// Number builds an integer property.
func Number(n int64) resource.PropertyValue { return resource.NewNumberProperty(float64(n)) }

// NewStrings builds a list of strings.
func NewStrings(items []string) resource.PropertyValue {
	out := make([]resource.PropertyValue, len(items))
	for i, s := range items {
		out[i] = resource.NewStringProperty(s)
	}
	return resource.NewArrayProperty(out)
}

// Computed is an output not known until the resource is created (previews).
func Computed() resource.PropertyValue { return resource.MakeComputed(resource.NewStringProperty("")) }

// checkKind reports what is wrong with a known value of the given property, or "".
func checkKind(p Property, v resource.PropertyValue) string {
	if Unknown(v) {
		return ""
	}
	v = Plain(v)
	if v.IsNull() {
		return ""
	}
	switch p.Kind {
	case String:
		if !v.IsString() {
			return fmt.Sprintf("expected a string, got %s", describe(v))
		}
	case Int:
		if !v.IsNumber() {
			return fmt.Sprintf("expected an integer, got %s", describe(v))
		}
		if n := v.NumberValue(); n != math.Trunc(n) {
			return fmt.Sprintf("expected an integer, got %v", n)
		}
	case Bool:
		if !v.IsBool() {
			return fmt.Sprintf("expected a boolean, got %s", describe(v))
		}
	case StringList:
		if !v.IsArray() {
			return fmt.Sprintf("expected a list of strings, got %s", describe(v))
		}
		for i, e := range v.ArrayValue() {
			if !Unknown(e) && !Plain(e).IsString() {
				return fmt.Sprintf("item %d: expected a string, got %s", i, describe(Plain(e)))
			}
		}
	case StringMap:
		if !v.IsObject() {
			return fmt.Sprintf("expected a map of strings, got %s", describe(v))
		}
		for _, k := range sortedKeys(v.ObjectValue()) {
			e := v.ObjectValue()[resource.PropertyKey(k)]
			if !Unknown(e) && !Plain(e).IsString() && !Plain(e).IsNull() {
				return fmt.Sprintf("key %q: expected a string, got %s", k, describe(Plain(e)))
			}
		}
	case AnyList:
		if !v.IsArray() {
			return fmt.Sprintf("expected a list, got %s", describe(v))
		}
	case Object:
		if !v.IsObject() {
			return fmt.Sprintf("expected an object, got %s", describe(v))
		}
	}
	return ""
}

func describe(v resource.PropertyValue) string {
	switch {
	case v.IsString():
		return fmt.Sprintf("the string %q", v.StringValue())
	case v.IsNumber():
		return fmt.Sprintf("the number %v", v.NumberValue())
	case v.IsBool():
		return fmt.Sprintf("the boolean %v", v.BoolValue())
	case v.IsArray():
		return "a list"
	case v.IsObject():
		return "an object"
	}
	return v.TypeString()
}

func sortedKeys(m resource.PropertyMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return keys
}
