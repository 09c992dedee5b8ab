package sqlite

import "context"

// LedgerSum returns the sum of the units of a station's ledger rows, for
// the tests to check a balance against.
func (s *Store) LedgerSum(ctx context.Context, groupID, station string) (int64, error) {
	var sum int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(units), 0) FROM saas_ledger WHERE group_id = $1 AND station_id = $2`,
		groupID, station).Scan(&sum)
	return sum, err
}
