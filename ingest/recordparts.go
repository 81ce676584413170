package ingest

import (
	"context"

	"healthsync/catalog"
	"healthsync/db"
)

// deleteRecordParts removes the stored values of the multi-value records (BloodPressure, Nutrition) that ids
// name, which are kept under "<record id>.<field>", and adds the record ids that removed something to removed.
// The tombstone is the record id's alone (DeleteItems wrote it): the parts are checked against it on upload.
// HealthKit ids are sample UUIDs, never a multi-value record's, so its deletions skip the probe.
func deleteRecordParts(ctx context.Context, tx *db.Tx, cat *catalog.Catalog, p Provider, ids []string, removed map[string]struct{}) error {
	if len(ids) == 0 || p == AppleHealth {
		return nil
	}
	fields := cat.RecordFields()
	parts := make([]string, 0, len(ids)*len(fields))
	recordOf := make(map[string]string, cap(parts))
	for _, id := range ids {
		for _, f := range fields {
			part := id + "." + f
			parts = append(parts, part)
			recordOf[part] = id
		}
	}
	gone, err := tx.DeleteSampleIDs(ctx, parts)
	if err != nil {
		return err
	}
	for part := range gone {
		removed[recordOf[part]] = struct{}{}
	}
	return nil
}
