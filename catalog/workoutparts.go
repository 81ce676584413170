package catalog

import (
	"bytes"
	"fmt"
)

// The inside of a workout, as data: Health Connect's ExerciseSegment types and HealthKit's workout event types,
// each table indexed by the platform's int value, in canonical snake case.

// SegmentTypes are Health Connect's ExerciseSegment.EXERCISE_SEGMENT_TYPE_* values: SegmentTypes[51] is "squat".
var SegmentTypes = []string{"unknown", "arm_curl", "back_extension", "ball_slam", "barbell_shoulder_press",
	"bench_press", "bench_sit_up", "biking", "biking_stationary", "burpee", "crunch", "deadlift",
	"double_arm_triceps_extension", "dumbbell_curl_left_arm", "dumbbell_curl_right_arm", "dumbbell_front_raise",
	"dumbbell_lateral_raise", "dumbbell_row", "dumbbell_triceps_extension_left_arm",
	"dumbbell_triceps_extension_right_arm", "dumbbell_triceps_extension_two_arm", "elliptical", "forward_twist",
	"front_raise", "high_intensity_interval_training", "hip_thrust", "hula_hoop", "jumping_jack", "jump_rope",
	"kettlebell_swing", "lateral_raise", "lat_pull_down", "leg_curl", "leg_extension", "leg_press", "leg_raise",
	"lunge", "mountain_climber", "other_workout", "pause", "pilates", "plank", "pull_up", "punch", "rest",
	"rowing_machine", "running", "running_treadmill", "shoulder_press", "single_arm_triceps_extension", "sit_up",
	"squat", "stair_climbing", "stair_climbing_machine", "stretching", "swimming_backstroke",
	"swimming_breaststroke", "swimming_butterfly", "swimming_freestyle", "swimming_mixed", "swimming_open_water",
	"swimming_other", "swimming_pool", "upper_twist", "walking", "weightlifting", "wheelchair", "yoga"}

// WorkoutEventTypes are HealthKit's HKWorkoutEventType cases by raw value (1…8; 0 is unused).
var WorkoutEventTypes = []string{"", "pause", "resume", "lap", "marker", "motion_paused", "motion_resumed", "segment",
	"pause_or_resume_request"}

// markdownWorkoutParts renders the two tables for docs/catalog.md.
func markdownWorkoutParts(b *bytes.Buffer) {
	b.WriteString("\n## Kinds beside the catalog\n\n")
	b.WriteString("Items that are neither a number nor a category have input lists and reads of their own: State of Mind " +
		"(valence -1–1), ECG recordings (voltages in µV, sampling frequency in Hz, average heart rate in count/min), " +
		"medication doses, and audiograms (frequency in Hz, thresholds in dBHL, per ear and per test: side, " +
		"air or bone conduction, masked, clamping range). The README's upload section shows each.\n")
	b.WriteString("\n## Workout segments, laps and events\n\n")
	b.WriteString("A workout may carry `segments` (Health Connect ExerciseSegment, or HealthKit workout activities), `laps` " +
		"(Health Connect ExerciseLap, HealthKit lap events; distance in metres) and `events` (HealthKit workout events). " +
		"A segment's type is one of these Health Connect segment types (by name, or by int from Health Connect) or a " +
		"workout activity above.\n\n")
	b.WriteString("| Health Connect int | segment type |\n|---|---|\n")
	for i, s := range SegmentTypes {
		fmt.Fprintf(b, "| %d | `%s` |\n", i, s)
	}
	b.WriteString("\n| HealthKit raw value | event type |\n|---|---|\n")
	for i, s := range WorkoutEventTypes[1:] {
		fmt.Fprintf(b, "| %d | `%s` |\n", i+1, s)
	}
}
