package gen

import "fmt"

// Ref locates one batch without holding it: items [FromItem, …) of day FromDay through items [0, ToItem) of day
// ToDay, of one user, in the order Day returns them (samples, then categories, then workouts).
type Ref struct {
	User, Index         int
	FromDay, FromItem   int
	ToDay, ToItem       int // exclusive end: (ToDay, ToItem)
	Items               int
	Samples, Categories int
	Workouts            int
}

// Key is the batch's idempotency key: stable across runs, unique per user and batch.
func (r Ref) Key(seed uint64) string { return fmt.Sprintf("bench-%d-u%d-b%d", seed, r.User, r.Index) }

// Batch is one upload: a slice of a user's days.
type Batch struct {
	Ref        Ref
	User       *User
	Samples    []Sample
	Categories []Category
	Workouts   []Workout
}

// Plan cuts user u's days into batches of at most size items, in time order, as a backfill sends them.
func (g *Generator) Plan(u *User, size int) []Ref {
	if size < 1 {
		size = 1
	}
	var refs []Ref
	cur := Ref{User: u.Index}
	for d := 0; d < g.cfg.Days; d++ {
		day := g.Day(u, d)
		n := day.Items()
		for i := 0; i < n; {
			take := min(size-cur.Items, n-i)
			if cur.Items == 0 {
				cur.FromDay, cur.FromItem = d, i
			}
			ns, nc := len(day.Samples), len(day.Categories)
			for j := i; j < i+take; j++ {
				switch {
				case j < ns:
					cur.Samples++
				case j < ns+nc:
					cur.Categories++
				default:
					cur.Workouts++
				}
			}
			cur.Items += take
			i += take
			cur.ToDay, cur.ToItem = d, i
			if cur.Items == size {
				refs = append(refs, cur)
				cur = Ref{User: u.Index, Index: len(refs)}
			}
		}
	}
	if cur.Items > 0 {
		refs = append(refs, cur)
	}
	return refs
}

// Batch rebuilds the batch ref points at.
func (g *Generator) Batch(u *User, ref Ref) Batch {
	b := Batch{Ref: ref, User: u}
	for d := ref.FromDay; d <= ref.ToDay; d++ {
		day := g.Day(u, d)
		from, to := 0, day.Items()
		if d == ref.FromDay {
			from = ref.FromItem
		}
		if d == ref.ToDay {
			to = ref.ToItem
		}
		ns, nc := len(day.Samples), len(day.Categories)
		for j := from; j < to; j++ {
			switch {
			case j < ns:
				b.Samples = append(b.Samples, day.Samples[j])
			case j < ns+nc:
				b.Categories = append(b.Categories, day.Categories[j-ns])
			default:
				b.Workouts = append(b.Workouts, day.Workouts[j-ns-nc])
			}
		}
	}
	return b
}
