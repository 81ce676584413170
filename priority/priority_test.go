package priority

import (
	"testing"

	"healthsync/db"
)

func s(id int64, name, product string) db.Source {
	return db.Source{ID: id, Name: name, ProductType: &product}
}

func names(src []db.Source) string {
	out := ""
	for _, x := range src {
		out += x.Name + " "
	}
	return out
}

func TestDefaultOrderIsWatchesThenPhonesThenOthersByFirstSeen(t *testing.T) {
	srcs := []db.Source{s(1, "Oura", ""), s(2, "iPhone", "iPhone15,2"), s(3, "Watch", "Watch6,7"), s(4, "Strava", ""), s(5, "Watch2", "Watch7,1")}
	if got := names(Order(srcs, nil)); got != "Watch Watch2 iPhone Oura Strava " {
		t.Fatalf("default order: %s", got)
	}
	if got := names(Order(srcs, []int64{4, 2, 4, 99})); got != "Strava iPhone Watch Watch2 Oura " {
		t.Fatalf("custom order: %s", got)
	}
	r := Ranks(Order(srcs, nil))
	if r[3] != 0 || r[4] != 4 {
		t.Fatalf("ranks %v", r)
	}
}

func TestClassOfUsesModelAndProductType(t *testing.T) {
	model := "Pixel Watch 2"
	if c := ClassOf(db.Source{DeviceModel: &model}); c != Watch {
		t.Fatalf("Pixel Watch: %v", c)
	}
	phone := "iPhone"
	if c := ClassOf(db.Source{DeviceModel: &phone}); c != Phone {
		t.Fatalf("iPhone: %v", c)
	}
	if c := ClassOf(db.Source{Name: "MyFitnessPal"}); c != Other {
		t.Fatalf("app: %v", c)
	}
}
