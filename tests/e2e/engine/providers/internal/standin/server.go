package standin

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Main runs a stand-in plugin the way the engine starts one: it prints its port and serves.
func Main(pkg Package) {
	if err := provider.Main(pkg.Name, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return NewServer(pkg, host), nil
	}); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", pkg.Name, err)
		os.Exit(1)
	}
}

// Server is the gRPC resource provider of one stand-in package.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer
	pkg  Package
	host *provider.HostClient // nil when started without an engine (tests)

	mu     sync.Mutex
	cancel context.CancelFunc
	base   context.Context
}

// NewServer builds the server; host may be nil.
func NewServer(pkg Package, host *provider.HostClient) *Server {
	base, cancel := context.WithCancel(context.Background())
	return &Server{pkg: pkg, host: host, base: base, cancel: cancel}
}

var (
	readOpts  = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true, SkipInternalKeys: true}
	writeOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}
)

func (s *Server) resource(token string) (*Resource, error) {
	for _, r := range s.pkg.Resources {
		if r.Token == token {
			return r, nil
		}
	}
	var known []string
	for _, r := range s.pkg.Resources {
		known = append(known, r.Token)
	}
	return nil, fmt.Errorf("the stand-in %s provider %s has no resource type %q (it implements %s)",
		s.pkg.Name, s.pkg.Version, token, strings.Join(known, ", "))
}

func (s *Server) op(ctx context.Context, urn string) *Op {
	u := resource.URN(urn)
	say := func(status bool) func(diag.Severity, string) {
		return func(sev diag.Severity, msg string) {
			if s.host == nil {
				fmt.Fprintf(os.Stderr, "%s: %s: %s\n", u.Name(), sev, msg)
				return
			}
			if status {
				_ = s.host.LogStatus(ctx, sev, u, msg)
			} else {
				_ = s.host.Log(ctx, sev, u, msg)
			}
		}
	}
	return &Op{URN: u, Log: say(false), Status: say(true)}
}

// withTimeout bounds an operation by the resource's customTimeouts and by Cancel.
func (s *Server) withTimeout(seconds float64) (context.Context, context.CancelFunc) {
	if seconds > 0 {
		return context.WithTimeout(s.base, time.Duration(seconds*float64(time.Second)))
	}
	return context.WithCancel(s.base)
}

func typeOf(urn string) string { return string(resource.URN(urn).Type()) }

// plan computes the planned state from the prior state (nil on create) and the checked inputs.
func (s *Server) plan(r *Resource, prior, news resource.PropertyMap) resource.PropertyMap {
	planned := resource.PropertyMap{}
	for _, p := range r.Properties {
		key := resource.PropertyKey(p.Name)
		if p.Input {
			if v, ok := news[key]; ok && !v.IsNull() {
				planned[key] = v
				continue
			}
		}
		switch {
		case p.Default.V != nil:
			planned[key] = p.Default
		case (p.KeepState || !p.Input) && prior != nil && prior.HasValue(key):
			planned[key] = prior[key]
		case p.Computed && !p.Input:
			planned[key] = Computed()
		}
	}
	if r.Plan != nil {
		r.Plan(planned, news)
	}
	return planned
}

// finish marks the outputs that are secrets in the official schema (and, for resources that say
// so, outputs derived from secret inputs).
func finish(r *Resource, inputs, outs resource.PropertyMap) resource.PropertyMap {
	for _, p := range r.Properties {
		key := resource.PropertyKey(p.Name)
		if v, ok := outs[key]; ok && p.Secret && !v.IsNull() && !v.IsSecret() {
			outs[key] = resource.MakeSecret(v)
		}
	}
	anySecret := false
	for _, p := range r.Properties {
		if v, ok := inputs[resource.PropertyKey(p.Name)]; ok && p.Input && v.ContainsSecrets() {
			anySecret = true
		}
	}
	if anySecret {
		for _, name := range r.SecretWhenInputsSecret {
			key := resource.PropertyKey(name)
			if v, ok := outs[key]; ok && !v.IsNull() && !v.IsSecret() {
				outs[key] = resource.MakeSecret(v)
			}
		}
	}
	return outs
}

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pkg.Version}, nil
}

func (s *Server) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (s *Server) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := s.pkg.Schema()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

