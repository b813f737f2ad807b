package forge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"entgo.io/ent/dialect"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/migrate"
)

// Defaults that Open applies to zero Config fields.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultStatementTimeout = 30 * time.Second
	DefaultApplicationName  = "forge"
)

// Config configures Open. The zero value connects as pgx does with no connection string:
// PG* environment variables, then libpq's defaults. Connection parameters in DatabaseURL take
// precedence over the fields below.
type Config struct {
	// DatabaseURL is a postgres:// URL or a key=value connection string. Empty means the PG*
	// environment variables alone (PGHOST, PGDATABASE, PGUSER, PGPASSWORD and so on).
	DatabaseURL string
	// MaxConns is the pool size, unless the URL sets pool_max_conns. Zero means pgx's
	// default: the number of CPUs, at least 4.
	MaxConns int32
	// ConnectTimeout bounds each connection attempt and Open's first connection, unless the
	// URL or PGCONNECT_TIMEOUT sets connect_timeout. Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout on every connection, unless the URL
	// sets it. Zero means DefaultStatementTimeout; a negative value leaves the server's
	// setting.
	StatementTimeout time.Duration
	// ApplicationName is reported in pg_stat_activity, unless the URL or PGAPPNAME sets it.
	// Empty means DefaultApplicationName.
	ApplicationName string
	// Migrate applies pending migrations before Open returns, as `forge migrate up` does and
	// under the same advisory lock, so replicas that start together are safe.
	Migrate bool
	// MigrateConfig tunes the migration run. Nil means the migrate package's defaults.
	MigrateConfig *migrate.Config
	// Passwords are the argon2id parameters for new password hashes. Zero fields take
	// DefaultPasswordParams.
	Passwords PasswordParams
	// Logger receives opens, migrations and rehashes. Nil discards them.
	Logger *slog.Logger
}

// Open connects to PostgreSQL, checks that the server responds within the connect timeout,
// applies migrations when cfg.Migrate is set, and returns the ent client on a pgx pool.
// Errors match ErrInvalidConfig or ErrUnavailable; none contains the password.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	poolCfg, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}

	db := &DB{
		log:            log,
		connectTimeout: poolCfg.ConnConfig.ConnectTimeout,
		passwords:      cfg.Passwords.withDefaults(),
		redact:         redactor(cfg.DatabaseURL, poolCfg.ConnConfig.Password),
	}
	db.Pool, err = pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, db.redact(err.Error()))
	}
	if err := db.ping(ctx, "open database"); err != nil {
		db.Pool.Close()
		return nil, err
	}

	if cfg.Migrate {
		if err := db.migrate(ctx, cfg.MigrateConfig, log); err != nil {
			db.Pool.Close()
			return nil, err
		}
	}

	db.sqlDB = stdlib.OpenDBFromPool(db.Pool)
	db.Client = ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db.sqlDB)))
	log.Info("opened database", "host", poolCfg.ConnConfig.Host, "database", poolCfg.ConnConfig.Database,
		"max_conns", poolCfg.MaxConns)
	return db, nil
}

func (db *DB) migrate(ctx context.Context, cfg *migrate.Config, log *slog.Logger) error {
	var c migrate.Config
	if cfg != nil {
		c = *cfg
	}
	if c.Logger == nil {
		c.Logger = log
	}
	m, err := migrate.New(db.Pool, &c)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	res, err := m.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	log.Info("applied migrations at open", "files", len(res.Applied))
	return nil
}

