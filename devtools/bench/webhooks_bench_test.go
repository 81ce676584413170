package bench_test

import (
	"testing"

	"healthsync/ingest"
)

// BenchmarkServiceIngestWebhooks is BenchmarkServiceIngest with the webhook outbox on (what serve runs): the
// difference between the two is what a batch pays for its data.stored event.
func BenchmarkServiceIngestWebhooks(b *testing.B) {
	benchServiceIngest(b, newEnv(b, ingest.WithWebhooks()))
}
