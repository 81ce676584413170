package main

import (
	"encoding/json"
	"fmt"
	"time"

	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
)

// batch is one upload of a phone's outbox. Its bodies are built once, before anything is timed, as an app builds
// a batch when it reads HealthKit and then only sends (and re-sends) the stored bytes.
type batch struct {
	user    *gen.User
	samples int
	key     string
	body    []byte // ingestBatch under key: the upload, and the replay (the same request again)
	dupBody []byte // the same samples under a new key: a phone that lost its outbox state
	pgl     []byte // the same samples as PostGraphile's insertSamples mutation
	pglUser int    // the user_id PostGraphile's rows carry
}

// outbox cuts users' heart-rate and step samples (oldest first, as a backfill sends them) into batches of size,
// perUser samples for each user. The benchmark generator makes the samples (Apple Watch heart rate with motion
// context, watch and phone step counts); other types are left out so the shape is the issue's.
func outbox(g *gen.Generator, users []*gen.User, perUser, size int, seed uint64, tag string) ([]batch, error) {
	per := make([][]batch, len(users))
	for ui, u := range users {
		var pending []gen.Sample
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			b, err := newBatch(u, pending, fmt.Sprintf("outside-%d-%s-u%d-b%d", seed, tag, u.Index, len(per[ui])))
			if err != nil {
				return err
			}
			per[ui] = append(per[ui], b)
			pending = nil
			return nil
		}
		taken := 0
		for d := 0; taken < perUser; d++ {
			if d >= g.Days() {
				return nil, fmt.Errorf("outside: %d days of user %d hold %d heart-rate and step samples, want %d: raise the generator's days",
					g.Days(), u.Index, taken, perUser)
			}
			for _, s := range g.Day(u, d).Samples {
				if (s.Type != gen.HeartRate && s.Type != gen.StepCount) || taken == perUser {
					continue
				}
				pending = append(pending, s)
				taken++
				if len(pending) == size {
					if err := flush(); err != nil {
						return nil, err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	// Interleave the users, so that the batches in flight come from different phones.
	var out []batch
	for i := 0; ; i++ {
		added := false
		for _, p := range per {
			if i < len(p) {
				out = append(out, p[i])
				added = true
			}
		}
		if !added {
			return out, nil
		}
	}
}

func newBatch(u *gen.User, samples []gen.Sample, key string) (batch, error) {
	gb := gen.Batch{User: u, Samples: samples}
	body, err := bench.Body(gb, key)
	if err != nil {
		return batch{}, err
	}
	dup, err := bench.Body(gb, key+"-again")
	if err != nil {
		return batch{}, err
	}
	b := batch{user: u, samples: len(samples), key: key, body: body, dupBody: dup, pglUser: u.Index + 1}
	if b.pgl, err = pglBody(b.pglUser, samples); err != nil {
		return batch{}, err
	}
	return b, nil
}

// pglMutation is PostGraphile's mutation for pgl_bench.insert_samples(samples[]): it answers the number of rows
// inserted, so that, like ingestBatch's counts, the answer stays small whatever the batch.
const pglMutation = `mutation Insert($samples: [SampleInput]!) { insertSamples(input: {samples: $samples}) { result } }`

type pglSample struct {
	UserID    int     `json:"userId"`
	SampleID  string  `json:"sampleId"`
	Metric    string  `json:"metric"`
	StartTime string  `json:"startTime"`
	EndTime   string  `json:"endTime"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
}

// pglBody is the same samples as a generic GraphQL-over-PostgreSQL client sends them: one object per row, the
// phone's type and unit as they are (PostGraphile stores what it gets; it has no catalog).
func pglBody(userID int, samples []gen.Sample) ([]byte, error) {
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			Samples []pglSample `json:"samples"`
		} `json:"variables"`
	}
	req.Query = pglMutation
	req.Variables.Samples = make([]pglSample, len(samples))
	for i, s := range samples {
		req.Variables.Samples[i] = pglSample{UserID: userID, SampleID: s.ID, Metric: s.Type,
			StartTime: s.Start.Format(time.RFC3339Nano), EndTime: s.End.Format(time.RFC3339Nano), Value: s.Value, Unit: s.Unit}
	}
	return json.Marshal(req)
}
