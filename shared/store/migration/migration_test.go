package migration

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRead(t *testing.T) {
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
			ms, err := Read(tt.fsys)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("Read = %v, want an error starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name)
				if m.SQL != "SELECT 1;" {
					t.Errorf("%s: SQL %q", m.Name, m.SQL)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Read = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "001_a.sql"}, {Version: 2, Name: "002_taken.sql"}}
	for _, tt := range []struct {
		name    string
		applied map[int]string
		wantErr string
	}{
		{"new database", map[int]string{}, ""},
		{"behind", map[int]string{1: "001_a.sql"}, ""},
		{"up to date", map[int]string{1: "001_a.sql", 2: "002_taken.sql"}, ""},
		{"a newer build's version", map[int]string{1: "001_a.sql", 2: "002_taken.sql", 3: "003_later.sql"}, ""},
		{"another file of a version", map[int]string{1: "001_a.sql", 2: "002_unsent.sql"},
			"migration 2 is recorded as applied from 002_unsent.sql, but this build's migration 2 is 002_taken.sql"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(ms, tt.applied)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Errorf("Check = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
