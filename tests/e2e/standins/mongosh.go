package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// The mongosh stand-in: a JavaScript interpreter (goja) with the part of mongosh's shell API that
// the program and the mongo image's entrypoint use: db, db.getSiblingDB, db.getName,
// db.runCommand, db.adminCommand, db.createUser, require("fs").readFileSync, print, printjson and
// quit; --eval, script files, or a script on standard input; --host, --port, --username,
// --password, --authenticationDatabase, --quiet, --norc, and a database name or URI argument.
// Server errors throw, as in mongosh, so an uncaught one exits 1.
func mongoshMain(args []string) int {
	var (
		host, port, user, pass, authDB, target string
		evals, files                           []string
	)
	host, port = "127.0.0.1", "27017"
	for i := 0; i < len(args); i++ {
		a := args[i]
		key, val, hasVal := strings.Cut(a, "=")
		next := func() string {
			if hasVal {
				return val
			}
			i++
			if i >= len(args) {
				fmt.Fprintf(os.Stderr, "mongosh: %s needs a value\n", key)
				os.Exit(2)
			}
			return args[i]
		}
		switch key {
		case "--quiet", "--norc", "--nodb":
		case "--eval":
			evals = append(evals, next())
		case "--host":
			host = next()
		case "--port":
			port = next()
		case "-u", "--username":
			user = next()
		case "-p", "--password":
			pass = next()
		case "--authenticationDatabase":
			authDB = next()
		case "--file", "-f":
			files = append(files, next())
		default:
			switch {
			case strings.HasPrefix(a, "-"):
				return fatalf("mongosh", "option %s is not offered by the e2e stand-in", a)
			case strings.HasSuffix(a, ".js"):
				files = append(files, a)
			case target == "":
				target = a
			default:
				return fatalf("mongosh", "unexpected argument %q", a)
			}
		}
	}

	uri, dbName := "", "test"
	switch {
	case strings.HasPrefix(target, "mongodb://") || strings.HasPrefix(target, "mongodb+srv://"):
		uri = target
		if u, err := url.Parse(target); err == nil && strings.Trim(u.Path, "/") != "" {
			dbName = strings.Trim(u.Path, "/")
		}
	default:
		if target != "" {
			dbName = target
		}
		uri = "mongodb://" + host + ":" + port + "/?directConnection=true"
	}
	opts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second).SetConnectTimeout(5 * time.Second)
	if user != "" {
		if authDB == "" {
			authDB = dbName
		}
		opts.SetAuth(options.Credential{Username: user, Password: pass, AuthSource: authDB})
	}
	ctx := context.Background()
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return fatalf("mongosh", "MongoNetworkError: %v", err)
	}
	defer client.Disconnect(ctx)

	sh := &shell{vm: goja.New(), client: client}
	sh.install(&conn{client: client, uri: uri}, dbName)

	scripts := []struct{ name, src string }{}
	for _, e := range evals {
		scripts = append(scripts, struct{ name, src string }{"--eval", e})
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fatalf("mongosh", "cannot read %s: %v", f, err)
		}
		scripts = append(scripts, struct{ name, src string }{f, string(raw)})
	}
	if len(scripts) == 0 {
		raw, err := io.ReadAll(os.Stdin)
		if err != nil {
			return fatalf("mongosh", "reading the script from standard input: %v", err)
		}
		scripts = append(scripts, struct{ name, src string }{"<stdin>", string(raw)})
	}
	for _, s := range scripts {
		v, err := sh.vm.RunScript(s.name, s.src)
		if err != nil {
			var ex *goja.Exception
			if errors.As(err, &ex) {
				return fatalf("mongosh", "%s: %s", s.name, ex.Value().String())
			}
			return fatalf("mongosh", "%s: %v", s.name, err)
		}
		if s.name == "--eval" && v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			sh.printValue(v)
		}
	}
	return 0
}

type shell struct {
	vm     *goja.Runtime
	client *mongo.Client
}

