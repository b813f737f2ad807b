// Package pgserver runs a private PostgreSQL server from the binaries installed on the
// machine: initdb on first use, pg_ctl to start and stop, a Unix socket plus 127.0.0.1 for
// connections, and pg_stat_statements preloaded.
package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the role initdb creates; local socket connections need no password.
const Superuser = "forge"

// DefaultDatabase is the database Forge creates on a new server.
const DefaultDatabase = "forge"

// Options configures a Server. The zero value runs a server under ./.forge.
type Options struct {
	// Dir holds the server's files. Default: .forge in the current directory.
	Dir string
	// BinDir holds initdb, pg_ctl and postgres. Default: found by FindBinDir.
	BinDir string
	// Database is created on first start. Default: DefaultDatabase.
	Database string
	// Logger receives start, stop and initdb events. Default: discard.
	Logger *slog.Logger
}

// Server is a PostgreSQL server whose files live in one directory.
type Server struct {
	dir      string // the configured directory, absolute
	home     string // cluster directory: dir/pg, or a directory under /var/tmp when dir is unreachable
	binDir   string
	database string
	acct     account
	log      *slog.Logger
}

// state is stored in home/forge.json between runs.
type state struct {
	Port      int    `json:"port"`
	SocketDir string `json:"socket_dir"`
	BinDir    string `json:"bin_dir"`
}

