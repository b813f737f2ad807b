package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the operating system user the server runs as. initdb and postgres refuse to run
// as root, so when Forge runs as root the server runs as an unprivileged system account.
type account struct {
	name     string
	uid, gid uint32
	switched bool // true when the server runs as another user than the Forge process
}

// serviceAccountNames are tried in order when Forge runs as root.
var serviceAccountNames = []string{"postgres", "nobody"}

func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		name := "current user"
		if err == nil {
			name = u.Username
		}
		return account{name: name, uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	for _, name := range serviceAccountNames {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return account{name: name, uid: uint32(uid), gid: uint32(gid), switched: true}, nil
	}
	return account{}, fmt.Errorf("PostgreSQL refuses to run as root and no unprivileged account "+
		"(tried %v) exists: create one (useradd --system postgres) or run Forge as an ordinary user",
		serviceAccountNames)
}

// command builds an exec.Cmd that runs as the account. The working directory is "/" because
// the process may not be allowed to enter the caller's working directory.
func (a account) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if a.switched {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid, NoSetGroups: false, Groups: []uint32{}},
		}
	}
	return cmd
}

// mkdirOwned creates dir (and missing parents) and hands dir itself to the account.
func (a account) mkdirOwned(dir string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	if err := os.Chmod(dir, perm); err != nil {
		return err
	}
	if a.switched {
		return os.Chown(dir, int(a.uid), int(a.gid))
	}
	return nil
}

// canReach reports whether the account may traverse every directory on the way to path, which
// the server needs to open its data directory and socket.
func (a account) canReach(path string) bool {
	if !a.switched {
		return true
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err == nil && !a.mayEnter(info) {
			return false
		}
		if dir == filepath.Dir(dir) {
			return true
		}
	}
}

func (a account) mayEnter(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	mode := info.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return mode&0o100 != 0
	case st.Gid == a.gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}
