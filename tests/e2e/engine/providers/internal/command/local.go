// Package command is the stand-in for the `command` provider: local.Command only. It runs
// `create` on create, `update` (or `create` again when there is no `update`) when an input other
// than `triggers` changes, `delete` on delete, each with `/bin/sh -c` or the `interpreter`, in
// `dir`, with `environment` and `stdin`; a change of `triggers` replaces the resource. Nothing
// runs in a preview.
package command

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"enrichment.e2e/providers/internal/standin"
)

// Version is set at build time from package-lock.json's @pulumi/command.
var Version = "0.0.0-dev"

// Package is the stand-in command provider.
func Package() standin.Package {
	return standin.Package{
		Name:        "command",
		Version:     Version,
		Description: "Stand-in for the command provider (e2e only): local.Command.",
		Resources:   []*standin.Resource{LocalCommand()},
	}
}

// The environment variables a command sees holding the previous run's outputs.
const (
	previousStdout = "PULUMI_COMMAND_STDOUT"
	previousStderr = "PULUMI_COMMAND_STDERR"
)

var inputNames = []string{"create", "update", "delete", "triggers", "environment", "dir", "interpreter", "stdin", "addPreviousOutputInEnv"}

// LocalCommand is command:local:Command.
func LocalCommand() *standin.Resource {
	str := func(name, desc string) standin.Property {
		return standin.Property{Name: name, Kind: standin.String, Input: true, Description: desc}
	}
	notGlobbed := "collecting files into assets is not implemented by the stand-in; read the files in the command instead"
	return &standin.Resource{
		Token:       "command:local:Command",
		Description: "A local command run on create, update and delete (stand-in).",
		Properties: []standin.Property{
			str("create", "The command to run on create."),
			str("update", "The command to run on update; when unset, create runs again."),
			str("delete", "The command to run on delete; PULUMI_COMMAND_STDOUT/STDERR hold the last run's outputs."),
			{Name: "triggers", Kind: standin.AnyList, Input: true, Replace: standin.Always, Description: "A change of any of these values replaces the resource."},
			{Name: "environment", Kind: standin.StringMap, Input: true, Description: "Additional environment variables."},
			str("dir", "The directory to run in (default: the plugin's working directory)."),
			{Name: "interpreter", Kind: standin.StringList, Input: true, Description: `The program and arguments to run the command with (default ["/bin/sh", "-c"]).`},
			str("stdin", "Standard input for the command."),
			{Name: "addPreviousOutputInEnv", Kind: standin.Bool, Input: true, Description: "Pass the previous stdout/stderr as PULUMI_COMMAND_STDOUT/STDERR (default true)."},
			{Name: "assetPaths", Kind: standin.StringList, Input: true, NotImplemented: notGlobbed},
			{Name: "archivePaths", Kind: standin.StringList, Input: true, NotImplemented: notGlobbed},
			{Name: "stdout", Kind: standin.String, Computed: true, Description: "The command's standard output, without its final newline."},
			{Name: "stderr", Kind: standin.String, Computed: true, Description: "The command's standard error, without its final newline."},
		},
		// Every output depends on every input: a secret input makes stdout and stderr secrets.
		SecretWhenInputsSecret: []string{"stdout", "stderr"},
		Create:                 create,
		Update:                 update,
		Delete:                 remove,
	}
}

func create(ctx context.Context, op *standin.Op) (string, resource.PropertyMap, error) {
	id, err := resource.NewUniqueHex(op.URN.Name(), 8, 0)
	if err != nil {
		return "", nil, err
	}
	outs := op.Planned.Copy()
	outs["stdout"], outs["stderr"] = resource.NewStringProperty(""), resource.NewStringProperty("")
	in := standin.Values(op.Planned)
	if command, ok := in.String("create"); ok {
		stdout, stderr, err := run(ctx, op, command, in, "", "")
		if err != nil {
			return "", nil, err
		}
		outs["stdout"], outs["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	}
	return id, outs, nil
}

func update(ctx context.Context, op *standin.Op) (resource.PropertyMap, error) {
	outs := op.Planned.Copy()
	prior := standin.Values(op.Prior)
	oldStdout, _ := prior.String("stdout")
	oldStderr, _ := prior.String("stderr")
	outs["stdout"], outs["stderr"] = resource.NewStringProperty(oldStdout), resource.NewStringProperty(oldStderr)
	if op.Preview {
		// The command would run again: its outputs are not known until it has.
		for _, name := range inputNames {
			key := resource.PropertyKey(name)
			if !standin.Equal(op.Prior[key], op.Planned[key]) {
				outs["stdout"], outs["stderr"] = standin.Computed(), standin.Computed()
				break
			}
		}
		return outs, nil
	}
	in := standin.Values(op.Planned)
	command, ok := in.String("update")
	if !ok {
		command, ok = in.String("create")
	}
	if !ok {
		return outs, nil
	}
	stdout, stderr, err := run(ctx, op, command, in, oldStdout, oldStderr)
	if err != nil {
		return nil, err
	}
	outs["stdout"], outs["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	return outs, nil
}

// remove runs `delete` with the inputs and outputs the resource was last run with.
func remove(ctx context.Context, op *standin.Op) error {
	state := standin.Values(op.Prior)
	command, ok := state.String("delete")
	if !ok {
		return nil
	}
	stdout, _ := state.String("stdout")
	stderr, _ := state.String("stderr")
	_, _, err := run(ctx, op, command, state, stdout, stderr)
	return err
}

// run executes one command. A non-zero exit fails with the command and its combined output.
func run(ctx context.Context, op *standin.Op, command string, in standin.Values, prevStdout, prevStderr string) (string, string, error) {
	args := in.Strings("interpreter")
	if len(args) == 0 {
		args = []string{"/bin/sh", "-c"}
	}
	args = append(append([]string{}, args...), command)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	// On a timeout or a cancel, kill everything the command started, not only the shell: a child
	// left running would hold stdout open and keep the step waiting.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if dir, ok := in.String("dir"); ok {
		cmd.Dir = dir
	}
	cmd.Env = os.Environ()
	env := in.StringMap("environment")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	if pass, set := in.Bool("addPreviousOutputInEnv"); pass || !set {
		if prevStdout != "" {
			cmd.Env = append(cmd.Env, previousStdout+"="+prevStdout)
		}
		if prevStderr != "" {
			cmd.Env = append(cmd.Env, previousStderr+"="+prevStderr)
		}
	}
	if stdin, ok := in.String("stdin"); ok && stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}

	var stdout, stderr bytes.Buffer
	combined := &lockedBuffer{}
	lines, feed := io.Pipe()
	cmd.Stdout = io.MultiWriter(&stdout, combined, feed)
	cmd.Stderr = io.MultiWriter(&stderr, combined, feed)
	// Each line of output shows in the engine's progress display as it is written, unless an input
	// is a secret: the output may then hold it, and the display is not secret.
	quiet := resource.PropertyMap(in).ContainsSecrets()
	streamed := make(chan struct{})
	go func() {
		defer close(streamed)
		scanner := bufio.NewScanner(lines)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			if !quiet {
				op.Status(diag.Info, scanner.Text())
			}
		}
		_, _ = io.Copy(io.Discard, lines)
	}()
	err := cmd.Run()
	_ = feed.Close()
	<-streamed
	if err != nil {
		if quiet {
			return "", "", fmt.Errorf("%w: running the command (its output and text are withheld: an input is a secret)", err)
		}
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, command, combined.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}

// lockedBuffer interleaves stdout and stderr for the failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
