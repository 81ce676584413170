package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// code is one platform spelling of an activity: the enum name and, when it
// was confirmed against the platform headers, its raw integer (noRaw if not).
type code struct {
	name string
	raw  int
}

const noRaw = -1

// activityRow maps platform activity spellings to one canonical activity.
type activityRow struct {
	name string
	hk   []code // HKWorkoutActivityType case names (without prefix) and raw values
	hc   []code // ExerciseSessionRecord EXERCISE_TYPE_* names (without prefix) and ints
}

func ac(name string, raw int) code { return code{name, raw} }

// activityTable is the workout activity catalog. HealthKit raw values are
// HKWorkoutActivityType (HKWorkout.h); Health Connect ints are the
// androidx.health.connect ExerciseSessionRecord constants, which differ from
// the Android framework's ExerciseSessionType numbering. Distinctions that
// only one platform makes (treadmill vs road, pool vs open water) collapse to
// the activity; HealthKit keeps them as metadata, Health Connect as a type.
func activityTable() []activityRow {
	return []activityRow{
		{"running", []code{ac("running", 37)}, []code{ac("RUNNING", 56), ac("RUNNING_TREADMILL", 57)}},
		{"walking", []code{ac("walking", 52)}, []code{ac("WALKING", 79)}},
		{"cycling", []code{ac("cycling", 13)}, []code{ac("BIKING", 8), ac("BIKING_STATIONARY", 9)}},
		{"swimming", []code{ac("swimming", 46)}, []code{ac("SWIMMING_POOL", 74), ac("SWIMMING_OPEN_WATER", 73)}},
		{"hiking", []code{ac("hiking", 24)}, []code{ac("HIKING", 37)}},
		{"strength_training", []code{ac("traditionalStrengthTraining", 50)},
			[]code{ac("STRENGTH_TRAINING", 70), ac("WEIGHTLIFTING", 81)}},
		{"functional_strength_training", []code{ac("functionalStrengthTraining", 20)}, nil},
		{"calisthenics", nil, []code{ac("CALISTHENICS", 13)}},
		{"core_training", []code{ac("coreTraining", 59)}, nil},
		{"cross_training", []code{ac("crossTraining", 11)}, nil},
		{"boot_camp", nil, []code{ac("BOOT_CAMP", 10)}},
		{"exercise_class", nil, []code{ac("EXERCISE_CLASS", 26)}},
		{"hiit", []code{ac("highIntensityIntervalTraining", 63)}, []code{ac("HIGH_INTENSITY_INTERVAL_TRAINING", 36)}},
		{"mixed_cardio", []code{ac("mixedCardio", 73), ac("mixedMetabolicCardioTraining", 30)}, nil},
		{"jump_rope", []code{ac("jumpRope", 64)}, nil},
		{"step_training", []code{ac("stepTraining", 69)}, nil},
		{"yoga", []code{ac("yoga", 57)}, []code{ac("YOGA", 83)}},
		{"pilates", []code{ac("pilates", 66)}, []code{ac("PILATES", 48)}},
		{"barre", []code{ac("barre", 58)}, nil},
		{"flexibility", []code{ac("flexibility", 62)}, []code{ac("STRETCHING", 71)}},
		{"mind_and_body", []code{ac("mindAndBody", 29)}, nil},
		{"tai_chi", []code{ac("taiChi", 72)}, nil},
		{"guided_breathing", nil, []code{ac("GUIDED_BREATHING", 33)}},
		{"cooldown", []code{ac("cooldown", 80)}, nil},
		{"preparation_and_recovery", []code{ac("preparationAndRecovery", 33)}, nil},
		{"rowing", []code{ac("rowing", 35)}, []code{ac("ROWING", 53), ac("ROWING_MACHINE", 54)}},
		{"elliptical", []code{ac("elliptical", 16)}, []code{ac("ELLIPTICAL", 25)}},
		{"stair_climbing", []code{ac("stairClimbing", 44), ac("stairs", 68)},
			[]code{ac("STAIR_CLIMBING", 68), ac("STAIR_CLIMBING_MACHINE", 69)}},
		{"dance", []code{ac("dance", 14), ac("danceInspiredTraining", 15), ac("cardioDance", 77), ac("socialDance", 78)},
			[]code{ac("DANCING", 16)}},
		{"hand_cycling", []code{ac("handCycling", 74)}, nil},
		{"wheelchair", []code{ac("wheelchairWalkPace", 70), ac("wheelchairRunPace", 71)}, []code{ac("WHEELCHAIR", 82)}},
		{"fitness_gaming", []code{ac("fitnessGaming", 76)}, nil},
		{"play", []code{ac("play", 32)}, nil},
		{"swim_bike_run", []code{ac("swimBikeRun", 82)}, nil},
		{"transition", []code{ac("transition", 83)}, nil},

		// Team and racket sports.
		{"soccer", []code{ac("soccer", 41)}, []code{ac("SOCCER", 64)}},
		{"american_football", []code{ac("americanFootball", 1)}, []code{ac("FOOTBALL_AMERICAN", 28)}},
		{"australian_football", []code{ac("australianFootball", 3)}, []code{ac("FOOTBALL_AUSTRALIAN", 29)}},
		{"rugby", []code{ac("rugby", 36)}, []code{ac("RUGBY", 55)}},
		{"basketball", []code{ac("basketball", 6)}, []code{ac("BASKETBALL", 5)}},
		{"baseball", []code{ac("baseball", 5)}, []code{ac("BASEBALL", 4)}},
		{"softball", []code{ac("softball", 42)}, []code{ac("SOFTBALL", 65)}},
		{"cricket", []code{ac("cricket", 10)}, []code{ac("CRICKET", 14)}},
		{"volleyball", []code{ac("volleyball", 51)}, []code{ac("VOLLEYBALL", 78)}},
		{"handball", []code{ac("handball", 23)}, []code{ac("HANDBALL", 35)}},
		{"hockey", []code{ac("hockey", 25)}, []code{ac("ICE_HOCKEY", 38), ac("ROLLER_HOCKEY", 52)}},
		{"lacrosse", []code{ac("lacrosse", 27)}, nil},
		{"water_polo", []code{ac("waterPolo", 54)}, []code{ac("WATER_POLO", 80)}},
		{"disc_sports", []code{ac("discSports", 75)}, []code{ac("FRISBEE_DISC", 31)}},
		{"tennis", []code{ac("tennis", 48)}, []code{ac("TENNIS", 76)}},
		{"table_tennis", []code{ac("tableTennis", 47)}, []code{ac("TABLE_TENNIS", 75)}},
		{"badminton", []code{ac("badminton", 4)}, []code{ac("BADMINTON", 2)}},
		{"squash", []code{ac("squash", 43)}, []code{ac("SQUASH", 66)}},
		{"racquetball", []code{ac("racquetball", 34)}, []code{ac("RACQUETBALL", 50)}},
		{"pickleball", []code{ac("pickleball", 79)}, nil},

		// Individual and outdoor sports.
		{"golf", []code{ac("golf", 21)}, []code{ac("GOLF", 32)}},
		{"gymnastics", []code{ac("gymnastics", 22)}, []code{ac("GYMNASTICS", 34)}},
		{"track_and_field", []code{ac("trackAndField", 49)}, nil},
		{"boxing", []code{ac("boxing", 8)}, []code{ac("BOXING", 11)}},
		{"kickboxing", []code{ac("kickboxing", 65)}, nil},
		{"martial_arts", []code{ac("martialArts", 28)}, []code{ac("MARTIAL_ARTS", 44)}},
		{"wrestling", []code{ac("wrestling", 56)}, nil},
		{"fencing", []code{ac("fencing", 18)}, []code{ac("FENCING", 27)}},
		{"climbing", []code{ac("climbing", 9)}, []code{ac("ROCK_CLIMBING", 51)}},
		{"archery", []code{ac("archery", 2)}, nil},
		{"bowling", []code{ac("bowling", 7)}, nil},
		{"curling", []code{ac("curling", 12)}, nil},
		{"equestrian_sports", []code{ac("equestrianSports", 17)}, nil},
		{"fishing", []code{ac("fishing", 19)}, nil},
		{"hunting", []code{ac("hunting", 26)}, nil},
		{"paragliding", nil, []code{ac("PARAGLIDING", 47), ac("PARA_GLIDING", noRaw)}},
		{"skating", []code{ac("skatingSports", 39)}, []code{ac("SKATING", 60), ac("ICE_SKATING", 39)}},
		{"skiing", nil, []code{ac("SKIING", 61)}},
		{"downhill_skiing", []code{ac("downhillSkiing", 61)}, nil},
		{"cross_country_skiing", []code{ac("crossCountrySkiing", 60)}, nil},
		{"snowboarding", []code{ac("snowboarding", 67)}, []code{ac("SNOWBOARDING", 62)}},
		{"snowshoeing", nil, []code{ac("SNOWSHOEING", 63)}},
		{"snow_sports", []code{ac("snowSports", 40)}, nil},
		{"paddling", []code{ac("paddleSports", 31)}, []code{ac("PADDLING", 46)}},
		{"sailing", []code{ac("sailing", 38)}, []code{ac("SAILING", 58)}},
		{"surfing", []code{ac("surfingSports", 45)}, []code{ac("SURFING", 72)}},
		{"scuba_diving", nil, []code{ac("SCUBA_DIVING", 59)}},
		{"water_fitness", []code{ac("waterFitness", 53)}, nil},
		{"water_sports", []code{ac("waterSports", 55)}, nil},

		{"other", []code{ac("other", 3000)}, []code{ac("OTHER_WORKOUT", 0), ac("WORKOUT", noRaw)}},
	}
}

