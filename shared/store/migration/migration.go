// Package migration reads a store's numbered schema migrations: the
// NNN_what.sql files each store embeds. Applying them is each store's own
// business, in its own SQL and locking.
package migration

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // the file name, recorded with the version
	SQL     string
}

// Read returns the *.sql files at the root of fsys in version order. A name
// must start with a positive number followed by "_"; two files may not
// share a number.
func Read(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]Migration, 0, len(names))
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNN_what.sql with NNN > 0", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// Check compares the migrations a database records as applied (version to
// the file name recorded with it) with ms, this build's. A version both
// have under different names is an error that names both: the database
// was migrated by a build whose migration of that number was another
// file, so this build's was never applied, and its statements would fail
// on columns and indexes that are not there. Versions only the database
// has are left alone: they are a newer build's, and migrations only add.
func Check(ms []Migration, applied map[int]string) error {
	for _, m := range ms {
		name, ok := applied[m.Version]
		if ok && name != m.Name {
			return fmt.Errorf("migration %d is recorded as applied from %s, but this build's migration %d is %s: "+
				"the database was migrated by a build with other migrations, and this build's %s was never applied "+
				"(docs/stores.md, \"Migrations\")", m.Version, name, m.Version, m.Name, m.Name)
		}
	}
	return nil
}
