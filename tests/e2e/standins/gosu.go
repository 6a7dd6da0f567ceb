package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// gosuMain does what the mongo image's `gosu mongodb ...` does: look the user up in /etc/passwd
// (and its groups in /etc/group), drop to it (groups, gid, uid, HOME), then exec the command.
func gosuMain(args []string) int {
	if len(args) < 2 {
		return fatalf("gosu", "usage: gosu user-spec command [args]")
	}
	name, group, _ := strings.Cut(args[0], ":")
	uid, gid, home, err := lookupUser(name)
	if err != nil {
		return fatalf("gosu", "%v", err)
	}
	if group != "" {
		if gid, err = lookupGroup(group); err != nil {
			return fatalf("gosu", "%v", err)
		}
	}
	groups := []int{gid}
	if f, err := os.Open("/etc/group"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Split(s.Text(), ":")
			if len(fields) == 4 {
				for _, member := range strings.Split(fields[3], ",") {
					if member == name {
						if g, err := strconv.Atoi(fields[2]); err == nil && g != gid {
							groups = append(groups, g)
						}
					}
				}
			}
		}
		f.Close()
	}
	path, err := exec.LookPath(args[1])
	if err != nil {
		return fatalf("gosu", "exec %s: %v", args[1], err)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fatalf("gosu", "setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fatalf("gosu", "setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fatalf("gosu", "setuid %d: %v", uid, err)
	}
	os.Setenv("HOME", home)
	err = syscall.Exec(path, args[1:], os.Environ())
	return fatalf("gosu", "exec %s: %v", path, err)
}

func lookupUser(spec string) (uid, gid int, home string, err error) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return 0, 0, "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) >= 6 && (fields[0] == spec || fields[2] == spec) {
			uid, _ = strconv.Atoi(fields[2])
			gid, _ = strconv.Atoi(fields[3])
			return uid, gid, fields[5], nil
		}
	}
	if n, err := strconv.Atoi(spec); err == nil {
		return n, n, "/", nil
	}
	return 0, 0, "", fmt.Errorf("no user %q in /etc/passwd", spec)
}

func lookupGroup(spec string) (int, error) {
	if n, err := strconv.Atoi(spec); err == nil {
		return n, nil
	}
	f, err := os.Open("/etc/group")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) >= 3 && fields[0] == spec {
			return strconv.Atoi(fields[2])
		}
	}
	return 0, fmt.Errorf("no group %q in /etc/group", spec)
}
