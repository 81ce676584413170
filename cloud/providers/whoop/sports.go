package whoop

import "strings"

// sportRow maps one WHOOP sport to a catalog activity. WHOOP's workout page lists the sports by id and
// display name; v2 records carry sport_name (lower case, "running") and, before September 2025, sport_id.
// Names are compared folded (lower case, letters and digits only), so "Hiking/Rucking", "hiking-rucking"
// and "hiking_rucking" are one name. Sports without a catalog counterpart map to "other", and the WHOOP
// name stays in the workout's metadata.
type sportRow struct {
	id       int
	names    string // the display name first, then spellings seen for it, separated by "|"
	activity string
}

func sportTable() []sportRow {
	return []sportRow{
		{-1, "Activity", "other"},
		{0, "Running", "running"},
		{1, "Cycling", "cycling"},
		{16, "Baseball", "baseball"},
		{17, "Basketball", "basketball"},
		{18, "Rowing", "rowing"},
		{19, "Fencing", "fencing"},
		{20, "Field Hockey", "hockey"},
		{21, "Football|American Football", "american_football"},
		{22, "Golf", "golf"},
		{24, "Ice Hockey", "hockey"},
		{25, "Lacrosse", "lacrosse"},
		{27, "Rugby", "rugby"},
		{28, "Sailing", "sailing"},
		{29, "Skiing", "skiing"},
		{30, "Soccer", "soccer"},
		{31, "Softball", "softball"},
		{32, "Squash", "squash"},
		{33, "Swimming", "swimming"},
		{34, "Tennis", "tennis"},
		{35, "Track & Field|Track and Field", "track_and_field"},
		{36, "Volleyball", "volleyball"},
		{37, "Water Polo", "water_polo"},
		{38, "Wrestling", "wrestling"},
		{39, "Boxing", "boxing"},
		{42, "Dance", "dance"},
		{43, "Pilates", "pilates"},
		{44, "Yoga", "yoga"},
		{45, "Weightlifting", "strength_training"},
		{47, "Cross Country Skiing", "cross_country_skiing"},
		{48, "Functional Fitness", "functional_strength_training"},
		// A duathlon is run-bike-run: the catalog's multisport activity is the closest.
		{49, "Duathlon", "swim_bike_run"},
		{51, "Gymnastics", "gymnastics"},
		{52, "Hiking/Rucking|Hiking|Rucking", "hiking"},
		{53, "Horseback Riding", "equestrian_sports"},
		{55, "Kayaking", "paddling"},
		{56, "Martial Arts", "martial_arts"},
		{57, "Mountain Biking", "cycling"},
		{59, "Powerlifting", "strength_training"},
		{60, "Rock Climbing", "climbing"},
		{61, "Paddleboarding", "paddling"},
		{62, "Triathlon", "swim_bike_run"},
		{63, "Walking", "walking"},
		{64, "Surfing", "surfing"},
		{65, "Elliptical", "elliptical"},
		{66, "Stairmaster", "stair_climbing"},
		{70, "Meditation", "mind_and_body"},
		{71, "Other", "other"},
		{73, "Diving", "water_sports"},
		{74, "Operations - Tactical", "other"},
		{75, "Operations - Medical", "other"},
		{76, "Operations - Flying", "other"},
		{77, "Operations - Water", "other"},
		{82, "Ultimate", "disc_sports"},
		{83, "Climber", "stair_climbing"},
		{84, "Jumping Rope|Jump Rope", "jump_rope"},
		{85, "Australian Football", "australian_football"},
		{86, "Skateboarding", "skating"},
		{87, "Coaching", "other"},
		// WHOOP logs recovery activities (cold, heat, massage) as workouts too.
		{88, "Ice Bath", "preparation_and_recovery"},
		{89, "Commuting", "other"},
		{90, "Gaming", "other"}, // video games, not the catalog's exercise games
		{91, "Snowboarding", "snowboarding"},
		{92, "Motocross", "other"},
		{93, "Caddying", "other"},
		{94, "Obstacle Course Racing", "other"},
		{95, "Motor Racing", "other"},
		{96, "HIIT", "hiit"},
		{97, "Spin", "cycling"},
		{98, "Jiu Jitsu", "martial_arts"},
		{99, "Manual Labor", "other"},
		{100, "Cricket", "cricket"},
		{101, "Pickleball", "pickleball"},
		{102, "Inline Skating", "skating"},
		{103, "Box Fitness", "boxing"},
		{104, "Spikeball", "other"},
		{105, "Wheelchair Pushing", "wheelchair"},
		{106, "Paddle Tennis", "other"},
		{107, "Barre", "barre"},
		{108, "Stage Performance", "other"},
		{109, "High Stress Work", "other"},
		{110, "Parkour", "other"},
		{111, "Gaelic Football", "other"},
		{112, "Hurling/Camogie", "other"},
		{113, "Circus Arts", "other"},
		{121, "Massage Therapy", "preparation_and_recovery"},
		{123, "Strength Trainer", "strength_training"},
		{125, "Watching Sports", "other"},
		{126, "Assault Bike", "cycling"},
		{127, "Kickboxing", "kickboxing"},
		{128, "Stretching", "flexibility"},
		{230, "Table Tennis", "table_tennis"},
		{231, "Badminton", "badminton"},
		{232, "Netball", "other"},
		{233, "Sauna", "preparation_and_recovery"},
		{234, "Disc Golf", "disc_sports"},
		{235, "Yard Work", "other"},
		{236, "Air Compression", "preparation_and_recovery"},
		{237, "Percussive Massage", "preparation_and_recovery"},
		{238, "Paintball", "other"},
		{239, "Ice Skating", "skating"},
		{240, "Handball", "handball"},
		{248, "F45 Training", "hiit"},
		{249, "Padel", "other"},
		{250, "Barry's", "boot_camp"},
		{251, "Dedicated Parenting", "other"},
		{252, "Stroller Walking", "walking"},
		{253, "Stroller Jogging", "running"},
		{254, "Toddlerwear", "other"},
		{255, "Babywearing", "other"},
		{258, "Barre3", "barre"},
		{259, "Hot Yoga", "yoga"},
		{261, "Stadium Steps", "stair_climbing"},
		{262, "Polo", "equestrian_sports"},
		{263, "Musical Performance", "other"},
		{264, "Kite Boarding", "water_sports"},
		{266, "Dog Walking", "walking"},
		{267, "Water Skiing", "water_sports"},
		{268, "Wakeboarding", "water_sports"},
		{269, "Cooking", "other"},
		{270, "Cleaning", "other"},
		{272, "Public Speaking", "other"},
	}
}

// activityFor picks the catalog activity for a workout: by sport_name, else by the legacy sport_id, else
// "other". known says whether WHOOP's sport was recognised at all.
func activityFor(sportName string, sportID *int) (activity string, known bool) {
	rows := sportTable()
	if k := foldSport(sportName); k != "" {
		for _, r := range rows {
			for rest := r.names; rest != ""; {
				var n string
				n, rest, _ = strings.Cut(rest, "|")
				if foldedEqual(n, k) {
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

// foldSport keeps the lower-cased ASCII letters and digits of s: the form names are compared in.
func foldSport(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if isSportRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldedEqual reports whether name folds to key without building the folded name.
func foldedEqual(name, key string) bool {
	i := 0
	for _, r := range name {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		if !isSportRune(r) {
			continue
		}
		if i >= len(key) || rune(key[i]) != r {
			return false
		}
		i++
	}
	return i == len(key)
}

func isSportRune(r rune) bool { return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') }
