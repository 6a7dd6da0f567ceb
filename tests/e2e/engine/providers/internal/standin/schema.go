package standin

import (
	"encoding/json"
	"sort"
)

// Schema is a small but valid Pulumi package schema: the package, its version, and each resource
// with its properties (kinds, secrets, required, replaceOnChanges). The engine does not need more.
func (pkg Package) Schema() (string, error) {
	types := map[string]any{}
	resources := map[string]any{}
	for _, r := range pkg.Resources {
		inputs, outputs := map[string]any{}, map[string]any{}
		var requiredInputs, required []string
		for _, p := range r.Properties {
			spec := propertySpec(p, types)
			if p.Input && p.NotImplemented == "" {
				inputs[p.Name] = spec
				if p.Required {
					requiredInputs = append(requiredInputs, p.Name)
				}
			}
			if p.NotImplemented == "" {
				outputs[p.Name] = spec
				if p.Required || p.Computed || p.Default.V != nil {
					required = append(required, p.Name)
				}
			}
		}
		sort.Strings(requiredInputs)
		sort.Strings(required)
		resources[r.Token] = map[string]any{
			"description":     r.Description,
			"inputProperties": inputs,
			"properties":      outputs,
			"requiredInputs":  nonNil(requiredInputs),
			"required":        nonNil(required),
			"type":            "object",
		}
	}
	out, err := json.MarshalIndent(map[string]any{
		"name":        pkg.Name,
		"version":     pkg.Version,
		"description": pkg.Description,
		"config":      map[string]any{},
		"provider":    map[string]any{"description": "The provider type for the " + pkg.Name + " package (a stand-in)."},
		"resources":   resources,
		"types":       types,
	}, "", "  ")
	return string(out), err
}

func propertySpec(p Property, types map[string]any) map[string]any {
	spec := map[string]any{}
	if p.Description != "" {
		spec["description"] = p.Description
	}
	switch p.Kind {
	case String:
		spec["type"] = "string"
	case Int:
		spec["type"] = "integer"
	case Bool:
		spec["type"] = "boolean"
	case StringList:
		spec["type"], spec["items"] = "array", map[string]any{"type": "string"}
	case StringMap:
		spec["type"], spec["additionalProperties"] = "object", map[string]any{"type": "string"}
	case AnyList:
		spec["type"], spec["items"] = "array", map[string]any{"$ref": "pulumi.json#/Any"}
	case Object:
		fields := map[string]any{}
		for _, f := range p.Fields {
			fields[f.Name] = propertySpec(f, types)
		}
		types[p.TypeToken] = map[string]any{"type": "object", "properties": fields}
		spec["$ref"] = "#/types/" + p.TypeToken
	}
	if p.Secret {
		spec["secret"] = true
	}
	if p.Input && p.Replace != nil {
		spec["replaceOnChanges"] = true
	}
	return spec
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