// CheckConfig accepts the provider's configuration as given: the stand-ins read none of it.
func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *Server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOldInputs(), readOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), readOpts)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for _, k := range unionKeys(olds, news) {
		if !Equal(olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]) {
			diffs = append(diffs, k)
		}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{Changes: changes, Diffs: diffs}, nil
}

func (s *Server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// Cancel stops every operation in flight (running commands are killed).
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel()
	return &emptypb.Empty{}, nil
}

func (s *Server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), readOpts)
	if err != nil {
		return nil, err
	}
	failures := checkInputs(r, news)
	if len(failures) == 0 && r.Validate != nil {
		failures = append(failures, r.Validate(Values(s.plan(r, nil, news)))...)
	}
	// Inputs the official schema marks secret are secrets from here on.
	for _, p := range r.Properties {
		key := resource.PropertyKey(p.Name)
		if v, ok := news[key]; ok && p.Input && p.Secret && !v.IsNull() && !v.IsSecret() {
			news[key] = resource.MakeSecret(v)
		}
	}
	inputs, err := plugin.MarshalProperties(news, writeOpts)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: inputs}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
	}
	return resp, nil
}

func checkInputs(r *Resource, news resource.PropertyMap) []Failure {
	var failures []Failure
	var inputs []string
	for _, p := range r.Properties {
		if p.Input && p.NotImplemented == "" {
			inputs = append(inputs, p.Name)
		}
	}
	for _, key := range sortedKeys(news) {
		v := news[resource.PropertyKey(key)]
		p, ok := r.property(key)
		switch {
		case !ok || !p.Input:
			failures = append(failures, Failure{key, fmt.Sprintf("%q is not an input of %s (inputs: %s)", key, r.Token, strings.Join(inputs, ", "))})
		case p.NotImplemented != "" && !Absent(v):
			failures = append(failures, Failure{key, fmt.Sprintf("%q is not implemented by this stand-in plugin: %s", key, p.NotImplemented)})
		default:
			if msg := checkKind(p, v); msg != "" {
				failures = append(failures, Failure{key, fmt.Sprintf("%q: %s", key, msg)})
			} else if p.Kind == Object && !Unknown(v) && Plain(v).IsObject() {
				failures = append(failures, checkFields(key, p, Plain(v).ObjectValue())...)
			}
		}
	}
	for _, p := range r.Properties {
		if v, ok := news[resource.PropertyKey(p.Name)]; p.Required && (!ok || v.IsNull()) {
			failures = append(failures, Failure{p.Name, fmt.Sprintf("missing required property %q of %s", p.Name, r.Token)})
		}
	}
	return failures
}

func checkFields(path string, parent Property, obj resource.PropertyMap) []Failure {
	var failures []Failure
	for _, key := range sortedKeys(obj) {
		var field *Property
		for i := range parent.Fields {
			if parent.Fields[i].Name == key {
				field = &parent.Fields[i]
			}
		}
		at := path + "." + key
		if field == nil {
			var names []string
			for _, f := range parent.Fields {
				names = append(names, f.Name)
			}
			failures = append(failures, Failure{at, fmt.Sprintf("%q is not a field of %s (fields: %s)", at, parent.TypeToken, strings.Join(names, ", "))})
			continue
		}
		if msg := checkKind(*field, obj[resource.PropertyKey(key)]); msg != "" {
			failures = append(failures, Failure{at, fmt.Sprintf("%q: %s", at, msg)})
		}
	}
	return failures
}

func (s *Server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	prior, err := plugin.UnmarshalProperties(req.GetOlds(), readOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), readOpts)
	if err != nil {
		return nil, err
	}
	planned := s.plan(r, prior, news)
	detailed := map[string]*pulumirpc.PropertyDiff{}
	replaces := map[string]bool{}
	for _, p := range r.Properties {
		key := resource.PropertyKey(p.Name)
		old, next := prior[key], planned[key]
		// A computed output the plan does not know is not a change; a known planned value is.
		if !p.Input && Unknown(next) {
			continue
		}
		if Equal(old, next) {
			continue
		}
		replace := p.Input && p.Replace != nil && p.Replace(old, next)
		detailed[p.Name] = &pulumirpc.PropertyDiff{Kind: diffKind(old, next, replace), InputDiff: p.Input}
		if replace {
			replaces[p.Name] = true
		}
	}
	if r.ExtraReplaces != nil {
		for _, name := range r.ExtraReplaces(prior, planned, time.Now()) {
			replaces[name] = true
			detailed[name] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE_REPLACE}
		}
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, DetailedDiff: detailed, HasDetailedDiff: true}
	if len(detailed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	for name := range detailed {
		resp.Diffs = append(resp.Diffs, name)
	}
	for name := range replaces {
		resp.Replaces = append(resp.Replaces, name)
	}
	sort.Strings(resp.Diffs)
	sort.Strings(resp.Replaces)
	return resp, nil
}

