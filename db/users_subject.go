package db

import (
	"context"
	"fmt"
)

// UserSubject is the token subject of a user; export workers know only the user id. Read outside a user
// transaction because the request role may not read the users table.
func (s *Store) UserSubject(ctx context.Context, userID int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.statementTimeout)
	defer cancel()
	var sub string
	if err := s.db.GetContext(ctx, &sub, `SELECT subject FROM users WHERE id = $1`, userID); err != nil {
		return "", fmt.Errorf("user subject: %w", err)
	}
	return sub, nil
}
