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

// SealedLen returns how many bytes of sealed code the store keeps for key.
func (s *Store) SealedLen(ctx context.Context, group, phone, scene string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT length(sealed) FROM codes WHERE group_id = $1 AND phone_number = $2 AND scene = $3`,
		group, phone, scene).Scan(&n)
	return n, err
}
