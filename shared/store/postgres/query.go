package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.MessageFinder = (*Store)(nil)

// findWhere selects one group's messages of one channel (every channel
// for ""), narrowed by whichever of message id, provider id, recipient,
// time range and status are given. The recipient must be a whole element
// of the recipients array.
const findWhere = ` WHERE group_id = $1 AND ($2::text = '' OR channel = $2)
	AND ($8::text = '' OR status = $8)
	AND ($3::text = '' OR id = $3)
	AND ($4::text = '' OR (provider_id = $4 AND provider_id <> ''))
	AND ($5::text = '' OR recipients @> jsonb_build_array($5::text))
	AND ($6::timestamptz IS NULL OR (created_at >= $6 AND created_at < $7))`

// FindMessages returns the page of messages q asks for, newest first, and
// how many match in all.
func (s *Store) FindMessages(ctx context.Context, q notify.MessageQuery) ([]*notify.Message, int, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer done()
	var from, to *time.Time
	if !q.From.IsZero() {
		// As stored: to the millisecond, as the SQLite store compares.
		f, t := q.From.UTC().Truncate(time.Millisecond), q.To.UTC().Truncate(time.Millisecond)
		from, to = &f, &t
	}
	args := []any{text(q.GroupID), text(string(q.Channel)), text(q.MessageID), text(q.ProviderID), text(q.Recipient),
		from, to, text(string(q.Status))}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages`+findWhere, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("postgres: count messages: %w", err)
	}
	var ms []*notify.Message
	page := sqltext.SelectMessages + findWhere + ` ORDER BY created_at DESC, id DESC LIMIT $9 OFFSET $10`
	err = each(ctx, s.pool, page, append(args, q.Limit, q.Offset), func(r pgx.Rows) error {
		m, err := scanMessage(r.Scan)
		ms = append(ms, m)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: find messages: %w", err)
	}
	return ms, total, nil
}
