package catalog

import (
	"strings"
	"testing"
)

func TestEveryMetricHasADisplayNameAndUnitLabel(t *testing.T) {
	c := New()
	seen := map[string]string{}
	for _, m := range c.Metrics() {
		if _, ok := display[m.Name]; !ok {
			t.Errorf("metric %s has no display name and unit label in display.go", m.Name)
			continue
		}
		if m.DisplayName() == "" || m.DisplayName() == m.Name || m.UnitLabel() == "" {
			t.Errorf("metric %s: display name %q, unit label %q", m.Name, m.DisplayName(), m.UnitLabel())
		}
		if other, ok := seen[m.DisplayName()]; ok {
			t.Errorf("metrics %s and %s share the display name %q", other, m.Name, m.DisplayName())
		}
		seen[m.DisplayName()] = m.Name
	}
	for name := range display {
		if _, ok := c.Lookup(name); !ok {
			t.Errorf("display.go names %s, which the catalog does not have", name)
		}
	}
	if got := (Metric{Name: "new_metric", Unit: "g"}); got.DisplayName() != "new_metric" || got.UnitLabel() != "g" {
		t.Errorf("an unlisted metric shows %q %q, want its name and unit", got.DisplayName(), got.UnitLabel())
	}
}

func TestEveryCategoryHasADisplayName(t *testing.T) {
	c := New()
	seen := map[string]string{}
	for _, cat := range c.Categories() {
		_, listed := categoryDisplay[cat.Name]
		if !listed && !strings.HasPrefix(cat.Name, symptomPrefix) {
			t.Errorf("category %s has no display name in categoryDisplay", cat.Name)
		}
		n := cat.DisplayName()
		if n == "" || n == cat.Name || strings.Contains(n, "_") {
			t.Errorf("category %s: display name %q", cat.Name, n)
		}
		if other, ok := seen[n]; ok {
			t.Errorf("categories %s and %s share the display name %q", other, cat.Name, n)
		}
		seen[n] = cat.Name
	}
	for name := range categoryDisplay {
		if _, ok := c.LookupCategory(name); !ok {
			t.Errorf("categoryDisplay names %s, which the catalog does not have", name)
		}
	}
	if got, _ := c.LookupCategory("HKCategoryTypeIdentifierLowerBackPain"); got.DisplayName() != "Lower back pain" {
		t.Errorf("lower back pain reads %q", got.DisplayName())
	}
}
