package cloudsync

import (
	"context"
	"time"
)

// RunUntilIdle runs the worker loop (its pruning comes first) until it first finds nothing due, however long
// that takes on a slow database, or until ctx ends.
func (s *Service) RunUntilIdle(ctx context.Context) {
	s.run(ctx, 50*time.Millisecond, func() bool { return false })
}
