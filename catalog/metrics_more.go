package catalog

// moreMetrics continues metricTable: the rest of HealthKit's quantity types
// (iOS 18 SDK) and Health Connect's numeric records. Units and aggregation
// styles follow Apple's per-identifier documentation ("These samples use …
// units and measure cumulative/discrete values") and the androidx
// health.connect.client.records field types.
func moreMetrics() []Metric {
	return []Metric{
		// Activity and mobility.
		{
			Name: "move_time", Unit: "min", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1440,
			HealthKit:   hk("AppleMoveTime"),
			Description: "Apple move minutes (the move goal of wheelchair users and children).",
		},
		{
			Name: "nike_fuel", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 100000,
			HealthKit:   hk("NikeFuel"),
			Description: "Nike Fuel points.",
		},
		{
			Name: "push_count", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 250000,
			HealthKit: hk("PushCount"), HealthConnect: hc("WheelchairPushes"),
			Description: "Wheelchair pushes.",
		},
		{
			Name: "distance_wheelchair", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistanceWheelchair"),
			Description: "Distance travelled in a wheelchair.",
		},
		{
			Name: "distance_downhill_snow_sports", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistanceDownhillSnowSports"),
			Description: "Distance skied or snowboarded downhill.",
		},
		{
			Name: "distance_cross_country_skiing", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistanceCrossCountrySkiing"),
			Description: "Distance cross-country skied (iOS 18).",
		},
		{
			Name: "distance_paddle_sports", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistancePaddleSports"),
			Description: "Distance paddled (iOS 18).",
		},
		{
			Name: "distance_rowing", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistanceRowing"),
			Description: "Distance rowed (iOS 18).",
		},
		{
			Name: "distance_skating_sports", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit:   hk("DistanceSkatingSports"),
			Description: "Distance skated (iOS 18).",
		},
		{
			Name: "cross_country_skiing_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 40,
			HealthKit:   hk("CrossCountrySkiingSpeed"),
			Description: "Cross-country skiing speed (iOS 18).",
		},
		{
			Name: "paddle_sports_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 30,
			HealthKit:   hk("PaddleSportsSpeed"),
			Description: "Paddling speed (iOS 18).",
		},
		{
			Name: "rowing_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 30,
			HealthKit:   hk("RowingSpeed"),
			Description: "Rowing speed (iOS 18).",
		},
		{
			Name: "swimming_stroke_count", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 100000,
			HealthKit:   hk("SwimmingStrokeCount"),
			Description: "Swimming strokes.",
		},
		{
			Name: "underwater_depth", Unit: "m", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1000,
			HealthKit:   hk("UnderwaterDepth"),
			Description: "Depth below the water surface.",
		},
		{
			Name: "water_temperature", Unit: "degC", Aggregation: Discrete, Resolution: 0.001, Min: -5, Max: 60,
			HealthKit:   hk("WaterTemperature"),
			Description: "Temperature of the water around the device.",
		},
		{
			Name: "workout_effort_score", Unit: "score", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 10,
			HealthKit:   hk("WorkoutEffortScore"),
			Description: "Workout effort rated by the user, 1–10 (iOS 18).",
		},
		{
			Name: "estimated_workout_effort_score", Unit: "score", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 10,
			HealthKit:   hk("EstimatedWorkoutEffortScore"),
			Description: "Workout effort estimated by Apple Watch, 1–10 (iOS 18).",
		},
		{
			Name: "walking_step_length", Unit: "m", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 3,
			HealthKit:   hk("WalkingStepLength"),
			Description: "Average step length while walking.",
		},
		{
			Name: "walking_double_support_percentage", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("WalkingDoubleSupportPercentage"),
			Description: "Share of walking time with both feet on the ground, 0–100.",
		},
		{
			Name: "walking_asymmetry_percentage", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("WalkingAsymmetryPercentage"),
			Description: "Share of steps whose timing differs between the feet, 0–100.",
		},
		{
			Name: "walking_steadiness", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("AppleWalkingSteadiness"),
			Description: "Apple walking steadiness score, 0–100.",
		},
		{
			Name: "six_minute_walk_test_distance", Unit: "m", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 2000,
			HealthKit:   hk("SixMinuteWalkTestDistance"),
			Description: "Estimated six-minute walk test distance.",
		},
		{
			Name: "stair_ascent_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 5,
			HealthKit:   hk("StairAscentSpeed"),
			Description: "Vertical speed climbing stairs.",
		},
		{
			Name: "stair_descent_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 5,
			HealthKit:   hk("StairDescentSpeed"),
			Description: "Vertical speed descending stairs.",
		},
		{
			Name: "steps_cadence", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1000,
			HealthConnect: hc("StepsCadence"),
			Description:   "Steps per minute (Health Connect StepsCadenceRecord samples).",
		},

		// Running form.
		{
			Name: "running_stride_length", Unit: "m", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 5,
			HealthKit:   hk("RunningStrideLength"),
			Description: "Running stride length.",
		},
		{
			Name: "running_vertical_oscillation", Unit: "cm", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("RunningVerticalOscillation"),
			Description: "Vertical bounce of the torso per running stride.",
		},
		{
			Name: "running_ground_contact_time", Unit: "ms", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 5000,
			HealthKit:   hk("RunningGroundContactTime"),
			Description: "Time a foot stays on the ground per running stride.",
		},

		// Cycling.
		{
			Name: "cycling_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 100,
			HealthKit:   hk("CyclingSpeed"),
			Description: "Cycling speed.",
		},
		{
			Name: "cycling_power", Unit: "W", Aggregation: Discrete, Resolution: 0.1, Min: 0, Max: 5000,
			HealthKit:   hk("CyclingPower"),
			Description: "Cycling power.",
		},
		{
			Name: "cycling_cadence", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 500,
			HealthKit: hk("CyclingCadence"), HealthConnect: hc("CyclingPedalingCadence"),
			Description: "Pedal revolutions per minute.",
		},
		{
			Name: "cycling_functional_threshold_power", Unit: "W", Aggregation: Discrete, Resolution: 0.1, Min: 0, Max: 2000,
			HealthKit:   hk("CyclingFunctionalThresholdPower"),
			Description: "Functional threshold power: the highest power held for an hour.",
		},

		// Heart, lungs and blood.
		{
			Name: "heart_rate_recovery_one_minute", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 250,
			HealthKit:   hk("HeartRateRecoveryOneMinute"),
			Description: "Drop in heart rate one minute after exercise peaks.",
		},
		{
			Name: "atrial_fibrillation_burden", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("AtrialFibrillationBurden"),
			Description: "Share of time in atrial fibrillation, 0–100.",
		},
		{
			Name: "peripheral_perfusion_index", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit:   hk("PeripheralPerfusionIndex"),
			Description: "Pulsatile to non-pulsatile blood flow ratio, 0–100.",
		},
		{
			Name: "forced_vital_capacity", Unit: "L", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 15,
			HealthKit:   hk("ForcedVitalCapacity"),
			Description: "Forced vital capacity (FVC).",
		},
		{
			Name: "forced_expiratory_volume_1", Unit: "L", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 15,
			HealthKit:   hk("ForcedExpiratoryVolume1"),
			Description: "Forced expiratory volume in one second (FEV1).",
		},
		{
			Name: "peak_expiratory_flow_rate", Unit: "L/min", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1500,
			HealthKit:   hk("PeakExpiratoryFlowRate"),
			Description: "Peak expiratory flow.",
		},
		{
			Name: "inhaler_usage", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 1000,
			HealthKit:   hk("InhalerUsage"),
			Description: "Inhaler puffs.",
		},
		{
			Name: "sleeping_breathing_disturbances", Unit: "count", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1000,
			HealthKit:   hk("AppleSleepingBreathingDisturbances"),
			Description: "Breathing disturbances per hour of sleep (iOS 18).",
		},
		{
			Name: "blood_alcohol_content", Unit: "%", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 100,
			HealthKit:   hk("BloodAlcoholContent"),
			Description: "Blood alcohol content, 0–100 (HealthKit sends a fraction).",
		},
		{
			Name: "number_of_alcoholic_beverages", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 1000,
			HealthKit:   hk("NumberOfAlcoholicBeverages"),
			Description: "Alcoholic drinks.",
		},
		{
			Name: "insulin_delivery", Unit: "IU", Aggregation: Cumulative, Resolution: 0.001, Min: 0, Max: 1000,
			HealthKit:   hk("InsulinDelivery"),
			Description: "Insulin delivered (basal or bolus in HKInsulinDeliveryReason metadata).",
		},
		{
			Name: "electrodermal_activity", Unit: "uS", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 1000,
			HealthKit:   hk("ElectrodermalActivity"),
			Description: "Skin conductance.",
		},
		{
			Name: "number_of_times_fallen", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 1000,
			HealthKit:   hk("NumberOfTimesFallen"),
			Description: "Falls.",
		},

		// Body.
		{
			Name: "body_water_mass", Unit: "kg", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 700,
			HealthConnect: hc("BodyWaterMass"),
			Description:   "Mass of the water in the body.",
		},
		{
			Name: "bone_mass", Unit: "kg", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 100,
			HealthConnect: hc("BoneMass"),
			Description:   "Bone mass.",
		},
		{
			Name: "skin_temperature_delta", Unit: "K", Aggregation: Discrete, Resolution: 0.001, Min: -30, Max: 30,
			HealthConnect: hc("SkinTemperature"),
			Description:   "Skin temperature as a difference from the device's baseline (Health Connect SkinTemperatureRecord deltas), in kelvin, which equals a difference in °C.",
		},

		// Hearing and environment.
		{
			Name: "headphone_audio_exposure", Unit: "dBASPL", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 200,
			HealthKit:   hk("HeadphoneAudioExposure"),
			Description: "Headphone sound level, A-weighted dB SPL.",
		},
		{
			Name: "environmental_sound_reduction", Unit: "dBASPL", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 200,
			HealthKit:   hk("EnvironmentalSoundReduction"),
			Description: "Sound reduction by hearing-protecting headphones, dB.",
		},
		{
			Name: "uv_exposure", Unit: "count", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 30,
			HealthKit:   hk("UVExposure"),
			Description: "UV index.",
		},
	}
}