// conn is one connection of the script: the shell's own (`db`), or one made with `new Mongo(uri)`.
// db.auth replaces its client by one that logs in.
type conn struct {
	client *mongo.Client
	uri    string
}

func (sh *shell) install(c *conn, dbName string) {
	vm := sh.vm
	vm.Set("db", sh.database(c, dbName))
	// new Mongo(uri).getDB(name), as the program's healthcheck connects.
	vm.Set("Mongo", func(call goja.ConstructorCall) *goja.Object {
		uri := call.Argument(0).String()
		client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(uri).SetServerSelectionTimeout(5*time.Second))
		if err != nil {
			panic(vm.NewGoError(fmt.Errorf("MongoNetworkError: %v", err)))
		}
		mc := &conn{client: client, uri: uri}
		call.This.Set("getDB", func(name string) *goja.Object { return sh.database(mc, name) })
		return nil
	})
	vm.Set("quit", func(call goja.FunctionCall) goja.Value {
		code := 0
		if len(call.Arguments) > 0 {
			code = int(call.Argument(0).ToInteger())
		}
		os.Exit(code)
		return nil
	})
	vm.Set("print", func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = a.String()
		}
		fmt.Println(strings.Join(parts, " "))
		return nil
	})
	vm.Set("printjson", func(v goja.Value) { sh.printValue(v) })
	console := vm.NewObject()
	console.Set("log", vm.Get("print"))
	vm.Set("console", console)
	fs := vm.NewObject()
	fs.Set("readFileSync", func(path string, encoding goja.Value) string {
		raw, err := os.ReadFile(path)
		if err != nil {
			panic(vm.NewGoError(err))
		}
		return string(raw)
	})
	vm.Set("require", func(name string) goja.Value {
		if name == "fs" || name == "node:fs" {
			return fs
		}
		panic(vm.NewTypeError("require(%q): only \"fs\" is offered by the e2e stand-in", name))
	})
}

func (sh *shell) printValue(v goja.Value) {
	out, err := json.MarshalIndent(v.Export(), "", "  ")
	if err != nil {
		fmt.Println(v.String())
		return
	}
	fmt.Println(string(out))
}

func (sh *shell) database(c *conn, name string) *goja.Object {
	vm := sh.vm
	db := vm.NewObject()
	run := func(cmd goja.Value) goja.Value {
		return sh.runCommand(c, name, toBSON(cmd))
	}
	db.Set("getName", func() string { return name })
	db.Set("toString", func() string { return name })
	db.Set("getSiblingDB", func(other string) *goja.Object { return sh.database(c, other) })
	db.Set("runCommand", run)
	db.Set("adminCommand", func(cmd goja.Value) goja.Value { return sh.runCommand(c, "admin", toBSON(cmd)) })
	// auth(user, password): logs the connection in against this database; throws on failure.
	db.Set("auth", func(user, password string) goja.Value {
		client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(c.uri).SetServerSelectionTimeout(5*time.Second).
			SetAuth(options.Credential{Username: user, Password: password, AuthSource: name}))
		if err == nil {
			_, err = sh.command(&conn{client: client}, name, bson.D{{Key: "connectionStatus", Value: 1}})
		}
		if err != nil {
			panic(vm.NewGoError(fmt.Errorf("MongoServerError: Authentication failed: %v", err)))
		}
		c.client.Disconnect(context.Background())
		c.client = client
		return vm.ToValue(map[string]any{"ok": 1})
	})
	db.Set("createUser", func(user goja.Value) goja.Value {
		doc, ok := toBSON(user).(bson.D)
		if !ok {
			panic(vm.NewTypeError("createUser expects a document"))
		}
		cmd := bson.D{}
		for _, e := range doc {
			if e.Key == "user" {
				cmd = append(bson.D{{Key: "createUser", Value: e.Value}}, cmd...)
			} else {
				cmd = append(cmd, e)
			}
		}
		return sh.userCommand(c, name, cmd)
	})
	db.Set("updateUser", func(user string, update goja.Value) goja.Value {
		doc, ok := toBSON(update).(bson.D)
		if !ok {
			panic(vm.NewTypeError("updateUser expects a document"))
		}
		return sh.userCommand(c, name, append(bson.D{{Key: "updateUser", Value: user}}, doc...))
	})
	// getUser: the user's document from usersInfo, or null, as in mongosh.
	db.Set("getUser", func(user string) goja.Value {
		res, err := sh.command(c, name, bson.D{{Key: "usersInfo", Value: user}})
		if err != nil {
			panic(vm.NewGoError(fmt.Errorf("MongoServerError: %v", err)))
		}
		if users, ok := res["users"].(bson.A); ok && len(users) > 0 {
			return vm.ToValue(fromBSON(users[0]))
		}
		return goja.Null()
	})
	return db
}

