// Package catalog holds the canonical metric catalog of healthsync and the unit
// normalization that turns what HealthKit and Health Connect clients upload into
// canonical metrics and canonical units.
//
// Everything is data: the metric and category tables live in metrics.go, the
// unit families in units.go and the workout activity types in activity.go. The
// code around the tables only indexes them, so the rules stay readable in one
// place and a reviewer can check them against the platform documentation.
//
// # Adding a metric
//
// Append one Metric literal to metricTable in metrics.go:
//
//	{
//		Name: "walking_step_length", Unit: "m", Aggregation: Discrete, Min: 0, Max: 3,
//		HealthKit:   []string{"HKQuantityTypeIdentifierWalkingStepLength"},
//		Description: "Average step length while walking.",
//	},
//
// Name is the canonical snake_case name that is stored and served. Unit must be
// one of the canonical units of a family in units.go (a unit listed in a
// family's canonical field); if the new metric needs a new physical dimension,
// add a unitFamily there first. HealthKit and HealthConnect list the platform
// type names that map to the metric; Lookup also accepts them without the
// HKQuantityTypeIdentifier prefix, with a "Record" suffix, and in
// SCREAMING_SNAKE_CASE. A platform name may belong to one metric only; the
// package tests fail when two entries claim the same spelling, when the unit
// has no family, or when Min is not below Max.
//
// # Choices worth knowing
//
//   - HRV: HealthKit reports SDNN and Health Connect reports RMSSD. They are
//     different statistics and stay different metrics (hrv_sdnn, hrv_rmssd).
//   - Health Connect DistanceRecord carries no activity; it maps to
//     distance_walking_running, which is what both platforms show as daily
//     distance. A caller that knows the record lies inside a cycling or swimming
//     exercise session may re-route it to distance_cycling or distance_swimming.
//   - Health Connect SpeedRecord and PowerRecord are generic (a bike power meter
//     writes PowerRecord), so they map to speed and power rather than to
//     HealthKit's walking_speed, running_speed or running_power.
//   - Health Connect BasalMetabolicRate is a power (kcal/day), so it is its own
//     discrete metric basal_metabolic_rate and is never summed as energy.
//   - Health Connect BloodPressure and Nutrition records carry several values.
//     Each value is its own type, "Record.field" (BloodPressure.systolic,
//     Nutrition.protein), listed under the metric it belongs to; ingest keys
//     the stored sample by record id and field (RecordField).
//   - Health Connect SkinTemperature holds deltas from a baseline, not absolute
//     temperatures: it is its own metric, skin_temperature_delta, in kelvin
//     (a difference, so °F convert without the offset).
//   - docs/catalog.md is generated from these tables by go generate ./catalog;
//     a test fails when it is stale.
//   - "%" means a fraction (0–1) in the HealthKit dialect, because that is what
//     HKUnit.percent() yields, and 0–100 everywhere else.
//   - "calories" (lower case) is a small calorie, as in Health Connect's
//     Energy.calories; "Cal" is a kilocalorie, as in HealthKit's largeCalorie.
//     Case-insensitive matching is applied only to spelled-out words of four
//     or more letters, so symbols such as m/M, cal/Cal or ms/Ms never fold.
package catalog
