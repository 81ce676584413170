package whoop

import "strings"

// sportRow maps one WHOOP sport to a catalog activity. WHOOP's workout page lists the sports by id and
// display name; v2 records carry sport_name (lower case, "running") and, before September 2025, sport_id.
// Names are compared folded (lower case, letters and digits only), so "Hiking/Rucking", "hiking-rucking"
// and "hiking_rucking" are one name. Sports without a catalog counterpart map to "other", and the WHOOP
// name stays in the workout's metadata.
type sportRow struct {
	id       int
	names    []string // the display name first, then spellings seen for it
	activity string
}

func sportTable() []sportRow {
	return []sportRow{
		{-1, []string{"Activity"}, "other"},
		{0, []string{"Running"}, "running"},
		{1, []string{"Cycling"}, "cycling"},
		{16, []string{"Baseball"}, "baseball"},
		{17, []string{"Basketball"}, "basketball"},
		{18, []string{"Rowing"}, "rowing"},
		{19, []string{"Fencing"}, "fencing"},
		{20, []string{"Field Hockey"}, "hockey"},
		{21, []string{"Football", "American Football"}, "american_football"},
		{22, []string{"Golf"}, "golf"},
		{24, []string{"Ice Hockey"}, "hockey"},
		{25, []string{"Lacrosse"}, "lacrosse"},
		{27, []string{"Rugby"}, "rugby"},
		{28, []string{"Sailing"}, "sailing"},
		{29, []string{"Skiing"}, "skiing"},
		{30, []string{"Soccer"}, "soccer"},
		{31, []string{"Softball"}, "softball"},
		{32, []string{"Squash"}, "squash"},
		{33, []string{"Swimming"}, "swimming"},
		{34, []string{"Tennis"}, "tennis"},
		{35, []string{"Track & Field", "Track and Field"}, "track_and_field"},
		{36, []string{"Volleyball"}, "volleyball"},
		{37, []string{"Water Polo"}, "water_polo"},
		{38, []string{"Wrestling"}, "wrestling"},
		{39, []string{"Boxing"}, "boxing"},
		{42, []string{"Dance"}, "dance"},
		{43, []string{"Pilates"}, "pilates"},
		{44, []string{"Yoga"}, "yoga"},
		{45, []string{"Weightlifting"}, "strength_training"},
		{47, []string{"Cross Country Skiing"}, "cross_country_skiing"},
		{48, []string{"Functional Fitness"}, "functional_strength_training"},
		// A duathlon is run-bike-run: the catalog's multisport activity is the closest.
		{49, []string{"Duathlon"}, "swim_bike_run"},
		{51, []string{"Gymnastics"}, "gymnastics"},
		{52, []string{"Hiking/Rucking", "Hiking", "Rucking"}, "hiking"},
		{53, []string{"Horseback Riding"}, "equestrian_sports"},
		{55, []string{"Kayaking"}, "paddling"},
		{56, []string{"Martial Arts"}, "martial_arts"},
		{57, []string{"Mountain Biking"}, "cycling"},
		{59, []string{"Powerlifting"}, "strength_training"},
		{60, []string{"Rock Climbing"}, "climbing"},
		{61, []string{"Paddleboarding"}, "paddling"},
		{62, []string{"Triathlon"}, "swim_bike_run"},
		{63, []string{"Walking"}, "walking"},
		{64, []string{"Surfing"}, "surfing"},
		{65, []string{"Elliptical"}, "elliptical"},
		{66, []string{"Stairmaster"}, "stair_climbing"},
		{70, []string{"Meditation"}, "mind_and_body"},
		{71, []string{"Other"}, "other"},
		{73, []string{"Diving"}, "water_sports"},
		{74, []string{"Operations - Tactical"}, "other"},
		{75, []string{"Operations - Medical"}, "other"},
		{76, []string{"Operations - Flying"}, "other"},
		{77, []string{"Operations - Water"}, "other"},
		{82, []string{"Ultimate"}, "disc_sports"},
		{83, []string{"Climber"}, "stair_climbing"},
		{84, []string{"Jumping Rope", "Jump Rope"}, "jump_rope"},
		{85, []string{"Australian Football"}, "australian_football"},
		{86, []string{"Skateboarding"}, "skating"},
		{87, []string{"Coaching"}, "other"},
		// WHOOP logs recovery activities (cold, heat, massage) as workouts too.
		{88, []string{"Ice Bath"}, "preparation_and_recovery"},
		{89, []string{"Commuting"}, "other"},
		{90, []string{"Gaming"}, "other"}, // video games, not the catalog's exercise games
		{91, []string{"Snowboarding"}, "snowboarding"},
		{92, []string{"Motocross"}, "other"},
		{93, []string{"Caddying"}, "other"},
		{94, []string{"Obstacle Course Racing"}, "other"},
		{95, []string{"Motor Racing"}, "other"},
		{96, []string{"HIIT"}, "hiit"},
		{97, []string{"Spin"}, "cycling"},
		{98, []string{"Jiu Jitsu"}, "martial_arts"},
		{99, []string{"Manual Labor"}, "other"},
		{100, []string{"Cricket"}, "cricket"},
		{101, []string{"Pickleball"}, "pickleball"},
		{102, []string{"Inline Skating"}, "skating"},
		{103, []string{"Box Fitness"}, "boxing"},
		{104, []string{"Spikeball"}, "other"},
		{105, []string{"Wheelchair Pushing"}, "wheelchair"},
		{106, []string{"Paddle Tennis"}, "other"},
		{107, []string{"Barre"}, "barre"},
		{108, []string{"Stage Performance"}, "other"},
		{109, []string{"High Stress Work"}, "other"},
		{110, []string{"Parkour"}, "other"},
		{111, []string{"Gaelic Football"}, "other"},
		{112, []string{"Hurling/Camogie"}, "other"},
		{113, []string{"Circus Arts"}, "other"},
		{121, []string{"Massage Therapy"}, "preparation_and_recovery"},
		{123, []string{"Strength Trainer"}, "strength_training"},
		{125, []string{"Watching Sports"}, "other"},
		{126, []string{"Assault Bike"}, "cycling"},
		{127, []string{"Kickboxing"}, "kickboxing"},
		{128, []string{"Stretching"}, "flexibility"},
		{230, []string{"Table Tennis"}, "table_tennis"},
		{231, []string{"Badminton"}, "badminton"},
		{232, []string{"Netball"}, "other"},
		{233, []string{"Sauna"}, "preparation_and_recovery"},
		{234, []string{"Disc Golf"}, "disc_sports"},
		{235, []string{"Yard Work"}, "other"},
		{236, []string{"Air Compression"}, "preparation_and_recovery"},
		{237, []string{"Percussive Massage"}, "preparation_and_recovery"},
		{238, []string{"Paintball"}, "other"},
		{239, []string{"Ice Skating"}, "skating"},
		{240, []string{"Handball"}, "handball"},
		{248, []string{"F45 Training"}, "hiit"},
		{249, []string{"Padel"}, "other"},
		{250, []string{"Barry's"}, "boot_camp"},
		{251, []string{"Dedicated Parenting"}, "other"},
		{252, []string{"Stroller Walking"}, "walking"},
		{253, []string{"Stroller Jogging"}, "running"},
		{254, []string{"Toddlerwear"}, "other"},
		{255, []string{"Babywearing"}, "other"},
		{258, []string{"Barre3"}, "barre"},
		{259, []string{"Hot Yoga"}, "yoga"},
		{261, []string{"Stadium Steps"}, "stair_climbing"},
		{262, []string{"Polo"}, "equestrian_sports"},
		{263, []string{"Musical Performance"}, "other"},
		{264, []string{"Kite Boarding"}, "water_sports"},
		{266, []string{"Dog Walking"}, "walking"},
		{267, []string{"Water Skiing"}, "water_sports"},
		{268, []string{"Wakeboarding"}, "water_sports"},
		{269, []string{"Cooking"}, "other"},
		{270, []string{"Cleaning"}, "other"},
		{272, []string{"Public Speaking"}, "other"},
	}
}

// activityFor picks the catalog activity for a workout: by sport_name, else by the legacy sport_id, else
// "other". known says whether WHOOP's sport was recognised at all.
func activityFor(sportName string, sportID *int) (activity string, known bool) {
	rows := sportTable()
	if k := foldSport(sportName); k != "" {
		for _, r := range rows {
			for _, n := range r.names {
				if foldSport(n) == k {
					return r.activity, true
				}
			}
		}
	}
	if sportID != nil {
		for _, r := range rows {
			if r.id == *sportID {
				return r.activity, true
			}
		}
	}
	return "other", false
}

func foldSport(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