// activityPrefixes carry no information: export.xml writes
// "HKWorkoutActivityTypeRunning", Health Connect code "EXERCISE_TYPE_RUNNING".
var activityPrefixes = []string{"hkworkoutactivitytype", "exercisetype"}

func foldActivity(s string) string {
	k := foldWord(s)
	for _, p := range activityPrefixes {
		k = strings.TrimPrefix(k, p)
	}
	return k
}

// indexActivities builds one lookup map per dialect. Canonical names are
// their own dialect; a platform spelling that equals a canonical name must
// mean that activity, and no spelling or integer may mean two activities.
func indexActivities(rows []activityRow) (map[Dialect]map[string]string, error) {
	idx := map[Dialect]map[string]string{Canonical: {}, HealthKit: {}, HealthConnect: {}}
	var problems []string
	add := func(d Dialect, key, name string) {
		if prev, dup := idx[d][key]; dup && prev != name {
			problems = append(problems, fmt.Sprintf("%s activity %q means both %s and %s", d, key, prev, name))
		}
		idx[d][key] = name
	}
	for _, r := range rows {
		add(Canonical, foldActivity(r.name), r.name)
	}
	platforms := []struct {
		d     Dialect
		codes func(activityRow) []code
	}{
		{HealthKit, func(r activityRow) []code { return r.hk }},
		{HealthConnect, func(r activityRow) []code { return r.hc }},
	}
	for _, p := range platforms {
		for _, r := range rows {
			for _, cd := range p.codes(r) {
				k := foldActivity(cd.name)
				if other, ok := idx[Canonical][k]; ok && other != r.name {
					problems = append(problems, fmt.Sprintf("%s activity %q shadows canonical %s", p.d, cd.name, other))
				}
				add(p.d, k, r.name)
				if cd.raw != noRaw {
					add(p.d, strconv.Itoa(cd.raw), r.name)
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return idx, nil
}
