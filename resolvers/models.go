package resolvers

import (
	"encoding/json"
	"strconv"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/ingest"
)

func toMetric(m catalog.Metric) model.Metric {
	out := model.Metric{Name: m.Name, Unit: m.Unit, Aggregation: model.Aggregation(m.Aggregation), MinValue: m.Min,
		MaxValue: m.Max, HealthKitTypes: nonNil(m.HealthKit), HealthConnectTypes: nonNil(m.HealthConnect),
		Description: m.Description, DisplayName: m.DisplayName(), UnitLabel: m.UnitLabel()}
	if m.LOINC != "" {
		l := m.LOINC
		out.Loinc = &l
	}
	return out
}

func toSourceModel(s db.Source) model.Source {
	return model.Source{ID: strconv.FormatInt(s.ID, 10), Provider: model.Provider(s.Provider), Name: s.Name,
		BundleID: s.BundleID, Version: s.Version, ProductType: s.ProductType, DeviceName: s.DeviceName,
		DeviceModel: s.DeviceModel, DeviceManufacturer: s.DeviceManufacturer, HardwareVersion: s.HardwareVersion,
		SoftwareVersion: s.SoftwareVersion, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen}
}

func toSampleModel(s db.StoredSample, unit string) model.Sample {
	id := s.ID
	if s.PointMS != 0 { // a series point: its record id plus its instant
		id = s.ID + "@" + time.UnixMilli(s.PointMS).UTC().Format(time.RFC3339Nano)
	}
	out := model.Sample{ID: id, Metric: s.Metric, Value: s.Value, Unit: unit, Start: s.Start, End: s.End,
		OriginalValue: s.OrigValue, OriginalUnit: s.OrigUnit, SourceID: strconv.FormatInt(s.SourceID, 10),
		TimeZone: s.TimeZone, UserEntered: s.UserEntered}
	if s.Metadata != nil {
		var m map[string]any
		if json.Unmarshal([]byte(*s.Metadata), &m) == nil {
			out.Metadata = m
			if lo, hi, ok := ingest.SampleRange(s.Value, s.OrigValue, m); ok {
				out.Min, out.Max = &lo, &hi
			}
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