// New resolves paths, binaries and the account the server runs as. It starts nothing.
func New(opts Options) (*Server, error) {
	dir := opts.Dir
	if dir == "" {
		dir = ".forge"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve server directory %q: %w", opts.Dir, err)
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	s := &Server{
		dir:      dir,
		database: opts.Database,
		acct:     acct,
		log:      opts.Logger,
	}
	if s.database == "" {
		s.database = DefaultDatabase
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	s.home = s.resolveHome()
	s.binDir, err = FindBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// resolveHome returns dir/pg, unless the server account cannot reach dir (a checkout in a
// directory only root may enter). Then the cluster lives under /var/tmp and dir/pg is a
// symbolic link to it, so `rm -rf .forge` still removes the link to it.
func (s *Server) resolveHome() string {
	link := filepath.Join(s.dir, "pg")
	if target, err := os.Readlink(link); err == nil {
		return target
	}
	if s.acct.canReach(s.dir) {
		return link
	}
	sum := sha256.Sum256([]byte(s.dir))
	return filepath.Join("/var/tmp", "forge-"+hex.EncodeToString(sum[:6]))
}

// Dir returns the directory that holds the server's files.
func (s *Server) Dir() string { return s.dir }

// DataDir returns the PostgreSQL data directory (PGDATA).
func (s *Server) DataDir() string { return filepath.Join(s.home, "data") }

// LogFile returns the server log.
func (s *Server) LogFile() string { return filepath.Join(s.home, "log", "postgres.log") }

// Database returns the name of the database Forge uses on this server.
func (s *Server) Database() string { return s.database }

// Status describes a server for `forge db status`.
type Status struct {
	Running     bool   `json:"running"`
	Initialized bool   `json:"initialized"`
	DataDir     string `json:"data_dir"`
	Port        int    `json:"port,omitempty"`
	SocketDir   string `json:"socket_dir,omitempty"`
	Version     string `json:"version"`
	User        string `json:"run_as"`
}

// Status reports whether the server is initialized and running.
func (s *Server) Status(ctx context.Context) (Status, error) {
	st := Status{DataDir: s.DataDir(), User: s.acct.name}
	version, err := s.version()
	if err != nil {
		return st, err
	}
	st.Version = version
	_, err = os.Stat(filepath.Join(s.DataDir(), "PG_VERSION"))
	st.Initialized = err == nil
	if !st.Initialized {
		return st, nil
	}
	saved, _ := s.readState()
	st.Port, st.SocketDir = saved.Port, saved.SocketDir
	st.Running, err = s.running(ctx)
	return st, err
}

// URL returns a connection URL over the Unix socket. It carries no password: the socket
// directory is private to the server account, and the server trusts local connections.
func (s *Server) URL() (string, error) {
	saved, err := s.readState()
	if err != nil {
		return "", err
	}
	if saved.Port == 0 {
		return "", fmt.Errorf("local server in %s was never started: run `forge db start`", s.dir)
	}
	return socketURL(saved, s.database), nil
}

func socketURL(st state, database string) string {
	q := url.Values{}
	q.Set("host", st.SocketDir)
	q.Set("port", strconv.Itoa(st.Port))
	q.Set("sslmode", "disable")
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Host: "", Path: "/" + database, RawQuery: q.Encode()}
	return u.String()
}

// Start initializes the cluster on first use and starts the server unless it runs already.
// It returns true when this call started the server. Concurrent callers, in this process or
// others, are serialized by a lock file, so only one of them runs initdb or pg_ctl start.
func (s *Server) Start(ctx context.Context) (started bool, err error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()

	if err := s.initialize(ctx); err != nil {
		return false, err
	}
	running, err := s.running(ctx)
	if err != nil {
		return false, err
	}
	if !running {
		if err := s.startServer(ctx); err != nil {
			return false, err
		}
	}
	if err := s.ensureDatabase(ctx); err != nil {
		return !running, err
	}
	return !running, nil
}

// Stop shuts the server down with the fast mode: open sessions are rolled back.
func (s *Server) Stop(ctx context.Context) (stopped bool, err error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()

	running, err := s.running(ctx)
	if err != nil || !running {
		return false, err
	}
	if _, err := s.run(ctx, "pg_ctl", "-D", s.DataDir(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return false, err
	}
	s.log.Info("stopped local PostgreSQL", "data_dir", s.DataDir())
	return true, nil
}

func (s *Server) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create server directory: %w", err)
	}
	path := filepath.Join(s.dir, "pg.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("wait for another forge process to release %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) initialize(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.DataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	if s.home != filepath.Join(s.dir, "pg") {
		if err := s.acct.mkdirOwned(s.home, 0o700); err != nil {
			return fmt.Errorf("create server home %s: %w", s.home, err)
		}
		_ = os.Remove(filepath.Join(s.dir, "pg"))
		if err := os.Symlink(s.home, filepath.Join(s.dir, "pg")); err != nil {
			return fmt.Errorf("link server home: %w", err)
		}
		s.log.Info("server account cannot enter the server directory; cluster placed elsewhere",
			"account", s.acct.name, "dir", s.dir, "home", s.home)
	}

	for _, d := range []string{s.home, filepath.Join(s.home, "log")} {
		if err := s.acct.mkdirOwned(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	// A data directory left by an initdb that failed half-way is removed first: initdb
	// refuses a non-empty directory.
	if err := os.RemoveAll(s.DataDir()); err != nil {
		return fmt.Errorf("remove incomplete data directory: %w", err)
	}
	pwfile := filepath.Join(s.home, "superuser-password")
	if err := s.writePasswordFile(pwfile); err != nil {
		return err
	}

	s.log.Info("initializing local PostgreSQL cluster", "data_dir", s.DataDir(), "run_as", s.acct.name)
	_, err := s.run(ctx, "initdb",
		"-D", s.DataDir(),
		"-U", Superuser,
		"--pwfile", pwfile,
		"--auth-local=trust",
		"--auth-host=scram-sha-256",
		"--encoding=UTF8",
		"--locale=C",
		"--no-instructions",
	)
	if err != nil {
		return err
	}

	conf := filepath.Join(s.DataDir(), "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	defer f.Close()
	_, err = f.WriteString("\n# Settings written by Forge on each start.\ninclude_if_exists = 'forge.conf'\n")
	return err
}

// writePasswordFile stores a random password for TCP connections, readable only by the
// server account. Socket connections, which Forge uses, do not need it.
func (s *Server) writePasswordFile(path string) error {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(buf)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	if s.acct.switched {
		return os.Chown(path, int(s.acct.uid), int(s.acct.gid))
	}
	return nil
}

func (s *Server) running(ctx context.Context) (bool, error) {
	cmd := s.acct.command(filepath.Join(s.binDir, "pg_ctl"), "-D", s.DataDir(), "status")
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 4):
		return false, nil
	default:
		return false, fmt.Errorf("check server status with pg_ctl: %w", err)
	}
}

func (s *Server) startServer(ctx context.Context) error {
	saved, _ := s.readState()
	port := saved.Port
	if port == 0 || !portFree(port) {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}

	socketDir := filepath.Join(s.home, "run")
	// A socket path longer than about 100 bytes does not fit in sockaddr_un.
	if len(filepath.Join(socketDir, ".s.PGSQL.65535.lock")) > 100 {
		sum := sha256.Sum256([]byte(s.home))
		socketDir = filepath.Join(os.TempDir(), "forge-"+hex.EncodeToString(sum[:6]))
	}
	if err := s.acct.mkdirOwned(socketDir, 0o700); err != nil {
		return fmt.Errorf("create socket directory %s: %w", socketDir, err)
	}
	if err := s.writeConf(port, socketDir); err != nil {
		return err
	}

	_, err := s.run(ctx, "pg_ctl", "-D", s.DataDir(), "-l", s.LogFile(), "-w", "-t", "120", "start")
	if err != nil {
		return fmt.Errorf("%w\nserver log: %s", err, s.LogFile())
	}
	st := state{Port: port, SocketDir: socketDir, BinDir: s.binDir}
	if err := s.writeState(st); err != nil {
		return err
	}
	s.log.Info("started local PostgreSQL", "data_dir", s.DataDir(), "port", port, "socket_dir", socketDir)
	return nil
}

func (s *Server) writeConf(port int, socketDir string) error {
	conf := fmt.Sprintf(`# Written by Forge before each start; edit postgresql.auto.conf (ALTER SYSTEM) instead.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
unix_socket_permissions = 0700
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_io_timing = on
# Sized for a developer machine: bulk loads and index builds of the large seed.
shared_buffers = '512MB'
maintenance_work_mem = '512MB'
work_mem = '32MB'
max_wal_size = '4GB'
checkpoint_timeout = '15min'
`, port, socketDir)
	path := filepath.Join(s.DataDir(), "forge.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if s.acct.switched {
		return os.Chown(path, int(s.acct.uid), int(s.acct.gid))
	}
	return nil
}

func (s *Server) ensureDatabase(ctx context.Context) error {
	saved, err := s.readState()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, socketURL(saved, "postgres"))
	if err != nil {
		return fmt.Errorf("connect to local server: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", s.database).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up database %q: %w", s.database, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.database}.Sanitize()); err != nil {
			return fmt.Errorf("create database %q: %w", s.database, err)
		}
	}
	db, err := pgx.Connect(ctx, socketURL(saved, s.database))
	if err != nil {
		return fmt.Errorf("connect to database %q: %w", s.database, err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("create extension pg_stat_statements in %q: %w", s.database, err)
	}
	return nil
}

func (s *Server) version() (string, error) {
	out, err := exec.Command(filepath.Join(s.binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("run %s --version: %w", filepath.Join(s.binDir, "postgres"), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// run executes one of the server programs as the server account and returns its output. A
// failure includes the program's output, which names the cause (a port in use, a full disk).
func (s *Server) run(ctx context.Context, program string, args ...string) ([]byte, error) {
	cmd := s.acct.command(filepath.Join(s.binDir, program), args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl start leaves the server running; it must not keep our output pipe open.
	cmd.WaitDelay = 5 * time.Second
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := runContext(ctx, cmd); err != nil {
		return out.Bytes(), fmt.Errorf("%s %s failed: %w\n%s", program, strings.Join(args, " "), err,
			strings.TrimSpace(out.String()))
	}
	return out.Bytes(), nil
}

func runContext(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return ctx.Err()
	}
}

func (s *Server) readState() (state, error) {
	var st state
	b, err := os.ReadFile(filepath.Join(s.home, "forge.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read server state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read server state %s: %w (delete the file and run `forge db start`)",
			filepath.Join(s.home, "forge.json"), err)
	}
	return st, nil
}

func (s *Server) writeState(st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.home, "forge.json")
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write server state: %w", err)
	}
	return os.Rename(path+".tmp", path)
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Remove stops the server and deletes its cluster, including a cluster placed outside Dir,
// and the socket directory. The next Start initializes a new, empty cluster.
func (s *Server) Remove(ctx context.Context) error {
	if _, err := s.Stop(ctx); err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	saved, _ := s.readState()
	if saved.SocketDir != "" && !strings.HasPrefix(saved.SocketDir, s.home) {
		_ = os.RemoveAll(saved.SocketDir)
	}
	if err := os.RemoveAll(s.home); err != nil {
		return fmt.Errorf("remove cluster %s: %w", s.home, err)
	}
	link := filepath.Join(s.dir, "pg")
	if err := os.RemoveAll(link); err != nil {
		return fmt.Errorf("remove %s: %w", link, err)
	}
	s.home = s.resolveHome()
	s.log.Info("removed local PostgreSQL cluster", "dir", s.dir)
	return nil
}