// nutrient is one row of the nutrition table: a HealthKit dietary type and
// the field of a Health Connect NutritionRecord that carries the same value.
type nutrient struct {
	name, hk, hc, unit string
	max                float64
	desc               string
}

// nutrients are cumulative intakes. Health Connect Nutrition records carry
// all of them at once; a client sends each field as its own sample,
// "Nutrition.<field>" (see doc.go). Maxima are one sample's, generous.
func nutrients() []Metric {
	rows := []nutrient{
		{"dietary_energy_consumed", "DietaryEnergyConsumed", "energy", "kcal", 100000, "Food energy consumed."},
		{"dietary_energy_from_fat", "", "energyFromFat", "kcal", 100000, "Food energy from fat."},
		{"dietary_water", "DietaryWater", "", "mL", 100000, "Water drunk."},
		{"dietary_protein", "DietaryProtein", "protein", "g", 100000, "Protein."},
		{"dietary_carbohydrates", "DietaryCarbohydrates", "totalCarbohydrate", "g", 100000, "Carbohydrates."},
		{"dietary_fiber", "DietaryFiber", "dietaryFiber", "g", 10000, "Dietary fibre."},
		{"dietary_sugar", "DietarySugar", "sugar", "g", 10000, "Sugar."},
		{"dietary_fat_total", "DietaryFatTotal", "totalFat", "g", 100000, "Total fat."},
		{"dietary_fat_saturated", "DietaryFatSaturated", "saturatedFat", "g", 10000, "Saturated fat."},
		{"dietary_fat_monounsaturated", "DietaryFatMonounsaturated", "monounsaturatedFat", "g", 10000, "Monounsaturated fat."},
		{"dietary_fat_polyunsaturated", "DietaryFatPolyunsaturated", "polyunsaturatedFat", "g", 10000, "Polyunsaturated fat."},
		{"dietary_fat_trans", "", "transFat", "g", 10000, "Trans fat."},
		{"dietary_fat_unsaturated", "", "unsaturatedFat", "g", 10000, "Unsaturated fat."},
		{"dietary_cholesterol", "DietaryCholesterol", "cholesterol", "mg", 1e6, "Cholesterol."},
		{"dietary_sodium", "DietarySodium", "sodium", "mg", 1e6, "Sodium."},
		{"dietary_potassium", "DietaryPotassium", "potassium", "mg", 1e6, "Potassium."},
		{"dietary_chloride", "DietaryChloride", "chloride", "mg", 1e6, "Chloride."},
		{"dietary_calcium", "DietaryCalcium", "calcium", "mg", 1e6, "Calcium."},
		{"dietary_iron", "DietaryIron", "iron", "mg", 1e5, "Iron."},
		{"dietary_magnesium", "DietaryMagnesium", "magnesium", "mg", 1e5, "Magnesium."},
		{"dietary_phosphorus", "DietaryPhosphorus", "phosphorus", "mg", 1e6, "Phosphorus."},
		{"dietary_zinc", "DietaryZinc", "zinc", "mg", 1e5, "Zinc."},
		{"dietary_copper", "DietaryCopper", "copper", "mg", 1e5, "Copper."},
		{"dietary_manganese", "DietaryManganese", "manganese", "mg", 1e5, "Manganese."},
		{"dietary_iodine", "DietaryIodine", "iodine", "mcg", 1e7, "Iodine."},
		{"dietary_selenium", "DietarySelenium", "selenium", "mcg", 1e7, "Selenium."},
		{"dietary_chromium", "DietaryChromium", "chromium", "mcg", 1e7, "Chromium."},
		{"dietary_molybdenum", "DietaryMolybdenum", "molybdenum", "mcg", 1e7, "Molybdenum."},
		{"dietary_vitamin_a", "DietaryVitaminA", "vitaminA", "mcg", 1e7, "Vitamin A."},
		{"dietary_vitamin_b6", "DietaryVitaminB6", "vitaminB6", "mg", 1e5, "Vitamin B6."},
		{"dietary_vitamin_b12", "DietaryVitaminB12", "vitaminB12", "mcg", 1e7, "Vitamin B12."},
		{"dietary_vitamin_c", "DietaryVitaminC", "vitaminC", "mg", 1e6, "Vitamin C."},
		{"dietary_vitamin_d", "DietaryVitaminD", "vitaminD", "mcg", 1e7, "Vitamin D."},
		{"dietary_vitamin_e", "DietaryVitaminE", "vitaminE", "mg", 1e5, "Vitamin E."},
		{"dietary_vitamin_k", "DietaryVitaminK", "vitaminK", "mcg", 1e7, "Vitamin K."},
		{"dietary_thiamin", "DietaryThiamin", "thiamin", "mg", 1e5, "Thiamin (vitamin B1)."},
		{"dietary_riboflavin", "DietaryRiboflavin", "riboflavin", "mg", 1e5, "Riboflavin (vitamin B2)."},
		{"dietary_niacin", "DietaryNiacin", "niacin", "mg", 1e5, "Niacin (vitamin B3)."},
		{"dietary_pantothenic_acid", "DietaryPantothenicAcid", "pantothenicAcid", "mg", 1e5, "Pantothenic acid (vitamin B5)."},
		{"dietary_biotin", "DietaryBiotin", "biotin", "mcg", 1e7, "Biotin (vitamin B7)."},
		{"dietary_folate", "DietaryFolate", "folate", "mcg", 1e7, "Folate."},
		{"dietary_folic_acid", "", "folicAcid", "mcg", 1e7, "Folic acid."},
		{"dietary_caffeine", "DietaryCaffeine", "caffeine", "mg", 1e5, "Caffeine."},
	}
	out := make([]Metric, 0, len(rows))
	for _, r := range rows {
		m := Metric{Name: r.name, Unit: r.unit, Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: r.max,
			Description: r.desc}
		if r.hk != "" {
			m.HealthKit = hk(r.hk)
		}
		if r.hc != "" {
			m.HealthConnect = hc("Nutrition." + r.hc)
		}
		switch r.name {
		case "dietary_energy_consumed":
			m.LOINC = "9052-2"
		case "dietary_water":
			m.HealthConnect, m.Resolution = hc("Hydration"), 0.1
		}
		out = append(out, m)
	}
	return out
}