func diffKind(old, next resource.PropertyValue, replace bool) pulumirpc.PropertyDiff_Kind {
	switch {
	case Absent(old) && replace:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case Absent(old):
		return pulumirpc.PropertyDiff_ADD
	case Absent(next) && !Unknown(next) && replace:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case Absent(next) && !Unknown(next):
		return pulumirpc.PropertyDiff_DELETE
	case replace:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	}
	return pulumirpc.PropertyDiff_UPDATE
}

func (s *Server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetProperties(), readOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(req.GetTimeout())
	defer cancel()
	op := s.op(ctx, req.GetUrn())
	op.Planned, op.Preview = s.plan(r, nil, news), req.GetPreview()
	id, outs := "", op.Planned
	if !req.GetPreview() {
		if id, outs, err = r.Create(ctx, op); err != nil {
			return nil, fmt.Errorf("creating %s: %w", op.URN.Name(), contextError(ctx, err))
		}
	}
	props, err := plugin.MarshalProperties(finish(r, news, outs), writeOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (s *Server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	prior, err := plugin.UnmarshalProperties(req.GetOlds(), readOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), readOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(req.GetTimeout())
	defer cancel()
	op := s.op(ctx, req.GetUrn())
	op.ID, op.Prior, op.Planned, op.Preview = req.GetId(), prior, s.plan(r, prior, news), req.GetPreview()
	outs := op.Planned
	if r.Update != nil {
		if outs, err = r.Update(ctx, op); err != nil {
			return nil, fmt.Errorf("updating %s: %w", op.URN.Name(), contextError(ctx, err))
		}
	}
	props, err := plugin.MarshalProperties(finish(r, news, outs), writeOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (s *Server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	state, err := plugin.UnmarshalProperties(req.GetProperties(), readOpts)
	if err != nil {
		return nil, err
	}
	if len(state) == 0 {
		return nil, fmt.Errorf("the stand-in %s provider cannot import %s %q: only resources it created can be read", s.pkg.Name, r.Token, req.GetId())
	}
	inputs, err := plugin.UnmarshalProperties(req.GetInputs(), readOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(req.GetTimeout())
	defer cancel()
	op := s.op(ctx, req.GetUrn())
	op.ID, op.Prior = req.GetId(), state
	outs := state
	if r.Read != nil {
		if outs, err = r.Read(ctx, op); err != nil {
			return nil, fmt.Errorf("reading %s: %w", op.URN.Name(), err)
		}
	}
	props, err := plugin.MarshalProperties(finish(r, inputs, outs), writeOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: req.GetInputs()}, nil
}

func (s *Server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	r, err := s.resource(typeOf(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	state, err := plugin.UnmarshalProperties(req.GetProperties(), readOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(req.GetTimeout())
	defer cancel()
	op := s.op(ctx, req.GetUrn())
	op.ID, op.Prior = req.GetId(), state
	if r.Delete != nil {
		if err := r.Delete(ctx, op); err != nil {
			return nil, fmt.Errorf("deleting %s: %w", op.URN.Name(), contextError(ctx, err))
		}
	}
	return &emptypb.Empty{}, nil
}

// contextError names a timeout or a cancellation rather than a killed process.
func contextError(ctx context.Context, err error) error {
	switch ctx.Err() {
	case context.DeadlineExceeded:
		return fmt.Errorf("timed out (customTimeouts): %w", err)
	case context.Canceled:
		return fmt.Errorf("cancelled: %w", err)
	}
	return err
}

func unionKeys(a, b resource.PropertyMap) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[string(k)] = true
	}
	for k := range b {
		seen[string(k)] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