// poolConfig parses the connection string and fills in what neither it nor the PG*
// environment variables set.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	redact := redactor(cfg.DatabaseURL, "")
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: parse database URL: %s; use postgres://user:password@host:port/database "+
			"or host=... dbname=... key=value pairs", ErrInvalidConfig, redact(parseErrorText(err)))
	}
	conn := poolCfg.ConnConfig
	params := conn.RuntimeParams

	if cfg.MaxConns < 0 {
		return nil, fmt.Errorf("%w: MaxConns is %d; use a positive pool size, or 0 for the default",
			ErrInvalidConfig, cfg.MaxConns)
	}
	if cfg.MaxConns > 0 && !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
		poolCfg.MaxConns = cfg.MaxConns
	}
	if conn.ConnectTimeout == 0 {
		conn.ConnectTimeout = cfg.ConnectTimeout
		if conn.ConnectTimeout <= 0 {
			conn.ConnectTimeout = DefaultConnectTimeout
		}
	}
	if _, set := params["statement_timeout"]; !set && !strings.Contains(params["options"], "statement_timeout") {
		timeout := cfg.StatementTimeout
		if timeout == 0 {
			timeout = DefaultStatementTimeout
		}
		if timeout > 0 {
			params["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
		}
	}
	if _, set := params["application_name"]; !set {
		params["application_name"] = cfg.ApplicationName
		if cfg.ApplicationName == "" {
			params["application_name"] = DefaultApplicationName
		}
	}
	poolCfg.AfterConnect = scanTimesInUTC
	return poolCfg, nil
}

// scanTimesInUTC makes timestamptz values scan as UTC times. pgx's default is the process's
// local time zone, so the same row would read differently on hosts with different TZ.
func scanTimesInUTC(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name:  "timestamptz",
		OID:   pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return nil
}

// parseErrorText returns the reason pgconn gives for a parse failure, without the connection
// string that its Error method includes.
func parseErrorText(err error) string {
	var perr *pgconn.ParseConfigError
	if errors.As(err, &perr) {
		text := perr.Error()
		if i := strings.Index(text, ": "); i >= 0 && strings.HasPrefix(text, "cannot parse `") {
			return text[i+2:]
		}
		return text
	}
	return err.Error()
}

// redactor returns a function that removes the password from text: the one in the URL or
// key=value string, and the one pgx resolved from PGPASSWORD or a password file.
func redactor(connString, password string) func(string) string {
	secrets := make([]string, 0, 3)
	if password != "" {
		secrets = append(secrets, password)
	}
	if u, err := url.Parse(connString); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	for _, field := range strings.Fields(connString) {
		if p, ok := strings.CutPrefix(field, "password="); ok && p != "" {
			secrets = append(secrets, strings.Trim(p, "'"))
		}
	}
	// A URL whose password contains characters net/url rejects cannot be parsed, so cut the
	// user information out of the raw text too.
	if rest, ok := strings.CutPrefix(connString, "postgres://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 && colon+1 < at {
				secrets = append(secrets, rest[colon+1:at])
			}
		}
	}
	return func(text string) string {
		for _, s := range secrets {
			if s != "" {
				text = strings.ReplaceAll(text, s, "xxxxx")
			}
		}
		return text
	}
}

// connectError turns a failed first connection into an error without the password. A server
// that cannot be reached or is shutting down gives an UnavailableError. A rejected role,
// password or database name (SQLSTATE class 28, and 3D000) gives ErrInvalidConfig.
func (db *DB) connectError(op string, err error) error {
	text := db.redact(err.Error())
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &UnavailableError{Op: op, Timeout: db.connectTimeout, text: "timed out before the server responded"}
	case IsUnavailable(err):
		return &UnavailableError{Op: op, Timeout: db.connectTimeout, text: text}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000") {
		return fmt.Errorf("%s: %w: %s; check the user, password and database name of the database URL",
			op, ErrInvalidConfig, text)
	}
	return fmt.Errorf("%s: %s", op, text)
}

// UnavailableError is a failure to reach the server. It matches ErrUnavailable.
type UnavailableError struct {
	// Op is the operation that failed, such as "ping".
	Op string
	// Timeout is the connect timeout that was in force.
	Timeout time.Duration
	text    string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s: %v (connect timeout %s): %s; check that PostgreSQL is running and the "+
		"database URL names the right host and port", e.Op, ErrUnavailable, e.Timeout, e.text)
}

// Is reports whether target is ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }
