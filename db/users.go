package db

import (
	"context"
	"fmt"
	"time"
)

// User is a token subject known to the server.
type User struct {
	ID        int64     `db:"id"`
	Subject   string    `db:"subject"`
	CreatedAt time.Time `db:"created_at"`
}

// EnsureUser returns the user for a token subject, creating it on first use.
func (s *Store) EnsureUser(ctx context.Context, subject string) (User, error) {
	if u, ok := s.users.Load(subject); ok {
		return u.(User), nil
	}
	// Outside a user transaction, so the statement timeout has to come from the context here.
	ctx, cancel := context.WithTimeout(ctx, s.statementTimeout)
	defer cancel()
	var u User
	// DO UPDATE (a no-op write) rather than DO NOTHING so that RETURNING also answers when the row exists.
	err := s.db.GetContext(ctx, &u, `
		INSERT INTO users (subject) VALUES ($1)
		ON CONFLICT (subject) DO UPDATE SET subject = EXCLUDED.subject
		RETURNING id, subject, created_at`, subject)
	if err != nil {
		return User{}, fmt.Errorf("ensure user: %w", err)
	}
	s.users.Store(subject, u)
	return u, nil
}
