package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.MessageFinder = (*Store)(nil)

// findWhere selects one group's messages of one channel (every channel
// for ""), narrowed by whichever of message id, provider id, recipient,
// time range and status are given.
const findWhere = ` WHERE group_id = $1 AND ($2 = '' OR channel = $2)
	AND ($8 = '' OR status = $8)
	AND ($3 = '' OR id = $3)
	AND ($4 = '' OR (provider_id = $4 AND provider_id <> ''))
	AND ($5 = '' OR recipients LIKE $5 ESCAPE '\')
	AND ($6 = '' OR (created_at >= $6 AND created_at < $7))`

// FindMessages returns the page of messages q asks for, newest first, and
// how many match in all.
func (s *Store) FindMessages(ctx context.Context, q notify.MessageQuery) ([]*notify.Message, int, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer done()
	var like, from, to string
	if q.Recipient != "" {
		// Recipients are a JSON array of strings: match one whole element.
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.Recipient)
		like = `%"` + esc + `"%`
	}
	if !q.From.IsZero() {
		from, to = formatTime(q.From), formatTime(q.To)
	}
	args := []any{q.GroupID, string(q.Channel), q.MessageID, q.ProviderID, like, from, to, string(q.Status)}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages`+findWhere, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count messages: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, sqltext.SelectMessages+findWhere+` ORDER BY created_at DESC, id DESC LIMIT $9 OFFSET $10`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find messages: %w", err)
	}
	defer rows.Close()
	var ms []*notify.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: find messages: %w", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: find messages: %w", err)
	}
	return ms, total, nil
}
