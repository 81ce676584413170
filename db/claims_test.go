package db

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"healthsync/devtools/dbtest"
)

// claimed is what a claim took: whose job, which, and how often it has been taken.
type claimed struct {
	user, id int64
	attempts int
}

// queue is one of the job tables claimed across users, reduced to what the claim tests need.
type queue struct {
	name    string
	enqueue func(t *testing.T, s *Store, user int64, now time.Time)
	claim   func(tx *SysTx, now time.Time, lease time.Duration) (*claimed, error)
}

func claimQueues(ctx context.Context) []queue {
	return []queue{
		{"provider_jobs", func(t *testing.T, s *Store, user int64, now time.Time) {
			inUser(t, s, user, func(tx *Tx) error {
				return tx.EnqueueJobs(ctx, []ProviderJob{{Provider: "oura", Kind: JobBackfill, DataType: "steps", RunAt: now}}, now)
			})
		}, func(tx *SysTx, now time.Time, lease time.Duration) (*claimed, error) {
			j, err := tx.ClaimJob(ctx, now, lease)
			if j == nil || err != nil {
				return nil, err
			}
			return &claimed{j.UserID, j.JobID, j.Attempts}, nil
		}},
		{"exports", func(t *testing.T, s *Store, user int64, now time.Time) {
			inUser(t, s, user, func(tx *Tx) error { _, _, err := tx.CreateExport(ctx, "NDJSON_ZIP", now); return err })
		}, func(tx *SysTx, now time.Time, lease time.Duration) (*claimed, error) {
			e, err := tx.ClaimExport(ctx, now, lease)
			if e == nil || err != nil {
				return nil, err
			}
			return &claimed{e.UserID, e.ID, e.Attempts}, nil
		}},
		{"erasures", func(t *testing.T, s *Store, user int64, now time.Time) {
			inUser(t, s, user, func(tx *Tx) error {
				_, err := tx.RequestErasure(ctx, fmt.Sprint("u", user), "", now, now)
				return err
			})
		}, func(tx *SysTx, now time.Time, lease time.Duration) (*claimed, error) {
			e, err := tx.ClaimErasure(ctx, now, lease)
			if e == nil || err != nil {
				return nil, err
			}
			return &claimed{e.UserID, e.ID, e.Attempts}, nil
		}},
		{"webhook_deliveries", func(t *testing.T, s *Store, user int64, now time.Time) {
			inUser(t, s, user, func(tx *Tx) error {
				return tx.EnqueueWebhooks(ctx, []WebhookEvent{{Type: "data.deleted", Payload: json.RawMessage(`{}`)}}, now)
			})
			if err := s.InSystemTx(ctx, func(tx *SysTx) error {
				if _, err := tx.SaveWebhookEndpoint(ctx, WebhookEndpoint{Name: "e", URL: "https://x.example",
					Secrets: pq.StringArray{"whsec_x"}, Enabled: true}, now); err != nil {
					return err
				}
				_, err := tx.FanOutWebhookEvents(ctx, now, 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}, func(tx *SysTx, now time.Time, lease time.Duration) (*claimed, error) {
			ds, err := tx.ClaimWebhookDeliveries(ctx, now, lease, 1)
			if len(ds) == 0 || err != nil {
				return nil, err
			}
			return &claimed{ds[0].UserID, ds[0].EventID, ds[0].Attempts}, nil
		}},
	}
}

func inUser(t *testing.T, s *Store, user int64, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.InUserTx(context.Background(), user, fn); err != nil {
		t.Fatal(err)
	}
}

func claimUsers(t *testing.T, s *Store, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		u, err := s.EnsureUser(context.Background(), fmt.Sprint("claimer-", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}

// A claim that has not committed yet holds its job: a second claimer meanwhile takes the other user's job, a
// third finds nothing, and nobody takes a job twice. Then many claimers at once over many users' jobs take each
// job exactly once.
func TestTwoClaimersNeverTakeTheSameJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, q := range claimQueues(ctx) {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			s := New(dbtest.New(t), Options{})
			now := time.Now().UTC()
			users := claimUsers(t, s, 2)
			for _, u := range users {
				q.enqueue(t, s, u, now)
			}
			var first, second, third *claimed
			err := s.InSystemTx(ctx, func(a *SysTx) (err error) {
				if first, err = q.claim(a, now, time.Hour); err != nil || first == nil {
					return fmt.Errorf("first claim: %v, %w", first, err)
				}
				return s.InSystemTx(ctx, func(b *SysTx) (err error) {
					if second, err = q.claim(b, now, time.Hour); err != nil {
						return err
					}
					return s.InSystemTx(ctx, func(c *SysTx) (err error) {
						third, err = q.claim(c, now, time.Hour)
						return err
					})
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if second == nil || second.user == first.user || third != nil {
				t.Fatalf("claims while the first was open: first %+v, second %+v, third %+v; want the other user's, then none",
					first, second, third)
			}

			// Many users, many claimers.
			more := claimUsers(t, s, 12)[2:]
			for _, u := range more {
				q.enqueue(t, s, u, now)
			}
			var mu sync.Mutex
			taken := map[int64]int{}
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						var c *claimed
						if err := s.InSystemTx(ctx, func(tx *SysTx) (err error) {
							c, err = q.claim(tx, now, time.Hour)
							return err
						}); err != nil {
							t.Error(err)
							return
						}
						if c == nil {
							return
						}
						mu.Lock()
						taken[c.user]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(taken) != len(more) {
				t.Errorf("claimed the jobs of %d users, want %d", len(taken), len(more))
			}
			for u, n := range taken {
				if n != 1 {
					t.Errorf("user %d's job was claimed %d times", u, n)
				}
			}
		})
	}
}

// A claimed job whose worker died (its lease ran out) is taken again, by the next claim after the lease and not
// before.
func TestDeadWorkersLeaseIsRetaken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, q := range claimQueues(ctx) {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			s := New(dbtest.New(t), Options{})
			now := time.Now().UTC()
			q.enqueue(t, s, claimUsers(t, s, 1)[0], now)
			claim := func(at time.Time) *claimed {
				t.Helper()
				var c *claimed
				if err := s.InSystemTx(ctx, func(tx *SysTx) (err error) {
					c, err = q.claim(tx, at, time.Minute)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return c
			}
			dead := claim(now)
			if dead == nil || dead.attempts != 1 {
				t.Fatalf("first claim: %+v", dead)
			}
			if c := claim(now.Add(30 * time.Second)); c != nil {
				t.Fatalf("taken under a live lease: %+v", c)
			}
			again := claim(now.Add(2 * time.Minute))
			if again == nil || again.user != dead.user || again.id != dead.id || again.attempts != 2 {
				t.Fatalf("after the lease ran out: %+v, want %+v taken a second time", again, dead)
			}
		})
	}
}