// userCommand runs createUser or updateUser. FerretDB 1.x stores users but implements no roles:
// it accepts only `roles: []`. Then the stand-in says so on stderr and sends the command without
// them (tests/e2e/images/README.md: roles are not proven).
func (sh *shell) userCommand(c *conn, dbName string, cmd bson.D) goja.Value {
	res, err := sh.command(c, dbName, cmd)
	if err != nil && isRolesUnimplemented(err) {
		var requested any
		for i := range cmd {
			if cmd[i].Key == "roles" {
				requested, cmd[i].Value = cmd[i].Value, bson.A{}
			}
		}
		raw, _ := json.Marshal(fromBSON(requested))
		fmt.Fprintf(os.Stderr, "mongosh (e2e stand-in): the server implements no roles; %s %v in %s without roles %s\n", cmd[0].Key, cmd[0].Value, dbName, raw)
		res, err = sh.command(c, dbName, cmd)
	}
	if err != nil {
		panic(sh.vm.NewGoError(fmt.Errorf("MongoServerError: %v", err)))
	}
	return sh.vm.ToValue(fromBSON(res))
}

func isRolesUnimplemented(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "roles") && (strings.Contains(s, "not implemented") || strings.Contains(s, "unimplemented"))
}

func (sh *shell) command(c *conn, dbName string, cmd any) (bson.M, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res bson.M
	err := c.client.Database(dbName).RunCommand(ctx, cmd).Decode(&res)
	return res, err
}

func (sh *shell) runCommand(c *conn, dbName string, cmd any) goja.Value {
	res, err := sh.command(c, dbName, cmd)
	if err != nil {
		panic(sh.vm.NewGoError(fmt.Errorf("MongoServerError: %v", err)))
	}
	return sh.vm.ToValue(fromBSON(res))
}

// toBSON keeps the key order of JavaScript objects (a command's name must come first).
func toBSON(v goja.Value) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	switch x := v.Export().(type) {
	case []any:
		obj := v.(*goja.Object)
		out := bson.A{}
		for i := range x {
			out = append(out, toBSON(obj.Get(fmt.Sprint(i))))
		}
		return out
	case map[string]any:
		obj := v.(*goja.Object)
		out := bson.D{}
		for _, k := range obj.Keys() {
			out = append(out, bson.E{Key: k, Value: toBSON(obj.Get(k))})
		}
		return out
	case int64:
		if x >= -1<<31 && x < 1<<31 {
			return int32(x)
		}
		return x
	default:
		return x
	}
}

func fromBSON(v any) any {
	switch x := v.(type) {
	case bson.M:
		out := map[string]any{}
		for k, e := range x {
			out[k] = fromBSON(e)
		}
		return out
	case bson.D:
		out := map[string]any{}
		for _, e := range x {
			out[e.Key] = fromBSON(e.Value)
		}
		return out
	case bson.A:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromBSON(e)
		}
		return out
	case int32:
		return int64(x)
	default:
		return x
	}
}
