package catalog_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"healthsync/catalog"
)

// docs/catalog.md is generated from the tables; a table edit without `go generate ./catalog` fails here.
func TestCatalogPageIsCurrent(t *testing.T) {
	want := catalog.New().Markdown()
	got, err := os.ReadFile("../docs/catalog.md")
	if err != nil {
		t.Fatalf("read the generated page: %v (run go generate ./catalog)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/catalog.md is stale: run go generate ./catalog")
	}
}

func TestCatalogPageListsEveryType(t *testing.T) {
	c := catalog.New()
	page := string(c.Markdown())
	for _, m := range c.Metrics() {
		if !strings.Contains(page, "| `"+m.Name+"` |") {
			t.Errorf("metric %s missing from the page", m.Name)
		}
	}
	for _, cat := range c.Categories() {
		if !strings.Contains(page, "| `"+cat.Name+"` |") {
			t.Errorf("category %s missing from the page", cat.Name)
		}
	}
}

// The issue asks for at least 150 platform identifiers.
func TestCatalogCoversTheSDKs(t *testing.T) {
	n := catalog.New().Count()
	t.Logf("HealthKit quantity %d, HealthKit category %d, Health Connect records %d (+%d record fields)",
		n.HealthKitQuantity, n.HealthKitCategory, n.HealthConnectRecords, n.HealthConnectFields)
	if total := n.HealthKitQuantity + n.HealthKitCategory + n.HealthConnectRecords; total < 150 {
		t.Errorf("%d identifiers, want at least 150", total)
	}
}
