package sqlite

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// schema returns the embedded migrations plus extra files.
func schema(t *testing.T, extra fstest.MapFS) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, f := range extra {
		fsys[name] = f
	}
	return fsys
}

// versions lists the versions in schema_migrations.
func versions(t *testing.T, s *Store) []int {
	t.Helper()
	applied, err := appliedVersions(t.Context(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for v := range applied {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// TestLaterMigration adds a 002 the way a later change will, to a database
// the released schema made, and checks it runs once.
func TestLaterMigration(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := versions(t, s); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions after Open = %v, want [1]", got)
	}
	// Plain ALTER TABLE fails if it runs twice.
	later := schema(t, fstest.MapFS{"002_idempotency.sql": {Data: []byte(
		"ALTER TABLE messages ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';\n" +
			"CREATE UNIQUE INDEX messages_idempotency ON messages (group_id, idempotency_key) WHERE idempotency_key <> '';\n")}})
	for range 2 {
		if err := migrate(ctx, s.db, later); err != nil {
			t.Fatalf("migrate with 002: %v", err)
		}
	}
	if got := versions(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("versions after 002 = %v, want [1 2]", got)
	}
	if _, err := s.db.ExecContext(ctx, `SELECT idempotency_key FROM messages`); err != nil {
		t.Errorf("the column 002 adds: %v", err)
	}
	// The released binary, which knows only 001, still opens the database.
	if err := migrate(ctx, s.db, schema(t, nil)); err != nil {
		t.Errorf("migrate without 002 on a database that has it: %v", err)
	}
}

// TestFailedMigration checks that a migration failing halfway leaves
// nothing behind: neither its first statement nor its version.
func TestFailedMigration(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := schema(t, fstest.MapFS{"002_bad.sql": {Data: []byte(
		"CREATE TABLE half (x INTEGER);\nALTER TABLE nowhere ADD COLUMN y TEXT;\n")}})
	err = migrate(ctx, s.db, bad)
	if err == nil || !strings.Contains(err.Error(), "apply migration 002_bad.sql: ") {
		t.Fatalf("migrate with a bad 002 = %v, want an error naming 002_bad.sql", err)
	}
	if got := versions(t, s); !slices.Equal(got, []int{1}) {
		t.Errorf("versions after a failed 002 = %v, want [1]", got)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table created by the failed migration: count %d, err %v; want 0, nil", n, err)
	}
}

func TestReadMigrations(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []string // names in order
		wantErr string
	}{
		{"ordered by number", fstest.MapFS{"010_c.sql": sql, "002_b.sql": sql, "1_a.sql": sql, "README.md": sql},
			[]string{"1_a.sql", "002_b.sql", "010_c.sql"}, ""},
		{"no number", fstest.MapFS{"messages.sql": sql}, nil, "migration messages.sql: name must be NNN_what.sql"},
		{"zero", fstest.MapFS{"000_init.sql": sql}, nil, "migration 000_init.sql: name must be NNN_what.sql"},
		{"no underscore", fstest.MapFS{"001.sql": sql}, nil, "migration 001.sql: name must be NNN_what.sql"},
		{"shared number", fstest.MapFS{"001_a.sql": sql, "1_b.sql": sql}, nil, "migrations 001_a.sql and 1_b.sql share version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := readMigrations(tt.fsys)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("readMigrations = %v, want an error starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readMigrations = %q, want %q", got, tt.want)
			}
		})
	}
}
