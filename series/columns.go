package series

import "time"

// Columns is a series' points as parallel lists, the GraphQL type SeriesColumns (bound in schema.graphqls). It
// keeps the computed points and builds a list only when the query selects it (gqlgen calls the method of each
// selected field). Lists of scalars are marshalled in a plain loop, where a list of objects costs gqlgen a
// goroutine and a field context per element.
type Columns struct {
	Points []Point
}

func (c Columns) Start() []time.Time {
	out := make([]time.Time, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Start
	}
	return out
}

func (c Columns) End() []time.Time {
	out := make([]time.Time, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.End
	}
	return out
}

func (c Columns) Value() []float64 {
	out := make([]float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Value
	}
	return out
}

func (c Columns) Count() []int {
	out := make([]int, len(c.Points))
	for i, p := range c.Points {
		out[i] = int(p.Count)
	}
	return out
}

func (c Columns) Sum() []float64 {
	out := make([]float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Sum
	}
	return out
}

func (c Columns) Min() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Min
	}
	return out
}

func (c Columns) Max() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Max
	}
	return out
}

func (c Columns) Avg() []*float64 {
	out := make([]*float64, len(c.Points))
	for i, p := range c.Points {
		out[i] = p.Avg
	}
	return out
}
