package model

import (
	"time"

	"healthsync/series"
)

// SeriesColumns is a series' buckets as parallel lists. It keeps the computed buckets and builds a list only
// when the query selects it (gqlgen calls the method of each selected field). Lists of scalars are marshalled
// in a plain loop, where a list of objects costs gqlgen a goroutine and a field context per element.
type SeriesColumns struct {
	Points []series.Point
}

func (c SeriesColumns) Start() []time.Time {
	out := make([]time.Time, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Start
	}
	return out
}

func (c SeriesColumns) End() []time.Time {
	out := make([]time.Time, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.End
	}
	return out
}

func (c SeriesColumns) Value() []float64 {
	out := make([]float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Value
	}
	return out
}

func (c SeriesColumns) Count() []int {
	out := make([]int, len(c.Points))
	for i, p := range c.Points {
		out[i] = int(p.Count)
	}
	return out
}

func (c SeriesColumns) Sum() []float64 {
	out := make([]float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Sum
	}
	return out
}

func (c SeriesColumns) Min() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Min
	}
	return out
}

func (c SeriesColumns) Max() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Max
	}
	return out
}

func (c SeriesColumns) Avg() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Avg
	}
	return out
}
