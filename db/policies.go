package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PlainTenantCheck is the tenant policy's condition in its plain form (migration 0003): user_id compared with
// the transaction's user. Migration 0012 wrapped the setting in a scalar subquery on the tables the ingest
// writes row by row, which PostgreSQL then evaluates once per statement instead of once per row; Citus refuses
// subqueries in the policies of distributed tables, so the Citus step puts this form back (PlainPolicies).
const PlainTenantCheck = `user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint`

// PlainPolicies rewrites every tenant policy of the current schema whose condition has a subquery into the
// plain form and returns the tables it changed. Plain PostgreSQL keeps the subquery form (cheaper per inserted
// row; BenchmarkPolicyForm measures by how much); a Citus database must have this one before its tables are
// distributed. Found from the catalog, so a later migration's policies are covered too. Idempotent.
func PlainPolicies(ctx context.Context, d sqlx.ExtContext) ([]string, error) {
	var tables []string
	if err := sqlx.SelectContext(ctx, d, &tables, `
		SELECT tablename FROM pg_policies
		WHERE schemaname = current_schema() AND policyname = 'tenant'
		  AND (qual ~* '\mselect\M' OR with_check ~* '\mselect\M')
		ORDER BY 1`); err != nil {
		return nil, fmt.Errorf("find policies with subqueries: %w", err)
	}
	for _, t := range tables {
		if _, err := d.ExecContext(ctx, fmt.Sprintf(`ALTER POLICY tenant ON %s USING (%s) WITH CHECK (%s)`,
			pq.QuoteIdentifier(t), PlainTenantCheck, PlainTenantCheck)); err != nil {
			return nil, fmt.Errorf("plain policy on %s: %w", t, err)
		}
	}
	return tables, nil
}
