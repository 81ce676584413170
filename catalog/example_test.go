package catalog_test

import (
	"fmt"

	"healthsync/catalog"
)

func Example() {
	c := catalog.New()

	// An iOS upload: SpO2 as a HealthKit fraction.
	spo2, _ := c.Lookup("HKQuantityTypeIdentifierOxygenSaturation")
	v, _ := c.Convert(spo2, 0.97, "%", catalog.HealthKit)
	fmt.Printf("%s %.0f %s\n", spo2.Name, v, spo2.Unit)

	// An Android upload: a weight record in pounds.
	weight, _ := c.Lookup("WeightRecord")
	v, _ = c.Convert(weight, 154, "pounds", catalog.HealthConnect)
	fmt.Printf("%s %.2f %s\n", weight.Name, v, weight.Unit)

	// A unit of the wrong dimension.
	steps, _ := c.Lookup("STEPS")
	_, err := c.Convert(steps, 1000, "kg", catalog.HealthConnect)
	fmt.Println(err)

	// Output:
	// oxygen_saturation 97 %
	// body_mass 69.85 kg
	// unit not accepted for this metric: "kg" for steps (accepted: count)
}
